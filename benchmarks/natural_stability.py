"""Is the natural-gradient race stable when left playing? Every natural method of the
natural-gradient preset, 3 seeds, 3,000 full-batch steps, with the preset's own compare
settings (what `neuralviz compare natural-gradient` and the app's comparison page use).

    python benchmarks/natural_stability.py [--steps 3000] [--seeds 0,1,2] [--methods kfac,qd] [--damping 0]

Per run: steps until the training loss first drops below the preset's target (0.05); the
worst ratio of the training loss to its best so far at any step after that (the issue-16
rule: at most 2); the final loss; and the largest function gap between the run and its twin
trained in millimetres instead of metres (compare's reparametrize="per-feature", x → 1000·x)
over steps 1..100. The twin gap is exact invariance for λ = 0 only (K-FAC in the preset); the
other methods run at compare's default damping λ = 1e-3 and part from their twins at once.
Undamped natural gradient on this problem is also sensitive to rounding (a 1e-13 change of
the initial weights grows to O(1) within 20-60 steps on many seeds): the gap column shows
where that happens. --damping sets every natural method's λ, as the app's comparison page
does (its λ knob is shared, and the preset's K-FAC λ = 0 sets it).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import neuralviz as nv  # noqa: E402
from neuralviz.compare import DEFAULT_HPARAMS  # noqa: E402

METHODS = ("kfac", "ng-exact", "qd", "unitwise", "diag")
MILLIMETRES = {"scale": 1000.0, "shift": 0.0}  # the app's "millimetres, not metres" twin
GAP_STEPS = 100


def cpu_model() -> str:
    """The CPU's model name (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def preset_hparams(preset: dict, name: str) -> dict:
    """The CLI's hyperparameters for `name`: compare's defaults, the training lr when the preset
    trains with it, then the preset's compare block (neuralviz.compare.cli_main's rule)."""
    hp = dict(DEFAULT_HPARAMS.get(name, {}))
    training = preset.get("training", {})
    if name == training.get("optimizer") and "lr" in training:
        hp["lr"] = training["lr"]
    hp.update(preset.get("compare", {}).get("hyperparameters", {}).get(name, {}))
    return hp


def stability(losses: np.ndarray, target: float) -> tuple[int | None, float | None]:
    """(first step below target, worst loss / best-so-far after it) for per-step losses
    (index 0: at initialisation)."""
    hit = np.flatnonzero(losses < target)
    if not len(hit):
        return None, None
    tail = losses[hit[0] :]
    return int(hit[0]), float(np.max(tail / np.minimum.accumulate(tail)))


def run(preset: dict, name: str, seed: int, steps: int, damping: float | None = None) -> dict:
    cfg = preset["compare"]
    hp = preset_hparams(preset, name)
    if damping is not None:
        hp["damping"] = damping
    t0 = time.perf_counter()
    cmp = nv.compare(
        preset["network"],
        preset["dataset"]["name"],
        [{"name": name, **hp}],
        steps=steps,
        seed=seed,
        loss=preset["training"].get("loss"),
        batch_size=cfg.get("batch_size"),
        input_transform=cfg.get("input_transform"),
        dataset_options=preset["dataset"].get("options"),
        reparametrize="per-feature",
        reparametrize_options=MILLIMETRES,
        eval_every=1,
    )
    r = cmp.runs[name]
    losses = np.asarray(r.loss)
    hit, worst = stability(losses, cfg.get("target_loss", 0.05))
    gap = float(np.max(cmp.invariance[name][1 : GAP_STEPS + 1]))
    return dict(
        hit=hit, worst=worst, final=float(losses[-1]), gap=gap, diverged=r.diverged, seconds=time.perf_counter() - t0
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--damping", type=float, help="λ of every natural method (default: the preset's / compare's)")
    args = p.parse_args(argv)
    preset = nv.presets.load("natural-gradient")
    seeds = [int(s) for s in args.seeds.split(",")]
    methods = args.methods.split(",")
    print(f"natural-gradient preset, full batch, {args.steps} steps, {cpu_model()}")
    for name in methods:
        hp = {**preset_hparams(preset, name), **({} if args.damping is None else {"damping": args.damping})}
        print(f"  {name}: " + ", ".join(f"{k}={v}" for k, v in hp.items()))
    head = f"{'method':9s} {'seed':>4s} {'steps to 0.05':>13s} {'worst/best after':>16s} {'final loss':>11s}"
    head += f" {'twin gap 1..100':>15s} {'s':>6s}"
    print(head + "\n" + "-" * len(head))
    worst_all = 1.0
    for name in methods:
        for seed in seeds:
            r = run(preset, name, seed, args.steps, args.damping)
            hit = "never" if r["hit"] is None else str(r["hit"])
            worst = "-" if r["worst"] is None else f"{r['worst']:.3g}"
            worst_all = max(worst_all, r["worst"] or 1.0)
            flag = " (diverged)" if r["diverged"] else ""
            print(
                f"{name:9s} {seed:4d} {hit:>13s} {worst:>16s} {r['final']:11.3g} {r['gap']:15.2e} "
                f"{r['seconds']:6.1f}{flag}",
                flush=True,
            )
    print(f"worst loss/best ratio after the target, all runs: {worst_all:.3g} (rule: <= 2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
