"""Stochastic dense layer: Gaussian weights with a learned mean and scale (Blundell et al. 2015,
"Weight Uncertainty in Neural Networks", Bayes by Backprop).

Every weight is a Gaussian N(μ, σ²) with σ = softplus(ρ) = log(1 + e^ρ), so that σ stays positive
whatever the optimizer does to ρ. Parameters (PyTorch's Linear layout, (out, in)):

* ``weight_mean`` μ, drawn as dense's weight (same seed, same values: with σ → 0 this *is* dense),
* ``weight_rho`` ρ, every entry ρ₀ = softplus⁻¹(sigma_init),
* ``bias``, deterministic (a plain learned offset, as dense's; Blundell make it stochastic too, but
  the lecture's point, "weights drawn from a Gaussian, parameter = mean", is made by the weights).

Forward. In training mode each call draws ε ~ N(0, 1) of the weight's shape from the layer's own
generator (seeded by the network, re-seeded by Network.reseed: same seed, same draws) and uses
w = μ + σ⊙ε, one weight sample per batch (the reparametrisation trick). In evaluation mode it uses
w = μ: the deterministic "mean network". Setting ``frozen_eps`` to an array of the weight's shape
makes every forward, training or evaluation, use w = μ + σ⊙frozen_eps: the gradient checks hold the
noise fixed that way, and nv.inspect.sample_networks draws K whole networks with it.

Backward, with g = ∂L/∂w = gradᵀ x as for dense: ∂L/∂μ = g and ∂L/∂ρ = g⊙ε⊙sigmoid(ρ)
(∂w/∂ρ = ε·σ'(ρ), softplus' = sigmoid). The input gradient uses the sampled w.

Optional prior (``prior_sigma``, None: off). With a Gaussian prior N(0, σ_p²) per weight, the
layer adds kl_weight · KL[q(w|μ,σ) ‖ p(w)] to the objective, KL per weight
log(σ_p/σ) + (σ² + μ²)/(2σ_p²) − ½; its gradient (μ/σ_p² for μ, (σ/σ_p² − 1/σ)·sigmoid(ρ) for ρ,
times kl_weight) is added by backward after a *training* forward only, so saliency and other
evaluation-mode backward passes see the data gradient alone. The trainer's reported loss does not
include the KL (read ``layer.kl()``). Blundell's per-example objective, the data loss as a batch
mean, wants kl_weight = 1 / (number of training examples); on small sets temper it further.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from .base import Layer, uniform


def softplus(rho: np.ndarray) -> np.ndarray:
    """log(1 + e^ρ) without overflow for large ρ."""
    return np.logaddexp(0.0, rho).astype(rho.dtype, copy=False)


def sigmoid(rho: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-ρ) written with tanh: no overflow warnings for large |ρ|."""
    return (0.5 * (1.0 + np.tanh(0.5 * rho))).astype(rho.dtype, copy=False)


def inverse_softplus(sigma: float) -> float:
    """ρ with softplus(ρ) = σ (σ > 0); log(e^σ − 1), written stably for small and large σ."""
    return sigma + math.log(-math.expm1(-sigma))


