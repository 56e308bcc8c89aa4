"""`neuralviz ask MODEL_OR_PRESET --story TEXT --question TEXT`: a memory network answers a question about a story.

    neuralviz ask story-qa --story "Bilbo travelled to the cave. ..." --question "Where is the ring?"
    Mount-Doom

MODEL_OR_PRESET is a saved model (.nvz, `neuralviz train ... --save`) or a preset name. A preset answers with
its shipped trained weights (assets/models/<preset>.nvz, made by benchmarks/story_qa.py --save) when there are
some, so the lecture gets its answer at once; otherwise it is trained first (minutes). --verbose adds every
place's probability and each hop's attention over the sentences. Words outside the network's vocabulary are
a one-line error naming them (exit status 2), as every user error of the command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def configure_parser(p: argparse.ArgumentParser) -> None:
    """The arguments of `ask` on a (sub)parser; sets func=run."""
    p.add_argument("model", metavar="MODEL_OR_PRESET", help="a saved model file (.nvz) or a preset name")
    p.add_argument("--story", required=True, help="the story, as text (sentences ending in . ? or !)")
    p.add_argument("--question", required=True, help='the question, e.g. "Where is the ring?"')
    p.add_argument("--seed", type=int, default=0, help="seed when a preset has to be trained (default 0)")
    p.add_argument("--verbose", "-v", action="store_true", help="print the probabilities and the attention per hop")
    p.set_defaults(func=run)


def load_model(name: str, seed: int = 0):
    """A network from a model file, or a preset's shipped weights, or the preset trained now."""
    import neuralviz as nv

    path = Path(name)
    if path.suffix == ".nvz" or path.is_file():
        return nv.load(path)
    if name not in nv.presets.names():
        raise ValueError(f"{name!r} is neither a model file nor a preset; presets: {', '.join(nv.presets.names())}")
    try:
        shipped = nv.data.asset_path(f"models/{name}.nvz")
    except FileNotFoundError:
        shipped = None
    if shipped is not None and seed == 0:
        return nv.load(shipped)
    print(f"training the {name} preset (seed {seed}) ...", file=sys.stderr)
    net, _ = nv.presets.train(name, seed=seed)
    return net


def run(args: argparse.Namespace) -> int:
    """Prints the answer (and with --verbose, the reading); ValueError for a user error."""
    from .data import story_qa

    net = load_model(args.model, args.seed)
    reading = story_qa.read(net, args.story, args.question)
    print(reading.answer)
    if args.verbose:
        for place, p in sorted(reading.probabilities.items(), key=lambda kv: -kv[1]):
            print(f"  {place:<12} {p:6.1%}")
        for i, sentence in enumerate(reading.sentences):
            hops = " ".join(f"{a[i]:5.2f}" for a in reading.attention)
            print(f"  [{hops}] {sentence}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (python -m neuralviz.ask ...): user errors print one line and return 2."""
    parser = argparse.ArgumentParser(prog="neuralviz ask", description=__doc__.split("\n\n")[0])
    configure_parser(parser)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, OSError) as err:
        print(f"neuralviz ask: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
