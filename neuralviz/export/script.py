"""The standalone PyTorch training script, and the bundle the app's File > Export writes.

    write_script("digits-cnn", "train.py")      # a preset name, a preset or spec (dict or .json), a Network or .nvz
    write_bundle(net, preset, "out/")           # out/train.py, out/model.onnx, out/model.nvz

The script is plain PyTorch a reader can follow top to bottom: the custom layer classes the network
needs (copied from torch_layers.py), the model as a class whose forward is the spec's topological order
written out line by line, the preset's dataset, loss, optimizer, hyperparameters, schedule and seed, and a
training loop that runs alone (`python train.py`) or under `torchrun --nproc_per_node=N train.py` with
DistributedDataParallel and a DistributedSampler.

Data: the script imports neuralviz only to call `neuralviz.data.load(name, seed, **options)` for the
preset's dataset, and only when neuralviz is installed; otherwise (or with --data FILE.npz) it reads the
user's own arrays x_train, y_train, x_test, y_test. A spec without a preset has no dataset: --data is
then required, and TRAINING holds defaults to edit.
"""

from __future__ import annotations

import copy
import inspect
import keyword
import os
import pprint
from pathlib import Path

from .script_template import TEMPLATE
from .torch_module import CUSTOM, attribute, check_module_name, layer_code

# the optimizers with a torch.optim equivalent (same update rules: neuralviz's are PyTorch's)
_OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
_RESERVED = {"self", "x", "torch", "nn", "F", "math", "np"}


def resolve(source) -> tuple[dict, dict | None, object]:
    """(network spec, preset or None, Network or None) from a preset name, a preset or spec (dict or a
    .json path), a Network, or a .nvz model path."""
    from .. import presets
    from ..network import Network
    from ..spec import read_spec

    if isinstance(source, Network):
        return source.to_spec(), None, source
    if isinstance(source, (str, os.PathLike)) and str(source).endswith(".nvz"):
        from ..io import load

        net = load(source)
        return net.to_spec(), None, net
    if isinstance(source, str) and source in presets.names(None):
        source = presets.load(source)
    elif isinstance(source, (str, os.PathLike)):
        source = read_spec(Path(source))
    if not isinstance(source, dict):
        raise TypeError(
            f"write_script: expected a preset name, a spec or preset, a Network or a .nvz path, got {source!r:.80}"
        )
    if source.get("kind") == "gan":
        raise ValueError(
            f"write_script: {source.get('name', 'this preset')!r} is a GAN preset (two networks in a game); "
            "export its 'generator' or 'discriminator' spec instead"
        )
    if source.get("format") == presets.PRESET_FORMAT:
        return copy.deepcopy(source["network"]), source, None
    return copy.deepcopy(source), None, None


def _training(spec_net, preset: dict | None, optimizer: str | None) -> dict:
    """The preset's training block with its defaults made explicit (Trainer's and presets.build's)."""
    training = dict((preset or {}).get("training") or {})
    if preset is None:
        out = spec_net.output_shape
        training.setdefault("loss", "cross_entropy" if len(out) == 1 and out[0] > 1 else "mse")
    elif "loss" not in training:
        from .. import data

        ds = preset["dataset"]
        training["loss"] = data.load(ds["name"], seed=0, **(ds.get("options") or {})).default_loss
    training.setdefault("optimizer", "adam")
    training.setdefault("lr", 0.01)
    training.setdefault("batch_size", 32)
    training.setdefault("epochs", 10)
    if optimizer is not None:
        training["optimizer"] = optimizer
    return training


