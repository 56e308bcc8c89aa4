"""The Segmentation page and the RNN-as-PDE scene (neuralviz.app.segmentation), offscreen.

The page builds, trains the rnn-pde preset's two runs (coarse, refined) a few steps in its worker thread (never the
GUI thread), and shows the image, the coarse map, the refined map after the slider's iteration, a class's fuzzy
score through the iterations, the ground truth, the readouts and the update's filters; the iteration slider and
its animation change the refined map, the image picker the image; errors show in the window, never raise. The
scene's view stops by its rule. The preset is shrunk (24 scenes of 32x32, a few steps) so this takes seconds.
"""

from __future__ import annotations

import copy
from functools import partial
from importlib.util import find_spec

import numpy as np
import pytest
from conftest import FakeWindow, make_scene, run_headless

HAS_QT = all(find_spec(m) for m in ("PyQt6", "pyqtgraph", "pytestqt"))
pytestmark = pytest.mark.skipif(not HAS_QT, reason="PyQt6, pyqtgraph and pytest-qt are needed for the page")
WAIT = 60_000  # ms; the waits end as soon as their condition holds
run_headless = partial(run_headless, timeout=WAIT)  # two nets train: the longest wait of the pages
SIZE = 32


def small_preset() -> dict:
    """rnn-pde on 24 scenes of 32x32 pixels (18 to train, 6 to test), 3 steps an epoch, one epoch."""
    from neuralviz import presets

    p = copy.deepcopy(presets.load("rnn-pde"))
    p["dataset"]["options"].update(n=24, size=SIZE)
    p["training"].update(batch_size=8, epochs=1)
    for run in p["runs"]:
        run["network"]["input_shape"] = [3, SIZE, SIZE]
    return p


@pytest.fixture
def page(qtbot):
    from neuralviz.app.segmentation.page import SegmentationPage

    p = SegmentationPage(FakeWindow())
    p.preset = small_preset()
    qtbot.addWidget(p)
    p.resize(1280, 720)
    p.show()
    yield p
    p.shutdown()


def shown_rgb(tile) -> np.ndarray:
    return np.asarray(tile.item.image)


def test_page_follows_the_page_protocol():
    from neuralviz.app.common.page import REQUIRED, TRAINING_KEYS, Page
    from neuralviz.app.segmentation.page import SegmentationPage

    for name in REQUIRED + TRAINING_KEYS:
        assert getattr(SegmentationPage, name) is not getattr(Page, name), name
    assert SegmentationPage.TITLE == "Segmentation"


def test_page_trains_in_its_worker_thread_and_shows_every_map(qtbot, page):
    from PyQt6.QtWidgets import QApplication

    from neuralviz.app.segmentation.maps import class_map_rgb

    assert page.host.worker.thread() is not QApplication.instance().thread()
    run_headless(qtbot, page, 3)
    f = page.frame
    assert page.shown_step() == f.step == 3 and f.final
    k = f.k
    assert k == 5 and f.iterations.shape == (k + 1, 5, SIZE, SIZE) and f.coarse.shape == (5, SIZE, SIZE)
    np.testing.assert_allclose(f.iterations.sum(axis=1), 1.0, atol=1e-4)  # softmax over the classes
    assert f.image.shape == (SIZE, SIZE, 3) and f.image.dtype == np.uint8 and f.truth.shape == (SIZE, SIZE)
    assert f.classes == ("grass", "road", "building", "tree", "water") and f.colours.shape == (5, 3)
    assert set(f.metrics) == {"coarse", "refined"} and f.metrics_step == 3
    assert set(f.metrics["refined"]) == {"pixel_accuracy", "boundary_accuracy", "mean_iou"}
    assert f.filters.weights.shape[:2] == (8, 8) and f.filters.scores == 5 and f.filters.features == 3
    board = page.board
    assert board.iteration.maximum() == k and board.shown_iteration() == k  # opens on the refined result
    np.testing.assert_array_equal(shown_rgb(board.tiles["truth"]), class_map_rgb(f.truth, f.colours))
    np.testing.assert_array_equal(shown_rgb(board.tiles["image"]), f.image)
    assert "coarse" in board.readouts.text() and "edges" in board.readouts.text()
    assert len(board.filters.items) == 8 and len(board.strip.tiles) == k + 1
    assert "step 3 / 3" in page.status.text()


def test_iteration_slider_changes_the_refined_map(qtbot, page):
    from neuralviz.app.segmentation.maps import class_map_rgb

    run_headless(qtbot, page, 1)
    f, board = page.frame, page.board
    for k in (0, 2, f.k):
        board.iteration.setValue(k)
        expected = class_map_rgb(f.iterations[k].argmax(axis=0), f.colours)
        np.testing.assert_array_equal(shown_rgb(board.tiles["refined"]), expected)
        assert board.titles["refined"].text() == f"Refined, k = {k} of {f.k}"
        assert board.iteration_label.text() == f"k = {k} of {f.k}"


