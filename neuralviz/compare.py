"""Side-by-side optimizer runs, honestly: same initial weights, same minibatches, lockstep.

    cmp = nv.compare(spec, "xor", optimizers=["sgd", {"name": "kfac", "lr": 0.2}], steps=200)
    print(cmp.table(target_loss=0.05))
    cmp.runs["kfac"].loss          # training-set loss after each step (index 0: at init)
    cmp.gaps[("sgd", "kfac")]      # function-space gap between the two runs, per evaluation

The invariance experiment is one call: with `reparametrize=` every optimizer also trains a
twin network that computes the *same function* in another parametrisation, on inputs
mapped accordingly, and `cmp.invariance[label]` records max|f_A − f_B| / max|f_A| after
each evaluation. Natural gradient (λ = 0) keeps the twins together; SGD does not.

    reparametrize="per-feature"   x' = D x + c, D diagonal     (a)
                  "affine"        x' = A x + c, A full          (b)
                  "sigmoid-tanh"  sigmoid hidden units -> tanh  (c)   ("tanh-sigmoid": back)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import data as nv_data
from . import optim
from .network import Network
from .spec import read_spec
from .trainer import Trainer

REPARAMETRIZATIONS = ("per-feature", "affine", "sigmoid-tanh", "tanh-sigmoid")


# ----------------------------------------------------------------------------- reparametrisation


@dataclass
class Reparametrization:
    """A twin network computing the same function in other coordinates.

    net_b(transform(x)) == net_a(x) for every x; `transform` maps the inputs (identity for
    the hidden-unit swaps). Every map used here is linear in the weights, so an invariant
    optimizer keeps the twins equal for finite steps, not just to first order.
    """

    kind: str
    net: Network
    transform: Callable[[np.ndarray], np.ndarray]
    matrix: np.ndarray | None = None  # input map x' = matrix @ x + shift (input kinds)
    shift: np.ndarray | None = None

    def gap(self, net_a: Network, x: np.ndarray) -> float:
        """max|f_A(x) − f_B(x')| / max|f_A(x)|."""
        return function_gap(net_a.forward(x), self.net.forward(self.transform(x)))


def function_gap(fa: np.ndarray, fb: np.ndarray) -> float:
    """Relative max output gap max|f_A − f_B| / max|f_A| (0 when both vanish)."""
    scale = float(np.max(np.abs(fa)))
    diff = float(np.max(np.abs(np.asarray(fa, dtype=np.float64) - fb)))
    return diff / scale if scale > 0 else diff


def _consumers(spec_layers: list[dict], lid: str) -> list[dict]:
    return [e for e in spec_layers if lid in e["inputs"]]


def _input_map(kind: str, d: int, rng: np.random.Generator, matrix, scale, shift):
    if kind == "per-feature":
        if scale is None:
            scale = rng.choice([-1.0, 1.0], d) * 10.0 ** rng.uniform(-1, 1, d)
        m = np.diag(np.broadcast_to(np.asarray(scale, dtype=np.float64), (d,)))
    else:
        if matrix is None:
            q1, _ = np.linalg.qr(rng.standard_normal((d, d)))
            q2, _ = np.linalg.qr(rng.standard_normal((d, d)))
            matrix = q1 @ np.diag(10.0 ** rng.uniform(-1, 1, d)) @ q2
        m = np.asarray(matrix, dtype=np.float64)
        if m.shape != (d, d):
            raise ValueError(f"reparametrize: matrix must be {d} x {d}, got {m.shape}")
    c = rng.normal(0.0, 2.0, d) if shift is None else np.broadcast_to(np.asarray(shift, float), (d,)).copy()
    if abs(np.linalg.det(m)) < 1e-12:
        raise ValueError("reparametrize: the input map must be invertible")
    return m, c


def reparametrize(net: Network, kind: str, seed: int = 0, *, matrix=None, scale=None, shift=None) -> Reparametrization:
    """The twin of net under one of REPARAMETRIZATIONS (random but well-conditioned maps
    from seed unless matrix / scale / shift are given).

    Input kinds need a flat input feeding dense layers only: W' = W M⁻¹, b' = b − W M⁻¹ c.
    "sigmoid-tanh" uses σ(u) = (1 + tanh(u/2))/2: the dense layer feeding each sigmoid is
    halved (W/2, b/2) and each dense consumer gets W' = W/2, b' = b + ½ W 1; "tanh-sigmoid"
    is the inverse map (tanh(u) = 2σ(2u) − 1).
    """
    if kind not in REPARAMETRIZATIONS:
        raise ValueError(f"reparametrize: unknown kind {kind!r}; choose one of {', '.join(REPARAMETRIZATIONS)}")
    spec = net.to_spec()
    layers = spec["layers"]
    state = {k: v.astype(np.float64) for k, v in net.state_dict().items()}
    rng = np.random.default_rng(seed)
    by_id = {e["id"]: e for e in layers}
    m = c = None
    if kind in ("per-feature", "affine"):
        if len(net.input_shape) != 1:
            raise ValueError(f"reparametrize {kind!r}: needs a flat input (features,), got {net.input_shape}")
        m, c = _input_map(kind, net.input_shape[0], rng, matrix, scale, shift)
        minv = np.linalg.inv(m)
        for e in _consumers(layers, "input"):
            if e["type"] != "dense":
                raise ValueError(
                    f"reparametrize {kind!r}: the input feeds layer '{e['id']}' ({e['type']}); "
                    "only dense layers can absorb an input map"
                )
            w = state[e["id"] + ".weight"] @ minv
            state[e["id"] + ".weight"] = w
            bias = e["id"] + ".bias"
            if bias not in state:
                if np.any(c != 0):
                    raise ValueError(f"reparametrize: layer '{e['id']}' has no bias to absorb the shift")
            else:
                state[bias] = state[bias] - w @ c
        transform = lambda x, m=m, c=c: (np.asarray(x) @ m.T + c).astype(net.dtype)  # noqa: E731
    else:
        src, dst = kind.split("-")
        # σ(u) = (1 + tanh(u/2))/2 and tanh(u) = 2σ(2u) − 1: the new unit sees gain·u, and
        # the old activity is a = α a' + β in terms of the new one a'
        gain, alpha, beta = (0.5, 0.5, 0.5) if src == "sigmoid" else (2.0, 2.0, -1.0)
        swapped = [e for e in layers if e["type"] == src]
        if not swapped:
            raise ValueError(f"reparametrize {kind!r}: the network has no {src} layer")
        for e in swapped:
            pre = by_id.get(e["inputs"][0])
            if (
                pre is None
                or pre["type"] != "dense"
                or len(_consumers(layers, pre["id"])) != 1
                or pre["id"] == spec["output"]
            ):
                raise ValueError(
                    f"reparametrize {kind!r}: {src} layer '{e['id']}' must follow a dense layer that feeds nothing else"
                )
            posts = _consumers(layers, e["id"])
            if e["id"] == spec["output"] or not posts or any(p["type"] != "dense" for p in posts):
                raise ValueError(f"reparametrize {kind!r}: {src} layer '{e['id']}' must feed dense layers only")
            e["type"] = dst
            for key in ("weight", "bias"):
                if f"{pre['id']}.{key}" in state:
                    state[f"{pre['id']}.{key}"] = state[f"{pre['id']}.{key}"] * gain
            for p in posts:
                w = state[p["id"] + ".weight"]
                if p["id"] + ".bias" not in state:
                    raise ValueError(f"reparametrize {kind!r}: layer '{p['id']}' has no bias to absorb the offset")
                # W a + b = (α W) a' + (b + β W 1)
                state[p["id"] + ".bias"] = state[p["id"] + ".bias"] + beta * w.sum(axis=1)
                state[p["id"] + ".weight"] = alpha * w
        transform = lambda x: np.asarray(x, dtype=net.dtype)  # noqa: E731
    twin = Network.from_spec(spec, seed=net.seed, dtype=str(net.dtype))
    twin.load_state_dict({k: v.astype(net.dtype) for k, v in state.items()})
    return Reparametrization(kind, twin, transform, m, c)


_make_twin = reparametrize  # compare() takes a keyword of the same name


# ----------------------------------------------------------------------------- lockstep runs


@dataclass
class Run:
    """One optimizer's trajectory. Lists are per evaluation (index 0: before training)."""

    label: str
    optimizer: str
    hparams: dict
    eval_steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)  # training-set loss
    accuracy: list[float | None] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)  # per step, before the update
    step_seconds: list[float] = field(default_factory=list)  # per step, wall time of the step
    diverged: str | None = None
    info: list[dict] = field(default_factory=list)  # optimizer.info per step (cond(F), ...)

    def steps_to(self, target_loss: float) -> int | None:
        """First evaluated step whose training loss is below target (None: never)."""
        for s, v in zip(self.eval_steps, self.loss):
            if v < target_loss:
                return s
        return None

    @property
    def final_loss(self) -> float:
        return self.loss[-1] if self.loss else float("nan")

    @property
    def time_per_step(self) -> float:
        return float(np.median(self.step_seconds)) if self.step_seconds else float("nan")


