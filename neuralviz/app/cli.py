"""The `neuralviz gui` subcommand (wired into neuralviz/cli.py by add_gui_parser)."""

from __future__ import annotations

import argparse
import sys


def add_gui_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "gui",
        help="open the training studio window",
        description="Open the training studio. With --screenshot it also works "
        "without a display (for slides and tests).",
    )
    configure_parser(p)
    return p


def configure_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", help="lecture preset to open (see `neuralviz presets`; default: xor)")
    p.add_argument(
        "--train-steps", type=int, default=0, metavar="N", help="train N steps at full speed once the window is up"
    )
    p.add_argument("--screenshot", metavar="PATH", help="save the window as a PNG after training")
    p.add_argument("--quit", action="store_true", help="exit after training (and the screenshot)")
    p.add_argument("--large-fonts", action="store_true", help="fonts 1.5x larger, for projectors")
    p.add_argument("--high-contrast", action="store_true", help="darker colours and thicker lines")
    p.set_defaults(func=run_gui)


def run_gui(args: argparse.Namespace) -> int:
    from .platform_check import QT_PLATFORM_CODE, xcb_problem
    from .run import run

    if args.train_steps < 0:
        raise ValueError(f"--train-steps must be >= 0, got {args.train_steps}")
    problem = xcb_problem()  # before any Qt object: Qt aborts (SIGABRT) when its xcb plugin cannot load
    if problem:
        print(problem, file=sys.stderr)
        return QT_PLATFORM_CODE
    return run(
        preset=args.preset,
        train_steps=args.train_steps,
        screenshot=args.screenshot,
        quit=args.quit,
        large_fonts=args.large_fonts,
        high_contrast=args.high_contrast,
    )


def gui_main(argv: list[str] | None = None) -> int:
    """`python -m neuralviz [gui options]`: the studio without the rest of the command line."""
    parser = argparse.ArgumentParser(prog="python -m neuralviz", description="neuralviz training studio")
    configure_parser(parser)
    args = parser.parse_args(argv)
    try:
        return run_gui(args)
    except ValueError as err:
        parser.error(str(err))
        return 2
