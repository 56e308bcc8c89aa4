"""The story-qa preset at its full budget, over several seeds: the numbers its issue asks for.

    python benchmarks/story_qa.py [--seeds 0 1 2] [--json out.json] [--save assets/models/story-qa.nvz]

For every seed: `nv.presets.train("story-qa", seed)`, then test accuracy overall, on object questions
("Where is the ring?") and on people questions ("Where is Bilbo now?"), the "last place named" shortcut on
the same test stories, the lecture's three questions (story_qa.LECTURE_QUESTIONS) and the seconds it took.
Claims checked: test accuracy >= 95 % and the lecture answered right (Mount-Doom, Grey-havens, Shire), every
seed. --save writes the seed-0 model (trained by the preset exactly) for `neuralviz ask story-qa` and the
test suite (tests/test_story_qa.py reads assets/models/story-qa.nvz).

Measured (Intel Xeon, 2 shared cores, 30-130 s per seed depending on load): test accuracy 98.8 / 98.3 / 98.7 /
98.8 / 97.5 % for seeds 0-4 (object questions 93-97 %, people questions 99.9-100 %, the "last place named"
shortcut 42-44 %); people questions of the lecture right for every seed, "Where is the ring?" right for seeds
0, 1 and 3: seeds 2 and 4 fall into the lecture's trap and answer Shire (Frodo went back there after dropping
the ring at Mount-Doom). The shipped model is seed 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import neuralviz as nv  # noqa: E402
from neuralviz.data import story_qa  # noqa: E402

PRESET = "story-qa"


def by_kind(net, ds) -> dict[str, float]:
    """Test accuracy on object questions and on people questions (row S, word 3 is "the" for objects)."""
    pred = np.asarray(net.forward(ds.x_test)).argmax(axis=1)
    objects = np.array(ds.vocab)[ds.x_test[:, -1, 2]] == "the"
    ok = pred == ds.y_test
    return {"objects": float(ok[objects].mean()), "people": float(ok[~objects].mean())}


def train_once(seed: int) -> tuple[object, dict]:
    start = time.perf_counter()
    net, metrics = nv.presets.train(PRESET, seed=seed)
    seconds = time.perf_counter() - start
    ds = nv.presets.load_dataset(nv.presets.load(PRESET)["dataset"], seed)
    lecture = {q: story_qa.answer(net, story_qa.LECTURE_STORY, q) for q in story_qa.LECTURE_QUESTIONS}
    row = {
        "seed": seed,
        "seconds": seconds,
        "steps": metrics["steps"],
        "train_accuracy": metrics["train_accuracy"],
        "test_accuracy": metrics["test_accuracy"],
        **by_kind(net, ds),
        "shortcut": story_qa.shortcut_accuracy(ds),
        "lecture": lecture,
        "lecture_ok": lecture == story_qa.LECTURE_QUESTIONS,
    }
    return net, row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--json", help="write the rows to this file")
    parser.add_argument("--save", help="save the seed-0 model here (assets/models/story-qa.nvz)")
    args = parser.parse_args(argv)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numpy {np.__version__}")
    rows = []
    for seed in args.seeds:
        net, row = train_once(seed)
        rows.append(row)
        print(
            f"seed {seed}: test {100 * row['test_accuracy']:.1f} % (objects {100 * row['objects']:.1f}, people "
            f"{100 * row['people']:.1f}; train {100 * row['train_accuracy']:.1f}; shortcut {100 * row['shortcut']:.1f})"
            f", lecture {list(row['lecture'].values())}, {row['steps']} steps in {row['seconds']:.0f} s",
            flush=True,
        )
        if args.save and seed == 0:
            nv.save(net, args.save)
            print(f"saved the seed-0 model to {args.save}")
    worst = min(r["test_accuracy"] for r in rows)
    lecture = all(r["lecture_ok"] for r in rows)
    print(f"test accuracy at least {100 * worst:.1f} % (claim >= 95 %): {'OK' if worst >= 0.95 else 'NOT MET'}")
    print(f"lecture story answered right by every seed: {'OK' if lecture else 'NOT MET'}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0 if worst >= 0.95 and lecture else 1


if __name__ == "__main__":
    sys.exit(main())
