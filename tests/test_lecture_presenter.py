"""The presenter (neuralviz.app.lecture): keys, views by name (and what shows when one cannot be built),
the stopping rule of the embedded studio pages, recording, and `neuralviz lecture --screenshot`."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest
from conftest import GUI_WAIT_MS
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import QWidget

from neuralviz.app.lecture import views
from neuralviz.app.lecture.presenter import PresenterWindow
from neuralviz.app.lecture.scene_view import SceneView
from neuralviz.app.lecture.unavailable_view import UnavailableView
from neuralviz.lecture import StopRule, find_scene, load_scenes

K = Qt.Key


class FakeView(QWidget, SceneView):
    """A view that only counts what the presenter asks of it (the key tests need no training)."""

    built = []

    def __init__(self, scene, theme):
        super().__init__()
        SceneView.__init__(self, scene, theme)
        self.calls = []
        self.playing = False
        self.closed = False
        FakeView.built.append(self)

    def toggle_play(self):
        self.calls.append("toggle_play")
        self.playing = not self.playing

    def is_playing(self):
        return self.playing

    def pause(self):
        self.playing = False

    def reset(self):
        self.calls.append("reset")

    def status(self):
        return f"fake {self.scene.name}"

    def shutdown(self):
        self.closed = True


def _scene_dir(tmp_path, count=3):
    for i in range(1, count + 1):
        doc = {
            "format": "neuralviz.scene/1",
            "topic": i,
            "name": f"s{i}",
            "title": f"Scene {i}",
            "takeaway": f"takeaway {i}",
            "notes": [f"note {i}a", f"note {i}b"],
            "view": "prior",
            "stop": {"steps": 10},
        }
        (tmp_path / f"{i:02d}-s{i}.json").write_text(json.dumps(doc))
    return load_scenes(tmp_path)


@pytest.fixture
def presenter(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(views, "view_class", lambda name: FakeView)
    FakeView.built.clear()
    p = PresenterWindow(_scene_dir(tmp_path), notes=True)
    qtbot.addWidget(p)
    p.resize(1024, 768)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.close()


def test_next_previous_first_last(qtbot, presenter):
    p = presenter
    assert p.index == 0 and p.title.text() == "Scene 1" and p.takeaway.text() == "takeaway 1"
    for key, index in ((K.Key_PageDown, 1), (K.Key_Right, 2), (K.Key_PageDown, 2), (K.Key_PageUp, 1)):
        qtbot.keyClick(p, key)
        assert p.index == index
    qtbot.keyClick(p, K.Key_Left)
    qtbot.keyClick(p, K.Key_Left)
    assert p.index == 0
    qtbot.keyClick(p, K.Key_End)
    assert p.index == 2 and p.title.text() == "Scene 3"
    assert all(v.closed for v in FakeView.built[:-1]), "a scene left behind keeps its worker"
    assert "3/3" in p.position.text() and "fake s3" in p.status.text()
    assert "note 3a" in p.notes.notes.text() and "end of the talk" in p.notes.next.text()
    qtbot.keyClick(p, K.Key_Home)
    assert p.index == 0 and "Next: Scene 2" in p.notes.next.text()


def test_play_and_reset_go_to_the_view(qtbot, presenter):
    p = presenter
    qtbot.keyClick(p, K.Key_Space)
    qtbot.keyClick(p, K.Key_R)
    assert p.view.calls == ["toggle_play", "reset"]
    p.view.playing = True
    qtbot.keyClick(p, K.Key_PageDown)
    assert not FakeView.built[0].playing, "the scene left is paused"


def test_large_fonts_key_restyles_the_view(qtbot, presenter):
    seen = []
    presenter.view.set_theme = seen.append
    qtbot.keyClick(presenter, K.Key_L)
    assert presenter.theme.large_fonts and seen and seen[-1].large_fonts
    qtbot.keyClick(presenter, K.Key_L)
    assert not presenter.theme.large_fonts and not seen[-1].large_fonts


def test_keys_in_the_notes_window_drive_the_presenter(qtbot, presenter):
    qtbot.keyClick(presenter.notes, K.Key_PageDown)
    assert presenter.index == 1


def test_blank_returns_on_any_key(qtbot, presenter):
    p = presenter
    qtbot.keyClick(p, K.Key_B)
    assert p.is_blank()
    qtbot.keyClick(p, K.Key_PageDown)  # any key brings the scene back, and does nothing else
    assert not p.is_blank() and p.index == 0
    qtbot.keyClick(p, K.Key_Period)  # a clicker's blank button
    assert p.is_blank()
    qtbot.mouseClick(p.blank, Qt.MouseButton.LeftButton)
    assert not p.is_blank()


def test_full_screen_toggle(qtbot, presenter):
    p = presenter
    qtbot.keyClick(p, K.Key_F)
    qtbot.waitUntil(p.isFullScreen, timeout=GUI_WAIT_MS)
    qtbot.keyClick(p, K.Key_F)
    qtbot.waitUntil(lambda: not p.isFullScreen(), timeout=GUI_WAIT_MS)


def test_spotlight_zooms_and_closes(qtbot, presenter):
    p = presenter
    qtbot.keyClick(p, K.Key_Z)
    assert p.spotlight.isVisible() and p.spotlight.target is not None
    assert p.spotlight.geometry() == p.area.geometry()
    qtbot.keyClick(p, K.Key_Escape)
    assert not p.spotlight.isVisible()


def test_record_button_writes_the_view(qtbot, presenter, tmp_path):
    pytest.importorskip("PIL.Image")
    p = presenter
    path = tmp_path / "scene.gif"
    assert p.toggle_recording(path, fps=20)
    assert p.recorder.recording and "Stop" in p.record_button.text()
    qtbot.wait(200)
    with qtbot.waitSignal(p.recorder.saved, timeout=GUI_WAIT_MS):
        qtbot.keyClick(p, K.Key_R, Qt.KeyboardModifier.ControlModifier)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (p.view.width(), p.view.height())


def test_record_to_a_bad_name_says_why(qtbot, presenter, tmp_path):
    assert not presenter.toggle_recording(tmp_path / "scene.avi")
    assert ".gif or .mp4" in presenter.status.text()


def test_missing_or_failing_view_is_shown_not_raised(qtbot, tmp_path, monkeypatch):
    scenes = _scene_dir(tmp_path, 2)

    def view_class(name):
        raise ModuleNotFoundError("No module named 'neuralviz.app.race.view'")

    monkeypatch.setattr(views, "view_class", view_class)
    p = PresenterWindow(scenes)
    qtbot.addWidget(p)
    assert isinstance(p.view, UnavailableView)
    assert "view not available" in p.view.text() and "race.view" in p.view.text()

    class Broken(FakeView):
        def __init__(self, scene, theme):
            raise RuntimeError("boom")

    monkeypatch.setattr(views, "view_class", lambda name: Broken)
    p.next_scene()
    assert isinstance(p.view, UnavailableView) and "RuntimeError: boom" in p.view.text()
    p.close()


# ----------------------------------------------------------------------------------------------- real scenes
def _small(scene, steps):
    return dataclasses.replace(scene, stop=StopRule(steps=steps))


@pytest.mark.parametrize("name", ["backprop", "natural-gradient"])
def test_embedded_page_stops_by_its_rule(qtbot, name):
    """Left playing, the studio (and the plain-vs-natural race) pause at the scene's step budget; the studio's
    script shows the test points on the way."""
    scene = _small(find_scene(name), 40)
    if name == "backprop":
        scene = dataclasses.replace(scene, script=({"at": 10, "do": "show_test_points"},))
    view = views.build_view(scene, _theme())
    qtbot.addWidget(view)
    view.resize(1024, 640)
    view.show()
    assert not isinstance(view, UnavailableView), view.status()
    qtbot.waitUntil(lambda: view.host.worker._model() is not None, timeout=GUI_WAIT_MS)
    view.toggle_play()
    qtbot.waitUntil(view.is_playing, timeout=GUI_WAIT_MS)
    qtbot.waitUntil(lambda: not view.is_playing() and view.current_step() >= 40, timeout=GUI_WAIT_MS)
    assert "stopped after" in view.status()
    view.toggle_play()  # a stopped scene does not start again: R resets it
    qtbot.wait(100)
    assert not view.is_playing()
    if name == "backprop":
        assert view.window.data_panel.show_test.isChecked()
    view.shutdown()


def _theme():
    from neuralviz.app.common.theme import make_theme

    return make_theme()


# the costly ones (5-7 s each: the feature-map page trains its dense twin, the 20-layer race builds 40 convs)
# are covered by their views' own tests and by the lead's headless run of every scene
COSTLY = {"convolution", "residual"}


@pytest.mark.parametrize("name", [s.name for s in load_scenes(check_presets=False) if s.name not in COSTLY])
def test_every_scene_builds_and_stops(qtbot, name):
    """Every scene of the talk builds its view (none is a placeholder), and asked for far more steps than its
    (small) budget, stops at the budget."""
    scene = find_scene(name)
    view = views.build_view(_small(scene, 3), _theme())
    qtbot.addWidget(view)
    view.resize(1024, 600)
    view.show()
    assert not isinstance(view, UnavailableView), f"{scene.name}: {view.status()}"
    done = []
    view.run_headless(1000, lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=GUI_WAIT_MS)
    assert not view.is_playing()
    assert view.current_step() <= 3, f"{scene.name} ran past its budget ({view.current_step()})"
    view.shutdown()


# ----------------------------------------------------------------------------------------------- issue 17's scenes
def test_sequence_page_scene_takes_its_cell_and_stops_by_its_rule(qtbot, tmp_path):
    """The Sequences page's own Play knows no budget: the scene pauses it once the rule is reached."""
    scene = _small(find_scene("recurrent"), 30)
    scene = dataclasses.replace(scene, options={"cell": "rnn"})
    view = views.build_view(scene, _theme())
    qtbot.addWidget(view)
    view.resize(1024, 640)
    view.show()
    assert not isinstance(view, UnavailableView), view.status()
    assert view.page.cell.currentData() == "rnn" and view.page.loaded == "lstm-adding"
    qtbot.waitUntil(lambda: view.host.worker._model() is not None, timeout=GUI_WAIT_MS)
    view.toggle_play()
    qtbot.waitUntil(lambda: not view.is_playing() and view.current_step() >= 30, timeout=GUI_WAIT_MS)
    assert "stopped after" in view.status()
    assert view.page.frame.probe.unrolled.kind == "rnn"
    view.toggle_play()
    qtbot.wait(100)
    assert not view.is_playing()
    view.shutdown()


