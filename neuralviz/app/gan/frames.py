"""GanFrame: what the GAN page draws, computed in the worker thread from a GAN (copies only).

GAN Lab's "layered distributions", as arrays:
    heat      D(x) on a grid over the view's square (row-major: heat[row = y, col = x])
    real      real samples (a fixed draw, so they do not flicker)
    fake      G(z) for a FIXED latent batch: the same z every frame, so the points glide as G learns
    arrows    −∂L_G/∂x at each fake point: where the generator's loss pushes that sample (what G receives)
    manifold  G applied to a lattice over the latent plane (its first two coordinates; the others 0),
              shape (k, k, 2): the warped sheet G folds onto the data

and the slow-motion phases: each step is told in numbered sub-steps, as GAN Lab does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...generative.gan import GAN

HEAT_RES = 64  # D's map: 64×64 forward passes, about a millisecond
MANIFOLD_RES = 21  # GAN Lab's lattice
MAX_CURVE_POINTS = 400  # the loss curves are decimated to this many points per frame

D_PHASES = (
    "1  G makes fake samples from noise",
    "2  D scores real and fake samples",
    "3  D's loss: real should score high, fake low",
    "4  the gradient of D's loss flows back into D",
    "5  D's weights move: its map shifts",
)
G_PHASES = (
    "1  G makes fake samples from noise",
    "2  D scores the fake samples only",
    "3  G's loss: fakes should fool D",
    "4  the gradient flows back through D (frozen) into G: the arrows",
    "5  G's weights move: the fake points follow the arrows",
)


@dataclass(frozen=True)
class GanFrame:
    step: int
    d_steps: int
    g_steps: int
    budget: int
    extent: float
    heat: np.ndarray
    real: np.ndarray
    fake: np.ndarray
    arrows: np.ndarray
    manifold: np.ndarray | None
    d_loss: np.ndarray
    g_loss: np.ndarray
    curve_steps: np.ndarray
    coverage: dict | None
    steps_per_second: float
    playing: bool
    final: bool
    source: str
    k_d: int
    lr_g: float
    lr_d: float
    loss: str
    phase: str = ""  # the slow-motion sub-step being shown ("" when none)
    phase_side: str = ""  # "D" or "G"


def lattice(extent: float, res: int) -> np.ndarray:
    """(res*res, 2) points of a res×res grid over [-extent, extent]², row-major (y outer, x inner)."""
    ticks = np.linspace(-extent, extent, res, dtype=np.float32)
    xx, yy = np.meshgrid(ticks, ticks, indexing="xy")
    return np.stack([xx.ravel(), yy.ravel()], axis=1)


def latent_lattice(gan: GAN, res: int = MANIFOLD_RES) -> np.ndarray:
    """A res×res lattice over the latent plane: ±2 std for normal noise, the whole square for uniform."""
    span = 2.0 if gan.distribution == "normal" else 1.0
    z = np.zeros((res * res, gan.latent_dim), dtype=np.float32)
    z[:, : min(2, gan.latent_dim)] = lattice(span, res)[:, : min(2, gan.latent_dim)]
    return z


def decimate(values: np.ndarray, limit: int = MAX_CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) with at most ~limit points: block means, so a long run's curve stays cheap to draw."""
    n = len(values)
    if n <= limit:
        return np.arange(1, n + 1, dtype=np.float64), values.astype(np.float64)
    k = -(-n // limit)
    m = n // k * k
    with np.errstate(invalid="ignore"):
        blocks = np.nanmean(values[:m].reshape(-1, k), axis=1) if m else np.zeros(0)
    return (np.arange(len(blocks)) * k + k / 2).astype(np.float64), blocks


def make_frame(gan: GAN, fixed_z: np.ndarray, real: np.ndarray, **status) -> GanFrame:
    """A frame of the GAN as it is now (only 2-D data: the page's plane)."""
    extent = float(gan.source.extent)
    heat = gan.discriminate(lattice(extent, HEAT_RES)).reshape(HEAT_RES, HEAT_RES).astype(np.float32)
    fake = gan.sample(z=fixed_z)
    arrows = gan.input_gradient(fake, of="g_loss")
    manifold = gan.sample(z=latent_lattice(gan)).reshape(MANIFOLD_RES, MANIFOLD_RES, 2)
    state = gan.state()
    with np.errstate(all="ignore"):
        steps, d_loss = decimate(state.d_loss)
        _, g_loss = decimate(state.g_loss)
    return GanFrame(
        step=state.steps_done,
        d_steps=state.d_steps,
        g_steps=state.g_steps,
        budget=gan.budget,
        extent=extent,
        heat=heat,
        real=real,
        fake=fake,
        arrows=arrows,
        manifold=manifold,
        d_loss=d_loss,
        g_loss=g_loss,
        curve_steps=steps,
        coverage=gan.coverage(n=1000, seed=0),
        source=str(gan.data_cfg.get("source")),
        k_d=gan.k_d,
        lr_g=gan.lr_g,
        lr_d=gan.lr_d,
        loss=gan.loss,
        **status,
    )
