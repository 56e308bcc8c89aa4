"""The GAN page (neuralviz.app.gan) and its lecture view, offscreen: the page builds, trains a few steps in
its worker thread, steps D alone and G alone (each moves only its own net), slow motion tells the sub-steps,
drawing on the plane feeds the real data, errors land in the banner; the frame helpers draw what they say.
"""

from __future__ import annotations

from importlib.util import find_spec

import numpy as np
import pytest
from conftest import run_headless, shown_page

HAS_QT = all(find_spec(m) for m in ("PyQt6", "pyqtgraph", "pytestqt"))
pytestmark = pytest.mark.skipif(not HAS_QT, reason="PyQt6, pyqtgraph and pytest-qt are needed for the page")
WAIT = 20_000  # ms; the waits end as soon as their condition holds


@pytest.fixture
def page(qtbot):
    from neuralviz.app.gan.page import GanPage

    p = shown_page(qtbot, GanPage, (1024, 640))
    yield p
    p.shutdown()


def wait_frame(qtbot, page, check) -> None:
    qtbot.waitUntil(lambda: page.frame is not None and check(page.frame), timeout=WAIT)


def test_the_page_offers_the_2d_presets_and_trains_off_thread(qtbot, page):
    names = [page.picker.itemData(i) for i in range(page.picker.count())]
    assert names[0] == "gan-ring" and "gan-collapse" in names and "gan-draw" in names
    assert "gan-digits" not in names  # images go to their own page
    run_headless(qtbot, page, 5)
    f = page.frame
    assert page.shown_step() == 5 and f.step == 5 and f.final
    assert f.heat.shape == (64, 64) and np.all((f.heat >= 0) & (f.heat <= 1))
    assert f.fake.shape == f.arrows.shape == (200, 2) and f.manifold.shape == (21, 21, 2)
    assert f.coverage["n_modes"] == 8 and "of 8" in page.coverage.text()
    assert page.plane.image.image is not None and page.plane.fake.points().size == 200
    assert page.trains_itself() and page.wants_preset("gan-ring") and not page.wants_preset("xor")
    assert page.nets.text() == "G: 2 → 64 → 64 → 2 (relu) · D: 2 → 64 → 64 → 1 (relu)"


def test_step_d_and_step_g_buttons(qtbot, page):
    run_headless(qtbot, page, 1)
    before = page.frame
    page.d_button.click()
    wait_frame(qtbot, page, lambda f: f.d_steps == before.d_steps + 1)
    after_d = page.frame
    assert after_d.g_steps == before.g_steps and np.array_equal(after_d.fake, before.fake)  # G did not move
    assert not np.array_equal(after_d.heat, before.heat)  # D's map did
    page.g_button.click()
    wait_frame(qtbot, page, lambda f: f.g_steps == before.g_steps + 1)
    after_g = page.frame
    assert after_g.d_steps == after_d.d_steps and not np.array_equal(after_g.fake, after_d.fake)
    assert np.array_equal(after_g.heat, after_d.heat)  # D did not move


def test_k_and_rates_reach_the_worker(qtbot, page):
    run_headless(qtbot, page, 1)
    page.k.setValue(3)
    page.lr_g.setCurrentIndex(page.lr_g.findData(3e-3))
    wait_frame(qtbot, page, lambda f: f.k_d == 3 and f.lr_g == 3e-3)
    page.step()
    wait_frame(qtbot, page, lambda f: f.step == 2)
    assert page.frame.d_steps == 1 + 3
    page.loss.setCurrentIndex(page.loss.findData("saturating"))
    wait_frame(qtbot, page, lambda f: f.loss == "saturating")


