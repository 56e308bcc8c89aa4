"""`neuralviz export MODEL_OR_SPEC_OR_PRESET --torch-script out.py [--onnx out.onnx]`.

MODEL_OR_SPEC_OR_PRESET is a .nvz model (its trained weights go into the ONNX file), a spec or preset
JSON file, or a preset name (the network is built with --seed). Output paths are checked before
anything is written; a missing torch/onnx, an unmapped layer type or optimizer is one error line.
"""

from __future__ import annotations

import argparse


def configure_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "source", metavar="MODEL_OR_SPEC_OR_PRESET", help="a .nvz model, a spec/preset JSON file or a preset name"
    )
    p.add_argument("--torch-script", metavar="OUT.py", help="write a standalone PyTorch training script here")
    p.add_argument("--onnx", metavar="OUT.onnx", help="write the network as ONNX (opset 17) here")
    p.add_argument(
        "--optimizer", help="train with this optimizer instead of the preset's (sgd, momentum, adam, rmsprop)"
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed for the network's initial weights and the script (default 0)"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from ..cli import UsageError

    try:
        return _run(args)
    except (NotImplementedError, ImportError) as err:  # an unmapped layer or optimizer, a missing extra
        raise UsageError(str(err)) from None


def _run(args) -> int:
    from ..cli import UsageError, check_output_path
    from .script import resolve, write_script

    if not args.torch_script and not args.onnx:
        raise UsageError("give --torch-script OUT.py and/or --onnx OUT.onnx")
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    outputs = [
        check_output_path(p, opt) for p, opt in ((args.torch_script, "--torch-script"), (args.onnx, "--onnx")) if p
    ]
    spec, preset, net = _resolve(args.source, resolve)
    if args.torch_script:
        source = net if net is not None and preset is None else ({**preset, "network": spec} if preset else spec)
        write_script(source, outputs[0], optimizer=args.optimizer, seed=args.seed)
        print(f"wrote {outputs[0]}: python {outputs[0].name}  or  torchrun --nproc_per_node=N {outputs[0].name}")
    if args.onnx:
        from ..network import Network
        from .onnx_export import export_onnx

        path = export_onnx(net if net is not None else Network.from_spec(spec, seed=args.seed), outputs[-1])
        print(f"wrote {path} (ONNX opset 17; open it in Netron)")
    return 0


def _resolve(source: str, resolve):
    from ..cli import UsageError

    if not source or not source.strip():
        raise UsageError("give a .nvz model, a spec/preset JSON file or a preset name")
    try:
        return resolve(source)
    except FileNotFoundError:
        raise UsageError(f"{source}: no such file or preset (see `neuralviz presets`)") from None
