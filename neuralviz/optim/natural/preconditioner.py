"""The interface every natural-gradient optimizer shares: gradient + per-layer statistics
in, direction out; the update is θ ← θ − η·ν·d.

A subclass implements three small pieces:

    _metric(curvature) -> dict of arrays    the metric's statistics from one batch
    _refresh()                             factorise/invert self.metric (every inv_every steps)
    _direction(grads) -> list of arrays    d = M⁻¹ g, one array per parameter
    _matrix() -> P × P array               the metric as a dense matrix, for the app's views

and the base class does the rest, identically for all of them:

    fisher       "true" (exact expectation over the model's prediction, default),
                 "mc" (mc_samples sampled targets) or "empirical" (training labels)
    damping      Tikhonov λ (0 allowed: exact invariance, possibly singular systems, which
                 fall back to a pseudo-inverse and set info["singular"])
    damping_relative
                 λ is measured in units of the metric's own scale (per method: tr(F)/P,
                 K-FAC's (trA/dA)(trG/dG), Marquardt's (1 + λ) diagonal for QD, ...)
    normalize    step η·d/√(g·d): a fixed length in the metric's norm. g·d = gᵀM⁻¹g is a
                 reparametrisation-invariant scalar, so this keeps every invariance.
    kl_clip      κ > 0: the step's safeguard (safeguard.py), measured on the batch after the
                 step: a trust region on the predictions and a loss test. The step starts
                 at Ba et al.'s ν = min(1, √(κ / (η² g·d))) (the metric's quadratic model of
                 the KL) and is shrunk until the predictions moved by at most κ, measured
                 exactly (2·KL, fisher.output_divergence; info["divergence"]): the model
                 alone let a unitwise step on XOR double the loss. 0 disables both checks.
    armijo       the loss test's c (with kl_clip > 0; None: no loss test): the step must
                 lower the batch loss by c·ην·g·d (Armijo), up to a 1e-4 relative slack, or
                 it is shrunk, and dropped if 12 shrinks do not do it (info["rejected"]).
                 Why: undamped (λ = 0), a confident classifier's Fisher turns nearly
                 singular, and steps that are small in KL on the batch can still raise the
                 loss; left playing 3,000 steps, K-FAC on the natural-gradient preset went
                 from a loss of 1e-12 back to O(1). With the test a full-batch loss never
                 rises by more than the slack per step. Both checks read the outputs only
                 (the KL and the loss do not depend on the coordinates), so they keep every
                 invariance; they cost one forward pass per step (one more per shrink), on a
                 fixed subsample of about 64 rows when N·P > 2²⁰ (safeguard.check_rows).
    stat_every, stat_decay, inv_every
                 statistics gathered every stat_every steps into a moving average
                 M ← ρ M + (1 − ρ) M_batch (ρ = stat_decay, 0: this batch only), and the
                 factorisation refreshed every inv_every steps (K-FAC's amortisation).
                 None (default) means "auto". When the largest matrix the method builds
                 or inverts has at most AUTO_DIM rows (the lecture's small nets; 600
                 parameters for ng-exact, whose F is its only matrix): every
                 step, no averaging (this batch's metric, where the theory's exact
                 statements hold). Above that, K-FAC practice (Martens & Grosse):
                 statistics every 20 steps into a 0.9 moving average, inverses every 100
                 (784-100-10 at batch 256: inverting K-FAC's 785 x 785 input factor costs
                 about 20 SGD steps and applying it about 1.2 more; at these intervals a
                 K-FAC step costs 2.0-2.8 SGD steps on the digits, whose zero pixels it
                 skips, and 3.0-3.3 on images without a zero pixel; bench/natural.py).

Weight decay and L1 are added to the gradient before preconditioning (the natural
gradient of the regularised loss, measured with the data's metric).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..base import Optimizer
from .fisher import FISHER_TYPES, Curvature, Layout, layer_kind
from .safeguard import StepGuard

MAX_MATRIX_PARAMS = 8000  # a dense P × P float64 matrix of 512 MB: beyond that, no heat map
AUTO_DIM = 256  # "auto" refresh: every step up to this matrix size, else AUTO_LARGE
AUTO_LARGE = {"stat_every": 20, "inv_every": 100, "stat_decay": 0.9}


class NaturalGradient(Optimizer):
    """Base class; see the module docstring for the shared hyperparameters."""

    name = ""
    # layers whose parameters the method can precondition: None means any layer
    supported_layers: tuple[str, ...] | None = ("dense", "conv2d")
    common_hyperparameters: dict[str, Any] = {
        "fisher": "true",
        "damping": 1e-3,
        "damping_relative": False,
        "normalize": False,
        "kl_clip": 0.0,
        "armijo": 1e-4,
        "mc_samples": 1,
        "seed": 0,
        "stat_every": None,
        "stat_decay": None,
        "inv_every": None,
    }
    extra_hyperparameters: dict[str, Any] = {}
    auto_dim = AUTO_DIM  # the "auto" refresh's size threshold (see the module docstring)

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls.hyperparameters = {**cls.common_hyperparameters, **cls.extra_hyperparameters}

    def __init__(self, net, **kw):
        kw.setdefault("lr", 0.1)
        super().__init__(net, **kw)
        self._validate()
        self.rng = np.random.default_rng(self.hp["seed"])
        # the layers a structured (per-layer) method preconditions, with their W̄ layout
        self.layouts = {
            lid: Layout(layer, self.params) for lid, layer in net.layers.items() if layer.params and layer_kind(layer)
        }
        auto = (
            {"stat_every": 1, "inv_every": 1, "stat_decay": 0.0}
            if self._largest_matrix() <= self.auto_dim
            else AUTO_LARGE
        )
        self.stat_every = int(auto["stat_every"] if self.hp["stat_every"] is None else self.hp["stat_every"])
        self.inv_every = int(auto["inv_every"] if self.hp["inv_every"] is None else self.hp["inv_every"])
        self.stat_decay = float(auto["stat_decay"] if self.hp["stat_decay"] is None else self.hp["stat_decay"])
        self.metric: dict[str, np.ndarray] | None = None
        self._stale = True
        self.info: dict[str, Any] = {}
        # the training pass's output differs from the prediction's: kl_clip then runs its own
        self._stochastic = any(layer.stochastic for layer in net.layers.values())

    # ------------------------------------------------------------------ checks
    def _validate(self) -> None:
        h, who = self.hp, f"optimizer {self.name!r}"
        if h["fisher"] not in FISHER_TYPES:
            raise ValueError(f"{who}: fisher must be one of {', '.join(FISHER_TYPES)}, got {h['fisher']!r}")
        lam = h["damping"]
        if not isinstance(lam, (int, float)) or isinstance(lam, bool) or not lam >= 0:
            raise ValueError(f"{who}: damping must be a number >= 0, got {lam!r}")
        if not isinstance(h["kl_clip"], (int, float)) or not h["kl_clip"] >= 0:
            raise ValueError(f"{who}: kl_clip must be a number >= 0 (0: off), got {h['kl_clip']!r}")
        c = h["armijo"]
        if c is not None and (isinstance(c, bool) or not isinstance(c, (int, float)) or not 0 <= c < 1):
            raise ValueError(f"{who}: armijo must be a number in [0, 1) (or None: no loss test), got {c!r}")
        if h["stat_decay"] is not None and not 0 <= h["stat_decay"] < 1:
            raise ValueError(f"{who}: stat_decay must be in [0, 1), got {h['stat_decay']!r}")
        for key in ("stat_every", "inv_every", "mc_samples"):
            v = h[key]
            if v is None and key != "mc_samples":
                continue
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{who}: {key} must be an integer >= 1, got {v!r}")
        if self.supported_layers is not None:
            bad = [
                f"'{lid}' ({layer.type})"
                for lid, layer in self.net.layers.items()
                if layer.params and layer_kind(layer) not in self.supported_layers
            ]
            if bad:
                raise ValueError(
                    f"{who} preconditions {' and '.join(self.supported_layers)} layers only; "
                    f"the network also has parameters in {', '.join(bad)}: use 'ng-exact' "
                    f"or 'diag' for it"
                )

    @property
    def damping(self) -> float:
        return float(self.hp["damping"])

    def set_damping(self, damping: float) -> None:
        """Change λ live (the app's slider); takes effect at the next step."""
        if not damping >= 0:
            raise ValueError(f"damping must be >= 0, got {damping!r}")
        self.hp["damping"] = float(damping)
        self._stale = True

    # ------------------------------------------------------------------ the step
    def curvature(self, y, loss: str) -> Curvature:
        """Statistics from the network's last forward pass (the Trainer's own)."""
        return Curvature.from_network(self.net, y, loss, self.hp["fisher"], self.rng, self.hp["mc_samples"])

    def _absorb(self, batch_metric: dict[str, np.ndarray]) -> None:
        rho = self.stat_decay
        if self.metric is None or rho == 0:
            self.metric = batch_metric
        else:
            self.metric = {k: rho * self.metric[k] + (1 - rho) * v for k, v in batch_metric.items()}

    def _update(self, lr, batch) -> None:
        if batch is None or len(batch) != 3:
            raise ValueError(
                f"optimizer {self.name!r} needs the batch (x, y, loss) to measure the "
                "Fisher: call it through nv.Trainer.step or opt.step((x, y, loss))"
            )
        x, y, loss = batch
        h = self.hp
        if self.steps % self.stat_every == 0 or self.metric is None:
            self._absorb(self._metric(self.curvature(y, loss)))
        if self._stale or self.steps % self.inv_every == 0:
            self.info = {}
            self._refresh()
            self._stale = False
        grads = self._gradients()
        d = self._direction(grads)
        gd = float(sum(np.vdot(g, di) for g, di in zip(grads, d)))
        scale = 1.0
        if h["normalize"] and gd > 0:
            scale = 1.0 / np.sqrt(gd)
        if h["kl_clip"] > 0 and gd > 0:
            # the quadratic model's guess: η²ν² g·d = κ
            scale *= min(1.0, np.sqrt(h["kl_clip"] / (lr * lr * scale * scale * gd)))
        if h["kl_clip"] > 0:
            info = self._guard(loss).take(x, y, loss, self._eval_output(x), d, lr, scale, gd)
            self.info.update(info, g_dot_d=gd)
            return
        for p, di in zip(self.params, d):
            p.value -= (lr * scale) * di.astype(p.value.dtype, copy=False)
        self.info.update(g_dot_d=gd, step_scale=lr * scale)

    def _guard(self, loss: str) -> StepGuard:
        """The step's safeguard (safeguard.py): κ, the loss test's c, and the penalty that
        weight decay and L1 add to the loss the test reads (the gradient includes it)."""
        penalty = None
        if self.weight_decay or self.l1:
            wd, l1 = self.weight_decay, self.l1

            def penalty() -> float:
                return float(
                    sum(0.5 * wd * np.vdot(p.value, p.value) + l1 * np.abs(p.value).sum() for p in self.params)
                )

        return StepGuard(self.net, self.params, float(self.hp["kl_clip"]), self.hp["armijo"], penalty)

    def _eval_output(self, x) -> np.ndarray:
        """The predictions before the step, as the clip compares them (deterministic layers)."""
        out = self.net.outputs.get(self.net.output_id)
        if out is None or self._stochastic:
            out = self.net.forward(x, train=False)
        return np.array(out, copy=True)

    def _gradients(self) -> list[np.ndarray]:
        out = []
        for p in self.params:
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.value
            if self.l1:
                g = g + self.l1 * np.sign(p.value)
            out.append(g)
        return out

    def direction(self, grads: list[np.ndarray] | None = None) -> list[np.ndarray]:
        """d = M⁻¹ g for the current metric (default g: the parameters' gradients)."""
        self._ensure_factorised()
        return self._direction(self._gradients() if grads is None else grads)

    def _ensure_factorised(self) -> None:
        if self.metric is None:
            raise RuntimeError("no metric yet: take a step (or call refresh(x, y, loss)) first")
        if self._stale:
            self.info = {}
            self._refresh()
            self._stale = False

    def refresh(self, x, y, loss: str) -> None:
        """Measure the metric on (x, y) now, without stepping (for the app's views)."""
        self.net.forward(x, train=False)
        self.metric = None
        self._absorb(self._metric(self.curvature(y, loss)))
        self._stale = True

    # ------------------------------------------------------------------ views
    def fisher_matrix(self) -> tuple[np.ndarray, list[tuple[str, int, int]]]:
        """(the metric this method uses as a P × P array, [(param name, start, stop)]),
        in network parameter order (each parameter's .value.ravel(), in net.parameters())."""
        if self.metric is None:
            raise RuntimeError("no metric yet: take a step (or call refresh(x, y, loss)) first")
        p = sum(q.size for q in self.params)
        if p > MAX_MATRIX_PARAMS:
            raise ValueError(
                f"{p} parameters: a dense {p} x {p} matrix is too large to show "
                f"(limit {MAX_MATRIX_PARAMS}); inspect opt.metric's blocks instead"
            )
        offsets = np.concatenate([[0], np.cumsum([q.size for q in self.params])]).astype(int)
        blocks = [(q.name, int(a), int(b)) for q, a, b in zip(self.params, offsets[:-1], offsets[1:])]
        return self._matrix(), blocks

    # ------------------------------------------------------------------ to implement
    def _largest_matrix(self) -> int:
        """Rows of the largest matrix the method builds or inverts (for the auto refresh)."""
        return 0

    def _metric(self, curv: Curvature) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _refresh(self) -> None:
        raise NotImplementedError

    def _direction(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        raise NotImplementedError

    def _matrix(self) -> np.ndarray:
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers for layer-wise methods
    def _per_layer_matrix(self, block_of) -> np.ndarray:
        """Block-diagonal P × P matrix from block_of(layer_id, layout) -> (D·d_out)² in vec(W̄) order."""
        offsets = np.concatenate([[0], np.cumsum([p.size for p in self.params])]).astype(int)
        m = np.zeros((offsets[-1], offsets[-1]))
        for lid, lay in self.layouts.items():
            start = offsets[lay.weight_index]
            pos = start + lay.bar_to_param_index()
            m[np.ix_(pos, pos)] = block_of(lid, lay)
        return m
