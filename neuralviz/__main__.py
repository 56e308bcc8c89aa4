"""`python -m neuralviz` opens the training studio; `python -m neuralviz <command> ...` is the command line
(`python -m neuralviz gui --preset spirals`, `python -m neuralviz train xor`, ...).
`-h`/`--help` and `--version` are the command line's; other leading options are the studio's."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] == "gui" or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        from .app.cli import gui_main

        return gui_main(argv[1:] if argv and argv[0] == "gui" else argv)
    from .cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
