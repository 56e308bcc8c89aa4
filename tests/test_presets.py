"""Every lecture preset builds, fits its dataset, trains a few steps and reports metrics."""

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import presets
from neuralviz.cli import main as cli_main


@pytest.mark.parametrize("name", presets.names())
def test_preset_builds_and_trains(name):
    p = presets.load(name)
    ds = nv.data.load(p["dataset"]["name"], seed=0, **p["dataset"].get("options", {}))
    net = nv.Network.from_spec(p["network"], seed=0)
    train = p["training"]
    opt = nv.optim.make(train["optimizer"], net, lr=train["lr"])
    trainer = nv.Trainer(net, train["loss"], opt, seed=0)
    trainer.check_dataset(ds)
    idx = np.arange(3 * train["batch_size"]) % len(ds.x_train)
    for batch in np.split(idx, 3):
        assert np.isfinite(trainer.step(ds.x_train[batch], ds.y_train[batch]))


def test_unknown_preset_lists_the_names():
    with pytest.raises(ValueError, match="available: .*xor"):
        presets.load("xorr")


def test_cli_train_info_and_presets(tmp_path, capsys):
    assert cli_main(["presets"]) == 0
    assert "xor" in capsys.readouterr().out
    assert cli_main(["info", "digits-cnn"]) == 0
    assert "parameters" in capsys.readouterr().out
    model = tmp_path / "xor.nvz"
    assert cli_main(["train", "xor", "--epochs", "2", "--quiet", "--save", str(model)]) == 0
    out = capsys.readouterr().out
    assert "done:" in out and "test_accuracy" in out and model.exists()
    assert nv.load(model).output_shape == (1,)
    assert cli_main(["train", "xor", "--optimizer", "nope"]) == 2
    assert "unknown optimizer" in capsys.readouterr().err
