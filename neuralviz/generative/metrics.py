"""Mode coverage of a GAN on a mixture of Gaussians (the unrolled-GAN / VEEGAN measure).

A sample is *high quality* when it lies within 3 std of its nearest mode; a mode is *covered*
when at least one high-quality sample is nearest to it (Metz et al. 2016; Srivastava et al. 2017,
"VEEGAN", Table 1). One stray sample covers a mode under that rule, so a *strict* count is
reported too: a mode holding at least `strict_share` (20 %) of its fair share of the HQ samples.
"""

from __future__ import annotations

import numpy as np


def mode_coverage(samples, modes, std: float, *, sigmas: float = 3.0, strict_share: float = 0.2) -> dict:
    """dict(modes_covered, modes_strict, n_modes, high_quality_fraction, counts): counts[i] is the
    number of high-quality samples whose nearest mode is mode i."""
    x = np.asarray(samples, dtype=np.float64)
    m = np.asarray(modes, dtype=np.float64)
    if x.ndim != 2 or m.ndim != 2 or x.shape[1] != m.shape[1]:
        raise ValueError(f"mode_coverage: samples {x.shape} and modes {m.shape} must be (n, d) and (k, d)")
    if not len(x) or not len(m):
        raise ValueError(f"mode_coverage: needs at least one sample and one mode, got {len(x)} and {len(m)}")
    if not (np.isfinite(std) and std > 0):
        raise ValueError(f"mode_coverage: std must be a positive number, got {std!r}")
    d2 = ((x[:, None, :] - m[None, :, :]) ** 2).sum(-1)
    nearest = d2.argmin(1)
    hq = np.sqrt(d2[np.arange(len(x)), nearest]) <= sigmas * std
    counts = np.bincount(nearest[hq], minlength=len(m))
    fair = hq.sum() / len(m)
    return {
        "modes_covered": int((counts > 0).sum()),
        "modes_strict": int((counts >= max(1.0, strict_share * fair)).sum()) if hq.any() else 0,
        "n_modes": len(m),
        "high_quality_fraction": float(hq.mean()),
        "counts": counts,
    }