@dataclass
class Comparison:
    runs: dict[str, Run]
    gaps: dict[tuple[str, str], list[float]]  # (label_a, label_b) -> per evaluation
    invariance: dict[str, list[float]]  # label -> twin gap per evaluation
    eval_steps: list[int]
    settings: dict[str, Any]

    def table(self, target_loss: float | None = None) -> str:
        """The CLI's table: steps to target, final loss/accuracy, time per step (+ twin gap)."""
        target = self.settings.get("target_loss") if target_loss is None else target_loss
        has_acc = any(r.accuracy and r.accuracy[-1] is not None for r in self.runs.values())
        head = (
            f"{'optimizer':24s} {'steps to loss<' + format(target, 'g') if target else 'steps':>18s} "
            f"{'final loss':>11s}" + (f" {'accuracy':>8s}" if has_acc else "") + f" {'ms/step':>9s}"
        )
        if self.invariance:
            head += f" {'twin gap':>9s}"
        lines = [head, "-" * len(head)]
        total = self.settings["steps"]
        for label, r in self.runs.items():
            hit = r.steps_to(target) if target else None
            reach = (str(hit) if hit is not None else f">{total}") if target else "-"
            if r.diverged:
                reach += " (diverged)"
            row = f"{label:24s} {reach:>18s} {r.final_loss:11.4g}"
            if has_acc:
                acc = r.accuracy[-1] if r.accuracy else None
                row += f" {acc:8.3f}" if acc is not None else f" {'-':>8s}"
            row += f" {r.time_per_step * 1e3:9.3f}"
            if self.invariance:
                g = self.invariance.get(label)
                row += f" {g[-1]:9.2e}" if g else f" {'-':>9s}"
            lines.append(row)
        return "\n".join(lines)