def test_slow_motion_tells_the_sub_steps(qtbot, page, monkeypatch):
    from neuralviz.app.gan import worker

    monkeypatch.setattr(worker, "HOLD_S", 0.0)
    run_headless(qtbot, page, 1)
    page.slow.setChecked(True)
    page.toggle_play()
    wait_frame(qtbot, page, lambda f: f.phase_side == "G" and f.phase.startswith("4"))
    assert "G's step" in page.caption.text()
    page.toggle_play()
    qtbot.waitUntil(lambda: not page.host.playing, timeout=WAIT)


def test_draw_your_own_and_errors_in_the_banner(qtbot, page):
    page.wants_preset("gan-draw")
    run_headless(qtbot, page, 2)
    assert page.plane.box.drawing and page.clear_button.isVisibleTo(page)
    page.clear_button.click()  # start from an empty sheet, then draw a line at y = 0.5
    for x in np.linspace(-1.0, 1.0, 8):
        page.plane._on_stroke(float(x), 0.5, False)
    wait_frame(qtbot, page, lambda f: len(f.real) and abs(float(np.mean(f.real[:, 1])) - 0.5) < 0.1)
    page.plane.clear_drawing()  # nothing drawn: the next step cannot sample real data
    qtbot.waitUntil(lambda: not page.plane.drawn, timeout=WAIT)
    page.d_button.click()
    qtbot.waitUntil(lambda: "nothing drawn" in page.message.label.text(), timeout=WAIT)


def test_layers_switch_off(qtbot, page):
    run_headless(qtbot, page, 1)
    for name, box in page.layer_boxes.items():
        box.setChecked(False)
        assert page.plane.layers[name] is False
    assert not page.plane.fake.isVisible() and not page.plane.image.isVisible() and not page.plane.arrows.isVisible()


def test_frame_helpers():
    from neuralviz.app.gan.frames import decimate, lattice
    from neuralviz.app.gan.plane_view import arrow_segments, grid_lines, prgn_lut

    grid = lattice(2.0, 5)
    assert grid.shape == (25, 2) and grid[0].tolist() == [-2, -2] and grid[1].tolist() == [-1, -2]
    x, y = decimate(np.arange(5000, dtype=float), limit=100)
    assert len(y) <= 100 and y[0] == pytest.approx(np.arange(50).mean())
    sheet = np.zeros((3, 3, 2))
    gx, _ = grid_lines(sheet)
    assert len(gx) == 2 * 3 * 4 and np.isnan(gx).sum() == 6
    pts = np.zeros((4, 2))
    vec = np.array([[1.0, 0], [0, 2], [0, 0], [100, 0]])
    sx, sy = arrow_segments(pts, vec, longest=0.5)
    tips = np.stack([sx, sy], axis=1).reshape(4, 6, 2)[:, 1]
    assert np.all(np.linalg.norm(tips, axis=1) <= 0.5 + 1e-9)
    lut = prgn_lut()
    assert lut.shape == (256, 4) and lut[0, 0] > lut[0, 1] and lut[-1, 1] > lut[-1, 0]  # purple to green


def test_the_lecture_view_runs_the_ring_beside_its_collapse_twin(qtbot):
    from neuralviz.app.common.theme import make_theme
    from neuralviz.app.gan.view import GanView, read_options
    from neuralviz.lecture.scene import find_scene

    scene = find_scene("gan")
    assert scene.view == "gan" and scene.preset_name == "gan-ring" and scene.options["twin"] == "gan-collapse"
    view = GanView(scene, make_theme())
    qtbot.addWidget(view)
    view.resize(1024, 640)
    view.show()
    try:
        done = []
        view.run_headless(4, lambda: done.append(True))
        qtbot.waitUntil(lambda: bool(done), timeout=WAIT)
        assert view.current_step() == 4 and "step 4/" in view.status()
        assert all("of 8" in r.text() for r in view.readouts) and len(view.planes) == 2
    finally:
        view.shutdown()
    with pytest.raises(ValueError, match="twin"):
        read_options({"twin": "xor"})
    with pytest.raises(ValueError, match="unknown option"):
        read_options({"colour": 1})
