"""`neuralviz ...` command line: one subcommand per job (bench, backends)."""
from __future__ import annotations

import argparse
import sys


def _cmd_backends(args) -> int:
    import neuralviz as nv
    from neuralviz.backend import CUDA_REASON

    print(f"neuralviz {nv.__version__}")
    print(f"backends: {', '.join(nv.backends())}")
    print(f"cpu: instruction set {nv._C.get_isa()}, OpenMP {'on' if nv._C.has_openmp() else 'off'}, "
          f"threads {nv.get_num_threads()}")
    if CUDA_REASON:
        print(f"cuda: {CUDA_REASON}")
    return 0


def _cmd_bench(args) -> int:
    from neuralviz.bench.__main__ import main as bench_main

    return bench_main(args.rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neuralviz", description="neuralviz command line")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("backends", help="show the compiled backends and CPU features")
    p.set_defaults(func=_cmd_backends)
    p = sub.add_parser("bench", help="run a benchmark suite (see python -m neuralviz.bench -h)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