def _normalise_optimizers(optimizers) -> list[tuple[str, str, dict]]:
    out, seen = [], set()
    for item in optimizers:
        if isinstance(item, str):
            name, hp = item, {}
        elif isinstance(item, dict):
            hp = dict(item)
            name = hp.pop("name", None)
            if name is None:
                raise ValueError(f"compare: optimizer entry {item!r} needs a 'name'")
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            name, hp = item[0], dict(item[1])
        else:
            raise ValueError(f"compare: optimizers must be names, dicts or (name, hparams), got {item!r}")
        label = hp.pop("label", name)
        if label in seen:
            raise ValueError(f"compare: two runs are labelled {label!r}; give one a 'label'")
        seen.add(label)
        out.append((label, name, hp))
    return out


def apply_input_transform(x: np.ndarray, transform) -> np.ndarray:
    """x·scale + shift per feature (transform = {"scale": s, "shift": c}) or a callable."""
    if transform is None:
        return x
    if callable(transform):
        return transform(x)
    scale = np.asarray(transform.get("scale", 1.0), dtype=np.float64)
    shift = np.asarray(transform.get("shift", 0.0), dtype=np.float64)
    return (x * scale + shift).astype(x.dtype)


def _load_dataset(dataset, seed: int, dtype: str, options: dict | None):
    if isinstance(dataset, str):
        return nv_data.load(dataset, seed=seed, dtype=dtype, **(options or {}))
    if not all(hasattr(dataset, k) for k in ("x_train", "y_train", "x_test", "y_test")):
        raise ValueError(f"compare: dataset must be a dataset name or an nv.data Dataset, got {dataset!r:.60}")
    return dataset


