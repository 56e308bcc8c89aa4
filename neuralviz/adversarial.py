"""Adversarial examples: inputs moved a little, in the worst direction, so that the net errs.

* `fgsm` (Goodfellow, Shlens, Szegedy 2014, the fast gradient sign method): one step of size ε along
  the sign of the loss's input gradient, x' = clip(x + ε·sign(∂ℓ/∂x)). The sign spends the whole
  L∞ budget ε on every input; a linear model moves its logit by ε‖w‖₁, which grows with the number
  of inputs: why high-dimensional nets are fragile.
* `pgd` (Madry et al. 2017): a random start in the ε-ball, then `steps` sign steps, each projected
  back onto the ball (and the clip range). Stronger than FGSM at the same ε.
* `random_noise`: the control, a random sign per input at the same size ε: it barely hurts.
* `accuracy_vs_eps`: the curve the robustness page draws, attack against noise per ε.
* `adversarial_batch` / `adversarial_step`: adversarial training (Goodfellow's L̃ = αL(x) + (1 − α)L(x'))
  by replacing a seeded fraction of each batch with its FGSM version against the current weights.

The gradients come from the network's own backward pass (nv.inspect.input_gradients), in evaluation
mode: the attack is on the function the net computes, not on one dropout draw. Parameters and their
gradients are left as they were.

Clipping (`clip`): "auto" (the default) keeps the adversarial input inside [0, 1] when all of x lies
there (images: the digits, shapes), and does not clip otherwise (the Playground's 2-D sets are
centred on 0); a pair (low, high) clips to that range; None never clips.

The loss (`loss`): None picks nv.inspect.natural_loss(net, y) (cross-entropy for integer labels and
several outputs, BCE for one output and 0/1 targets, else MSE); name the one the net was trained
with when it differs.
"""

from __future__ import annotations

import math

import numpy as np

from . import inspect as nv_inspect
from .layers.base import is_int
from .network import Network
from .prediction import hits

__all__ = ["fgsm", "pgd", "random_noise", "accuracy_vs_eps", "adversarial_batch", "adversarial_step"]

ATTACKS = ("fgsm", "pgd")


def fgsm(net: Network, x: np.ndarray, y: np.ndarray, eps: float, loss=None, *, clip="auto") -> np.ndarray:
    """x' = clip(x + ε·sign(∂ℓ_n/∂x_n)), one step per example; same shape and dtype as the
    network's input. An input whose gradient is exactly 0 does not move."""
    eps = _eps("fgsm", eps)
    x, y, fn = _prepare("fgsm", net, x, y, loss)
    bounds = _bounds("fgsm", x, clip)
    with nv_inspect.grads_held(net):
        g = _gradients(net, x, y, fn)
    return _clip(x + x.dtype.type(eps) * np.sign(g), bounds)


def pgd(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    eps: float,
    *,
    steps: int = 10,
    step_size: float | None = None,
    loss=None,
    seed: int = 0,
    random_start: bool = True,
    clip="auto",
) -> np.ndarray:
    """L∞ projected gradient descent (ascent on the loss): start at x + U(−ε, ε) (random_start,
    drawn from seed) or at x, then `steps` times x' ← Π(x' + a·sign(∂ℓ/∂x')), Π the projection
    onto {|x' − x| ≤ ε} and the clip range. step_size a defaults to 2.5·ε/steps (Madry et al.:
    enough to cross the ball, with room to come back)."""
    eps = _eps("pgd", eps)
    steps = _count("pgd", "steps", steps, 1)
    a = 2.5 * eps / steps if step_size is None else _eps("pgd", step_size, "step_size")
    if not isinstance(random_start, (bool, np.bool_)):
        raise TypeError(f"pgd: random_start must be True or False, got {type(random_start).__name__}")
    seed = _count("pgd", "seed", seed, 0)
    x, y, fn = _prepare("pgd", net, x, y, loss)
    bounds = _bounds("pgd", x, clip)
    low, high = x - x.dtype.type(eps), x + x.dtype.type(eps)
    x_adv = x.copy()
    if random_start and eps > 0:
        x_adv = _clip(x + np.random.default_rng(seed).uniform(-eps, eps, x.shape).astype(x.dtype), bounds)
    with nv_inspect.grads_held(net):
        for _ in range(steps):
            g = _gradients(net, x_adv, y, fn)
            x_adv = _clip(np.clip(x_adv + x.dtype.type(a) * np.sign(g), low, high), bounds)
    return x_adv