def test_board_draws_the_iteration_the_slider_chooses(qtbot):
    """On a frame whose iterations differ for sure (made here, not trained), the slider changes the map shown,
    the strip frames the iteration chosen, and the class picker chooses whose score the strip shows."""
    from neuralviz.app.common.theme import make_theme
    from neuralviz.app.segmentation.board import SegmentationBoard
    from neuralviz.app.segmentation.run import SegmentationFrame

    k, c, h = 4, 3, 8
    iterations = np.zeros((k + 1, c, h, h), np.float32)
    for i in range(k + 1):
        iterations[i, i % c] = 1.0  # iteration i says "class i mod 3" everywhere
    frame = SegmentationFrame(
        step=0,
        budget=1,
        index=0,
        count=2,
        image=np.zeros((h, h, 3), np.uint8),
        truth=np.zeros((h, h), np.int64),
        coarse=iterations[0],
        iterations=iterations,
        classes=("a", "b", "c"),
        colours=np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], np.uint8),
    )
    board = SegmentationBoard(make_theme())
    qtbot.addWidget(board)
    board.resize(1000, 600)
    board.show()
    board.show_frame(frame)
    seen = []
    for i in range(k + 1):
        board.iteration.setValue(i)
        seen.append(tuple(shown_rgb(board.tiles["refined"])[0, 0]))
    assert seen == [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 0, 0), (0, 255, 0)]
    board.class_box.setCurrentIndex(2)
    assert "“c”" in board.strip_title.text()
    strip = board.strip
    assert [float(t.item.image.max()) for t in strip.tiles] == [float(i % c == 2) for i in strip.shown]
    board.toggle_animation()  # walks 0..k in the GUI thread (every map is in the frame), then stops
    assert board.animate_button.text() == "Stop" and board.shown_iteration() == 0
    qtbot.waitUntil(lambda: board.animate_button.text() == "Animate", timeout=WAIT)
    assert board.shown_iteration() == k


def test_image_picker_shows_another_test_image(qtbot, page):
    run_headless(qtbot, page, 1)
    board = page.board
    assert board.example.maximum() == page.frame.count == 6 and board.example.value() == 1
    before = page.frame.image
    board.example.setValue(3)  # counted from 1, as the title counts
    qtbot.waitUntil(lambda: page.frame.index == 2, timeout=WAIT)
    assert board.titles["image"].text() == "Image 3 of 6"
    assert not np.array_equal(page.frame.image, before)


def test_errors_are_shown_in_the_window_not_raised(qtbot, page):
    bad = small_preset()
    bad["runs"] = [run for run in bad["runs"] if run["label"] == "coarse"]
    page.preset = bad
    done = []
    page.reset()
    page.run_headless(2, lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT)  # a scripted run is told, not left waiting
    assert page.message.isVisible() and "no run labelled 'refined'" in page.message.text
    page.preset = "no-such-preset"
    page.reset()
    qtbot.waitUntil(lambda: "unknown preset 'no-such-preset'" in page.message.text, timeout=WAIT)


def test_play_and_pause(qtbot, page):
    longer = small_preset()
    longer["training"]["epochs"] = 100  # a budget that Play does not reach before the pause
    page.preset = longer
    page.reset()
    page.toggle_play()
    qtbot.waitUntil(lambda: page.frame is not None and page.frame.step >= 1, timeout=WAIT)
    assert page.play_button.text() == "Pause"
    page.toggle_play()
    qtbot.waitUntil(lambda: not page.host.playing, timeout=WAIT)
    assert page.play_button.text() == "Play"


def test_maps_helpers():
    from neuralviz.app.segmentation.maps import colour_table, image_rgb, softmax
    from neuralviz.app.segmentation.tiles import strip_iterations

    table = colour_table(["#ff0000", (0, 128, 0), (0.0, 0.0, 1.0)])
    np.testing.assert_array_equal(table, [[255, 0, 0], [0, 128, 0], [0, 0, 255]])
    with pytest.raises(ValueError, match="class colour 1"):
        colour_table(["#000000", (1, 2)])
    with pytest.raises(ValueError, match=r"\(3, H, W\)"):
        image_rgb(np.zeros((4, 2, 2)))
    p = softmax(np.array([[1000.0, 0.0], [1000.0, 1.0]]))  # stable: no overflow
    np.testing.assert_allclose(p.sum(axis=0), 1.0) and np.testing.assert_allclose(p[:, 0], 0.5)
    assert strip_iterations(3) == [0, 1, 2, 3] and strip_iterations(10, 4) == [0, 3, 7, 10]


# ---------------------------------------------------------------------------------------------- the scene
def _scene(steps: int, preset: dict | None = None, **options):
    return make_scene("segmentation", steps, preset if preset is not None else small_preset(), options=options)


