"""What keeps the studio's frames cheap (issue 22): per-frame text repaints only itself (LiveLabel), a frame
repaints only the panels whose pictures changed, and the diagram's edges reuse their pens.

Behaviour, not speed: no timing here (benchmarks/app_framerate.py measures frames per second)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")
pytest.importorskip("pytestqt")

from PyQt6.QtCore import QEvent, QObject  # noqa: E402
from PyQt6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget  # noqa: E402
from qt_image import widget_pixels as pixels  # noqa: E402

from neuralviz.app.common.live_label import LiveLabel  # noqa: E402
from neuralviz.app.common.render import HeatmapPainter, neuron_scale, neuron_scales  # noqa: E402
from neuralviz.app.common.theme import make_theme  # noqa: E402
from neuralviz.app.studio.network_items import EdgeLayer  # noqa: E402

WAIT = 30_000


class EventCounter(QObject):
    """Counts events of some types, per watched object."""

    def __init__(self, *types):
        super().__init__()
        self.types, self.counts = types, {}

    def eventFilter(self, obj, event):
        if event.type() in self.types:
            self.counts[obj] = self.counts.get(obj, 0) + 1
        return False


def _tabbed(qtbot, label: QLabel) -> QTabWidget:
    """label in a page of a tab widget, as the studio's counters are (the tab widget repaints all of a page
    when a layout request reaches it)."""
    page = QWidget()
    QVBoxLayout(page).addWidget(label)
    tabs = QTabWidget()
    tabs.addTab(page, "page")
    tabs.resize(400, 200)
    qtbot.addWidget(tabs)
    tabs.show()
    qtbot.waitExposed(tabs)
    return tabs


def test_live_label_repaints_itself_without_a_relayout(qtbot, qapp):
    counter = EventCounter(QEvent.Type.LayoutRequest)
    qapp.installEventFilter(counter)
    try:
        for cls, relayouts in ((QLabel, True), (LiveLabel, False)):
            label = cls("0" * 8)
            tabs = _tabbed(qtbot, label)
            qapp.processEvents()
            counter.counts.clear()
            for step in range(1, 6):
                label.setText(f"{step * 1000:,d}")  # narrower than the text it was laid out for
                qapp.processEvents()
            assert label.text() == "5,000"
            assert (counter.counts.get(tabs, 0) > 0) is relayouts, cls.__name__
    finally:
        qapp.removeEventFilter(counter)


def test_live_label_looks_like_a_qlabel_and_grows_when_it_must(qtbot, qapp):
    plain, live = QLabel("0" * 10), LiveLabel("0" * 10)
    hosts = []  # the tab widgets stay alive (and their labels with them) to the end
    for label in (plain, live):
        label.setProperty("role", "counter")
        label.setStyleSheet('QLabel[role="counter"] { font-size: 20pt; color: #123456; }')
        hosts.append(_tabbed(qtbot, label))
    qapp.processEvents()
    for label in (plain, live):
        label.setText("1,234")
    qapp.processEvents()
    assert np.array_equal(pixels(plain), pixels(live))  # the fast path paints what QLabel paints
    wide = "123,456,789,012,345"
    live.setText(wide)  # does not fit: laid out again, whole text shown
    qapp.processEvents()
    assert live.text() == wide and live.width() >= live.fontMetrics().horizontalAdvance(wide)
    plain.setText(wide)
    qapp.processEvents()
    assert np.array_equal(pixels(plain)[:, : live.width()], pixels(live)[:, : plain.width()])


def test_edge_pens_are_reused_and_follow_the_weights():
    theme = make_theme()
    edges = EdgeLayer(theme)
    w = np.array([0.0, 0.5, -0.5, 1.0, -3.0, 10.0, np.nan], dtype=np.float32)
    pens = edges._pens(w)
    widths = [p.widthF() for p in pens]
    assert widths[0] == pytest.approx(0.5, abs=0.04) and widths[4] == pytest.approx(theme.edge_max_width, abs=0.04)
    assert widths[5] == widths[4] and widths[1] == widths[2] < widths[3]  # |w| sets the width, capped at 3
    assert pens[1].color() != pens[2].color()  # the sign sets the colour
    assert pens[0].color().lightness() > pens[3].color().lightness()  # weak edges pale toward white
    again = edges._pens(w.copy())
    assert all(a is b for a, b in zip(pens, again))  # a second frame makes no pens


def test_a_stack_of_neuron_maps_is_coloured_as_map_by_map():
    rng = np.random.default_rng(7)
    maps = rng.normal(size=(12, 20, 24)).astype(np.float32) * rng.uniform(0.2, 9.0, size=(12, 1, 1)).astype(np.float32)
    maps[2, 3, 4] = np.nan  # a NaN pixel is transparent; a map of NaNs gets the scale 1
    maps[5] = np.nan
    maps[6] = 0.0
    scales = neuron_scales(maps)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):  # nanmax of the all-NaN map
        expected_scales = [neuron_scale(m) for m in maps]
    np.testing.assert_allclose(scales, expected_scales, rtol=1e-6)
    painter = HeatmapPainter(make_theme())
    stacked = painter.diverging_stack(maps, scales).astype(int)
    one_by_one = np.stack([painter.diverging(m, s) for m, s in zip(maps, scales)]).astype(int)
    # the same colour rows up to float rounding at a row's edge (neighbouring rows differ by a few units)
    assert np.abs(stacked - one_by_one).max() <= 8
    assert (np.abs(stacked - one_by_one).max(axis=-1) > 0).mean() < 0.01
    assert stacked[2, 3, 4, 3] == 0 and (stacked[5, ..., 3] == 0).all()
    with pytest.raises(ValueError, match="scales"):
        painter.diverging_stack(maps, scales[:3])


def test_a_frame_repaints_only_the_pictures_that_changed(qtbot, window):
    """A new frame must not repaint the hyperparameter row (its text did not change): it used to, because
    each counter's setText re-laid out the whole window."""
    w = window
    w.controls.speed_combo.setCurrentIndex(w.controls.speed_combo.count() - 1)  # max
    w.play()
    qtbot.waitUntil(lambda: w.latest is not None and w.latest.step > 200, timeout=WAIT)
    w.pause()
    qtbot.waitUntil(lambda: not w.latest.playing, timeout=WAIT)
    snap = w.latest
    counter = EventCounter(QEvent.Type.Paint)
    for widget in (w.studio.hyper, w.network_panel.view.viewport()):
        widget.installEventFilter(counter)
    for k in range(3):
        # the same frame with new counters, as the next frames bring them
        w.render(replace(snap, step=snap.step + 1000 * (k + 1)))
        qtbot.wait(30)
    assert w.controls.step_label.text() == f"{snap.step + 3000:,d}"
    assert counter.counts.get(w.studio.hyper, 0) == 0
    assert counter.counts.get(w.network_panel.view.viewport(), 0) > 0