def random_noise(x: np.ndarray, eps: float, seed: int = 0, *, clip="auto") -> np.ndarray:
    """x + ε·s with s a random sign (±1, equally likely, drawn from seed) per input: the same L∞
    size as an FGSM step, in no particular direction. Clipped as the attacks clip."""
    eps = _eps("random_noise", eps)
    seed = _count("random_noise", "seed", seed, 0)
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    if x.size and not np.all(np.isfinite(x)):
        raise ValueError("random_noise: x contains NaN or inf")
    signs = np.random.default_rng(seed).integers(0, 2, size=x.shape) * 2 - 1
    return _clip(x + x.dtype.type(eps) * signs.astype(x.dtype), _bounds("random_noise", x, clip))


def accuracy_vs_eps(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    eps_list,
    attack: str = "fgsm",
    *,
    loss=None,
    seed: int = 0,
    clip="auto",
    **attack_options,
) -> dict[str, list[float]]:
    """{"eps": [...], "attack": [accuracy under the attack], "noise": [accuracy under random sign
    noise of the same ε]} for every ε in eps_list; accuracy as nv.prediction.hits counts it for the
    loss the attack uses. attack: "fgsm" or "pgd" (attack_options go to pgd: steps, step_size,
    random_start)."""
    if attack not in ATTACKS:
        raise ValueError(f"accuracy_vs_eps: attack must be one of {', '.join(ATTACKS)}, got {attack!r:.60}")
    if attack == "fgsm" and attack_options:
        raise TypeError(f"accuracy_vs_eps: fgsm takes no options, got {sorted(attack_options)}")
    try:
        eps_values = [_eps("accuracy_vs_eps", e) for e in eps_list]
    except TypeError:
        raise TypeError(f"accuracy_vs_eps: eps_list must be a list of numbers, got {type(eps_list).__name__}") from None
    x, y, fn = _prepare("accuracy_vs_eps", net, x, y, loss)
    name = loss if isinstance(loss, str) else nv_inspect.natural_loss(net, y)
    result: dict[str, list[float]] = {"eps": eps_values, "attack": [], "noise": []}
    for e in eps_values:
        if attack == "fgsm":
            x_adv = fgsm(net, x, y, e, fn, clip=clip)
        else:
            x_adv = pgd(net, x, y, e, loss=fn, seed=seed, clip=clip, **attack_options)
        result["attack"].append(_accuracy(net, x_adv, y, name))
        result["noise"].append(_accuracy(net, random_noise(x, e, seed, clip=clip), y, name))
    return result