def test_scene_view_stops_by_its_rule(qtbot):
    from neuralviz.app.common.theme import make_theme
    from neuralviz.app.segmentation.view import SegmentationView

    view = SegmentationView(_scene(2, image=1), make_theme())
    qtbot.addWidget(view)
    view.resize(1280, 720)
    view.show()
    try:
        run_headless(qtbot, view, 50)
        assert view.current_step() == 2 and view.frame.index == 1 and view.current_loss() > 0
        assert "stopped after 2 steps" in view.status()
        view.toggle_play()  # the rule is reached: Play does not start again
        assert not view.is_playing()
        view.reset()
        qtbot.waitUntil(lambda: view.frame is not None and view.current_step() == 0, timeout=WAIT)
    finally:
        view.shutdown()


def test_scene_view_rejects_bad_options():
    from neuralviz.app.common.theme import make_theme
    from neuralviz.app.segmentation.view import SegmentationView

    with pytest.raises(ValueError, match="unknown option 'colour'"):
        SegmentationView(_scene(2, colour="red"), make_theme())
    with pytest.raises(ValueError, match="'image' must be an integer >= 0"):
        SegmentationView(_scene(2, image=-1), make_theme())


def test_lecture_scene_file():
    from neuralviz.lecture.scene import load_scenes

    (scene,) = [s for s in load_scenes() if s.name == "rnn-pde"]
    assert scene.topic == 18 and scene.view == "segmentation" and scene.preset_name == "rnn-pde"
    assert scene.stop.steps >= 1 and 2 <= len(scene.notes) <= 4


# ---------------------------------------------------------------------------------------------- draw a scene
def test_painting_a_stroke_relabels_and_recolours_its_pixels():
    from neuralviz import data
    from neuralviz.app.segmentation.painting import brush_mask, class_look, paint

    ds = data.load("segmentation", seed=0, n=8, size=16)
    look = class_look(ds.x_train, ds.y_train, 5)
    mask = brush_mask((16, 16), [(8.5, 2.5), (8.5, 12.5)], radius=1)  # a line along row 8, columns 2..12
    assert mask[8, 2:13].all() and mask[7, 5] and mask[9, 5] and not mask[6, 5] and not mask[8, 14]
    assert brush_mask((16, 16), [(40.0, 40.0)]).sum() == 0  # off the image: nothing
    image, labels = paint(ds.x_test[0], ds.y_test[0], mask, 4, look, seed=1)
    assert (labels[mask] == 4).all() and (labels[~mask] == ds.y_test[0][~mask]).all()
    water = image[:, mask].mean(axis=1)
    assert water[2] > water[0] and water[2] > water[1]  # water's colour: more blue than red or green
    assert np.array_equal(image[:, ~mask], ds.x_test[0][:, ~mask]) and not np.shares_memory(image, ds.x_test)
    with pytest.raises(ValueError, match="class 7"):
        paint(ds.x_test[0], ds.y_test[0], mask, 7, look)
    with pytest.raises(ValueError, match="finite"):
        brush_mask((4, 4), [(float("nan"), 1.0)])


def test_page_paints_a_scene_and_both_nets_answer(qtbot, page):
    run_headless(qtbot, page, 1)
    board = page.board
    board.brush.setCurrentIndex(1)  # road
    board.tiles["image"].stroked.emit([(16.0, 2.0), (16.0, 29.0)])  # a road across the middle
    qtbot.waitUntil(lambda: page.frame.edited, timeout=WAIT)
    f = page.frame
    assert (f.truth[15:18, 3:29] == 1).all()  # the ground truth holds what was painted
    assert board.titles["image"].text().endswith(", painted") and board.clear_button.isEnabled()
    board.clear_button.click()  # the test image as it was
    qtbot.waitUntil(lambda: not page.frame.edited, timeout=WAIT)
    assert not board.clear_button.isEnabled()


def test_a_click_on_the_image_paints(qtbot, page):
    """A real mouse click on the image's pixel (16, 16) comes out as a one-point stroke there."""
    from PyQt6.QtCore import QPointF, Qt

    run_headless(qtbot, page, 1)
    tile = page.board.tiles["image"]
    strokes = []
    tile.stroked.connect(strokes.append)
    at = tile.mapFromScene(tile.item.mapToScene(QPointF(16.5, 16.5)))
    qtbot.mouseClick(tile.viewport(), Qt.MouseButton.LeftButton, pos=at)
    qtbot.waitUntil(lambda: bool(strokes), timeout=5_000)
    ((row, col),) = strokes[0]
    assert abs(row - 16.5) < 1.5 and abs(col - 16.5) < 1.5
    qtbot.waitUntil(lambda: page.frame.edited, timeout=WAIT)  # the worker painted it
