"""The image GAN's engine side for the page and the lecture view (no Qt): a GAN, the fixed latents its grid
decodes, the user's picks, and the frames a worker thread hands the GUI.

The grid decodes the SAME latent vectors at every frame, so what changes between frames is the generator,
never the dice: the room watches each tile turn from noise into a digit. Picks a, b, c are tiles of that
grid; a frame brings the strip from a to b (slerp, or lerp to compare) and the sum a − b + c, decoded by the
same generator. "New codes" draws another 64 codes (from a counter of draws, so a run replays exactly).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...generative.gan import GAN
from ...generative.latent import MODES, arithmetic, interpolate

GRID = 64  # tiles in the sample grid (8 x 8)
REAL = 16  # real images shown beside it (4 x 4)
STRIP = 9  # images in the interpolation strip, ends included
CURVE_POINTS = 400  # the loss curves are running means, thinned to about this many points
SMOOTH = 50  # steps per running mean (one batch's loss is noise)
DEFAULT_PICKS = (2, 21, 44)  # apart on the grid: the frames of neighbours would overlap
PICK_NAMES = ("a", "b", "c")


@dataclass(frozen=True)
class GanImagesFrame:
    """What one frame shows: copies only (the worker keeps training while the GUI draws)."""

    step: int
    budget: int
    samples: np.ndarray  # (GRID, H, W) in [-1, 1]: G of the fixed latents
    real: np.ndarray  # (REAL, H, W) in [-1, 1]
    picks: tuple[int, ...]  # tile indices of a, b, c (fewer while the user is picking)
    strip: np.ndarray  # (STRIP, H, W): from a to b (empty before two picks)
    walk: str  # how the strip interpolates: "slerp" or "lerp"
    total: np.ndarray  # (1, H, W): G(z_a − z_b + z_c); (0, H, W) before three picks
    steps: np.ndarray  # x of the loss curves
    d_loss: np.ndarray  # running mean of D's loss
    g_loss: np.ndarray  # running mean of G's loss
    d_real: float  # mean D(x) over the real images shown: D's belief that they are real
    d_fake: float  # mean D(G(z)) over the grid
    playing: bool = False
    final: bool = False


def running_mean(values: np.ndarray, width: int = SMOOTH) -> np.ndarray:
    """Trailing mean over up to `width` values (the first ones average what there is so far)."""
    c = np.concatenate([[0.0], np.cumsum(values)])
    n = np.arange(1, len(values) + 1)
    lo = np.maximum(0, n - width)
    return (c[n] - c[lo]) / (n - lo)


def images(x: np.ndarray) -> np.ndarray:
    """Samples (n, 1, H, W) or (n, H, W) as (n, H, W) float32 copies: the tiles' one channel."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 4:
        if x.shape[1] != 1:
            raise ValueError(f"the image GAN shows one-channel images, got samples of shape {x.shape[1:]}")
        x = x[:, 0]
    if x.ndim != 3:
        raise ValueError(f"the image GAN shows images (n, H, W) or (n, 1, H, W), got shape {x.shape}")
    return x.copy()


class GanImagesRun:
    """A GAN on images with the fixed latents of its grid (drawn from `seed`) and the picks a, b, c."""

    def __init__(self, preset, seed: int = 0):
        self.gan = GAN.from_preset(preset, seed=seed)
        if len(self.gan.source.shape) != 3:
            raise ValueError(f"the image GAN needs image data (C, H, W), got samples of shape {self.gan.source.shape}")
        self.seed = seed
        self.draws = 0  # how many times "New codes" was pressed
        self.fixed_z = self._codes()
        self.real = images(self.gan.real(REAL, seed=seed + 20_011))
        self.picks: tuple[int, ...] = DEFAULT_PICKS
        self.walk = MODES[0]

    def _codes(self) -> np.ndarray:
        seed = np.random.SeedSequence([self.seed, 10_007, self.draws]).generate_state(1)[0]
        return self.gan.latent(GRID, seed=int(seed))

    def new_codes(self) -> None:
        """Another 64 fixed codes for the grid (the picks keep their tiles)."""
        self.draws += 1
        self.fixed_z = self._codes()

    def set_walk(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown interpolation {mode!r}; choose one of {', '.join(MODES)}")
        self.walk = mode

    @property
    def step(self) -> int:
        return self.gan.steps_done

    @property
    def budget(self) -> int:
        return self.gan.budget

    def advance(self, k: int) -> None:
        """k more G+D steps (past the preset's budget too, if asked)."""
        self.gan.train(max(0, int(k)))

    def pick(self, tile: int, slot: int) -> None:
        """Tile `tile` of the grid becomes pick `slot` (0: a, 1: b, 2: c); earlier slots must be set first."""
        if not 0 <= tile < GRID:
            raise ValueError(f"tile must be in [0, {GRID}), got {tile}")
        if not 0 <= slot <= min(len(self.picks), len(PICK_NAMES) - 1):
            raise ValueError(f"pick slot must be in [0, {min(len(self.picks), 2)}], got {slot}")
        picks = list(self.picks)
        picks[slot : slot + 1] = [tile]
        self.picks = tuple(picks)

    def latents_of_picks(self) -> tuple[np.ndarray, np.ndarray]:
        """The strip's latents (STRIP, dim) from a to b, and z_a − z_b + z_c as (1, dim) (empty when unpicked)."""
        dim = self.gan.latent_dim
        z = [self.fixed_z[i] for i in self.picks]
        strip = interpolate(z[0], z[1], STRIP, self.walk) if len(z) >= 2 else np.empty((0, dim), np.float32)
        total = arithmetic(*z[:3])[None] if len(z) >= 3 else np.empty((0, dim), np.float32)
        return strip.astype(np.float32), total.astype(np.float32)

    def frame(self, playing: bool = False, final: bool = False) -> GanImagesFrame:
        strip_z, sum_z = self.latents_of_picks()
        decoded = images(self.gan.sample(z=np.concatenate([self.fixed_z, strip_z, sum_z])))
        samples, strip, total = decoded[:GRID], decoded[GRID : GRID + len(strip_z)], decoded[GRID + len(strip_z) :]
        d = running_mean(np.asarray(self.gan.history["d_loss"], dtype=np.float64))
        g = running_mean(np.asarray(self.gan.history["g_loss"], dtype=np.float64))
        every = max(1, len(d) // CURVE_POINTS)
        keep = np.arange(len(d) - 1, -1, -every)[::-1]  # thinned, the last step always kept
        return GanImagesFrame(
            step=self.step,
            budget=self.budget,
            samples=samples,
            real=self.real.copy(),
            picks=self.picks,
            walk=self.walk,
            strip=strip,
            total=total,
            steps=(keep + 1).astype(np.float64),
            d_loss=d[keep],
            g_loss=g[keep],
            d_real=float(self.gan.discriminate(self.real[:, None]).mean()),
            d_fake=float(self.gan.discriminate(samples[:, None]).mean()),
            playing=playing,
            final=final,
        )