def test_sequence_regression_race_scatters_prediction_against_target():
    """The rnn-vs-lstm race's panels: each run's predictions for the first test sums, over the diagonal."""
    import numpy as np

    from neuralviz.app.race.pictures import SCATTER, SCATTER_POINTS, Pictures, picture_kind
    from neuralviz.race import Race

    runs = list(Race("rnn-vs-lstm", seed=0).runs.values())
    datasets = [r.dataset for r in runs]
    assert picture_kind(datasets) == SCATTER
    pictures = Pictures(datasets, SCATTER)
    x0, x1, y0, y1 = pictures.extent
    assert (x0, x1) == (y0, y1), "a square picture: the diagonal at 45 degrees"
    for i, (run, data) in enumerate(zip(runs, pictures.data)):
        predicted = pictures.draw(i, run.network, run.trainer.loss_name)
        assert predicted.shape == data.test_y.shape == (min(SCATTER_POINTS, len(run.dataset.y_test)),)
        assert np.all(np.isfinite(predicted)) and x0 <= data.test_y.min() and data.test_y.max() <= x1


def test_sequence_scene_with_an_unknown_cell_says_why(qtbot, tmp_path):
    scene = dataclasses.replace(find_scene("recurrent"), options={"cell": "transformer"})
    view = views.build_view(scene, _theme())
    qtbot.addWidget(view)
    assert isinstance(view, UnavailableView) and "'cell'" in view.status()


