"""Issue 16: the app and the lecture presenter fit 1024 x 768 and 1280 x 720 projectors, with normal and large
fonts: no page may ask for more than 1024 x 720 (a wider or taller minimum pushes the window off the screen and
clips whatever is at its edge)."""

from __future__ import annotations

import pytest
from conftest import GUI_WAIT_MS
from PyQt6.QtGui import QFontMetrics
from PyQt6.QtWidgets import QLabel, QPushButton, QWidget

from neuralviz.app.common.theme import make_theme
from neuralviz.app.editor.flow_row import FlowRow
from neuralviz.app.featuremaps.mosaic_stack import title_parts
from neuralviz.lecture import find_scene

MAX_W, MAX_H = 1024, 720


def _too_big(size) -> bool:
    return size.width() > MAX_W or size.height() > MAX_H


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large-fonts"])
def test_main_window_fits_a_small_projector(qtbot, large):
    """Every tab, the feature-map page showing a CNN included, fits 1024 x 720 (the page named if not)."""
    from neuralviz.app.main_window import MainWindow
    from neuralviz.app.settings import StudioSettings

    w = MainWindow(StudioSettings.from_preset("digits-cnn"), make_theme(large_fonts=large))
    qtbot.addWidget(w)
    w.open_page_for("digits-cnn")  # the feature-map page (it sets up only when shown)
    w.show()
    maps = next(p for p in w.pages.values() if type(p).__name__ == "FeatureMapPage")
    qtbot.waitUntil(lambda: maps.ctx is not None, timeout=GUI_WAIT_MS)  # its views are laid out for the CNN
    chrome = w.minimumSizeHint() - w.tabs.minimumSizeHint()
    sizes = {w.tabs.tabText(i): w.tabs.widget(i).minimumSizeHint() + chrome for i in range(w.tabs.count())}
    too_big = {title: (s.width(), s.height()) for title, s in sizes.items() if _too_big(s)}
    assert not too_big, f"pages wider than {MAX_W} or taller than {MAX_H} (with the window's chrome): {too_big}"
    assert not _too_big(w.minimumSizeHint()), w.minimumSizeHint()
    w.resize(1024, 720)
    qtbot.wait(50)
    assert (w.width(), w.height()) == (1024, 720)
    w.close()


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large-fonts"])
def test_presenter_fits_a_small_projector(qtbot, large):
    """The presenter with the embedded feature-map page and with a race asks for no more than 1024 x 720."""
    from neuralviz.app.lecture.presenter import PresenterWindow

    scenes = [find_scene("feature-factory"), find_scene("depth")]
    p = PresenterWindow(scenes, make_theme(large_fonts=large))
    qtbot.addWidget(p)
    p.resize(1024, 720)
    p.show()
    for i, scene in enumerate(scenes):
        p.go(i)
        qtbot.wait(20)
        assert not _too_big(p.minimumSizeHint()), (scene.name, p.minimumSizeHint())
    p.close()


def test_flow_row_wraps_instead_of_widening(qtbot):
    """The editor's tool bar: as narrow as its widest button, one line more when it wraps."""
    host = QWidget()
    qtbot.addWidget(host)
    row = FlowRow(host)
    buttons = [QPushButton(f"button number {i}") for i in range(6)]
    for i, b in enumerate(buttons):
        if i == 3:
            row.addSpacing(10)
        row.addWidget(b)
    widest = max(b.sizeHint().width() for b in buttons)
    assert row.minimumSize().width() == widest
    one_line = row.sizeHint()
    assert row.heightForWidth(one_line.width()) == one_line.height()
    assert row.heightForWidth(widest) > 5 * one_line.height()  # one button a line
    host.resize(widest, 400)
    host.show()
    qtbot.wait(10)
    tops = {b.geometry().top() for b in buttons}
    assert len(tops) == len(buttons)
    assert all(b.geometry().left() == 0 for b in buttons)  # a group's gap is not an indent


def test_row_title_keeps_the_layer_and_its_size_on_one_line(qtbot):
    """A mosaic row's title in a narrow column: cut at " · " with the size right-aligned, else elided."""
    fm = QFontMetrics(QLabel().font())
    title, caption = "c1: conv 3×3 → relu · 8 maps of 8×8", "largest |value| 2.58"
    whole = fm.horizontalAdvance(title)
    assert title_parts(title, caption, fm, 10 * whole) == (title, caption)
    assert title_parts(title, caption, fm, whole) == (title, "")
    head = fm.horizontalAdvance("c1: conv 3×3 → relu")
    tail = fm.horizontalAdvance("8 maps of 8×8")
    room = min(whole - 1, head + tail + 20)  # the two halves fit, the title with its " · " does not
    if head + 16 + tail <= room:
        assert title_parts(title, caption, fm, room) == ("c1: conv 3×3 → relu", "8 maps of 8×8")
    left, right = title_parts(title, caption, fm, head // 2)
    assert left.endswith("…") and right == ""
    assert fm.horizontalAdvance(left) <= head // 2
