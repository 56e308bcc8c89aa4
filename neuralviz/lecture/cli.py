"""The `neuralviz lecture` subcommand (wired into neuralviz/cli.py by add_lecture_parser).

    neuralviz lecture                       the presenter, full screen (--screen N, --window, --size WxH, --notes)
    neuralviz lecture --list                number  topic  name  title   (no Qt needed)
    neuralviz lecture --scene depth --size 1024x768 --screenshot depth.png --quit     (works without a display)
    neuralviz lecture --scene 5 --record xor.gif --seconds 10 --quit

Argument checks happen here, before any window: an unknown scene, a bad size, a recording format whose
tool is missing are one-line errors (ValueError: neuralviz/cli.py prints them and exits with 2).
"""

from __future__ import annotations

import argparse
import re
import sys

MIN_SIZE = (320, 240)
MAX_SIDE = 16384


def window_size(text: str) -> tuple[int, int]:
    """argparse type: 'WxH' (e.g. 1280x720) -> (W, H)."""
    m = re.fullmatch(r"\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*", text or "")
    if not m:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1280x720, got {text!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if not (MIN_SIZE[0] <= w <= MAX_SIDE and MIN_SIZE[1] <= h <= MAX_SIDE):
        raise argparse.ArgumentTypeError(
            f"size {w}x{h} is out of range: from {MIN_SIZE[0]}x{MIN_SIZE[1]} to {MAX_SIDE}x{MAX_SIDE}"
        )
    return w, h


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be in (0, 3600] seconds, got {text}")
    return value


def add_lecture_parser(subparsers) -> argparse.ArgumentParser:
    from ..cli import non_negative_int

    p = subparsers.add_parser(
        "lecture",
        help="give the talk: the presenter, scene by scene",
        description="Open the presenter on the talk's scenes (assets/lecture): full screen by default. "
        "Keys: PageDown/PageUp or arrows = next/previous scene, Space = play/pause, R = reset, B = blank, "
        "F = full screen, Z = spotlight, N = notes, L = large fonts, Ctrl+R = record. "
        "With --screenshot or --record it also works without a display.",
    )
    p.add_argument("--list", action="store_true", help="print the scenes (number, topic, name, title) and exit")
    p.add_argument("--scene", metavar="N_OR_NAME", help="start at this scene (its number or name; default: 1)")
    p.add_argument("--screen", type=non_negative_int, metavar="N", help="full screen on screen N (0 = the first)")
    p.add_argument("--window", action="store_true", help="a window instead of full screen")
    p.add_argument("--size", type=window_size, metavar="WxH", help="window size, e.g. 1024x768 (implies --window)")
    p.add_argument("--notes", action="store_true", help="also open the speaker-notes window (notes, next, clock)")
    p.add_argument(
        "--train-steps",
        type=non_negative_int,
        metavar="K",
        help="with --screenshot: train K steps first (default: the scene's step budget)",
    )
    p.add_argument("--screenshot", metavar="PATH", help="save the presenter as a PNG once the scene has trained")
    p.add_argument("--record", metavar="PATH", help="record the scene's view while it plays, to a .gif or .mp4")
    p.add_argument("--seconds", type=_seconds, default=10.0, metavar="S", help="length of --record (default 10)")
    p.add_argument("--fps", type=_seconds, default=15.0, metavar="F", help="frames per second of --record")
    p.add_argument("--quit", action="store_true", help="exit after the screenshot / recording")
    p.add_argument("--large-fonts", action="store_true", help="fonts 1.5x larger")
    p.add_argument("--high-contrast", action="store_true", help="darker colours and thicker lines")
    p.set_defaults(func=run_lecture)
    return p


def list_text(scenes) -> str:
    """`--list`: one aligned line per scene."""
    rows = [("number", "topic", "name", "title")] + [(str(s.number), str(s.topic), s.name, s.title) for s in scenes]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{r[0]:>{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}" for r in rows)


def run_lecture(args: argparse.Namespace) -> int:
    from .scene import find_scene, load_scenes

    if args.list:
        print(list_text(load_scenes(check_presets=False)))
        return 0
    scenes = load_scenes(check_presets=False)  # a missing preset costs its scene (shown there), not the talk
    for s in scenes:
        if s.preset_name and s.preset is None:
            print(
                f"neuralviz lecture: warning: scene {s.number} {s.name}: no preset {s.preset_name!r}", file=sys.stderr
            )
    start = find_scene(args.scene, scenes) if args.scene is not None else scenes[0]
    _check_outputs(args)
    from ..app.lecture.run import run_presenter

    return run_presenter(args, scenes, start.number - 1)


def _check_outputs(args: argparse.Namespace) -> None:
    """Output files can be written, and a recording's tool is there, before anything trains."""
    from ..cli import check_output_path
    from .recording import RecordingError, check_target

    if args.screenshot:
        check_output_path(args.screenshot, "--screenshot")
    if args.record:
        check_output_path(args.record, "--record")
        try:
            check_target(args.record)
        except RecordingError as err:
            raise ValueError(str(err)) from None