# ---------------------------------------------------------------------------------- adversarial training
def adversarial_batch(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    eps: float,
    *,
    fraction: float = 0.5,
    seed: int = 0,
    loss=None,
    clip="auto",
) -> tuple[np.ndarray, np.ndarray]:
    """(x_mixed, y): the batch with round(fraction·N) examples, chosen with seed, replaced by their
    FGSM versions against the current weights; the rest stay clean, the targets stay. Training on
    it minimises (1 − fraction)·L(x) + fraction·L(x') in expectation (Goodfellow et al. use 0.5).
    The batch keeps its size, so the trainer's minibatch stream and paths are unaffected."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0.0 <= fraction <= 1.0:
        raise ValueError(f"adversarial_batch: fraction must be a number in [0, 1], got {fraction!r:.60}")
    seed = _count("adversarial_batch", "seed", seed, 0)
    x, y, fn = _prepare("adversarial_batch", net, x, y, loss)
    count = int(round(fraction * len(x)))
    mixed = x.copy()
    if count:
        pick = np.sort(np.random.default_rng(seed).permutation(len(x))[:count])
        mixed[pick] = fgsm(net, x[pick], y[pick], eps, fn, clip=clip)
    return mixed, y


def adversarial_step(trainer, x: np.ndarray, y: np.ndarray, eps: float, *, fraction: float = 0.5, clip="auto") -> float:
    """One trainer.step on adversarial_batch(trainer.net, x, y, eps, fraction) with the trainer's
    loss; the examples to attack are chosen with seed = (trainer.seed, trainer.steps), so a run is
    reproducible. Returns the step's loss (on the mixed batch). Use it in place of trainer.step in
    a training loop or a worker's step function."""
    net = getattr(trainer, "net", None)
    if not isinstance(net, Network) or not callable(getattr(trainer, "step", None)):
        raise TypeError(f"adversarial_step: trainer must be an nv.Trainer, got {type(trainer).__name__}")
    seed = int(np.random.default_rng([trainer.seed, trainer.steps]).integers(2**31))
    mixed, y = adversarial_batch(net, x, y, eps, fraction=fraction, seed=seed, loss=trainer.loss_name, clip=clip)
    return trainer.step(mixed, y)


# ---------------------------------------------------------------------------------- helpers
def _prepare(fn: str, net: Network, x, y, loss):
    """x in the net's dtype, y checked, the batch-mean loss function."""
    if not isinstance(net, Network):
        raise TypeError(f"{fn}: net must be a Network, got {type(net).__name__}")
    x = nv_inspect._as_input(fn, net, x)
    y = nv_inspect._as_targets(fn, x, y)
    return x, y, nv_inspect.loss_function(fn, net, y, loss)


def _gradients(net: Network, x: np.ndarray, y: np.ndarray, fn) -> np.ndarray:
    """Per-example loss gradients, GRADIENT_BATCH rows per pass (inside grads_held)."""
    step = nv_inspect.GRADIENT_BATCH
    return np.concatenate(
        [nv_inspect.loss_input_grad(net, x[i : i + step], y[i : i + step], fn) for i in range(0, len(x), step)]
    )


def _accuracy(net: Network, x: np.ndarray, y: np.ndarray, loss: str) -> float:
    out = np.concatenate([net.forward(x[i : i + 4096], train=False) for i in range(0, len(x), 4096)])
    return float(np.mean(hits(out, y, loss)))


def _bounds(fn: str, x: np.ndarray, clip) -> tuple[float, float] | None:
    """The clip range that `clip` asks for on this x (see the module docstring)."""
    if clip is None:
        return None
    if isinstance(clip, str):
        if clip != "auto":
            raise ValueError(f"{fn}: clip must be 'auto', None or a pair (low, high), got {clip!r:.60}")
        return (0.0, 1.0) if x.size and x.min() >= 0.0 and x.max() <= 1.0 else None
    try:
        low, high = (float(v) for v in clip)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: clip must be 'auto', None or a pair (low, high), got {clip!r:.60}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ValueError(f"{fn}: clip must be a finite range with low <= high, got ({low}, {high})")
    return low, high


def _clip(x: np.ndarray, bounds) -> np.ndarray:
    return x if bounds is None else np.clip(x, bounds[0], bounds[1])


def _eps(fn: str, value, name: str = "eps") -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: {name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f"{fn}: {name} must be a finite number >= 0, got {value}")
    return value


def _count(fn: str, name: str, value, low: int) -> int:
    if not is_int(value) or value < low:
        raise ValueError(f"{fn}: {name} must be an integer >= {low}, got {value!r:.60}")
    return int(value)
