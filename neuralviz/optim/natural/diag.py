"""diag: the diagonal of the Fisher, for contrast.

d_i = g_i / (F_ii + λ). Invariant under rescaling each parameter on its own, and under
nothing that mixes or shifts: a {0,1} → {−1,1} input recoding already changes its path.
Parameters with F_ii + λ = 0 (no influence on the output) get d_i = 0.
"""

from __future__ import annotations

import numpy as np

from .preconditioner import NaturalGradient


class DiagonalFisher(NaturalGradient):
    """damping_relative: λ is multiplied by the mean of diag(F)."""

    name = "diag"
    supported_layers = None

    def _metric(self, curv):
        return {"diag": curv.diagonal().astype(np.float64)}

    def _refresh(self):
        f = self.metric["diag"]
        lam = self.damping * float(f.mean()) if self.hp["damping_relative"] else self.damping
        denom = f + lam
        self._inv = np.where(denom > 0, 1.0 / np.where(denom > 0, denom, 1.0), 0.0)
        self.info["damping"] = lam

    def _direction(self, grads):
        out, start = [], 0
        for g in grads:
            out.append(g * self._inv[start : start + g.size].reshape(g.shape))
            start += g.size
        return out

    def _matrix(self):
        return np.diag(self.metric["diag"])
