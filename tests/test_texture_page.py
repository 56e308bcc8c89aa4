"""The Textures page and the texture scene (neuralviz.app.texture), offscreen.

The page builds, synthesises a few L-BFGS steps in its worker thread (never the GUI thread), shows the source,
the image and the Gram matrices, and starts again from noise when an option changes; the scene's view stops by
its rule. A few steps each (about 20 ms apiece here) keep this to seconds.
"""

from __future__ import annotations

from importlib.util import find_spec

import numpy as np
import pytest
from conftest import make_scene, run_headless, shown_page

HAS_QT = all(find_spec(m) for m in ("PyQt6", "pyqtgraph", "pytestqt"))
pytestmark = pytest.mark.skipif(not HAS_QT, reason="PyQt6, pyqtgraph and pytest-qt are needed for the page")
WAIT = 30_000  # ms; the waits end as soon as their condition holds


@pytest.fixture
def page(qtbot):
    from neuralviz.app.texture.page import TexturePage

    p = shown_page(qtbot, TexturePage, (1024, 640))
    yield p
    p.shutdown()


def test_page_follows_the_page_protocol():
    from neuralviz.app.common.page import REQUIRED, TRAINING_KEYS, Page
    from neuralviz.app.texture.page import TexturePage

    for name in REQUIRED + TRAINING_KEYS:
        assert getattr(TexturePage, name) is not getattr(Page, name), name
    assert TexturePage.TITLE == "Textures"


def test_page_synthesises_in_its_worker_thread(qtbot, page):
    from PyQt6.QtWidgets import QApplication

    assert page.host.worker.thread() is not QApplication.instance().thread()
    run_headless(qtbot, page, 6)
    f = page.frame
    assert page.shown_step() == f.step == 6 and f.options.texture == "bricks" and f.options.relu
    assert f.image.shape == f.source.shape == (64, 64, 3)
    assert f.relative < 0.1  # the Gram loss fell by 90% within a few steps
    assert len(f.grams) == len(f.targets) == 5 and f.grams[0].shape == (32, 32)
    assert "step 6 / 200" in page.board.readout.text()
    assert len(page.board.grams.items) == 5


def test_options_start_again_from_noise(qtbot, page):
    run_headless(qtbot, page, 2)
    page.picker.setCurrentIndex(page.picker.findData("dots"))
    page.relu.setChecked(False)
    page.sizes.setCurrentIndex(1)  # 3 px only
    qtbot.waitUntil(lambda: page.frame.options.texture == "dots" and not page.frame.options.relu, timeout=WAIT)
    qtbot.waitUntil(lambda: page.frame.options.sizes == (3,), timeout=WAIT)
    f = page.frame
    assert f.step == 0 and len(f.targets) == 1
    assert np.min(f.targets[0]) < 0  # linear filters: negative correlations, drawn on the diverging map
    assert page.board.image_title.text() == "From noise (no ReLU)"
    page.step()
    qtbot.waitUntil(lambda: page.frame.step == 1, timeout=WAIT)


def test_side_by_side_runs_the_twin_in_lockstep(qtbot, page):
    page.sizes.setCurrentIndex(1)  # 3 px only: cheap
    page.twin.setChecked(True)
    qtbot.waitUntil(lambda: page.frame is not None and page.frame.options.twin, timeout=WAIT)
    run_headless(qtbot, page, 3)
    f = page.frame
    assert f.step == 3 and f.twin_image.shape == f.image.shape and len(f.twin_losses) == len(f.losses) == 4
    assert not np.array_equal(f.twin_image, f.image)  # same noise, same filters, the ReLU makes the difference
    assert page.board._twin_on and not page.board.twin.isHidden()
    assert (page.board.image_title.text(), page.board.twin_title.text()) == ("With ReLU", "Without ReLU")
    page.twin.setChecked(False)
    qtbot.waitUntil(lambda: not page.frame.options.twin, timeout=WAIT)
    assert page.board.twin.isHidden() and page.frame.twin_image is None


def test_play_and_pause(qtbot, page):
    page.toggle_play()
    qtbot.waitUntil(lambda: page.frame is not None and page.frame.step >= 2, timeout=WAIT)
    assert page.play_button.text() == "Pause"
    page.toggle_play()
    qtbot.waitUntil(lambda: not page.host.playing, timeout=WAIT)
    assert page.play_button.text() == "Play"


def test_read_options_errors():
    from neuralviz.app.texture.run import read_options

    assert read_options({}).texture == "bricks"
    assert read_options({"texture": "weave", "sizes": [3]}, budget=7).budget == 7
    for bad, match in (
        ({"texture": "nope"}, "'texture' must be one of"),
        ({"colour": 1}, "unknown option 'colour'"),
        ({"seed": "0"}, "'seed' must be an integer"),
        ({"relu": 1}, "'relu' must be true or false"),
        ({"twin": "yes"}, "'twin' must be true or false"),
        ({"sizes": [4]}, "odd integers"),
    ):
        with pytest.raises(ValueError, match=match):
            read_options(bad)


def _scene(steps: int, **options):
    return make_scene("texture", steps, options=options)


def test_scene_view_stops_by_its_rule(qtbot):
    from neuralviz.app.common.theme import make_theme
    from neuralviz.app.texture.view import TextureView

    view = TextureView(_scene(4, texture="cells", sizes=[3, 5]), make_theme())
    qtbot.addWidget(view)
    view.resize(1024, 640)
    view.show()
    try:
        run_headless(qtbot, view, 50)
        assert view.current_step() == 4 and view.current_loss() < 0.1
        assert "stopped after 4 steps" in view.status()
        view.toggle_play()  # the rule is reached: Play does not start again
        assert not view.is_playing()
        view.reset()
        qtbot.waitUntil(lambda: view.frame is not None and view.current_step() == 0, timeout=WAIT)
    finally:
        view.shutdown()


def test_scene_view_rejects_bad_options():
    from neuralviz.app.common.theme import make_theme
    from neuralviz.app.texture.view import TextureView

    with pytest.raises(ValueError, match="unknown option"):
        TextureView(_scene(4, colour="red"), make_theme())
