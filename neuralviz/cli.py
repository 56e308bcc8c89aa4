"""`neuralviz ...` command line: train, info, compare, presets, backends, bench, gui."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _resolve(spec_or_preset: str) -> tuple[dict, dict]:
    """(network spec, preset or {}) from a spec file path or a preset name."""
    from . import presets
    from .spec import read_spec

    path = Path(spec_or_preset)
    if path.suffix == ".json" or path.exists():
        spec = read_spec(path)
        if spec.get("format") == presets.PRESET_FORMAT:
            return spec["network"], spec
        return spec, {}
    preset = presets.load(spec_or_preset)
    return preset["network"], preset


def _cmd_train(args) -> int:
    import neuralviz as nv

    spec, preset = _resolve(args.spec)
    training = preset.get("training", {})
    ds_cfg = preset.get("dataset", {})
    dataset = args.dataset or ds_cfg.get("name")
    if not dataset:
        raise SystemExit("neuralviz train: --dataset is required for a plain spec file")
    options = ds_cfg.get("options", {}) if dataset == ds_cfg.get("name") else {}
    ds = nv.data.load(dataset, seed=args.seed, **options)
    loss = args.loss or training.get("loss") or _default_loss(ds)
    net = nv.Network.from_spec(spec, seed=args.seed)
    opt_name = args.optimizer or training.get("optimizer", "adam")
    lr = args.lr if args.lr is not None else training.get("lr", 0.01)
    opt = nv.optim.make(opt_name, net, lr=lr)
    trainer = nv.Trainer(net, loss, opt, seed=args.seed)
    epochs = args.epochs or training.get("epochs", 10)
    batch = args.batch_size or training.get("batch_size", 32)
    print(
        f"training {spec.get('name', args.spec)} ({net.num_parameters():,d} parameters) on {dataset} "
        f"({len(ds.x_train)} train / {len(ds.x_test)} test) with {opt_name} lr {lr:g}, {loss}, "
        f"{epochs} epochs, batch {batch}"
    )
    start = time.perf_counter()
    history = trainer.fit(ds, epochs=epochs, batch_size=batch, progress=not args.quiet)
    seconds = time.perf_counter() - start
    final = {k: v[-1] for k, v in history.items() if v and v[-1] is not None}
    parts = [
        f"{k} {final[k]:.4f}" for k in ("train_loss", "train_accuracy", "test_loss", "test_accuracy") if k in final
    ]
    print(
        f"done: {trainer.steps} steps in {seconds:.1f} s ({trainer.steps / max(seconds, 1e-9):,.0f} steps/s); "
        + ", ".join(parts)
    )
    if args.save:
        nv.save(net, args.save)
        print(f"saved to {args.save}")
    return 0


def _default_loss(ds) -> str:
    if ds.task in ("regression", "sequence-regression"):
        return "mse"
    return "bce" if ds.num_classes == 2 else "cross_entropy"


def _cmd_info(args) -> int:
    import neuralviz as nv

    spec, _ = _resolve(args.spec)
    print(nv.Network.from_spec(spec).summary())
    return 0


def _cmd_compare(args) -> int:
    from .compare import cli_main

    return cli_main(args.rest)


def _cmd_presets(args) -> int:
    from . import presets

    for name in presets.names():
        p = presets.load(name)
        print(f"{name:26s} {p.get('title', '')}")
    return 0


def _cmd_backends(args) -> int:
    import neuralviz as nv
    from neuralviz.backend import CUDA_REASON

    print(f"neuralviz {nv.__version__}")
    print(f"backends: {', '.join(nv.backends())}")
    print(
        f"cpu: instruction set {nv._C.get_isa()}, OpenMP {'on' if nv._C.has_openmp() else 'off'}, "
        f"threads {nv.get_num_threads()}"
    )
    if CUDA_REASON:
        print(f"cuda: {CUDA_REASON}")
    return 0


def _cmd_bench(args) -> int:
    from neuralviz.bench.__main__ import main as bench_main

    return bench_main(args.rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neuralviz", description="neuralviz command line")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a network spec or preset and print metrics")
    p.add_argument("spec", help="a spec/preset JSON file or a preset name (see `neuralviz presets`)")
    p.add_argument("--dataset", help="dataset name (default: the preset's)")
    p.add_argument("--optimizer", help="optimizer name (default: the preset's, else adam)")
    p.add_argument("--loss", choices=["mse", "bce", "cross_entropy"])
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save", help="save the trained model to this file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("info", help="print a network's layers, shapes, parameters and FLOPs")
    p.add_argument("spec")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("compare", add_help=False, help="train optimizers in lockstep on a preset and print a table")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("presets", help="list the lecture presets")
    p.set_defaults(func=_cmd_presets)

    p = sub.add_parser("backends", help="show the compiled backends and CPU features")
    p.set_defaults(func=_cmd_backends)

    from .app.cli import add_gui_parser

    add_gui_parser(sub)  # `neuralviz gui`: the desktop app (needs the gui extra)

    p = sub.add_parser("bench", help="run a benchmark suite (see python -m neuralviz.bench -h)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, FileNotFoundError, FloatingPointError) as err:
        print(f"neuralviz {args.command}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `neuralviz presets | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
