"""The standalone PyTorch training script (`neuralviz export --torch-script`), its CLI and the app's bundle.

Fast tests load the written script as a module (its training only runs under __main__) and check that
its Net computes what the engine computes, for every preset. The slow tests run the script for xor and
digits-cnn as `python out.py` and as `torchrun --nproc_per_node=2 out.py` (gloo, CPU), both from the
engine's initial weights (--init), and hold their test accuracy within 2 points of the engine's after
the same number of epochs. Skipped without torch.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import neuralviz as nv
from neuralviz.cli import main as cli_main
from neuralviz.export import write_bundle, write_script
from neuralviz.layers import LAYER_TYPES

torch = pytest.importorskip("torch")

NETWORK_PRESETS = nv.presets.names()


def _load_script(path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines Net & co.; main() runs only as __main__
    return module


def _input(net, n=4):
    rng = np.random.default_rng(0)
    first = [net.layers[e["id"]] for e in net.order if "input" in e["inputs"]]
    if any(getattr(layer, "takes_integer_input", False) for layer in first):
        vocab = min(int(layer.config["vocab"]) for layer in first)
        return rng.integers(0, vocab, size=(n, *net.input_shape)).astype(np.int64)
    return rng.standard_normal((n, *net.input_shape)).astype(net.dtype)


@pytest.mark.parametrize("name", NETWORK_PRESETS)
def test_script_model_matches_engine(name, tmp_path):
    preset = nv.presets.load(name)
    optimizer = (
        None if preset["training"].get("optimizer", "adam") in ("sgd", "momentum", "adam", "rmsprop") else "adam"
    )
    path = write_script(name, tmp_path / "train.py", optimizer=optimizer)
    script = _load_script(path)
    net = nv.Network.from_spec(preset["network"], seed=0)
    model = script.Net().to(script.DTYPE)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    model.eval()
    x = _input(net)
    with torch.no_grad():
        got = model(torch.from_numpy(x)).numpy()
    want = net.forward(x)
    assert np.abs(got - want).max() <= 1e-5 * max(1.0, float(np.abs(want).max()))
    assert script.DATASET["name"] == preset["dataset"]["name"]
    assert script.TRAINING["lr"] == preset["training"]["lr"]


def test_script_carries_hyperparameters_and_schedule(tmp_path):
    preset = nv.presets.load("xor")
    preset["training"].update(optimizer="adam", lr=0.01, beta2=0.99, schedule="step")
    preset["training"]["schedule_options"] = {"step_size": 50, "gamma": 0.5}
    script = _load_script(write_script(preset, tmp_path / "xor.py", seed=7))
    assert script.SEED == 7
    opt = script.make_optimizer([torch.nn.Parameter(torch.zeros(2))])
    assert isinstance(opt, torch.optim.Adam) and opt.defaults["lr"] == 0.01 and opt.defaults["betas"] == (0.9, 0.99)
    assert script.lr_factor(49) == 1.0 and script.lr_factor(100) == 0.25  # StepLR, per batch


def test_script_loads_the_presets_dataset(tmp_path):
    script = _load_script(write_script("xor", tmp_path / "xor.py"))
    ds = nv.data.load("xor", seed=0, noise=0.0)
    for got, want in zip(script.load_data(), (ds.x_train, ds.y_train, ds.x_test, ds.y_test)):
        assert np.array_equal(got, want)


def test_odd_layer_ids_and_a_dag(tmp_path):
    spec = {
        "name": "skip",
        "input_shape": [3],
        "layers": [
            {"id": "conv-1", "type": "dense", "units": 3},
            {"id": "class", "type": "tanh"},
            {"id": "x", "type": "add", "inputs": ["class", "input"]},
            {"id": "out", "type": "dense", "units": 2},
        ],
    }
    script = _load_script(write_script(spec, tmp_path / "skip.py"))
    assert script.DATASET is None and script.TRAINING["loss"] == "cross_entropy"
    net = nv.Network.from_spec(spec, seed=0)
    model = script.Net()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    x = _input(net)
    with torch.no_grad():
        assert np.allclose(model(torch.from_numpy(x)).numpy(), net.forward(x), atol=1e-6)


def test_refusals_name_the_problem(tmp_path):
    with pytest.raises(NotImplementedError, match="optimizer 'kfac' has no torch.optim equivalent"):
        write_script("natural-gradient", tmp_path / "ng.py")
    gan = next(iter(nv.presets.names("gan")), None)
    if gan:
        with pytest.raises(ValueError, match="GAN preset"):
            write_script(gan, tmp_path / "gan.py")
    assert not list(tmp_path.iterdir())


def test_cli_export_writes_script_and_onnx(tmp_path, capsys):
    script, model = tmp_path / "xor.py", tmp_path / "xor.onnx"
    argv = ["export", "xor", "--torch-script", str(script)]
    has_onnx = importlib.util.find_spec("onnx") is not None
    if has_onnx:
        argv += ["--onnx", str(model)]
    assert cli_main(argv) == 0
    assert script.is_file() and (model.is_file() or not has_onnx)
    assert "torchrun --nproc_per_node=N xor.py" in capsys.readouterr().out
    assert cli_main(["export", "natural-gradient", "--torch-script", str(tmp_path / "ng.py")]) == 2
    assert "--optimizer adam" in capsys.readouterr().err
    assert cli_main(["export", "xor"]) == 2


def test_cli_export_of_a_model_file(tmp_path):
    net = nv.Network.from_spec(nv.presets.load("spirals")["network"], seed=4)
    nv.save(net, tmp_path / "m.nvz")
    assert cli_main(["export", str(tmp_path / "m.nvz"), "--torch-script", str(tmp_path / "m.py")]) == 0
    script = _load_script(tmp_path / "m.py")
    model = script.Net()
    script.load_nvz(model, str(tmp_path / "m.nvz"))
    for k, v in net.state_dict().items():
        assert np.array_equal(model.state_dict()[k].numpy(), v)


def test_bundle_for_the_app(tmp_path):
    net = nv.Network.from_spec(nv.presets.load("xor")["network"], seed=1)
    written = write_bundle(net, "xor", tmp_path / "bundle")
    assert written["script"].name == "train.py" and written["model"].name == "model.nvz"
    assert np.array_equal(nv.load(written["model"]).state_dict()["h1.weight"], net.state_dict()["h1.weight"])
    if importlib.util.find_spec("onnx") is not None:
        assert written["onnx"].is_file()
    ng = write_bundle(nv.presets.load("natural-gradient")["network"], "natural-gradient", tmp_path / "ng")
    assert _load_script(ng["script"]).TRAINING["optimizer"] == "adam"  # kfac has no torch.optim twin


# ----------------------------------------------------------------------------- running the script
EPOCHS = {"xor": 40, "digits-cnn": 4}  # past the steep start, so batch order moves accuracy by < 1 point


def _engine_accuracy(name: str, epochs: int, init_path) -> float:
    setup = nv.presets.build(nv.presets.load(name), seed=0)
    nv.save(setup.network, init_path)  # the script starts from the same weights
    setup.trainer.fit(setup.dataset, epochs=epochs, batch_size=setup.batch_size, progress=False)
    return setup.trainer.evaluate(setup.dataset.x_test, setup.dataset.y_test)["accuracy"]


def _result(proc) -> dict:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, f"script failed ({proc.returncode}):\n{out[-2000:]}\n{err[-3000:]}"
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["xor", "digits-cnn"])
def test_script_trains_alone_and_under_torchrun(name, tmp_path):
    epochs = EPOCHS[name]
    init, data = tmp_path / "init.nvz", tmp_path / "data.npz"
    engine = _engine_accuracy(name, epochs, init)
    ds = nv.presets.build(nv.presets.load(name), seed=0).dataset  # the arrays the script would load: --data
    np.savez(data, x_train=ds.x_train, y_train=ds.y_train, x_test=ds.x_test, y_test=ds.y_test)  # skips an import
    script = write_script(name, tmp_path / "train.py")
    args = [str(script), "--quiet", "--epochs", str(epochs), "--init", str(init), "--data", str(data)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run = dict(cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    alone = subprocess.Popen([sys.executable, *args, "--save", "alone.pt"], **run)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    distributed = subprocess.Popen([*torchrun, *args], **run)
    one, two = _result(alone), _result(distributed)
    assert one["processes"] == 1 and two["processes"] == 2 and one["epochs"] == two["epochs"] == epochs
    assert set(torch.load(tmp_path / "alone.pt")) == set(nv.load(init).state_dict())
    for label, got in (("python", one), ("torchrun x2", two)):
        gap = abs(got["test_accuracy"] - engine) * 100
        assert gap <= 2.0, f"{name}, {label}: accuracy {got['test_accuracy']:.4f} vs neuralviz {engine:.4f}"


def test_every_layer_type_is_writable():
    from neuralviz.export.torch_module import CUSTOM

    assert set(CUSTOM) <= set(LAYER_TYPES) | {"reshape"}