def _optimizer_code(training: dict) -> str:
    name, lr = training["optimizer"], float(training["lr"])
    if name not in _OPTIMIZERS:
        raise NotImplementedError(
            f"write_script: optimizer {name!r} has no torch.optim equivalent; choose one of {', '.join(_OPTIMIZERS)} "
            "(write_script(..., optimizer='adam') or `neuralviz export --optimizer adam`)"
        )
    if float(training.get("l1", 0.0)):
        raise NotImplementedError("write_script: an L1 penalty (l1) has no torch.optim equivalent")
    wd = float(training.get("weight_decay", 0.0))
    if name == "sgd":
        call = f"torch.optim.SGD(params, lr={lr!r}, weight_decay={wd!r})"
    elif name == "momentum":
        m, nesterov = float(training.get("momentum", 0.9)), bool(training.get("nesterov", False))
        call = f"torch.optim.SGD(params, lr={lr!r}, momentum={m!r}, nesterov={nesterov}, weight_decay={wd!r})"
    elif name == "adam":
        betas = (float(training.get("beta1", 0.9)), float(training.get("beta2", 0.999)))
        call = f"torch.optim.Adam(params, lr={lr!r}, betas={betas!r}, eps={float(training.get('eps', 1e-8))!r}, "
        call += f"weight_decay={wd!r})"
    else:
        alpha, eps = float(training.get("alpha", 0.99)), float(training.get("eps", 1e-8))
        call = f"torch.optim.RMSprop(params, lr={lr!r}, alpha={alpha!r}, eps={eps!r}, weight_decay={wd!r})"
    return f'    """{name}, as the preset trains with neuralviz."""\n    return {call}'


def _schedule_code(training: dict) -> str:
    name, options = training.get("schedule", "constant"), dict(training.get("schedule_options") or {})
    if name == "constant":
        return "    return 1.0"
    if name == "step":
        size, gamma = int(options.get("step_size", 100)), float(options.get("gamma", 0.5))
        return f"    return {gamma!r} ** (step // {size})  # StepLR, stepped per batch"
    if name == "cosine":
        total, low = int(options.get("total_steps", 1000)), float(options.get("min_lr", 0.0))
        ratio = low / float(training["lr"])
        return (
            f"    t = min(step, {total}) / {total}  # half a cosine down to min_lr, then flat\n"
            f"    return {ratio!r} + 0.5 * (1 - {ratio!r}) * (1 + math.cos(math.pi * t))"
        )
    raise NotImplementedError(f"write_script: schedule {name!r} has no mapping")


def _variables(net) -> dict[str, str]:
    """A Python variable name for each layer output in forward (the id where it is a safe identifier)."""
    names, used = {"input": "x"}, set(_RESERVED)
    for i, lid in enumerate(net.layers):
        name = lid if lid.isidentifier() and not keyword.iskeyword(lid) and lid not in used else f"layer_{i}"
        used.add(name)
        names[lid] = name
    return names


def model_code(net) -> str:
    """`class Net(nn.Module)` for the network: one submodule per layer id, forward in topological order."""
    import torch

    taken = set(dir(torch.nn.Module))
    init, forward = [], []
    var = _variables(net)
    for entry in net.order:
        lid = entry["id"]
        check_module_name(lid, taken)
        code = layer_code(net.layers[lid])
        if attribute(lid).startswith("self.get_submodule"):
            init.append(f"        self.add_module({lid!r}, {code})")
        else:
            init.append(f"        self.{lid} = {code}")
        args = ", ".join(var[s] for s in entry["inputs"])
        forward.append(f"        {var[lid]} = {attribute(lid)}({args})")
    shape_in = ", ".join(map(str, ("N", *net.input_shape)))
    shape_out = ", ".join(map(str, ("N", *net.output_shape)))
    title = net.spec.get("name") or "network"
    return "\n".join(
        [
            "class Net(nn.Module):",
            f'    """{title}: input ({shape_in}) -> output ({shape_out}), the neuralviz spec as PyTorch."""',
            "",
            "    def __init__(self):",
            "        super().__init__()",
            *init,
            "",
            "    def forward(self, x):",
            *forward,
            f"        return {var[net.output_id]}",
            "",
        ]
    )


def classes_code(net) -> str:
    """The source of the torch_layers classes the network uses, in a fixed order."""
    from . import torch_layers

    needed = {CUSTOM[layer.type] for layer in net.layers.values() if layer.type in CUSTOM}
    order = [name for name, _ in inspect.getmembers(torch_layers, inspect.isclass) if name in needed]
    if not order:
        return "# (this network needs no layer beyond torch.nn)\n"
    return "\n\n".join(inspect.getsource(getattr(torch_layers, name)) for name in order)


