"""The auto-encoder page and its lecture view (neuralviz.app.autoencoder), offscreen.

The page builds on the digits preset, trains a few steps headless in its worker thread (never the GUI's),
and answers a click (a decoded image), a drag (a strip of decodes along the line, snapped to dots) and a - b + c
(the parallelogram and its decoded corner); a bad request shows in the page's banner instead of raising. The
run's frame (no Qt) is checked on its own, and the lecture view stops at its scene's step budget.
"""

from __future__ import annotations

import threading
from importlib.util import find_spec

import numpy as np
import pytest
from conftest import make_scene, run_headless, shown_page

HAS_QT = all(find_spec(m) for m in ("PyQt6", "pyqtgraph", "pytestqt"))
pytestmark = pytest.mark.skipif(not HAS_QT, reason="PyQt6, pyqtgraph and pytest-qt are needed for the page")
WAIT = 20_000  # ms; the waits end as soon as their condition holds


@pytest.fixture
def page(qtbot):
    from neuralviz.app.autoencoder.page import AutoencoderPage

    p = shown_page(qtbot, AutoencoderPage, (1024, 700))
    yield p
    p.shutdown()


# ---------------------------------------------------------------------------------------------- the run, no Qt
def test_presets_offered_and_a_frame_of_the_run():
    from neuralviz.app.autoencoder.run import UNDERLAY, AutoencoderRun, autoencoder_presets, plane_bounds
    from neuralviz.generative import decode

    names = [name for name, _ in autoencoder_presets()]
    assert names == ["autoencoder", "autoencoder-shapes"]
    run = AutoencoderRun("autoencoder")
    run.advance(20)
    run.queries.line = (("image", 0), ("code", (0.5, -0.5)))
    run.queries.terms = (("class", 7), ("class", 1), ("image", 3))
    f = run.frame()
    assert f.step == 20 and len(f.losses) == 20 and f.codes.shape == (359, 2)
    assert f.originals.shape == f.reconstructions.shape == (10, 8, 8)
    assert sorted(f.labels[run.shown]) == list(range(10))  # one original of every digit
    assert f.strip.shape == (9, 8, 8) and np.allclose(f.line[0], f.codes[0]) and np.allclose(f.line[-1], [0.5, -0.5])
    assert f.term_images.shape == (4, 8, 8) and f.term_names == ("7", "1", "#3")
    np.testing.assert_allclose(f.parallelogram[3], f.parallelogram[0] - f.parallelogram[1] + f.parallelogram[2])
    x0, x1, y0, y1 = f.bounds
    inside = (f.codes[:, 0] >= x0) & (f.codes[:, 0] <= x1) & (f.codes[:, 1] >= y0) & (f.codes[:, 1] <= y1)
    assert inside.mean() > 0.95  # percentile bounds: the plane shows nearly every dot, whatever the code's scale
    assert plane_bounds(np.zeros((3, 2)))[1] > plane_bounds(np.zeros((3, 2)))[0]
    # the underlay: tile (column i, row j) is the decode of grid point (xs[i], ys[j]), upright, row 0 at the bottom
    side = UNDERLAY
    assert f.underlay.shape == (side * 8, side * 8)
    xs, ys = np.linspace(x0, x1, side), np.linspace(y0, y1, side)
    i, j = 3, side - 2
    tile = f.underlay[j * 8 : (j + 1) * 8, i * 8 : (i + 1) * 8][::-1]
    np.testing.assert_allclose(tile, decode(run.setup.network, np.array([xs[i], ys[j]]))[0, 0], atol=1e-6)
    with pytest.raises(ValueError, match="no test image 999"):
        run.check_term(("image", 999))


def test_a_preset_without_a_two_number_code_is_refused():
    from neuralviz import presets
    from neuralviz.app.autoencoder.run import AutoencoderRun

    preset = presets.load("autoencoder")
    preset["network"]["layers"][3]["units"] = 3
    with pytest.raises(ValueError, match="2-number code"):
        AutoencoderRun(preset)
    with pytest.raises(ValueError, match="reconstruction"):
        AutoencoderRun("digits-cnn")


