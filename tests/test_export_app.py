"""File > Export in the app: the studio's network as it stands (its last frame's weights) becomes a PyTorch
training script, an .nvz of the weights and, with onnx installed, an ONNX file (neuralviz.export.write_bundle)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pytestqt")

from conftest import GUI_WAIT_MS  # noqa: E402

import neuralviz as nv  # noqa: E402
from neuralviz.app.main_window import MainWindow  # noqa: E402
from neuralviz.app.settings import StudioSettings  # noqa: E402


def test_export_writes_the_studio_network_with_its_current_weights(qtbot, tmp_path):
    pytest.importorskip("torch")  # the script writer reads the layers' PyTorch twins (neuralviz[torch])
    w = MainWindow(StudioSettings.from_preset("xor"))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.latest is not None, timeout=GUI_WAIT_MS)
    try:
        written = w.export_torch(tmp_path / "out")
        assert (tmp_path / "out" / "train.py").is_file() and "script" in written
        saved = nv.load(written["model"])
        for name, value in w.latest.params.items():
            np.testing.assert_array_equal(saved.state_dict()[name], value)
    finally:
        w.close()


def test_export_errors_are_shown_in_the_window_not_raised(qtbot, tmp_path, monkeypatch):
    w = MainWindow(StudioSettings.from_preset("xor"))
    qtbot.addWidget(w)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setattr("neuralviz.app.main_window.QFileDialog.getExistingDirectory", lambda *a, **k: str(blocker))
    w._export_torch_dialog()
    assert w.message.level == "error" and "Could not export" in w.message.text
    w.close()
