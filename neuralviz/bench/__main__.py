"""Command line for the benchmark suites; see neuralviz/bench/__init__.py."""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys

from . import SUITES
from ._harness import run_cases, single_thread_peers


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
    try:
        import torch

        parts.append(f"torch {torch.__version__}")
    except ImportError:
        parts.append("torch missing (torch ratios skipped)")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neuralviz.bench", description=__doc__)
    parser.add_argument("suite", choices=sorted(SUITES) + ["all"])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke run)")
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    parser.add_argument("--json", default="", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)

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
            if cases:
                print(f"[{suite}/{mod_name}]")
                rows += run_cases(cases, quick=args.quick)
                print()
            if not args.quick and hasattr(mod, "report"):
                mod.report()  # suite-specific tables (e.g. steps to a target loss)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