# ---------------------------------------------------------------------------------------------- the page
def test_page_trains_off_the_gui_thread_and_draws(qtbot, page):
    from neuralviz.app.autoencoder.run import AutoencoderRun

    trained_in: list[str] = []
    advance = AutoencoderRun.advance

    def spy(run, k):
        trained_in.append(threading.current_thread().name)
        advance(run, k)

    AutoencoderRun.advance = spy
    try:
        run_headless(qtbot, page, 30)
    finally:
        AutoencoderRun.advance = advance
    assert page.shown_step() == 30 and page.trains_itself()
    assert trained_in and threading.main_thread().name not in trained_in
    f = page.frame
    assert f.test_loss is not None and np.isfinite(f.test_loss) and f.baseline > 0
    assert len(page.board.plane.dots.data) == 359
    assert page.board.recon.images and len(page.board.recon.images) == 20
    assert f.term_images is not None and f.strip is not None  # the defaults: classes 7 - 1 + 4, a walk from 0 to 1
    assert "step 30" in page.status.text()


def test_click_drag_and_arithmetic_answer_with_images(qtbot, page):
    run_headless(qtbot, page, 10)
    page.decode_at(0.25, -0.5)
    qtbot.waitUntil(lambda: np.allclose(page.frame.point, [0.25, -0.5]), timeout=WAIT)
    assert page.board.point_view.images[0].shape == (8, 8)
    start = tuple(page.frame.codes[5])  # on a dot: the line's end snaps to that image
    page.walk(start, (start[0] + 1.0, start[1] + 1.0))
    qtbot.waitUntil(lambda: page.frame.strip is not None and np.allclose(page.frame.line[0], page.frame.codes[5]))
    assert len(page.board.strip.images) == 9
    for i in (3, 10, 20):  # Shift+click three dots: a, b, c
        page.board.plane.click(*page.frame.codes[i], shift=True)
    qtbot.waitUntil(lambda: page.frame.term_names == ("#3", "#10", "#20"), timeout=WAIT)
    a, b, c, d = page.frame.parallelogram
    np.testing.assert_allclose(d, a - b + c)
    assert len(page.board.terms_view.images) == 4


def test_errors_show_in_the_window_not_raised(qtbot, page):
    run_headless(qtbot, page, 1)
    page.choose_terms(("image", 10_000), ("class", 1), ("class", 2))
    qtbot.waitUntil(lambda: "no test image 10000" in page.message.text, timeout=WAIT)
    page.host.post(page.host.worker.configure, "xor", 0, None)
    qtbot.waitUntil(lambda: "reconstruction" in page.message.text, timeout=WAIT)
    assert page.frame.preset == "autoencoder"  # the run shown goes on


def test_reset_starts_over_and_keeps_the_questions(qtbot, page):
    run_headless(qtbot, page, 5)
    page.decode_at(1.0, 1.0)
    qtbot.waitUntil(lambda: np.allclose(page.frame.point, [1.0, 1.0]), timeout=WAIT)
    page.reset()
    qtbot.waitUntil(lambda: page.frame.step == 0, timeout=WAIT)
    assert np.allclose(page.frame.point, [1.0, 1.0])
    assert page.wants_preset("autoencoder-shapes") and not page.wants_preset("xor")
    qtbot.waitUntil(lambda: page.frame.preset == "autoencoder-shapes", timeout=WAIT)
    assert page.frame.originals.shape[1:] == (28, 28)


