"""The sequence races at their full preset budgets, over several seeds: the numbers the presets
rnn-vs-lstm and time-scales claim (tests/test_sequence_races.py checks cheap versions of them).

    python benchmarks/sequence_races.py [--seeds 0 1 2] [--races NAME ...] [--json out.json]

Per race and seed: each run's test loss (MSE: the adding problem, two_lags) and test accuracy where
there is one, parameters, and the seconds the whole race took (all runs, lockstep, preset budget). Claims:
  rnn-vs-lstm       lstm and gru test MSE <= 0.01 and rnn >= 0.1 on every seed (the mean predictor: ~0.167)
  time-scales       (two_lags: x 1 step ago + x 64 steps ago) clockwork test MSE <= 0.05 on every seed, rnn
                    >= 0.5 in the mean (it has the short term only: ~1; predicting 0 scores 2)
  time-scales-lead  (no claim; the limit) time-scales with the far value moved 3 steps off the clocks' common
                    tick (two_lags option long = length - 1 - 3): only the fastest group ever reads it
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks._races import exit_status, machine, race_row, verdict  # noqa: E402
from neuralviz import presets  # noqa: E402

LEAD = 3


def lead_variant() -> dict:
    """time-scales with the far value at step `LEAD` instead of step 0 (same length, so same networks)."""
    p = copy.deepcopy(presets.load("time-scales"))
    p["name"] = "time-scales-lead"
    opts = p["dataset"]["options"]
    opts["long"] = opts["length"] - 1 - LEAD
    return p


def adding_claim(rows: list) -> str:
    worst_gated = max(max(r["runs"][k]["test_loss"] for k in ("lstm", "gru")) for r in rows)
    best_rnn = min(r["runs"]["rnn"]["test_loss"] for r in rows)
    ok = worst_gated <= 0.01 and best_rnn >= 0.1
    return f"lstm/gru test MSE at most {worst_gated:.4f}, rnn at least {best_rnn:.4f}: {verdict(ok)}"


def clock_claim(rows: list) -> str:
    worst = max(r["runs"]["clockwork"]["test_loss"] for r in rows)
    rnn = float(np.mean([r["runs"]["rnn"]["test_loss"] for r in rows]))
    ok = worst <= 0.05 and rnn >= 0.5
    return f"clockwork test MSE at most {worst:.4f}, rnn {rnn:.4f} (mean): {verdict(ok)}"


RACES = {
    "rnn-vs-lstm": (lambda: "rnn-vs-lstm", adding_claim),
    "time-scales": (lambda: "time-scales", clock_claim),
    "time-scales-lead": (lead_variant, None),
}


def race_once(preset, seed: int) -> dict:
    return race_row(preset, seed, ("test_loss", "test_accuracy", "train_loss", "parameters"))


def _cell(run: dict) -> str:
    acc = "" if run["test_accuracy"] is None else f" {100 * run['test_accuracy']:5.1f}%"
    return f"{run['test_loss']:9.4f}{acc}"


def report(name: str, rows: list) -> dict:
    labels = list(rows[0]["runs"])
    params = {label: rows[0]["runs"][label]["parameters"] for label in labels}
    print(f"\n{name}: {rows[0]['steps']} steps per run; test loss (and accuracy) per run")
    print(f"  {'seed':>4} {'seconds':>8}  " + "  ".join(f"{label:>16}" for label in labels))
    for r in rows:
        print(f"  {r['seed']:>4} {r['seconds']:8.1f}  " + "  ".join(f"{_cell(r['runs'][k]):>16}" for k in labels))
    print("  parameters: " + ", ".join(f"{label} {params[label]:,d}" for label in labels))
    claim = RACES[name][1](rows) if RACES[name][1] else ""
    if claim:
        print(f"  claim: {claim}")
    return {"race": name, "rows": rows, "parameters": params, "claim": claim}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--races", nargs="+", default=list(RACES), choices=list(RACES))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    print(machine())
    results = []
    for name in args.races:
        preset = RACES[name][0]()
        results.append(report(name, [race_once(preset, seed) for seed in args.seeds]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return exit_status(results)


if __name__ == "__main__":
    sys.exit(main())
