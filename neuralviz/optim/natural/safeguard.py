"""The natural-gradient step's safeguard: a trust region on the predictions and a
sufficient-decrease test on the loss, both measured on the batch after the step is taken.

Why a natural step needs one. Undamped (λ = 0), a confident classifier's Fisher turns
nearly singular: its output probabilities saturate, so whole directions of parameter space
barely move the predictions on the batch. M⁻¹g is then huge along them, and the metric's
quadratic model of the step (η²ν² g·d for the KL, −ην g·d for the loss) stops describing the
step actually taken: K-FAC on the natural-gradient preset, left playing 3,000 steps,
reached a loss of 1e-12 and then jumped back to O(1) (unitwise, QD and diag rose 2-21x above
their best). Both checks below read the network's outputs only, so they are invariant under
any reparametrisation the metric is invariant under (the KL and the loss on the batch do not
depend on the coordinates), and they cost one forward pass per step (one more per shrink):

  trust region   2·KL(p_before ‖ p_after) ≤ κ (fisher.output_divergence): the predictions
                 move by at most κ per step, whatever the metric's approximations miss (an
                 approximate metric drops couplings between units, and the linearisation
                 misses what a long step does: on XOR a hidden unit with near-zero outgoing
                 weights has a near-zero unitwise metric, its incoming weights moved by ~6
                 into tanh's saturation, and a step the model put at KL 0.01 doubled the
                 loss). With dropout or noise layers the outputs before the step take one
                 more forward pass, in evaluation mode.
  loss test      L(θ − ηνd) ≤ L(θ) − c·ην·g·d + TOLERANCE·|L(θ)| (Armijo's sufficient
                 decrease, c = the armijo hyperparameter; the slack absorbs rounding,
                 float32 networks included). On a full batch the loss then never rises by
                 more than that slack per step, so a run that reached a low loss stays there.

A failed check shrinks ν (the KL like ν²: by 0.95·√(κ/KL); the loss by the minimiser of the
quadratic through L(θ), its slope −η g·d and the measured L, within [0.1, 0.5]) and measures
again, at most MAX_SHRINKS times. A step still failing the trust region after that is taken
as it stands (the shrinks alone moved it far towards θ); one still failing the loss test is
not taken at all (info["rejected"]): standing still is the safe outcome.

Cost on large batches: when N·P (rows times parameters, the forward pass's multiply-adds
for a dense network) exceeds CHECK_WORK, both checks read a fixed, evenly strided
subsample of about CHECK_ROWS rows, the same rows for the original and any twin (so the
invariance is untouched), and the check's forward pass costs a fraction of the step's (the
loss guarantee then holds for those rows, as it holds for one minibatch in minibatch
training). The lecture's XOR (200 rows, 25 parameters) is always checked whole.

What the checks cannot do: keep an undamped run and its twin in other units together when
the trajectory itself is chaotic. On the natural-gradient preset a change of 1e-13 in the
initial weights, in the same coordinates, grows to O(1) within 20-60 steps on many seeds
(K-FAC, ng-exact, unitwise and QD alike, with or without these checks); rounding then parts
the twins just the same. benchmarks/natural_stability.py reports the gap per seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import losses
from .fisher import output_divergence

MAX_SHRINKS = 12  # shrinks of one step before it is taken (KL) or dropped (loss) as it stands
TOLERANCE = 1e-4  # relative slack of both checks, for rounding (float32 networks)
CHECK_WORK = 1 << 20  # N·P above which the checks read a subsample of the batch
CHECK_ROWS = 64  # about how many rows that subsample has (every ⌈N / CHECK_ROWS⌉-th row)
LOSS_SHRINK = (0.1, 0.5)  # bounds of the loss test's interpolated shrink factor


def check_rows(n: int, num_parameters: int) -> slice:
    """The rows of an n-row batch the checks read: all of them, or a fixed strided subsample
    when a forward pass over the batch is expensive (n · P > CHECK_WORK)."""
    if n * num_parameters <= CHECK_WORK or n <= CHECK_ROWS:
        return slice(None)
    return slice(None, None, -(-n // CHECK_ROWS))


@dataclass
class StepGuard:
    """The two checks of one step, for a network and its parameter list.

    kappa: the trust region κ (2·KL per step); armijo: the loss test's c (None: no loss
    test); penalty: callable returning the regularisation term added to the loss (weight
    decay, L1) at the current parameters, or None.
    """

    net: object
    params: list
    kappa: float
    armijo: float | None
    penalty: object = None

    def take(self, x, y, loss: str, before: np.ndarray, d: list[np.ndarray], lr: float, nu: float, gd: float) -> dict:
        """Set the parameters to θ − η ν d with ν shrunk until both checks pass; returns the
        info of the step: step_scale (η ν, 0 when dropped), divergence and loss_change (of the
        last try), shrinks, rejected."""
        rows = check_rows(len(x), sum(p.size for p in self.params))
        x, before = np.ascontiguousarray(x[rows]), before[rows]
        test_loss = self.armijo is not None and y is not None  # no targets (opt.step((x, None, loss))): KL only
        y = y[rows] if test_loss else None
        loss0 = self._objective(before, y, loss) if test_loss else 0.0
        slope = lr * max(gd, 0.0)  # −dL/dν at ν = 0
        start = [p.value.copy() for p in self.params]
        div = change = float("nan")
        shrinks = 0
        for shrinks in range(MAX_SHRINKS + 1):
            self._set(start, d, lr * nu)
            after = self.net.forward(x, train=False)
            div = output_divergence(before, after, loss)
            kl_ok = div <= self.kappa * (1.0 + TOLERANCE)
            loss_ok = True
            if test_loss:
                change = self._objective(after, y, loss) - loss0
                loss_ok = change <= -self.armijo * nu * slope + TOLERANCE * abs(loss0)
            if (kl_ok and loss_ok) or shrinks == MAX_SHRINKS:
                break
            nu *= min(
                self._kl_shrink(div) if not kl_ok else 1.0, self._loss_shrink(change, nu, slope) if not loss_ok else 1.0
            )
        rejected = not loss_ok
        if rejected:
            for p, p0 in zip(self.params, start):
                p.value[...] = p0
        return {
            "divergence": div,
            "loss_change": change,
            "shrinks": shrinks,
            "rejected": rejected,
            "step_scale": 0.0 if rejected else lr * nu,
        }

    def _set(self, start: list[np.ndarray], d: list[np.ndarray], step: float) -> None:
        for p, p0, di in zip(self.params, start, d):
            np.subtract(p0, step * di.astype(p.value.dtype, copy=False), out=p.value)

    def _objective(self, out: np.ndarray, y, loss: str) -> float:
        value = float(losses.get(loss)(out, y, grad=False)[0])
        return value + self.penalty() if self.penalty is not None else value

    def _kl_shrink(self, div: float) -> float:
        """The divergence grows like ν² near 0: aim just below κ; non-finite: cut hard."""
        return 0.95 * np.sqrt(self.kappa / div) if np.isfinite(div) else 0.1

    @staticmethod
    def _loss_shrink(change: float, nu: float, slope: float) -> float:
        """ν*/ν for the minimiser ν* of the quadratic through L(0), L'(0) = −slope and L(ν)."""
        if not np.isfinite(change):
            return LOSS_SHRINK[0]
        curvature = change + slope * nu  # > 0 whenever the test failed
        ratio = slope * nu / (2.0 * curvature) if curvature > 0 else LOSS_SHRINK[1]
        return float(np.clip(ratio, *LOSS_SHRINK))
