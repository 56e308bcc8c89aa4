"""Natural-gradient optimizers and the Fisher matrices behind them.

    opt = nv.optim.make("kfac", net, lr=0.1, damping=1e-3)          # or "ng-exact", "unitwise",
    nv.Trainer(net, "cross_entropy", opt).fit(ds, epochs=5)         # "qd", "diag"
    mats = nv.optim.natural.fisher_matrices(net, x, y, "cross_entropy")
    F, blocks = mats["exact"]                                        # P × P, [(name, start, stop)]

Every method shares one pipeline (fisher.py: output-space seeds, backpropagated per
example) and one interface (preconditioner.py: statistics in, direction out). See
shared/research/natural_gradient.md for the formulas and the invariance table.
"""

from __future__ import annotations

import numpy as np

from .diag import DiagonalFisher
from .exact import ExactNaturalGradient
from .fisher import FISHER_TYPES, Curvature, LayerStats, Layout, backprop_seeds, output_metric, output_seeds
from .kfac import KFAC, pi_damping
from .linalg import robust_inverse, spd_inverse
from .ollivier import QuasiDiagonal, UnitwiseNaturalGradient, qd_direction
from .preconditioner import MAX_MATRIX_PARAMS, NaturalGradient

NATURAL_OPTIMIZERS: dict[str, type[NaturalGradient]] = {
    cls.name: cls for cls in (ExactNaturalGradient, KFAC, UnitwiseNaturalGradient, QuasiDiagonal, DiagonalFisher)
}

# view name -> optimizer class whose metric it shows
_VIEWS = {
    "exact": ExactNaturalGradient,
    "kfac": KFAC,
    "unitwise": UnitwiseNaturalGradient,
    "qd": QuasiDiagonal,
    "diag": DiagonalFisher,
}


def curvature(net, x, y=None, loss: str = "mse", fisher: str = "true", seed: int = 0, mc_samples: int = 1) -> Curvature:
    """Forward x (evaluation mode) and gather the per-layer statistics of the chosen Fisher."""
    net.forward(x, train=False)
    return Curvature.from_network(net, y, loss, fisher, np.random.default_rng(seed), mc_samples)


def fisher_matrices(
    net,
    x,
    y=None,
    loss: str = "mse",
    fisher: str = "true",
    kinds: list[str] | None = None,
    seed: int = 0,
    mc_samples: int = 1,
) -> dict[str, tuple[np.ndarray, list[tuple[str, int, int]]]]:
    """The Fisher and its approximations on (x, y), for the app's heat-map and spectrum views.

    Returns name -> (P × P float64 array, [(parameter name, start, stop)]) in network
    parameter order, for names in kinds (default: "exact", "kfac", "unitwise", "qd", "diag";
    the layer-wise ones only when every parametrised layer is dense or conv2d). y is needed
    for fisher="empirical" only. Raises ValueError above MAX_MATRIX_PARAMS parameters.
    """
    p = net.num_parameters()
    if p > MAX_MATRIX_PARAMS:
        raise ValueError(
            f"fisher_matrices: {p} parameters is too many for dense P x P matrices (limit {MAX_MATRIX_PARAMS})"
        )
    every = kinds is None
    kinds = list(_VIEWS) if every else kinds
    unknown = [k for k in kinds if k not in _VIEWS]
    if unknown:
        raise ValueError(f"fisher_matrices: unknown kind(s) {unknown}; choose from {', '.join(_VIEWS)}")
    curv = curvature(net, x, y, loss, fisher, seed, mc_samples)
    out = {}
    for kind in kinds:
        cls = _VIEWS[kind]
        try:
            opt = cls(net, fisher=fisher, damping=0.0)
        except ValueError:
            if every:
                continue  # a layer the structured methods do not cover: skip that view
            raise
        opt._absorb(opt._metric(curv))
        out[kind] = opt.fisher_matrix()
    return out


__all__ = [
    "NATURAL_OPTIMIZERS",
    "NaturalGradient",
    "ExactNaturalGradient",
    "KFAC",
    "UnitwiseNaturalGradient",
    "QuasiDiagonal",
    "DiagonalFisher",
    "Curvature",
    "LayerStats",
    "Layout",
    "FISHER_TYPES",
    "fisher_matrices",
    "curvature",
    "output_seeds",
    "output_metric",
    "backprop_seeds",
    "pi_damping",
    "qd_direction",
    "robust_inverse",
    "spd_inverse",
    "MAX_MATRIX_PARAMS",
]