def _default_loss(spec: dict, ds) -> str:
    """The dataset's loss, except that a 2-class problem on a 2-logit network uses
    cross_entropy (bce wants a single output unit)."""
    loss = ds.default_loss
    if loss == "bce" and Network.from_spec(spec).output_shape != (1,):
        return "cross_entropy"
    return loss


MAX_STEPS = 10**9  # a lockstep race longer than this is a typo, not an experiment


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _check_arguments(steps, batch_size, eval_every, target_loss) -> None:
    """Clear errors for the numbers compare() takes, before anything is built."""
    if not _is_int(steps) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"compare: steps must be an integer in [1, {MAX_STEPS:,d}], got {steps!r:.60}")
    if batch_size is not None and (not _is_int(batch_size) or batch_size < 1):
        raise ValueError(f"compare: batch_size must be an integer >= 1 (or None: full batch), got {batch_size!r:.60}")
    if not _is_int(eval_every) or eval_every < 1:
        raise ValueError(f"compare: eval_every must be an integer >= 1, got {eval_every!r:.60}")
    if target_loss is not None and (
        isinstance(target_loss, bool)
        or not isinstance(target_loss, (int, float, np.number))
        or not target_loss > 0
        or not np.isfinite(target_loss)
    ):
        raise ValueError(f"compare: target_loss must be a finite number > 0, got {target_loss!r:.60}")