def script_text(source, *, optimizer: str | None = None, seed: int = 0, filename: str = "train.py") -> str:
    """The training script for `source` (see resolve), as text."""
    from .. import __version__
    from ..network import Network
    from . import require_torch

    require_torch("the training script writer")
    spec, preset, net = resolve(source)
    net = net if net is not None else Network.from_spec(spec, seed=seed)
    training = _training(net, preset, optimizer)
    dataset = None
    if preset is not None:
        ds = preset["dataset"]
        dataset = {"name": ds["name"], "options": dict(ds.get("options") or {})}
        data_doc = (
            f"the preset's {ds['name']!r} dataset via neuralviz.data.load when neuralviz is installed; "
            "else --data FILE.npz (your own x_train, y_train, x_test, y_test)."
        )
    else:
        data_doc = "no preset came with this network: give --data FILE.npz (x_train, y_train, x_test, y_test)."
    name = (preset or {}).get("name") or spec.get("name") or "a neuralviz network"
    keys = ("loss", "optimizer", "lr", "batch_size", "epochs")
    shown = {k: training[k] for k in keys}
    shown.update({k: v for k, v in training.items() if k not in keys})
    marks = {
        "%%TITLE%%": str(name),
        "%%VERSION%%": __version__,
        "%%SOURCE%%": _describe(source),
        "%%FILE%%": filename,
        "%%DATA_DOC%%": data_doc,
        "%%SEED%%": repr(int(seed)),
        "%%DATASET%%": pprint.pformat(dataset, sort_dicts=False, width=110),
        "%%TRAINING%%": pprint.pformat(shown, sort_dicts=False, width=110),
        "%%DTYPE%%": "torch.float64" if str(net.dtype) == "float64" else "torch.float32",
        "%%CLASSES%%": classes_code(net),
        "%%MODEL%%": model_code(net),
        "%%OPTIMIZER%%": _optimizer_code(training),
        "%%SCHEDULE%%": _schedule_code(training),
    }
    text = TEMPLATE
    for mark, value in marks.items():
        text = text.replace(mark, value)
    return text


def _describe(source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return repr(os.fspath(source))
    if isinstance(source, dict):
        return f"the spec {source.get('name', '')!r}".replace(" ''", "")
    return f"a {type(source).__name__}"


def write_script(source, path, *, optimizer: str | None = None, seed: int = 0) -> Path:
    """Writes the standalone training script for `source` to `path` and returns the path."""
    path = Path(os.fspath(path))
    text = script_text(source, optimizer=optimizer, seed=seed, filename=path.name)
    compile(text, str(path), "exec")  # never write a script that does not parse
    path.write_text(text, encoding="utf-8")
    return path


def write_bundle(network_or_spec, preset, directory) -> dict[str, Path]:
    """What the app's File > Export writes into `directory`: train.py (the training script, for `preset`'s
    dataset and training when given; adam where the preset's optimizer has no torch.optim twin),
    model.nvz (the network's current weights: `python train.py --init model.nvz` continues from them)
    and model.onnx (when onnx is installed). Returns {kind: path}."""
    from ..io import save
    from ..network import Network

    folder = Path(os.fspath(directory))
    folder.mkdir(parents=True, exist_ok=True)
    net = network_or_spec if isinstance(network_or_spec, Network) else Network.from_spec(network_or_spec)
    if isinstance(preset, str):
        from .. import presets

        preset = presets.load(preset)
    source = {**preset, "network": net.to_spec()} if preset else net
    # a natural-gradient or perceptron preset has no torch.optim twin: its script trains with adam instead
    chosen = (preset or {}).get("training", {}).get("optimizer", "adam")
    optimizer = None if chosen in _OPTIMIZERS else "adam"
    written = {
        "script": write_script(source, folder / "train.py", optimizer=optimizer),
        "model": save(net, folder / "model.nvz"),
    }
    try:
        from .onnx_export import export_onnx

        written["onnx"] = export_onnx(net, folder / "model.onnx")
    except ImportError:
        pass  # onnx is optional: the script and the weights are the bundle's core
    return written
