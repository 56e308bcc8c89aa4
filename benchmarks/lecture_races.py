"""The lecture's races at their full preset budgets, over several seeds: the numbers the race
presets' descriptions claim (tests/test_race.py checks cheap versions of them).

    python benchmarks/lecture_races.py [--seeds 0 1 2] [--presets depth residual perceptron] [--json out.json]

For every preset and seed: each run's test accuracy, its parameter count, and the seconds the
whole race took (all runs, lockstep, preset budget). Then the mean test accuracy per run and a
check of each claim:
  depth       deep beats shallow by >= 5 points (mean), parameter counts within 10 %
  residual    plain <= 30 % and residual >= 90 % test accuracy (every seed)
  perceptron  blobs 100 % on the training points (every seed), xor 40-60 % on the test points (mean)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks._races import exit_status, machine, race_row, verdict  # noqa: E402


def depth_claim(mean: dict, params: dict, rows: list) -> str:
    gap = 100 * (mean["deep"] - mean["shallow"])
    ratio = params["deep"] / params["shallow"]
    ok = gap >= 5 and abs(ratio - 1) <= 0.10
    return f"deep - shallow = {gap:+.1f} points, parameters {params['deep']} vs {params['shallow']}: {verdict(ok)}"


def residual_claim(mean: dict, params: dict, rows: list) -> str:
    plain = max(r["runs"]["plain"]["test_accuracy"] for r in rows)
    residual = min(r["runs"]["residual"]["test_accuracy"] for r in rows)
    ok = plain <= 0.30 and residual >= 0.90
    return f"plain at most {100 * plain:.1f} %, residual at least {100 * residual:.1f} %: {verdict(ok)}"


def perceptron_claim(mean: dict, params: dict, rows: list) -> str:
    blobs = min(r["runs"]["blobs"]["train_accuracy"] for r in rows)
    ok = blobs == 1.0 and 0.40 <= mean["xor"] <= 0.60
    return f"blobs train at least {100 * blobs:.1f} %, xor test mean {100 * mean['xor']:.1f} %: {verdict(ok)}"


CLAIMS = {"depth": depth_claim, "residual": residual_claim, "perceptron": perceptron_claim}


def race_once(name: str, seed: int) -> dict:
    """One race at the preset's budget: per run test/train accuracy and parameters, and the seconds."""
    fields = ("test_accuracy", "train_accuracy", "parameters", "trainer.path")
    return {"preset": name, **race_row(name, seed, fields)}


def report(name: str, rows: list) -> dict:
    labels = list(rows[0]["runs"])
    params = {label: rows[0]["runs"][label]["parameters"] for label in labels}
    mean = {label: float(np.mean([r["runs"][label]["test_accuracy"] for r in rows])) for label in labels}
    print(f"\n{name}: {rows[0]['steps']} steps per run, runs {', '.join(labels)}")
    print(f"  {'seed':>4} {'seconds':>8}  " + "  ".join(f"{label + ' test':>14}" for label in labels))
    for r in rows:
        accs = "  ".join(f"{100 * r['runs'][label]['test_accuracy']:13.1f}%" for label in labels)
        print(f"  {r['seed']:>4} {r['seconds']:8.1f}  {accs}")
    print(
        f"  {'mean':>4} {np.mean([r['seconds'] for r in rows]):8.1f}  "
        + "  ".join(f"{100 * mean[label]:13.1f}%" for label in labels)
    )
    print("  parameters: " + ", ".join(f"{label} {params[label]:,d}" for label in labels))
    claim = CLAIMS[name](mean, params, rows) if name in CLAIMS else ""
    if claim:
        print(f"  claim: {claim}")
    return {"preset": name, "rows": rows, "mean_test_accuracy": mean, "parameters": params, "claim": claim}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--presets", nargs="+", default=list(CLAIMS))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    print(machine())
    results = [report(name, [race_once(name, seed) for seed in args.seeds]) for name in args.presets]
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return exit_status(results)


if __name__ == "__main__":
    sys.exit(main())