# ---------------------------------------------------------------------------------------------- the lecture view
def test_lecture_view_stops_at_its_budget(qtbot):
    from neuralviz import presets
    from neuralviz.app.autoencoder.view import AutoencoderView, read_options
    from neuralviz.app.common.theme import make_theme

    scene = make_scene("autoencoder", 40, presets.load("autoencoder"), preset_name="autoencoder")
    view = AutoencoderView(scene, make_theme())
    qtbot.addWidget(view)
    try:
        done = []
        view.run_headless(1_000, lambda: done.append(True))
        qtbot.waitUntil(lambda: bool(done), timeout=WAIT)
        assert view.current_step() == 40 and "stopped after 40 steps" in view.status()
        assert "test MSE" in view.status()
        view.toggle_play()  # the rule is reached: Play does not start again
        assert not view.is_playing()
    finally:
        view.shutdown()
    with pytest.raises(ValueError, match="unknown option 'speeed'"):
        read_options({"speeed": 3})


# ---------------------------------------------------------------------------------------------- the mouse
def _mouse(widget, kind, point, button, buttons, modifiers):
    from PyQt6.QtCore import QPointF
    from PyQt6.QtGui import QMouseEvent
    from PyQt6.QtWidgets import QApplication

    event = QMouseEvent(kind, QPointF(point), QPointF(widget.mapToGlobal(point)), button, buttons, modifiers)
    QApplication.sendEvent(widget, event)
    QApplication.processEvents()


def test_the_mouse_on_the_plane_clicks_picks_and_drags(qtbot):
    """Real mouse events: a click decodes (even on a dot or the cross), Shift+click picks a dot, a drag draws a line."""
    from PyQt6.QtCore import QPointF, Qt
    from PyQt6.QtGui import QMouseEvent

    from neuralviz.app.autoencoder.plane import LatentPlane
    from neuralviz.app.autoencoder.run import AutoencoderRun
    from neuralviz.app.common.theme import make_theme

    plane = LatentPlane(make_theme())
    qtbot.addWidget(plane)
    plane.resize(500, 500)
    plane.show()
    run = AutoencoderRun("autoencoder")
    plane.show_frame(run.frame())
    qtbot.wait(50)
    got = []
    plane.pointClicked.connect(lambda x, y: got.append(("click", x, y)))
    plane.dotPicked.connect(lambda i: got.append(("dot", i)))
    plane.lineDrawn.connect(lambda a, b: got.append(("line", a, b)))
    box, view = plane.plot.getPlotItem().getViewBox(), plane.plot.viewport()

    def at(x, y):
        return plane.plot.mapFromScene(box.mapViewToScene(QPointF(x, y)))

    left, none, no_mod = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    press, release, move = (
        QMouseEvent.Type.MouseButtonPress,
        QMouseEvent.Type.MouseButtonRelease,
        QMouseEvent.Type.MouseMove,
    )

    def click(p, modifiers=no_mod):
        _mouse(view, move, p, none, none, modifiers)
        _mouse(view, press, p, left, left, modifiers)
        _mouse(view, release, p, left, none, modifiers)
        qtbot.wait(600)  # past the double-click interval

    x0, x1, y0, y1 = plane.frame.bounds
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)  # where the decoded point's cross sits
    click(at(*centre))
    click(at(*plane.frame.codes[4]), Qt.KeyboardModifier.ShiftModifier)
    a, b = at(x0 + 0.2 * (x1 - x0), y0 + 0.2 * (y1 - y0)), at(x0 + 0.8 * (x1 - x0), y0 + 0.7 * (y1 - y0))
    _mouse(view, press, a, left, left, no_mod)
    for k in range(1, 11):
        _mouse(view, move, a + (b - a) * (k / 10), none, left, no_mod)
    _mouse(view, release, b, left, none, no_mod)
    assert [g[0] for g in got] == ["click", "dot", "line"]
    span = np.array([x1 - x0, y1 - y0])
    assert np.allclose(got[0][1:], centre, atol=0.02 * span.max())
    nearest, _ = plane.nearest_dot(*plane.frame.codes[4])
    assert got[1][1] == nearest
    start = got[2][1]  # a point of the plane, or the test image whose dot it landed on (snapped)
    code = start[1] if start[0] == "code" else plane.frame.codes[start[1]]
    assert np.allclose(code, [x0 + 0.2 * (x1 - x0), y0 + 0.2 * (y1 - y0)], atol=0.05 * span.max())