def compare(
    spec: dict | str,
    dataset,
    optimizers=("sgd", "kfac"),
    steps: int = 100,
    seed: int = 0,
    *,
    loss: str | None = None,
    batch_size: int | None = None,
    input_transform=None,
    reparametrize: str | None = None,
    reparametrize_options: dict | None = None,
    dtype: str = "float64",
    target_loss: float | None = None,
    eval_every: int = 1,
    probe_size: int = 512,
    dataset_options: dict | None = None,
    stop_at_target: bool = False,
) -> Comparison:
    """Train every optimizer from the same initial weights on the same minibatches, in lockstep.

    spec: a network spec (dict or JSON path). dataset: a Dataset or a name for nv.data.load.
    optimizers: names, {"name": ..., "label": ..., **hparams} dicts or (name, hparams) pairs.
    batch_size None: full batch (the setting where the theory's exact statements hold).
    Minibatches: step s trains every run on batch s of nv.data.BatchStream(n, batch_size, seed=seed)
    (a full batch is then one whole epoch, in that epoch's shuffled order).
    input_transform: {"scale": s, "shift": c} (per feature or scalar) or a callable applied
    to every input first: the "badly scaled inputs" experiment.
    reparametrize: also train, for every optimizer, the twin under that reparametrisation
    (see `reparametrize`) and record the function gap between the twins.
    Evaluates on the whole training set every eval_every steps (and at the end). A run whose
    loss becomes NaN stops (marked diverged); the others go on.
    """
    _check_arguments(steps, batch_size, eval_every, target_loss)
    spec = read_spec(spec) if not isinstance(spec, dict) else spec
    ds = _load_dataset(dataset, seed, dtype, dataset_options)
    loss = loss or _default_loss(spec, ds)
    x = apply_input_transform(np.asarray(ds.x_train, dtype=dtype), input_transform)
    y = ds.targets(loss) if loss != "cross_entropy" else np.asarray(ds.y_train)
    y = y.astype(dtype) if y.dtype.kind == "f" else y
    xt = apply_input_transform(np.asarray(ds.x_test, dtype=dtype), input_transform) if len(ds.x_test) else None
    yt = None
    if xt is not None:
        yt = ds.targets(loss, "test") if loss != "cross_entropy" else np.asarray(ds.y_test)
        yt = yt.astype(dtype) if yt.dtype.kind == "f" else yt
    n = len(x)
    batch = n if batch_size is None else min(int(batch_size), n)
    probe = x[:probe_size]

    entries = _normalise_optimizers(optimizers)
    runs: dict[str, Run] = {}
    members = []  # (label, trainer, twin trainer or None, twin transform)
    for label, name, hp in entries:
        net = Network.from_spec(spec, seed=seed, dtype=dtype)
        twin = None
        if reparametrize:
            twin = _make_twin(net, reparametrize, seed=seed, **(reparametrize_options or {}))
        trainer = Trainer(net, loss, optim.make(name, net, **hp), seed=seed)
        twin_trainer = Trainer(twin.net, loss, optim.make(name, twin.net, **hp), seed=seed) if twin else None
        runs[label] = Run(label, name, dict(hp))
        members.append((label, trainer, twin_trainer, twin))

    labels = [m[0] for m in members]
    gaps = {(a, b): [] for i, a in enumerate(labels) for b in labels[i + 1 :]}
    invariance = {label: [] for label in labels} if reparametrize else {}
    eval_steps: list[int] = []

    def evaluate(step: int) -> None:
        eval_steps.append(step)
        outs = {}
        for label, trainer, twin_trainer, twin in members:
            r = runs[label]
            r.eval_steps.append(step)
            logs = trainer.evaluate(x, y)
            r.loss.append(logs["loss"])
            r.accuracy.append(logs.get("accuracy"))
            if xt is not None:
                r.test_loss.append(trainer.evaluate(xt, yt)["loss"])
            outs[label] = trainer.net.forward(probe)
            if twin_trainer is not None:
                invariance[label].append(function_gap(outs[label], twin_trainer.net.forward(twin.transform(probe))))
        for a, b in gaps:
            gaps[(a, b)].append(function_gap(outs[a], outs[b]))

    stream = nv_data.BatchStream(n, batch, seed=seed)  # one stream for all runs: the same batches for each
    evaluate(0)
    for step in range(1, steps + 1):
        idx = stream.next_batch()
        xb, yb = x[idx], y[idx]
        for label, trainer, twin_trainer, twin in members:
            r = runs[label]
            if r.diverged:
                continue
            t0 = time.perf_counter()
            try:
                r.batch_loss.append(trainer.step(xb, yb))
            except FloatingPointError as err:
                r.diverged = str(err)
                continue
            r.step_seconds.append(time.perf_counter() - t0)
            r.info.append(dict(getattr(trainer.opt, "info", {}) or {}))
            if twin_trainer is not None:
                try:
                    twin_trainer.step(twin.transform(xb), yb)
                except FloatingPointError as err:
                    r.diverged = f"twin: {err}"
        if step % eval_every == 0 or step == steps:
            evaluate(step)
            if (
                stop_at_target
                and target_loss is not None
                and all(r.diverged or r.loss[-1] < target_loss for r in runs.values())
            ):
                break
    settings = dict(
        steps=steps,
        seed=seed,
        loss=loss,
        batch_size=batch,
        dtype=dtype,
        target_loss=target_loss,
        input_transform=input_transform if not callable(input_transform) else "callable",
        reparametrize=reparametrize,
        dataset=getattr(ds, "name", ""),
    )
    return Comparison(runs, gaps, invariance, eval_steps, settings)


# ----------------------------------------------------------------------------- command line

# What `neuralviz compare` uses when neither the command line nor the preset says otherwise.
# Absolute damping plus a KL clip: with damping relative to the Fisher's own scale the
# natural methods reach a target faster on badly scaled inputs, but the damping vanishes
# with the Fisher once the model is confident, and QD/unitwise then take wild steps.
_NATURAL_DEFAULT = {"lr": 1.0, "damping": 1e-3, "kl_clip": 0.01}
DEFAULT_HPARAMS: dict[str, dict] = {
    "sgd": {"lr": 0.1},
    **{name: dict(_NATURAL_DEFAULT) for name in ("ng-exact", "kfac", "unitwise", "qd", "diag")},
}