def test_story_scene_answers_and_space_asks_the_next_question(qtbot, tmp_path):
    view = views.build_view(find_scene("story-qa"), _theme())
    qtbot.addWidget(view)
    view.resize(1024, 640)
    view.show()
    done = []
    view.run_headless(1000, lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=GUI_WAIT_MS)
    assert "Where is the ring? → Mount-Doom" in view.status()
    view.toggle_play()
    qtbot.waitUntil(lambda: "Grey-havens" in view.status(), timeout=GUI_WAIT_MS)
    view.reset()
    qtbot.waitUntil(lambda: "ring? → Mount-Doom" in view.status(), timeout=GUI_WAIT_MS)
    assert not view.is_playing() and view.current_step() == 0
    view.shutdown()


def _neuralviz(*argv: str) -> subprocess.CompletedProcess:
    """The real command in its own process: a scripted run ends with QApplication.quit(), which must not
    leave this test process's event loop behind it (later GUI tests wait on worker signals)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "neuralviz", *argv], capture_output=True, text=True, env=env, timeout=240
    )


def test_screenshot_from_the_command_line(tmp_path):
    out = tmp_path / "backprop.png"
    argv = ["lecture", "--scene", "backprop", "--train-steps", "20", "--size", "1024x768"]
    done = _neuralviz(*argv, "--screenshot", str(out), "--quit")
    assert done.returncode == 0, done.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1024, 768)
    assert "saved" in done.stdout and "scene 5 backprop" in done.stdout and "step 20/" in done.stdout


def test_record_from_the_command_line(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    out = tmp_path / "prior.gif"
    argv = ["lecture", "--scene", "prior", "--size", "640x480", "--record", str(out), "--seconds", "0.6"]
    done = _neuralviz(*argv, "--fps", "10", "--quit")
    assert done.returncode == 0, done.stderr
    assert "saved the recording" in done.stdout
    with Image.open(out) as gif:
        assert gif.n_frames >= 2 and gif.size[0] <= 640


def test_spotlight_picks_the_panel_under_the_mouse(qtbot):
    from PyQt6.QtWidgets import QHBoxLayout, QLabel

    from neuralviz.app.lecture.overlays import item_under

    area = QWidget()
    lay = QHBoxLayout(area)
    big, tiny_parent = QLabel("big panel"), QWidget()
    tiny = QLabel("x", tiny_parent)
    tiny.setGeometry(0, 0, 4, 4)
    lay.addWidget(big)
    lay.addWidget(tiny_parent)
    qtbot.addWidget(area)
    area.resize(400, 200)
    area.show()
    qtbot.waitExposed(area)
    assert item_under(area, big.mapToGlobal(big.rect().center())) is big
    assert item_under(area, tiny.mapToGlobal(tiny.rect().center())) is tiny_parent  # a 4-pixel label is widened
    assert item_under(area, area.mapToGlobal(area.rect().bottomRight()) * 2) is area  # outside: the whole area


# ----------------------------------------------------------------------------------------------- the layers view
def test_layers_view_shows_every_hidden_layer_and_stops_by_its_rule(qtbot):
    """One gallery per hidden layer (4 x 16 ReLUs) plus the output, every tile filled, and the scene's budget
    stops a headless run asked for more."""
    scene = _small(find_scene("features-of-features"), 20)
    view = views.build_view(scene, _theme())
    qtbot.addWidget(view)
    view.resize(1024, 640)
    view.show()
    assert not isinstance(view, UnavailableView), view.status()
    titles = [g.title.text() for g in view.galleries]
    assert titles == ["layer 1", "layer 2", "layer 3", "layer 4", "output"]
    done = []
    view.run_headless(1000, lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=GUI_WAIT_MS)
    assert view.current_step() == 20 and not view.is_playing()
    assert [len(g.mosaic.images) for g in view.galleries] == [16, 16, 16, 16, 1]
    assert "step 20/20" in view.status() and "stopped after 20 steps" in view.status()
    assert view.galleries[0].mosaic.tile_size() >= 40  # large enough to read, not the studio's ~10 px
    view.toggle_play()  # a stopped scene does not start again: R resets it
    qtbot.wait(50)
    assert not view.is_playing()
    view.reset()
    qtbot.waitUntil(lambda: view.frame is not None and view.current_step() == 0, timeout=GUI_WAIT_MS)
    view.shutdown()


def test_layers_view_options_are_checked():
    from neuralviz.app.lecture.layers_worker import read_options

    assert read_options({})["resolution"] == 64
    with pytest.raises(ValueError, match="unknown option 'resoluton'"):
        read_options({"resoluton": 32})
    with pytest.raises(ValueError, match="'resolution' must be an integer"):
        read_options({"resolution": 2})