class StochasticDense(Layer):
    type = "stochastic_dense"
    stochastic = True  # draws at run time in training mode
    defaults = {"units": None, "bias": True, "sigma_init": 0.05, "prior_sigma": None, "kl_weight": 1e-3}

    def build(self, rng):
        units = self.int_param("units")
        has_bias = self.bool_param("bias")
        self.sigma_init = self.float_param("sigma_init", 0.0, 1e3, low_open=True)
        self.prior_sigma = None
        if self.config["prior_sigma"] is not None:
            self.prior_sigma = self.float_param("prior_sigma", 0.0, 1e6, low_open=True)
        self.kl_weight = self.float_param("kl_weight", 0.0, 1e6)
        shape = self.input_shapes[0]
        if len(shape) not in (1, 2):  # as dense: (features,) or (time, features)
            raise self.error(
                f"stochastic_dense needs (features,) or (time, features) input, got {shape}; "
                "add a 'flatten' layer before it"
            )
        fan_in = shape[-1]
        rho0 = inverse_softplus(self.sigma_init)
        # weight_mean then bias from rng, as dense draws weight then bias; rho takes no draw
        self.add_param("weight_mean", (units, fan_in), uniform(fan_in))
        self.add_param("weight_rho", (units, fan_in), lambda _rng, s: np.full(s, rho0))
        self.bias = None
        if has_bias:
            self.add_param("bias", (units,), uniform(fan_in))
        self.rng = rng
        self.frozen_eps: np.ndarray | None = None
        self.eps: np.ndarray | None = None
        self.trained = False
        return (*shape[:-1], units)

    def set_seed(self, rng):
        self.rng = rng

    # ---- weights ------------------------------------------------------------------
    @property
    def sigma(self) -> np.ndarray:
        """σ = softplus(ρ), the weights' standard deviations (units, in)."""
        return softplus(self.weight_rho.value)

    def draw_eps(self, rng: np.random.Generator) -> np.ndarray:
        """A standard-normal draw of the weight's shape, in the layer's dtype."""
        return rng.standard_normal(self.weight_mean.value.shape).astype(self.dtype)

    def sample_weights(self, seed: int | np.random.Generator) -> np.ndarray:
        """One weight sample μ + σ⊙ε with ε from `seed` (an int or a Generator); the layer is unchanged."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return self.weight_mean.value + self.sigma * self.draw_eps(rng)

    def _eps_for(self, train: bool) -> np.ndarray | None:
        if self.frozen_eps is not None:
            eps = np.asarray(self.frozen_eps)
            if eps.shape != self.weight_mean.value.shape:
                raise ValueError(
                    f"layer '{self.id}' (stochastic_dense): frozen_eps has shape {eps.shape}, "
                    f"the weight has {self.weight_mean.value.shape}"
                )
            return eps.astype(self.dtype, copy=False)
        return self.draw_eps(self.rng) if train else None

    # ---- passes -------------------------------------------------------------------
    def forward(self, inputs, train):
        x = inputs[0]
        self.lead = x.shape[:-1]
        self.x = np.ascontiguousarray(x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x)
        self.eps = self._eps_for(train)
        self.trained = bool(train)
        mean = self.weight_mean.value
        self.w = mean if self.eps is None else np.ascontiguousarray(mean + self.sigma * self.eps)
        y = backend.current.linear_forward(self.x, self.w, self.bias.value if self.bias is not None else None)
        return y if x.ndim == 2 else y.reshape(*self.lead, y.shape[-1])

    def backward(self, grad_y):
        g = np.ascontiguousarray(grad_y)
        if g.ndim != 2:
            g = g.reshape(-1, g.shape[-1])
        kernels = backend.current
        grad_w = kernels.matmul(g, self.x, True, False)
        self.weight_mean.grad += grad_w
        if self.eps is not None:
            self.weight_rho.grad += grad_w * self.eps * sigmoid(self.weight_rho.value)
        if self.bias is not None:
            self.bias.grad += g.sum(axis=0)
        if self.trained and self.prior_sigma is not None and self.kl_weight > 0:
            self._add_kl_grad()
        if self.skip_grad_x:
            return [None]
        gx = kernels.matmul(g, self.w, False, False)
        return [gx if grad_y.ndim == 2 else gx.reshape(*self.lead, gx.shape[-1])]

    def backward_seeds(self, seeds):
        """All K seeds in one product through the weights of the last forward (held fixed)."""
        return [(seeds.reshape(-1, self.w.shape[0]) @ self.w).reshape(*seeds.shape[:-1], self.w.shape[1])]

    # ---- the prior ----------------------------------------------------------------
    def kl(self) -> float:
        """kl_weight · KL[q(w) ‖ N(0, σ_p²)] summed over the weights: the term the layer adds to
        the objective (0.0 without a prior)."""
        if self.prior_sigma is None:
            return 0.0
        mu = self.weight_mean.value.astype(np.float64)
        sigma = np.maximum(softplus(self.weight_rho.value.astype(np.float64)), np.finfo(np.float64).tiny)
        sp2 = self.prior_sigma**2
        per_weight = np.log(self.prior_sigma / sigma) + (sigma**2 + mu**2) / (2.0 * sp2) - 0.5
        return float(self.kl_weight * per_weight.sum())

    def _add_kl_grad(self) -> None:
        rho = self.weight_rho.value
        sigma = np.maximum(softplus(rho), np.finfo(rho.dtype).tiny)  # no 1/0 for a collapsed σ
        sp2 = self.prior_sigma**2
        self.weight_mean.grad += self.kl_weight * self.weight_mean.value / sp2
        self.weight_rho.grad += self.kl_weight * (sigma / sp2 - 1.0 / sigma) * sigmoid(rho)

    # ---- sizes --------------------------------------------------------------------
    def flops(self):
        steps = self.input_shapes[0][0] if len(self.input_shapes[0]) == 2 else 1
        units, fan_in = self.param_shape("weight_mean")
        return 2 * units * fan_in * steps
