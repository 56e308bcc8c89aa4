"""ng-exact: the true Fisher as a dense P × P matrix, solved by Cholesky.

For networks up to a few thousand parameters (F costs O(N K P²) to build and P³/3 to
factorise; 8 MB at P = 1000 in float64). Reports cond(F) at every refresh: undamped
natural gradient is exactly reparametrisation-invariant but numerically fragile, and the
condition number is the honest number to show next to its trajectory.
"""

from __future__ import annotations

import numpy as np

from .linalg import lower_inverse
from .preconditioner import NaturalGradient

COND_MAX_PARAMS = 500  # eigvalsh costs ~4/3 P³: above this, cond(F) only on request (opt.cond)


class ExactNaturalGradient(NaturalGradient):
    """θ ← θ − η (F + λI)⁻¹ g with F the dense Fisher of the loss being optimised.

    damping_relative: λ is multiplied by tr(F)/P (the mean eigenvalue).
    """

    name = "ng-exact"
    supported_layers = None  # any layer: per-example Jacobians fall back to masked passes
    auto_dim = 600  # refresh F every step up to 600 parameters (a ~0.3 GFLOP solve)

    def _largest_matrix(self):
        return sum(p.size for p in self.params)

    def _metric(self, curv):
        return {"F": curv.dense().astype(np.float64)}

    def effective_damping(self) -> float:
        f = self.metric["F"]
        lam = self.damping
        return lam * float(np.trace(f)) / f.shape[0] if self.hp["damping_relative"] else lam

    def _refresh(self):
        f = self.metric["F"]
        lam = self.effective_damping()
        a = f + lam * np.eye(f.shape[0])
        try:
            # F + λI = L Lᵀ; keep L⁻¹ so each direction is two matrix-vector products
            self._linv = lower_inverse(np.linalg.cholesky(a))
            self._pinv = None
        except np.linalg.LinAlgError:
            # singular (λ = 0 on a rank-deficient F, e.g. softmax's shift direction):
            # minimum-norm solution through the eigen-pseudo-inverse
            w, q = np.linalg.eigh(a)
            keep = w > a.shape[0] * np.finfo(np.float64).eps * max(abs(w).max(), 1e-300)
            self._pinv = (q[:, keep] / w[keep]) @ q[:, keep].T
            self._linv = None
            self.info["singular"] = True
            self.info["rank"] = int(keep.sum())
        self.info["damping"] = lam
        if f.shape[0] <= COND_MAX_PARAMS:
            self.info["cond"] = self.cond

    @property
    def cond(self) -> float:
        """cond(F) of the undamped Fisher last measured (inf when singular)."""
        if "cond" not in self.info:
            if self.metric is None:
                raise RuntimeError("no metric yet: take a step (or call refresh(x, y, loss)) first")
            w = np.linalg.eigvalsh(self.metric["F"])
            self.info["cond"] = float(w[-1] / w[0]) if w[0] > 0 else float("inf")
        return self.info["cond"]

    def solve(self, g: np.ndarray) -> np.ndarray:
        """(F + λI)⁻¹ g for a flat vector g."""
        self._ensure_factorised()
        if self._linv is not None:
            return self._linv.T @ (self._linv @ g)
        return self._pinv @ g

    def _direction(self, grads):
        d = self.solve(np.concatenate([g.ravel() for g in grads]))
        out, start = [], 0
        for g in grads:
            out.append(d[start : start + g.size].reshape(g.shape))
            start += g.size
        return out

    def _matrix(self):
        return self.metric["F"]
