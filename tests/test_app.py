"""The training studio (neuralviz.app), offscreen under pytest-qt (conftest sets QT_QPA_PLATFORM).

What a lecturer relies on: the window opens on XOR ready to play; play trains in the worker thread while
the event loop keeps running; pause stops; changes apply (live or by rebuilding); errors land in the
window instead of killing it; the trained XOR map shows both classes; sessions and the headless command
line work.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")
pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt, QTimer  # noqa: E402
from PyQt6.QtGui import QImage  # noqa: E402
from qt_image import widget_pixels as pixels  # noqa: E402

import neuralviz as nv  # noqa: E402
from neuralviz import presets  # noqa: E402
from neuralviz.app.common.spec_edit import MlpDescription, parse_hidden  # noqa: E402
from neuralviz.app.settings import StudioSettings  # noqa: E402
from neuralviz.app.studio.training_run import TrainingRun  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WAIT = 30_000  # ms; generous for a loaded CI machine, the waits end as soon as the condition holds


def wait_for_run(qtbot, w, predicate):
    qtbot.waitUntil(lambda: w.info is not None and predicate(w.info), timeout=WAIT)


# ---------------------------------------------------------------------------------------------- pure parts
def test_mlp_description_round_trips_the_presets():
    for name in ("xor", "spirals", "universal-approximation", "perceptron"):
        spec = presets.load(name)["network"]
        mlp = MlpDescription.from_spec(spec)
        assert mlp is not None, name
        again = MlpDescription.from_spec(mlp.to_spec())
        assert (again.hidden, again.activations, again.output_units, again.output_tail) == (
            mlp.hidden,
            mlp.activations,
            mlp.output_units,
            mlp.output_tail,
        )
    assert MlpDescription.from_spec(presets.load("digits-cnn")["network"]) is None
    mlp = MlpDescription.from_spec(presets.load("xor")["network"])
    mlp.set_hidden([4, 3, 2])
    mlp.set_activation("relu")
    mlp.dropout = 0.25
    layers = [(l["type"], l.get("units")) for l in mlp.to_spec()["layers"]]
    assert layers == [
        ("dense", 4),
        ("relu", None),
        ("dropout", None),
        ("dense", 3),
        ("relu", None),
        ("dropout", None),
        ("dense", 2),
        ("relu", None),
        ("dropout", None),
        ("dense", 1),
    ]
    assert parse_hidden("8, 8") == [8, 8] and parse_hidden("") == []
    with pytest.raises(ValueError, match="'x'"):
        parse_hidden("8, x")


def test_training_run_uses_the_fused_path_and_learns_xor():
    run = TrainingRun(StudioSettings.from_preset("xor"))
    assert run.uses_fast_path and run.structure.kind == "mlp"
    run.train(3000)
    snap = run.snapshot()
    assert snap.metrics["train_accuracy"] > 0.95
    assert snap.output_map.shape == (96, 96)
    assert {k: v.shape for k, v in snap.neuron_maps.items()} == {
        "a1": (8, 48, 48),
        "a2": (8, 48, 48),
        "out": (1, 48, 48),
    }
    assert not snap.params["h1.weight"].flags.writeable  # views get read-only copies


def test_training_run_leaves_batches_path_and_rate_to_the_engine():
    """The studio trains on its trainer's BatchStream (the same batches a Trainer.step loop over
    nv.data.BatchStream(n, b, seed) sees), reports the trainer's path and reason, and reads the learning
    rate from the optimizer alone; edited points restart the stream."""
    s = StudioSettings.from_preset("xor")
    run, by_hand = TrainingRun(s), TrainingRun(s)
    run.train(60)
    stream = nv.data.BatchStream(len(by_hand.x_train), by_hand.batch_size, seed=s.seed)
    for _ in range(60):
        idx = stream.next_batch()
        by_hand.trainer.step(by_hand.x_train[idx], by_hand.y_train[idx])
    for p, q in zip(run.net.parameters(), by_hand.net.parameters()):
        np.testing.assert_allclose(p.value, q.value, rtol=1e-4, atol=1e-6)  # fused vs layer path: to rounding
    assert run.trainer.path == "fused" and run.info.fast_path and run.info.path_reason == run.trainer.path_reason
    run.set_live(lr=0.05, batch_size=7)
    assert run.trainer.opt.lr == run.settings.lr == run.info.settings.lr == 0.05
    run.train(3)
    assert run.trainer.stream.batch_size == 7 and run.trainer.stream.samples_seen == 60 * 10 + 3 * 7
    run.set_live(optimizer="adam")
    run.train(1)
    assert not run.info.fast_path and "adam" in run.info.path_reason
    run.edit_points(["add", 1.0, 1.0, 0])
    assert run.trainer.stream is None  # the next step starts a new stream over the new points


# ---------------------------------------------------------------------------------------------- the window
def test_window_opens_on_xor_ready_to_play(window):
    w = window
    assert w.settings.preset == "xor" and w.info.kind == "planar"
    assert not w.controller.playing and w.latest.step == 0
    assert "XOR" in w.windowTitle()
    assert w.info.structure.kind == "mlp" and len(w.info.structure.columns) == 4
    assert w.controls.play_button.isEnabled() and w.controls.step_button.isEnabled()


def test_play_advances_steps_and_curve_then_pause_stops(qtbot, window):
    w = window
    w.play()
    qtbot.waitUntil(lambda: w.latest.step >= 60 and w.output_panel.curves.points >= 3, timeout=WAIT)
    w.pause()
    qtbot.waitUntil(lambda: not w.controller.playing and not w.latest.playing, timeout=WAIT)
    stopped = w.latest.step
    qtbot.wait(300)
    assert w.latest.step == stopped
    assert w.controls.step_label.text() == f"{stopped:,d}"
    w.step()
    qtbot.waitUntil(lambda: w.latest.step == stopped + 1, timeout=WAIT)


def _timer_ticks(qtbot, ms: int) -> int:
    """How many times a 10 ms timer of the GUI thread fires in `ms` of event loop."""
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    qtbot.wait(ms)
    timer.stop()
    return len(ticks)


def test_event_loop_keeps_running_during_a_long_training_run(qtbot, window):
    """While the worker trains flat out, the GUI thread keeps handling its events.

    Ideal: a 10 ms timer ticks 150 times in 1.5 s; a GUI thread starved by training gets a few ticks per
    second. Ticks per second is a rate, so a burst of other load on a shared machine can pull one window
    below the bound: a window that falls short is measured again (up to three in all), while a starved
    thread falls short every time. That training runs and frames arrive is waited for, not timed.
    """
    w = window
    w.controls.speed_combo.setCurrentIndex(w.controls.speed_combo.count() - 1)  # max speed
    frames0, step0 = w.frames_drawn, w.latest.step
    w.play()
    qtbot.waitUntil(lambda: w.latest.playing and w.latest.step > step0, timeout=WAIT)  # training is under way
    tries = []  # (timer ticks, training steps shown) per 1.5 s window
    for _ in range(3):
        before = w.latest.step
        ticks = _timer_ticks(qtbot, 1500)
        tries.append((ticks, w.latest.step - before))
        if ticks >= 25:
            break
    qtbot.waitUntil(lambda: w.frames_drawn - frames0 >= 3 and w.latest.step > step0 + 1000, timeout=WAIT)
    still_playing = w.controller.playing
    w.pause()
    qtbot.waitUntil(lambda: not w.latest.playing, timeout=WAIT)
    assert still_playing
    ticks, steps = tries[-1]
    assert steps > 0, f"training stalled while the timer was counted: {tries} (ticks, steps) per window"
    assert ticks >= 25, f"the GUI timer ticked under 25 times in each 1.5 s of training: {tries} (ticks, steps)"


def test_changing_dataset_and_optimizer(qtbot, window):
    w = window
    w.data_panel.datasetChosen.emit("circles")
    wait_for_run(qtbot, w, lambda i: i.settings.dataset == "circles")
    assert "circles" in w.data_panel.dataset.currentText()
    serial = w.info.serial
    w.hyper.changed.emit({"optimizer": "adam"})
    wait_for_run(qtbot, w, lambda i: i.settings.optimizer == "adam")
    assert w.info.serial == serial, "changing the optimizer must keep the network and its weights"
    assert not w.info.fast_path
    w.hyper.changed.emit({"optimizer": "perceptron"})  # cannot train this MLP: refused, adam stays
    qtbot.waitUntil(lambda: w.message.level == "error", timeout=WAIT)
    assert "perceptron" in w.message.text and w.settings.optimizer == "adam"
    assert w.hyper.optimizer.currentText() == "adam"
    w.hyper.changed.emit({"lr": 0.05})
    wait_for_run(qtbot, w, lambda i: i.settings.lr == 0.05)
    w.train_steps(200)
    qtbot.waitUntil(lambda: w.latest.final and w.latest.step == 200, timeout=WAIT)
    w.data_panel.datasetChosen.emit("sine")  # another kind: the MLP adapts to 1 input
    wait_for_run(qtbot, w, lambda i: i.kind == "regression")
    assert w.output_panel.stack.currentWidget() is w.output_panel.regression
    w.network_panel.presetChosen.emit("digits-cnn")
    wait_for_run(qtbot, w, lambda i: i.kind == "image" and i.structure.kind == "blocks")
    w.step()
    qtbot.waitUntil(lambda: w.latest.step == 1 and w.latest.samples is not None, timeout=WAIT)


def test_trained_xor_screenshot_shows_both_classes(qtbot, window, tmp_path):
    w = window
    w.train_steps(3000)
    qtbot.waitUntil(lambda: w.latest.final, timeout=WAIT)
    assert w.latest.metrics["train_accuracy"] > 0.95
    shot = pixels(w)
    packed = (shot[..., 0].astype(np.uint32) << 16) | (shot[..., 1].astype(np.uint32) << 8) | shot[..., 2]
    assert shot.std() > 30 and len(np.unique(packed)) > 500, "window looks blank"
    assert w.export_png(tmp_path / "window.png") and (tmp_path / "window.png").stat().st_size > 10_000
    plot = pixels(w.output_panel.boundary.plot_widget).astype(int)
    r, g, b = plot[..., 0], plot[..., 1], plot[..., 2]
    orange = (r - b > 80) & (r > g)  # class 0 (pale Playground orange)
    blue = b - r > 80  # class 1 (pale Playground blue)
    assert orange.mean() > 0.15 and blue.mean() > 0.15, (orange.mean(), blue.mean())


def test_bad_spec_shows_an_error_and_keeps_the_run(qtbot, window):
    w = window
    serial = w.info.serial
    w.apply_spec({"input_shape": [2], "layers": [{"id": "h", "type": "dence", "units": 4}]})
    qtbot.waitUntil(lambda: w.message.level == "error", timeout=WAIT)
    assert "dence" in w.message.text and w.message.isVisible()
    assert w.info.serial == serial and w.settings.network["name"] == "xor-mlp"
    w.apply_spec("{not json")
    assert "not valid JSON" in w.message.text
    w.network_panel.hidden.setText("8, x")
    w.network_panel.hidden.editingFinished.emit()
    assert "'x'" in w.message.text and w.network_panel.hidden.text() == "8, 8"
    w.step()
    qtbot.waitUntil(lambda: w.latest.step == 1, timeout=WAIT)


def test_divergence_pauses_with_a_message(qtbot, window):
    w = window
    w.hyper.changed.emit({"activation": "relu"})  # unbounded units: a huge step overflows
    wait_for_run(qtbot, w, lambda i: i.settings.activation == "relu")
    w.hyper.changed.emit({"lr": 1e10})
    w.play()
    qtbot.waitUntil(lambda: w.message.level == "error" and not w.controller.playing, timeout=WAIT)
    assert "diverged" in w.message.text.lower()
    assert w.latest is not None and w.isVisible()
    w.hyper.changed.emit({"lr": 0.03})
    w.reset()
    qtbot.waitUntil(lambda: w.latest.step == 0 and w.message.level != "error", timeout=WAIT)


def test_missing_dataset_file_is_reported_and_the_data_kept(qtbot, window):
    w = window
    w.change("mnist", dataset="mnist", dataset_options={"path": "/nonexistent/mnist"})
    qtbot.waitUntil(lambda: w.message.level == "error", timeout=WAIT)
    assert "/nonexistent/mnist" in w.message.text
    assert w.info.settings.dataset == "xor" and w.settings.dataset == "xor"
    assert "xor" in w.data_panel.dataset.currentText()


def test_click_adds_points_and_neuron_click_enlarges(qtbot, window):
    w = window
    n = len(w.info.data.train_x)
    w.output_panel.boundary.pointClicked.emit(1.0, 2.0, Qt.KeyboardModifier.NoModifier)
    qtbot.waitUntil(lambda: len(w.info.data.train_x) == n + 1, timeout=WAIT)
    assert w.info.data.train_y[-1] == 0 and np.allclose(w.info.data.train_x[-1], [1.0, 2.0])
    w.output_panel.boundary.pointClicked.emit(-1.0, 2.0, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: len(w.info.data.train_x) == n + 2, timeout=WAIT)
    assert w.info.data.train_y[-1] == 1 and len(w.settings.point_edits) == 2
    w.network_panel.view.neuronClicked.emit("a1", 3)
    assert w.output_panel.boundary.selected == ("a1", 3) and w.output_panel.back_button.isVisibleTo(w)
    w.output_panel.showOutputClicked.emit()
    assert w.output_panel.boundary.selected is None
    w.network_panel.view.featureToggled.emit("x1^2")
    wait_for_run(qtbot, w, lambda i: i.settings.features == ["x1", "x2", "x1^2"])
    assert w.info.structure.columns[0].active[:3] == (True, True, True)


def test_session_save_and_open_restores_the_weights(qtbot, window, tmp_path):
    w = window
    w.hyper.changed.emit({"batch_size": 5})
    w.train_steps(300)
    qtbot.waitUntil(lambda: w.latest.final, timeout=WAIT)
    saved = {k: v.copy() for k, v in w.latest.params.items()}
    path = w.save_session(tmp_path / "lecture.json")
    w.network_panel.presetChosen.emit("spirals")
    wait_for_run(qtbot, w, lambda i: i.settings.dataset == "spirals")
    w.open_session(path)
    wait_for_run(qtbot, w, lambda i: i.settings.dataset == "xor" and i.settings.batch_size == 5)
    qtbot.waitUntil(lambda: w.latest.info.settings.dataset == "xor", timeout=WAIT)
    for name, value in saved.items():
        np.testing.assert_array_equal(w.latest.params[name], value)
    w.open_session(tmp_path / "missing.json")
    assert "not found" in w.message.text


def test_large_fonts_and_high_contrast(qtbot, window):
    w = window
    size = w.font().pointSizeF()
    w.large_fonts_action.setChecked(True)
    w.high_contrast_action.setChecked(True)
    assert w.font().pointSizeF() >= 1.4 * size
    assert pixels(w).std() > 30


# ---------------------------------------------------------------------------------------------- command line
def _env_without_display() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_gui_without_display_says_so_and_fails():
    proc = subprocess.run(
        [sys.executable, "-m", "neuralviz"],
        env=_env_without_display(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3
    assert "no display" in proc.stderr and "--screenshot" in proc.stderr


def test_gui_screenshot_works_headless(tmp_path):
    out = tmp_path / "xor.png"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "neuralviz",
            "gui",
            "--preset",
            "xor",
            "--train-steps",
            "500",
            "--screenshot",
            str(out),
            "--quit",
        ],
        env=_env_without_display(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1600, 1000)
