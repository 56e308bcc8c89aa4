"""Ollivier's unitwise natural gradient and its quasi-diagonal reduction (Ollivier 2015,
"Riemannian metrics for neural networks I"; Marceau-Caron & Ollivier 2016).

Unit o of a layer, with incoming activities x̄ = [x; 1] and parameters w̄_o (row o of W̄),
has the metric M^(o) = (1/N) Σ_n Σ_k g g ᵀ, g the per-example gradient of w̄_o for seed k;
for a dense layer M^(o) = (1/N) Σ_n r_{n,o} x̄_n x̄_nᵀ with the Fisher modulus
r_{n,o} = Σ_k δ²_{k,n,o}. It is exactly the (o, o) block of the Fisher: the only
approximation is dropping the blocks between units.

"unitwise" solves (M^(o) + λI) δw̄_o = g_o for every unit. It is invariant under affine
maps of the inputs (mixing allowed) and per-unit rescaling of pre-activations.

"qd" keeps only M_00 (bias), M_ii (diagonal) and M_0i (bias–weight) and treats each pair
(w_0, w_i) as its own 2 × 2 system, Ollivier's formula:

    δw_i = (G_i M_00 − G_0 M_0i) / (M_ii M_00 − M_0i²)
    δw_0 = (G_0 − Σ_i M_0i δw_i) / M_00

O(P) per step. Denominators are 2 × 2 principal minors of a PSD matrix, so never negative.
It is *not* the inverse of the sparsified "arrowhead" matrix (that matrix can be indefinite):
its invariance covers affine changes of each input on its own (0/1 flips, sigmoid ↔ tanh,
offsets), and visibly fails for transforms that mix inputs.
"""

from __future__ import annotations

import numpy as np

from .linalg import robust_inverse
from .preconditioner import NaturalGradient

_TINY = 1e-14  # a 2 × 2 minor below this fraction of M_ii M_00 is treated as singular


class UnitwiseNaturalGradient(NaturalGradient):
    """damping_relative: each unit's λ is multiplied by tr(M^(o)) / D."""

    name = "unitwise"

    def _largest_matrix(self):
        return max((lay.dim for lay in self.layouts.values()), default=0)

    def _metric(self, curv):
        return {lid + "/M": st.unit_blocks() for lid, st in curv.layers.items()}

    def _refresh(self):
        self._inv = {}
        singular = False
        for lid in self.layouts:
            m = self.metric[lid + "/M"].astype(np.float64)
            dim = m.shape[-1]
            lam = np.full(m.shape[0], self.damping)
            if self.hp["damping_relative"]:
                lam = lam * np.trace(m, axis1=1, axis2=2) / dim
            inv, s = robust_inverse(m + lam[:, None, None] * np.eye(dim))
            singular |= s
            self._inv[lid] = inv
        self.info["singular"] = singular
        self.info["damping"] = self.damping

    def _direction(self, grads):
        out = list(grads)
        for lid, lay in self.layouts.items():
            v = lay.bar(grads).astype(np.float64)
            lay.unbar(np.einsum("oij,oj->oi", self._inv[lid], v), out)
        return out

    def _matrix(self):
        def block(lid, lay):
            m = self.metric[lid + "/M"]
            out = np.zeros((lay.d_out * lay.dim,) * 2)
            for o in range(lay.d_out):
                s = slice(o * lay.dim, (o + 1) * lay.dim)
                out[s, s] = m[o]
            return out

        return self._per_layer_matrix(block)


def qd_direction(g_w: np.ndarray, g_b, m_ii: np.ndarray, m_0i: np.ndarray, m_00: np.ndarray):
    """Ollivier's quasi-diagonal solve for one layer: (δW (d_out, d_in), δb (d_out,) or None)."""
    if g_b is None:
        return np.where(m_ii > 0, g_w / np.where(m_ii > 0, m_ii, 1.0), 0.0), None
    den = m_ii * m_00[:, None] - m_0i * m_0i
    ok = den > _TINY * m_ii * m_00[:, None]
    dw = np.where(ok, (g_w * m_00[:, None] - g_b[:, None] * m_0i) / np.where(ok, den, 1.0), 0.0)
    live = m_00 > 0
    db = np.where(live, (g_b - (m_0i * dw).sum(axis=1)) / np.where(live, m_00, 1.0), 0.0)
    return dw, db


class QuasiDiagonal(NaturalGradient):
    """damping: λ is added to M_ii and M_00; damping_relative: both are multiplied by
    (1 + λ) instead (Marquardt-style, scale-free)."""

    name = "qd"

    def _metric(self, curv):
        out = {}
        for lid, st in curv.layers.items():
            out[lid + "/Mii"], out[lid + "/M0i"], out[lid + "/M00"] = st.qd_entries()
        return out

    def _refresh(self):
        lam = self.damping
        self._damped = {}
        for lid in self.layouts:
            mii, m0i, m00 = (self.metric[lid + k].astype(np.float64) for k in ("/Mii", "/M0i", "/M00"))
            if self.hp["damping_relative"]:
                mii, m00 = mii * (1 + lam), m00 * (1 + lam)
            else:
                mii, m00 = mii + lam, m00 + lam
            self._damped[lid] = (mii, m0i, m00)
        self.info["damping"] = lam

    def _direction(self, grads):
        out = list(grads)
        for lid, lay in self.layouts.items():
            v = lay.bar(grads).astype(np.float64)
            g_w, g_b = v[:, : lay.d_in], (v[:, lay.d_in] if lay.has_bias else None)
            dw, db = qd_direction(g_w, g_b, *self._damped[lid])
            lay.unbar(dw if db is None else np.concatenate([dw, db[:, None]], axis=1), out)
        return out

    def _matrix(self):
        """The quasi-diagonal entries as a matrix (diagonal + each unit's bias row/column).
        Note: QD's update is Ollivier's pairwise formula, not this matrix's inverse."""

        def block(lid, lay):
            mii, m0i, m00 = (self.metric[lid + k] for k in ("/Mii", "/M0i", "/M00"))
            out = np.zeros((lay.d_out * lay.dim,) * 2)
            for o in range(lay.d_out):
                base = o * lay.dim
                idx = base + np.arange(lay.d_in)
                out[idx, idx] = mii[o]
                if lay.has_bias:
                    b = base + lay.d_in
                    out[b, b] = m00[o]
                    out[idx, b] = out[b, idx] = m0i[o]
            return out

        return self._per_layer_matrix(block)
