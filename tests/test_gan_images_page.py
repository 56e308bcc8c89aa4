"""The image GAN's page and lecture view (neuralviz/app/gan_images), offscreen with pytest-qt: the page trains
gan-digits headless in its worker thread and shows the 8×8 grid of fixed codes, real digits and the loss curves;
clicking tiles picks a, b, c (a strip from a to b and a − b + c); Reset goes back to step 0; the lecture view
stops at its scene's step budget. A few steps each: the GAN's quality is measured in benchmarks/gan_digits.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import GUI_WAIT_MS, run_headless, shown_page
from PyQt6.QtCore import QPoint, Qt

from neuralviz.lecture import StopRule


def _theme():
    from neuralviz.app.common.theme import make_theme

    return make_theme()


@pytest.fixture
def page(qtbot):
    from neuralviz.app.gan_images.page import GanImagesPage

    p = shown_page(qtbot, GanImagesPage, (1024, 700))
    yield p
    p.shutdown()


def test_the_page_trains_headless_and_shows_grid_real_digits_and_losses(qtbot, page):
    run_headless(qtbot, page, 4)
    assert page.shown_step() == 4 and page.loaded == "gan-digits"
    frame = page.frame
    assert len(page.board.grid.tiles) == 64 and len(page.board.real.tiles) == 16
    assert len(page.board.strip.tiles) == 9 and len(page.board.sum.tiles) == 4  # default picks a, b, c
    xs, ys = page.board.d_curve.getData()
    assert len(xs) == 4 and np.all(np.isfinite(ys))
    assert "step 4" in page.status.text()
    assert f"real digits {frame.d_real:.2f}" in page.board.belief.text()
    assert page.trains_itself() and page.wants_preset("gan-digits") and not page.wants_preset("xor")


def test_clicking_tiles_picks_a_b_c(qtbot, page):
    run_headless(qtbot, page, 1)
    grid = page.board.grid
    for tile in (9, 18, 27):
        centre = grid.tile_rect(tile).center()
        qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=QPoint(int(centre.x()), int(centre.y())))
    qtbot.waitUntil(lambda: page.frame.picks == (9, 18, 27), timeout=GUI_WAIT_MS)
    assert set(grid.marks) == {9, 18, 27} and [grid.marks[t][0] for t in (9, 18, 27)] == ["a", "b", "c"]
    np.testing.assert_allclose(page.frame.strip[0], page.frame.samples[9], atol=1e-5)
    assert page.next_slot == 0 and "make it" in page.board.hint.text()


def test_the_walk_box_and_new_codes_reach_the_worker(qtbot, page):
    run_headless(qtbot, page, 1)
    codes = page.frame.samples.copy()
    page.walk.setCurrentIndex(page.walk.findData("lerp"))
    qtbot.waitUntil(lambda: page.frame.walk == "lerp", timeout=GUI_WAIT_MS)
    assert "(lerp)" in page.board.titles["strip"].text()
    page.codes_button.click()
    qtbot.waitUntil(lambda: not np.allclose(page.frame.samples, codes), timeout=GUI_WAIT_MS)
    assert page.shown_step() == 1  # new codes, the same generator


def test_reset_goes_back_to_step_zero_and_play_pauses(qtbot, page):
    run_headless(qtbot, page, 3)
    page.reset()
    qtbot.waitUntil(lambda: page.shown_step() == 0, timeout=GUI_WAIT_MS)
    page.speed.setCurrentIndex(2)  # one step a frame
    page.toggle_play()
    qtbot.waitUntil(lambda: page.shown_step() >= 2, timeout=GUI_WAIT_MS)
    assert page.play_button.text() == "Pause"
    page.toggle_play()
    qtbot.waitUntil(lambda: page.play_button.text() == "Play", timeout=GUI_WAIT_MS)


def _scene(steps: int):
    from neuralviz.lecture.scene import load_scenes

    (scene,) = [s for s in load_scenes() if s.name == "gan-images"]
    return dataclasses.replace(scene, stop=StopRule(steps=steps))


def test_the_lecture_view_stops_at_its_budget(qtbot):
    from neuralviz.app.gan_images.view import GanImagesView
    from neuralviz.app.lecture import views

    view = views.build_view(_scene(3), _theme())
    qtbot.addWidget(view)
    assert isinstance(view, GanImagesView), getattr(view, "reason", view)
    view.resize(1024, 700)
    view.show()
    try:
        run_headless(qtbot, view, 50)
        assert view.current_step() == 3 and view.status().startswith("step 3/3")
        view.toggle_play()  # the rule is reached: Space does not start it again
        assert not view.is_playing()
        view.reset()
        qtbot.waitUntil(lambda: view.frame is not None and view.current_step() == 0, timeout=GUI_WAIT_MS)
    finally:
        view.shutdown()


def test_bad_view_options_are_named():
    from neuralviz.app.gan_images.view import read_options

    assert read_options({}) == {"seed": 0, "speed": 0}
    with pytest.raises(ValueError, match="unknown option 'colour'"):
        read_options({"colour": 1})
    with pytest.raises(ValueError, match="'speed' must be an integer >= 0"):
        read_options({"speed": -1})
