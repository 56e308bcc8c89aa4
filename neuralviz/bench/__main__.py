"""Command line for the benchmark suites; see neuralviz/bench/__init__.py."""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys

from . import SUITES
from . import __doc__ as bench_doc
from ._harness import require_checks, run_cases, single_thread_peers, torch_or_none


def _describe_machine() -> str:
    import neuralviz as nv

    parts = [
        f"neuralviz {nv.__version__}",
        f"isa {nv._C.get_isa()}",
        platform.machine(),
        f"python {platform.python_version()}",
    ]
    try:
        import numpy

        parts.append(f"numpy {numpy.__version__}")
    except ImportError:
        pass
    torch = torch_or_none()
    parts.append(f"torch {torch.__version__}" if torch is not None else "torch not installed (torch rows say so)")
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

    try:
        return _run_suites(args)
    except CheckFailed as err:
        print(f"benchmark stopped: {err}", file=sys.stderr)
        return 1


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