def _parse_value(text: str):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def cli_main(argv: list[str] | None = None) -> int:
    """`neuralviz compare PRESET --optimizers sgd,ng-exact,kfac,qd --steps N`."""
    from . import presets

    p = argparse.ArgumentParser(
        prog="neuralviz compare",
        description="Train optimizers in lockstep (same init, same minibatches) and "
        "print steps to a target loss, final loss and time per step.",
    )
    p.add_argument("preset", help="a preset name (see `neuralviz presets`) or a preset JSON file")
    p.add_argument("--optimizers", help="comma-separated names (default: the preset's compare list)")
    p.add_argument("--steps", type=int, help="training steps (default: the preset's, else 300)")
    p.add_argument("--target", type=float, help="target training loss (default: the preset's, else 0.05)")
    p.add_argument(
        "--batch-size", type=int, help="minibatch size (default: the preset's compare setting; full batch if none)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="OPT.KEY=VALUE",
        help="override a hyperparameter, e.g. --set kfac.damping=0 --set sgd.lr=0.5",
    )
    p.add_argument("--no-transform", action="store_true", help="ignore the preset's input transform")
    p.add_argument(
        "--reparametrize",
        choices=REPARAMETRIZATIONS,
        help="also train twins in another parametrisation and report their gap",
    )
    args = p.parse_args(argv)

    path = args.preset
    if path.endswith(".json"):
        preset = read_spec(path)
    else:
        preset = presets.load(path)
    for key in ("network", "compare", "training", "dataset"):
        if key in preset and not isinstance(preset[key], dict) or (key == "network" and key not in preset):
            raise ValueError(
                f"{path}: a preset needs a 'network' object; 'compare', 'training' and 'dataset' "
                f"must be objects when present (bad or missing: {key!r})"
            )
    cfg = preset.get("compare", {})
    training = preset.get("training", {})
    names = args.optimizers.split(",") if args.optimizers else cfg.get("optimizers", ["sgd", "kfac"])
    names = [n if isinstance(n, str) else n["name"] for n in names]
    if not names or any(not isinstance(n, str) or not n.strip() for n in names):
        raise ValueError(f"--optimizers: expected comma-separated optimizer names, got {args.optimizers!r}")
    preset_hp = cfg.get("hyperparameters", {})
    hparams = {}
    for name in names:
        hp = dict(DEFAULT_HPARAMS.get(name, {}))
        if name == training.get("optimizer") and "lr" in training:
            hp["lr"] = training["lr"]
        hp.update(preset_hp.get(name, {}))
        hparams[name] = hp
    for item in args.set:
        key, _, value = item.partition("=")
        opt_name, _, hp_name = key.partition(".")
        if opt_name not in hparams or not hp_name or not value:
            raise ValueError(f"--set {item!r}: expected OPTIMIZER.KEY=VALUE with OPTIMIZER one of {', '.join(names)}")
        hparams[opt_name][hp_name] = _parse_value(value)
    ds_cfg = preset.get("dataset", {})
    steps = args.steps if args.steps is not None else cfg.get("steps", 300)
    target = args.target if args.target is not None else cfg.get("target_loss", 0.05)
    batch = args.batch_size if args.batch_size is not None else cfg.get("batch_size")
    transform = None if args.no_transform else cfg.get("input_transform")
    cmp = compare(
        preset["network"],
        ds_cfg.get("name"),
        [{"name": n, **hparams[n]} for n in names],
        steps=steps,
        seed=args.seed,
        loss=training.get("loss"),
        batch_size=batch,
        input_transform=transform,
        reparametrize=args.reparametrize,
        target_loss=target,
        dataset_options=ds_cfg.get("options"),
    )
    s = cmp.settings
    print(
        f"{preset.get('name', path)}: {s['dataset']}, {s['loss']}, batch {s['batch_size']}, {steps} steps, "
        f"seed {s['seed']}"
        + (f", inputs x*{transform.get('scale')}+{transform.get('shift')}" if isinstance(transform, dict) else "")
    )
    for name in names:
        print(f"  {name}: " + ", ".join(f"{k}={v}" for k, v in hparams[name].items()))
    print(cmp.table(target))
    return 0


if __name__ == "__main__":
    sys.exit(cli_main())
