"""K-FAC (Martens & Grosse 2015) for dense layers and KFC for conv2d layers (Grosse &
Martens 2016), bias folded in as a homogeneous coordinate.

Each layer's Fisher block is approximated by G ⊗ A (row-major vec of W̄ = [W | b]):
A = (1/N) Σ x̄ x̄ᵀ from the forward pass, G = (1/(N T)) Σ δ δᵀ from the seeds backpropagated
per example (see fisher.py: the factor N a batch-mean loss hides is never lost). The
direction is G⁻¹ ∇W̄ A⁻¹.

Damping ("damping_mode"):
  "pi"     (default) factored Tikhonov, (G + (√λ/π) I) ⊗ (A + π√λ I) with
           π = √((tr A / dim A) / (tr G / dim G)): the two factors share λ according to
           their scales (Martens & Grosse §6.3). An approximation of G ⊗ A + λI, not equal.
  "eigen"  exact Tikhonov on the Kronecker product, through both eigenbases:
           Q_G [(Q_Gᵀ V Q_A) ⊘ (d_G d_Aᵀ + λ)] Q_Aᵀ.
damping_relative: λ is multiplied by (tr A / dim A)(tr G / dim G), the mean eigenvalue
of G ⊗ A.

With λ = 0 K-FAC is invariant under invertible affine maps of each layer's input vector
(mixing allowed) and invertible linear maps of its pre-activations.
"""
from __future__ import annotations

import numpy as np

from .preconditioner import NaturalGradient, robust_inverse


def pi_damping(a: np.ndarray, g: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """The π-split damped factors (A + π√λ I, G + (√λ/π) I)."""
    ta, tg = np.trace(a) / a.shape[0], np.trace(g) / g.shape[0]
    pi = np.sqrt(ta / tg) if ta > 0 and tg > 0 else 1.0
    r = np.sqrt(lam)
    return a + (pi * r) * np.eye(a.shape[0]), g + (r / pi) * np.eye(g.shape[0])


class KFAC(NaturalGradient):
    name = "kfac"
    extra_hyperparameters = {"damping_mode": "pi"}

    def _validate(self):
        super()._validate()
        if self.hp["damping_mode"] not in ("pi", "eigen"):
            raise ValueError(f"optimizer 'kfac': damping_mode must be 'pi' or 'eigen', "
                             f"got {self.hp['damping_mode']!r}")

    def _largest_matrix(self):
        return max((max(lay.dim, lay.d_out) for lay in self.layouts.values()), default=0)

    def _metric(self, curv):
        out = {}
        for lid, st in curv.layers.items():
            out[lid + "/A"], out[lid + "/G"] = st.kfac_factors()
        return out

    def factors(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """layer id -> (A, G), the undamped Kronecker factors (for the app's views)."""
        return {lid: (self.metric[lid + "/A"], self.metric[lid + "/G"]) for lid in self.layouts}

    def _layer_damping(self, a: np.ndarray, g: np.ndarray) -> float:
        if not self.hp["damping_relative"]:
            return self.damping
        return self.damping * float(np.trace(a) / a.shape[0] * np.trace(g) / g.shape[0])

    def _refresh(self):
        dtype = self.params[0].value.dtype
        self._inv = {}
        singular = False
        for lid, (a, g) in self.factors().items():
            lam = self._layer_damping(a, g)
            if self.hp["damping_mode"] == "eigen":
                da, qa = np.linalg.eigh(a.astype(np.float64))
                dg, qg = np.linalg.eigh(g.astype(np.float64))
                denom = np.outer(dg, da) + lam
                tiny = denom.max() * max(a.shape[0], g.shape[0]) * np.finfo(np.float64).eps
                inv = np.where(denom > tiny, 1.0 / np.where(denom > tiny, denom, 1.0), 0.0)
                singular |= bool((denom <= tiny).any())
                self._inv[lid] = (qa.astype(dtype), qg.astype(dtype), inv.astype(dtype))
            else:
                ad, gd = pi_damping(a, g, lam) if lam > 0 else (a, g)
                ainv, s1 = robust_inverse(ad)
                ginv, s2 = robust_inverse(gd)
                singular |= s1 or s2
                self._inv[lid] = (ainv.astype(dtype), ginv.astype(dtype))
        self.info["singular"] = singular
        self.info["damping"] = self.damping

    def _direction(self, grads):
        out = list(grads)
        for lid, lay in self.layouts.items():
            v = lay.bar(grads)
            if self.hp["damping_mode"] == "eigen":
                qa, qg, inv = self._inv[lid]
                d = qg @ (((qg.T @ v) @ qa) * inv) @ qa.T
            else:
                ainv, ginv = self._inv[lid]
                d = ginv @ (v @ ainv)
            lay.unbar(d, out)
        return out

    def _matrix(self):
        return self._per_layer_matrix(lambda lid, lay: np.kron(self.metric[lid + "/G"], self.metric[lid + "/A"]))
