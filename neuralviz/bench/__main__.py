"""Command line for the benchmark suites; see neuralviz/bench/__init__.py."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys

from . import SUITES
from . import __doc__ as bench_doc
from ._harness import require_checks, run_cases, single_thread_peers, torch_or_none

# What holds the peers to an instruction set, read by each library when it loads (so set before
# numpy and torch are imported, which is why --isa restarts the process): OpenBLAS's kernel family,
# MKL's dispatch, oneDNN's convolutions and ATen's own vectorised loops.
PEER_ISA_ENV = {
    "avx2": {
        "OPENBLAS_CORETYPE": "Haswell",
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "ATEN_CPU_CAPABILITY": "avx2",
    },
    "generic": {
        "OPENBLAS_CORETYPE": "Nehalem",
        "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
        "ONEDNN_MAX_CPU_ISA": "SSE41",
        "ATEN_CPU_CAPABILITY": "default",
    },
    "avx512": {},
}
_ISA_MARK = "NEURALVIZ_BENCH_ISA"  # set in the restarted process


def _describe_machine() -> str:
    import neuralviz as nv

    forced = os.environ.get(_ISA_MARK)
    held = ", ".join(f"{k}={v}" for k, v in PEER_ISA_ENV.get(forced or "", {}).items())
    parts = [
        f"neuralviz {nv.__version__}",
        f"isa {nv._C.get_isa()}" + (f" (forced by --isa; peers held by {held})" if forced and held else ""),
        platform.machine(),
        f"python {platform.python_version()}",
    ]
    try:
        import numpy

        parts.append(f"numpy {numpy.__version__}")
    except ImportError:
        pass
    torch = torch_or_none()
    if torch is None:
        parts.append("torch not installed (torch rows say so)")
    else:
        parts.append(f"torch {torch.__version__} (cpu {torch.backends.cpu.get_cpu_capability()})")
    return ", ".join(parts)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """The benchmark options, shared by `python -m neuralviz.bench` and `neuralviz bench`."""
    parser.add_argument(
        "suite",
        choices=sorted(SUITES) + ["all"],
        help="; ".join(f"{name}: {', '.join(mods)}" for name, mods in sorted(SUITES.items())) + "; all: every suite",
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke run)")
    parser.add_argument("--only", default="", metavar="TEXT", help="run only cases whose name contains TEXT")
    parser.add_argument("--json", metavar="PATH", help="also write the rows to this JSON file (checked before the run)")
    parser.add_argument(
        "--isa",
        choices=sorted(PEER_ISA_ENV),
        help="run our kernels on this instruction set, and hold numpy/OpenBLAS, MKL and oneDNN to it too, "
        "e.g. to measure the AVX2 path on an AVX-512 machine (runs in a new process started with the peers' settings)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m neuralviz.bench",
        description=(bench_doc or "").strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    configure_parser(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (ValueError, OSError) as err:  # a bad --json path: one line, as argparse reports bad arguments
        parser.exit(2, f"{parser.prog}: error: {err}\n")


def run(args: argparse.Namespace) -> int:
    """Runs the suites named by parsed arguments (suite, quick, only, json); returns 1, with the
    failed check's message on stderr, when a row's result disagrees with its reference."""
    from ._harness import CheckFailed

    if getattr(args, "isa", None):
        _restart_on_isa(args)  # returns only in the restarted process
    try:
        return _run_suites(args)
    except CheckFailed as err:
        print(f"benchmark stopped: {err}", file=sys.stderr)
        return 1


def _restart_on_isa(args: argparse.Namespace) -> None:
    """Switch our kernels to args.isa; unless this process was started for it, first restart it
    with the peers' environment (PEER_ISA_ENV), so both sides of every ratio run the same
    instruction set. A CPU without that instruction set is an error, not a silent fallback."""
    import neuralviz as nv

    available = nv._C.available_isas()
    if args.isa not in available:
        raise ValueError(f"--isa {args.isa}: this CPU offers only {', '.join(available)}")
    if os.environ.get(_ISA_MARK) != args.isa:
        argv = [args.suite, "--isa", args.isa] + ["--quick"] * bool(args.quick)
        argv += ["--only", args.only] * bool(args.only) + ["--json", args.json] * (args.json is not None)
        env = {**os.environ, **PEER_ISA_ENV[args.isa], _ISA_MARK: args.isa}
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable, "-m", "neuralviz.bench", *argv], env)
    nv._C.set_isa(args.isa)


def _run_suites(args: argparse.Namespace) -> int:
    if args.json is not None:
        from ..cli import check_output_path

        check_output_path(args.json, "--json")  # before minutes of timing, not after
    single_thread_peers()
    print(_describe_machine())
    print("times are medians; ratio = ours / peer (lower is better), single thread\n")
    suites = sorted(SUITES) if args.suite == "all" else [args.suite]
    rows = []
    for suite in suites:
        for mod_name in SUITES[suite]:
            try:
                mod = importlib.import_module(f"neuralviz.bench.{mod_name}")
            except ImportError as err:
                print(f"[{suite}/{mod_name}] not available: {err}\n")
                continue
            cases = [c for c in mod.cases(quick=args.quick) if args.only in c.name]
            require_checks(cases)
            if cases:
                print(f"[{suite}/{mod_name}]")
                rows += run_cases(cases, quick=args.quick)
                print()
            elif hasattr(mod, "skip_reason") and mod.skip_reason():
                print(f"[{suite}/{mod_name}] skipped: {mod.skip_reason()}\n")
            if not args.quick and hasattr(mod, "report") and (cases or not args.only):
                mod.report()  # suite-specific tables (steps to a target loss, peak memory), not when --only left it out
    if args.json is not None:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
