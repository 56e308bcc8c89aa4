"""Issue 14, app sessions: a bad session changes nothing, and the banner names the file and the field.

Reproducers: "step": 1.5 replaced the panels while the old run kept going; "batch_size": "ten" replaced the
run and left it stuck with an internal traceback; -5 was clamped silently. Now the whole session is checked
before any state is touched; what only building the run can tell (weights that do not fit the network) is
refused by the worker, which keeps the previous run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")
pytest.importorskip("pytestqt")


WAIT = 15_000


def saved_session(qtbot, w, tmp_path: Path) -> tuple[Path, dict]:
    w.train_steps(50)
    qtbot.waitUntil(lambda: w.latest.final, timeout=WAIT)
    path = w.save_session(tmp_path / "lecture.json")
    return path, json.loads(path.read_text())


def rewrite(path: Path, meta: dict) -> None:
    path.write_text(json.dumps(meta, indent=1))


@pytest.mark.parametrize(
    "where, key, value, field",
    [
        ("top", "step", 1.5, "'step'"),
        ("settings", "batch_size", "ten", "settings.batch_size"),
        ("settings", "batch_size", -5, "settings.batch_size"),
        ("settings", "lr", None, "settings.lr"),
        ("top", "weights", "../lecture.weights.npz", "'weights'"),
    ],
)
def test_bad_session_leaves_the_running_training_untouched(qtbot, window, tmp_path, where, key, value, field):
    w = window
    path, meta = saved_session(qtbot, w, tmp_path)
    (meta if where == "top" else meta["settings"])[key] = value
    rewrite(path, meta)
    w.network_panel.presetChosen.emit("spirals")  # the run in force: spirals, playing
    qtbot.waitUntil(lambda: w.info.settings.dataset == "spirals", timeout=WAIT)
    w.play()
    qtbot.waitUntil(lambda: w.controller.playing and w.latest.step > 0, timeout=WAIT)
    serial, settings, title = w.info.serial, w.settings.copy(), w.windowTitle()

    w.open_session(path)

    assert "lecture.json" in w.message.text and field in w.message.text
    assert w.message.level == "error" and "Traceback" not in w.message.text
    assert w.settings == settings and w.windowTitle() == title
    step = w.latest.step
    qtbot.waitUntil(lambda: w.latest.step > step, timeout=WAIT)  # still training, the same run
    assert w.info.serial == serial and w.controller.playing
    assert w.hyper.batch.value() == settings.batch_size
    w.pause()


def test_session_whose_weights_do_not_fit_is_refused_by_the_worker_keeping_the_run(qtbot, window, tmp_path):
    w = window
    path, meta = saved_session(qtbot, w, tmp_path)
    meta["settings"]["hidden"] = [3]  # valid settings, but the saved weights are for 8, 8
    rewrite(path, meta)
    serial, settings = w.info.serial, w.settings.copy()
    w.open_session(path)
    qtbot.waitUntil(lambda: "Could not open the session lecture.json" in w.message.text, timeout=WAIT)
    assert "h2.weight" in w.message.text and "Nothing changed" in w.message.text
    assert w.info.serial == serial and w.settings == settings


def test_good_session_opens_after_a_bad_one(qtbot, window, tmp_path):
    w = window
    w.hyper.changed.emit({"batch_size": 5})
    path, meta = saved_session(qtbot, w, tmp_path)
    weights = {k: v.copy() for k, v in w.latest.params.items()}
    bad = dict(meta, step=1.5)
    rewrite(tmp_path / "bad.json", bad)
    w.network_panel.presetChosen.emit("spirals")
    qtbot.waitUntil(lambda: w.info.settings.dataset == "spirals", timeout=WAIT)
    w.open_session(tmp_path / "bad.json")
    assert "bad.json" in w.message.text
    w.open_session(path)
    qtbot.waitUntil(lambda: w.info.settings.dataset == "xor" and w.info.settings.batch_size == 5, timeout=WAIT)
    qtbot.waitUntil(lambda: w.latest.info.settings.dataset == "xor", timeout=WAIT)
    for name, value in weights.items():
        np.testing.assert_array_equal(w.latest.params[name], value)
    assert w.message.level != "error"


def test_old_style_session_opens_in_the_window(qtbot, window, tmp_path):
    """A session written before versioned weights (lecture.weights.npz) opens as it always did."""
    w = window
    path, meta = saved_session(qtbot, w, tmp_path)
    weights = {k: v.copy() for k, v in w.latest.params.items()}
    (tmp_path / meta["weights"]).rename(tmp_path / "lecture.weights.npz")
    meta["weights"] = "lecture.weights.npz"
    rewrite(path, meta)
    w.network_panel.presetChosen.emit("spirals")
    qtbot.waitUntil(lambda: w.info.settings.dataset == "spirals", timeout=WAIT)
    w.open_session(path)
    qtbot.waitUntil(lambda: w.latest.info.settings.dataset == "xor", timeout=WAIT)
    for name, value in weights.items():
        np.testing.assert_array_equal(w.latest.params[name], value)
