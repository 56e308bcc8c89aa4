"""Walks and sums in a generator's latent space: interpolation strips and "a − b + c" (the lecture's face and
chair arithmetic, Radford et al. 2015), for any decoder (a GAN's generator, an auto-encoder's decoder).

Latents are rows: z of shape (dim,) or a batch (n, dim). Interpolation is linear (`lerp`) or spherical
(`slerp`, White 2016, "Sampling generative networks"): for a Gaussian prior most of the mass lies near the
sphere of radius √dim, and the straight line between two samples dips inside it, where the generator saw few
codes during training (its midpoint has norm about √(dim/2)); slerp follows the great circle instead and keeps
the norm in between the ends'. Nothing here draws random numbers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lerp", "slerp", "interpolate", "arithmetic", "MODES"]

MODES = ("slerp", "lerp")
_PARALLEL = 1e-6  # below this angle (radians) slerp is lerp: sin(omega) would divide by ~0


def _vector(name: str, z) -> np.ndarray:
    """z as a finite float 1-D array (a clear error otherwise)."""
    z = np.asarray(z)
    if z.dtype.kind not in "fiu" or z.ndim != 1 or z.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D numeric latent vector, got shape {z.shape}, dtype {z.dtype}")
    z = z.astype(np.result_type(z.dtype, np.float32), copy=False)
    if not np.all(np.isfinite(z)):
        raise ValueError(f"{name} contains NaN or inf")
    return z


def _pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = _vector("a", a), _vector("b", b)
    if a.shape != b.shape:
        raise ValueError(f"latent vectors differ in size: a has {a.size} entries, b has {b.size}")
    return a, b


def _fractions(t) -> np.ndarray:
    t = np.asarray(t, dtype=np.float64)
    if t.ndim > 1 or not np.all(np.isfinite(t)):
        raise ValueError(f"t must be a finite number or a 1-D array of them, got shape {t.shape}")
    return t


def lerp(a, b, t) -> np.ndarray:
    """(1 − t)·a + t·b: one vector for a scalar t, rows (len(t), dim) for an array of fractions."""
    a, b = _pair(a, b)
    t = _fractions(t)
    out = (1.0 - t)[..., None] * a + t[..., None] * b
    return out.astype(a.dtype)


def slerp(a, b, t) -> np.ndarray:
    """Spherical interpolation: along the great circle from a to b, the norm moving linearly from |a| to |b|.
    t = 0 gives a, t = 1 gives b (exactly); parallel or zero vectors fall back to lerp."""
    a, b = _pair(a, b)
    t = _fractions(t)
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return lerp(a, b, t)
    ua, ub = a / na, b / nb
    omega = float(np.arccos(np.clip(np.dot(ua, ub), -1.0, 1.0)))
    if omega < _PARALLEL or np.pi - omega < _PARALLEL:  # same or opposite direction: no unique circle
        return lerp(a, b, t)
    s = np.sin(omega)
    wa, wb = np.sin((1.0 - t) * omega) / s, np.sin(t * omega) / s
    norm = (1.0 - t) * na + t * nb
    direction = wa[..., None] * ua + wb[..., None] * ub
    out = norm[..., None] * direction
    return out.astype(a.dtype)


def interpolate(a, b, n: int, mode: str = "slerp") -> np.ndarray:
    """A strip of n latents from a to b inclusive, (n, dim): what the page decodes between two picked tiles."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"an interpolation strip needs n >= 2 latents (both ends included), got {n!r}")
    if mode not in MODES:
        raise ValueError(f"unknown interpolation mode {mode!r}; choose one of {', '.join(MODES)}")
    return (slerp if mode == "slerp" else lerp)(a, b, np.linspace(0.0, 1.0, int(n)))


def arithmetic(a, b, c) -> np.ndarray:
    """z_a − z_b + z_c: "a is to b as ? is to c" (smiling woman − neutral woman + neutral man = smiling man).
    With several latents per term (rows), each term is their mean first, as Radford et al. averaged three."""
    terms = []
    for name, z in (("a", a), ("b", b), ("c", c)):
        z = np.asarray(z)
        if z.ndim == 2:
            if len(z) == 0:
                raise ValueError(f"{name} holds no latent vectors")
            z = z.mean(axis=0)
        terms.append(_vector(name, z))
    if len({t.shape for t in terms}) != 1:
        raise ValueError(f"latent vectors differ in size: {', '.join(str(t.size) for t in terms)} entries")
    za, zb, zc = terms
    return za - zb + zc
