"""`neuralviz ...` command line: train, info, compare, presets, backends, ask, export, bench, gui, lecture.

Errors in what the user typed or in the files they named (a missing or unreadable file, a
spec or preset that does not validate, a bad option value, an output path that cannot be
written) print one line, ``neuralviz COMMAND: error: ...``, and exit with status 2, as
argparse does for bad arguments. Output paths (``train --save``) are checked before any
training starts, so a bad path never costs a finished run. A traceback means a bug.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from . import __version__

# subcommands whose arguments are parsed by their own parser (so that `-h` shows their options)
_PASSTHROUGH = ("compare",)


class UsageError(ValueError):
    """A user error found by the command line itself (a bad path, value or file); printed as one line."""


# ----------------------------------------------------------------------------- argument types


# counts (epochs, batch size) above this cannot be a real request and would overflow 64-bit sizes further down
MAX_COUNT = 2**63 - 1


def positive_int(text: str) -> int:
    """argparse type: an int in [1, 2**63 - 1] (0 and negatives are refused, not replaced by a default)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    if value > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_COUNT:,d}, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: an int >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0 (learning rates)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def non_empty(text: str) -> str:
    """argparse type: a non-empty name (an empty --optimizer must not mean "the preset's")."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


# ----------------------------------------------------------------------------- paths and files


def check_output_path(path: str | os.PathLike, option: str = "output") -> Path:
    """Checks that `path` can receive a file written by rename (as nv.save writes) before any
    work is done: not empty, not a directory or special file, its directory exists and is
    writable (probed with a temporary file, which also catches over-long names and read-only
    file systems). Returns the path; raises UsageError naming `option` otherwise."""
    text = os.fspath(path)
    if not isinstance(text, str) or not text.strip():
        raise UsageError(f"{option}: the path is empty")
    if text.endswith(("/", os.sep)):
        raise UsageError(f"{option} {text!r}: names a directory; give a file name")
    out = Path(text)
    try:
        _check_output_target(out, text, option)
    except OSError as err:  # e.g. a name too long for the file system, a loop of symlinks
        raise UsageError(f"{option} {text!r}: cannot write there: {err.strerror or err}") from None
    return out


def _check_output_target(out: Path, text: str, option: str) -> None:
    if out.is_dir():
        raise UsageError(f"{option} {text!r}: is a directory; give a file name")
    if out.exists() and not out.is_file():
        raise UsageError(f"{option} {text!r}: exists and is not a regular file")
    parent = out.parent
    if not parent.exists():
        raise UsageError(f"{option} {text!r}: directory {str(parent)!r} does not exist")
    if not parent.is_dir():
        raise UsageError(f"{option} {text!r}: {str(parent)!r} is not a directory")
    fd, probe = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=parent)  # writable? (OSError if not)
    os.close(fd)
    os.unlink(probe)


def _read_json_file(path: Path, what: str) -> dict:
    """A JSON object from a file, with every failure (directory, unreadable, not JSON, nested
    too deeply, not an object) as one UsageError naming the file."""
    from .spec import read_spec

    if path.is_dir():
        raise UsageError(f"{path}: is a directory, not a {what} file")
    if path.exists() and not path.is_file():
        raise UsageError(f"{path}: is not a regular file")
    try:
        data = read_spec(path)
    except RecursionError:
        raise UsageError(f"{path}: JSON nested too deeply to be a {what}") from None
    except OSError as err:
        raise UsageError(f"{path}: cannot read: {err.strerror or err}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a {what} must be a JSON object")
    return data


def _check_preset(preset: dict, source: str) -> None:
    """The parts of a preset the CLI reads, with types checked (so a malformed preset file
    gives one clear line instead of an AttributeError deep inside)."""
    if "network" not in preset:
        raise UsageError(f"{source}: preset has no 'network' entry")
    if not isinstance(preset["network"], dict):
        raise UsageError(f"{source}: preset 'network' must be a JSON object (a network spec)")
    for key in ("training", "dataset"):
        if not isinstance(preset.get(key, {}), dict):
            raise UsageError(f"{source}: preset {key!r} must be a JSON object, got {type(preset[key]).__name__}")
    training, dataset = preset.get("training", {}), preset.get("dataset", {})
    for key in ("epochs", "batch_size"):
        value = training.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise UsageError(f"{source}: training.{key} must be a positive integer, got {value!r}")
    lr = training.get("lr")
    if lr is not None and (
        not isinstance(lr, (int, float)) or isinstance(lr, bool) or not math.isfinite(lr) or lr <= 0
    ):
        raise UsageError(f"{source}: training.lr must be a finite number > 0, got {lr!r}")
    for section, key in (("training", "optimizer"), ("training", "loss"), ("dataset", "name")):
        value = preset.get(section, {}).get(key)
        if value is not None and not isinstance(value, str):
            raise UsageError(f"{source}: {section}.{key} must be a string, got {value!r}")
    if not isinstance(dataset.get("options", {}), dict):
        raise UsageError(f"{source}: dataset.options must be a JSON object")


def _resolve(spec_or_preset: str) -> tuple[dict, dict]:
    """(network spec, preset or {}) from a spec/preset file path or a preset name."""
    from . import presets

    if not spec_or_preset or not spec_or_preset.strip():
        raise UsageError("the spec is empty: give a spec/preset JSON file or a preset name")
    path = Path(spec_or_preset)
    is_name = spec_or_preset in presets.names()
    if path.is_file() or (not is_name and (path.suffix.lower() == ".json" or path.exists())):
        if not path.exists():
            raise UsageError(f"{path}: no such file")
        spec = _read_json_file(path, "network spec or preset")
        if spec.get("format") == presets.PRESET_FORMAT:
            _check_preset(spec, str(path))
            return spec["network"], spec
        return spec, {}
    preset = presets.load(spec_or_preset)  # ValueError listing the presets for an unknown name
    if preset.get("kind") == "gan":
        raise UsageError(
            f"{spec_or_preset!r} is a GAN preset (two networks in a game): train it with "
            f"nv.generative.GAN.from_preset({spec_or_preset!r}).train(), or open it with neuralviz gui --preset"
        )
    _check_preset(preset, f"preset {spec_or_preset!r}")
    return preset["network"], preset


def _build_network(spec: dict, seed: int = 0):
    import neuralviz as nv

    try:
        return nv.Network.from_spec(spec, seed=seed)
    except RecursionError:
        raise UsageError("the network spec is nested too deeply") from None
    except MemoryError:
        raise UsageError("not enough memory to build this network (is a layer size far too large?)") from None


# ----------------------------------------------------------------------------- commands


def _cmd_train(args) -> int:
    import neuralviz as nv

    spec, preset = _resolve(args.spec)
    if args.save is not None:
        save_path = check_output_path(args.save, "--save")
        if Path(args.spec).is_file() and save_path.resolve() == Path(args.spec).resolve():
            raise UsageError(f"--save {args.save!r} would overwrite the spec file being trained")
    training = preset.get("training", {})
    ds_cfg = preset.get("dataset", {})
    dataset = args.dataset if args.dataset is not None else ds_cfg.get("name")
    if not dataset:
        raise UsageError("--dataset is required for a plain spec file (see `neuralviz train -h`)")
    options = ds_cfg.get("options", {}) if dataset == ds_cfg.get("name") else {}
    ds = nv.data.load(dataset, seed=args.seed, **options)
    loss = args.loss or training.get("loss") or _default_loss(ds)
    net = _build_network(spec, seed=args.seed)
    opt_name = args.optimizer if args.optimizer is not None else training.get("optimizer", "adam")
    lr = args.lr if args.lr is not None else training.get("lr", 0.01)
    opt = nv.optim.make(opt_name, net, lr=lr)
    trainer = nv.Trainer(net, loss, opt, seed=args.seed)
    trainer.check_dataset(ds)  # a network/dataset mismatch is reported before "training ..." is printed
    try:
        chosen = nv.backend.use(args.backend)  # refused here, with the reason, before anything is printed
        device = chosen.__enter__()
    except RuntimeError as err:
        raise UsageError(f"--backend {args.backend}: {err}") from None
    tf32_before = getattr(device, "tf32", False)
    if args.tf32:
        if not hasattr(device, "tf32"):
            chosen.__exit__(None, None, None)
            raise UsageError("--tf32 needs --backend cuda (or cuda-sim): TF32 is a GPU tensor-core format")
        device.tf32 = True
    # `is not None`, not `or`: an explicit value is never replaced by the preset's default
    epochs = args.epochs if args.epochs is not None else training.get("epochs", 10)
    batch = args.batch_size if args.batch_size is not None else training.get("batch_size", 32)
    print(
        f"training {spec.get('name', args.spec)} ({net.num_parameters():,d} parameters) on {dataset} "
        f"({len(ds.x_train)} train / {len(ds.x_test)} test) with {opt_name} lr {lr:g}, {loss}, "
        f"{epochs} epochs, batch {batch}, on {device.name}"
    )
    start = time.perf_counter()
    try:
        history = trainer.fit(ds, epochs=epochs, batch_size=batch, progress=not args.quiet)
    finally:
        note = net.device_note  # why the network stayed on the CPU under a GPU backend, if it did
        if args.tf32:
            device.tf32 = tf32_before
        chosen.__exit__(None, None, None)
        net.follow_backend()  # back in host memory, for saving
    seconds = time.perf_counter() - start
    if note:
        print(f"note: the network {note}")
    final = {k: v[-1] for k, v in history.items() if v and v[-1] is not None}
    parts = [
        f"{k} {final[k]:.4f}" for k in ("train_loss", "train_accuracy", "test_loss", "test_accuracy") if k in final
    ]
    print(
        f"done: {trainer.steps} steps in {seconds:.1f} s ({trainer.steps / max(seconds, 1e-9):,.0f} steps/s); "
        + ", ".join(parts)
    )
    if args.save is not None:
        nv.save(net, args.save)
        print(f"saved to {args.save}")
    return 0


def _default_loss(ds) -> str:
    if ds.task in ("regression", "sequence-regression"):
        return "mse"
    return "bce" if ds.num_classes == 2 else "cross_entropy"


def _cmd_info(args) -> int:
    spec, _ = _resolve(args.spec)
    print(_build_network(spec).summary())
    return 0


# compare's options that take a value (so that their values are not mistaken for the preset)
_COMPARE_VALUE_OPTIONS = {"--optimizers", "--steps", "--target", "--batch-size", "--seed", "--set", "--reparametrize"}


def _check_compare_preset_file(rest: list[str]) -> None:
    """Validates a preset *file* given to `compare` (the preset names are known to be good)
    before compare reads it, so that a malformed file is one clear line."""
    from . import presets

    previous = ""
    for token in rest:
        if token.endswith(".json") and previous not in _COMPARE_VALUE_OPTIONS and Path(token).exists():
            preset = _read_json_file(Path(token), "preset")
            if preset.get("format") != presets.PRESET_FORMAT:
                raise UsageError(
                    f"{token}: not a preset (format {preset.get('format')!r}, expected {presets.PRESET_FORMAT!r}); "
                    "compare needs a preset with a network, a dataset and training settings"
                )
            _check_preset(preset, token)
            if not isinstance(preset.get("compare", {}), dict):
                raise UsageError(f"{token}: preset 'compare' must be a JSON object")
        previous = "" if token.startswith("--") and "=" in token else token


def _cmd_compare(args) -> int:
    from .compare import cli_main

    if not {"-h", "--help"} & set(args.rest):
        _check_compare_preset_file(args.rest)
    return cli_main(args.rest)


def _cmd_presets(args) -> int:
    from . import presets

    for name in presets.names(None):
        p = presets.load(name)
        gan = "  [GAN: nv.generative.GAN / the Generative tab]" if p.get("kind") == "gan" else ""
        print(f"{name:26s} {p.get('title', '')}{gan}")
    return 0


def _cmd_backends(args) -> int:
    import neuralviz as nv
    from neuralviz import backend
    from neuralviz.backend import CUDA_ERROR, CUDA_REASON, cpu_isa, has_openmp

    print(f"neuralviz {nv.__version__}")
    print(f"backends: {', '.join(nv.backends())}")
    print(f"cpu: instruction set {cpu_isa()}, OpenMP {'on' if has_openmp() else 'off'}, threads {nv.get_num_threads()}")
    if CUDA_REASON:
        print(f"cuda: {CUDA_REASON}")
        if args.verbose and CUDA_ERROR:
            print(f"cuda runtime said: {CUDA_ERROR}")
    else:
        print(f"cuda: {backend._cuda_module.device_name(0)}")
    if args.verbose and backend.simulator() is not None:
        print("cuda-sim: the CUDA kernels compiled for the CPU (tests; nv.set_backend('cuda-sim'), slow)")
    return 0


def _cmd_bench(args) -> int:
    from neuralviz.bench.__main__ import run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuralviz",
        description="neuralviz command line. `neuralviz COMMAND -h` describes a command.",
        epilog="User errors print one line and exit with status 2.",
    )
    parser.add_argument("--version", action="version", version=f"neuralviz {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "train",
        help="train a network spec or preset and print metrics",
        description="Train a network spec or a preset and print the final metrics. Options not given "
        "come from the preset (a plain spec file needs --dataset).",
    )
    p.add_argument("spec", help="a spec/preset JSON file or a preset name (see `neuralviz presets`)")
    p.add_argument("--dataset", type=non_empty, help="dataset name (default: the preset's)")
    p.add_argument("--optimizer", type=non_empty, help="optimizer name (default: the preset's, else adam)")
    p.add_argument("--loss", choices=["mse", "bce", "cross_entropy"])
    p.add_argument("--epochs", type=positive_int, metavar="N", help="passes over the data, >= 1 (default: preset's)")
    p.add_argument("--batch-size", type=positive_int, metavar="N", help="minibatch size, >= 1 (default: preset's)")
    p.add_argument("--lr", type=positive_float, help="learning rate, > 0 (default: the preset's, else 0.01)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed for init, data and batches (default 0)")
    p.add_argument("--save", metavar="PATH", help="save the trained model to this file (checked before training)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--backend",
        choices=["cpu", "cuda", "cuda-sim"],
        default="cpu",
        help="where to train: cpu (default), cuda (a GPU), cuda-sim (the CUDA kernels simulated on the CPU, slow)",
    )
    p.add_argument(
        "--tf32",
        action="store_true",
        help="with --backend cuda: float32 matrix products on TF32 tensor cores (faster; ~1e-3 relative error)",
    )
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser(
        "info",
        help="print a network's layers, shapes, parameters and FLOPs",
        description="Print a network's layers, output shapes, parameter counts and FLOPs.",
    )
    p.add_argument("spec", help="a spec/preset JSON file or a preset name")
    p.set_defaults(func=_cmd_info)

    # parsed by neuralviz.compare.cli_main (main() hands it the arguments unparsed, -h included)
    p = sub.add_parser(
        "compare", add_help=False, help="train optimizers in lockstep on a preset and print a table (see -h)"
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("presets", help="list the lecture presets", description="List the lecture presets.")
    p.set_defaults(func=_cmd_presets)

    p = sub.add_parser(
        "backends",
        help="show the compiled backends and CPU features",
        description="Show the compiled kernel backends, CPU features and why CUDA is unavailable, if it is.",
    )
    p.add_argument("--verbose", "-v", action="store_true", help="also print the CUDA runtime's own error text")
    p.set_defaults(func=_cmd_backends)

    from .ask import configure_parser as configure_ask

    p = sub.add_parser(
        "ask",
        help="answer a question about a story with a memory network",
        description="Answer a question about a story with a trained memory network (a .nvz model or a preset).",
    )
    configure_ask(p)

    from .export.cli import configure_parser as configure_export

    p = sub.add_parser(
        "export",
        help="write a PyTorch training script and/or an ONNX file for a network",
        description="Write a standalone PyTorch training script (python OUT.py, or torchrun --nproc_per_node=N "
        "OUT.py) and/or an ONNX file for a .nvz model, a spec/preset file or a preset name.",
    )
    configure_export(p)

    from .app.cli import add_gui_parser

    add_gui_parser(sub)  # `neuralviz gui`: the desktop app (needs the gui extra)

    from .lecture.cli import add_lecture_parser

    add_lecture_parser(sub)  # `neuralviz lecture`: the presenter (--list needs no Qt)

    from .bench.__main__ import configure_parser as configure_bench

    p = sub.add_parser(
        "bench",
        help="run a benchmark suite (ours vs numpy/torch)",
        description=_bench_doc(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    configure_bench(p)
    p.set_defaults(func=_cmd_bench)
    return parser


def _bench_doc() -> str:
    from . import bench

    return (bench.__doc__ or "").strip()


def _error(command: str | None, message: str) -> int:
    print(f"neuralviz{' ' + command if command else ''}: error: {message}", file=sys.stderr)
    return 2


def _message(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return f"{err.filename + ': ' if isinstance(err.filename, str) else ''}{err.strerror}"
    if isinstance(err, RecursionError):
        return "input nested too deeply"
    if isinstance(err, MemoryError):
        return "not enough memory (is a size far too large?)"
    text = str(err).strip() or type(err).__name__
    return " ".join(text.splitlines()) if len(text) < 2000 else text[:2000] + "..."


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in _PASSTHROUGH:
        command, args = argv[0], argparse.Namespace(rest=argv[1:], func=_cmd_compare)
    else:
        args = build_parser().parse_args(argv)
        command = args.command
    try:
        return args.func(args)
    except BrokenPipeError:  # `neuralviz presets | head`: the reader left, nothing is wrong
        try:  # point stdout at /dev/null so that the flush at exit does not fail again
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 0
    except KeyboardInterrupt:
        print(f"neuralviz {command}: interrupted", file=sys.stderr)
        return 130
    except (
        ValueError,  # includes SpecError, json.JSONDecodeError, UnicodeDecodeError, UsageError
        TypeError,
        OSError,  # FileNotFoundError, IsADirectoryError, PermissionError, a full disk
        FloatingPointError,  # TrainingDiverged
        OverflowError,
        RecursionError,
        MemoryError,
        json.JSONDecodeError,
    ) as err:
        return _error(command, _message(err))


if __name__ == "__main__":
    sys.exit(main())
