"""Texture synthesis (Gatys, Ecker, Bethge 2015) on the random multi-scale filters of features.py.

Start from seeded noise; change the *pixels* (the filters stay fixed) by L-BFGS until the image's Gram
matrices match the source's at every filter size. The loss is the mean over layers of the relative Gram
error (gram.py), so it starts near 1 or above and "fell by 90%" means it is a tenth of its start.

    s = Synthesis("bricks", seed=0)      # or an image: float (H, W, 3) in [0, 1] (also (3, H, W))
    while s.step_count < 100:
        s.step()                          # one L-BFGS iteration; s.image, s.losses, s.grams() between
    image, losses = synthesize("bricks")  # the default budget in one call

A small penalty keeps pixels inside [0, 1] (Gatys bounds them with L-BFGS-B; a penalty keeps the optimiser
plain); `image` is clipped to [0, 1] for showing. Deterministic: the same seed gives the same image.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .bundled import load
from .features import FeatureSpec, RandomFilters
from .gram import gram, gram_loss
from .lbfgs import LBFGS

DEFAULT_STEPS = 200  # L-BFGS iterations: a few seconds here; the loss is below a tenth of its start within ~10
HISTORY = 10  # L-BFGS pairs kept
BOX_WEIGHT = 1.0  # weight of the mean squared distance of pixels outside [0, 1]
MIN_SIZE = 8  # pixels per side, at least
DEFAULT_FEATURES = FeatureSpec()  # sizes 3, 5, 7, 11, 15; 32 maps each; ReLU; filter seed 0


def as_image(texture) -> np.ndarray:
    """A bundled name or an image array as float64 (H, W, 3) in [0, 1]; a clear error for anything else."""
    if isinstance(texture, str):
        return load(texture)
    if not isinstance(texture, np.ndarray):
        raise TypeError(f"texture must be a bundled name or a numpy image, got {type(texture).__name__}")
    if not np.issubdtype(texture.dtype, np.floating):
        raise TypeError(f"texture image must be float in [0, 1], got dtype {texture.dtype} (divide 8-bit by 255)")
    if texture.ndim == 3 and texture.shape[-1] == 3:
        image = texture
    elif texture.ndim == 3 and texture.shape[0] == 3:
        image = texture.transpose(1, 2, 0)
    else:
        raise ValueError(f"texture image must be (H, W, 3) or (3, H, W) RGB, got shape {texture.shape}")
    if min(image.shape[:2]) < MIN_SIZE:
        raise ValueError(f"texture image must be at least {MIN_SIZE}x{MIN_SIZE} pixels, got {image.shape[:2]}")
    if not np.all(np.isfinite(image)) or image.min() < 0.0 or image.max() > 1.0:
        raise ValueError(f"texture image values must be finite and in [0, 1], got [{image.min()}, {image.max()}]")
    if np.ptp(image) == 0.0:
        raise ValueError("texture image is a single flat colour: it has no texture to match")
    return np.ascontiguousarray(image, dtype=np.float64)


class Synthesis:
    """One synthesis, one L-BFGS iteration per `step()`: the state the app shows between steps."""

    def __init__(
        self,
        texture,
        *,
        seed: int = 0,
        features: FeatureSpec = DEFAULT_FEATURES,
        history: int = HISTORY,
        dtype=np.float32,
    ):
        """dtype: of the feature maps (float32, the fast default; float64 for gradient checks)."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an integer, got {seed!r:.40}")
        self.source = as_image(texture)
        self.seed = int(seed)
        self.net = RandomFilters(features, dtype=dtype)
        h, w, _ = self.source.shape
        self.shape = (1, 3, h, w)
        self.mean = self.source.mean(axis=(0, 1)).reshape(1, 3, 1, 1)
        src = self.source.transpose(2, 0, 1)[None]
        self.targets = [gram(f) for f in self.net.forward(src - self.mean)]
        noise = np.random.default_rng(self.seed).random(self.shape)  # uniform noise: nothing of the source
        self.optimizer = LBFGS(self._objective, noise.reshape(-1), history=history)
        self.losses = [self._last_gram_loss]

    def _objective(self, flat: np.ndarray) -> tuple[float, np.ndarray]:
        """(Gram loss + box penalty, its gradient) at the pixels `flat` (float64 vector)."""
        x = flat.reshape(self.shape)
        feats = self.net.forward(x - self.mean)
        losses, grads = zip(*(gram_loss(f, t) for f, t in zip(feats, self.targets)))
        n = len(feats)
        grad_x = self.net.backward(feats, [g / n for g in grads]).astype(np.float64)
        outside = x - np.clip(x, 0.0, 1.0)
        self._last_gram_loss = float(sum(losses)) / n
        self._last_point, self._last_features = flat, feats
        loss = self._last_gram_loss + BOX_WEIGHT * float(np.mean(outside**2))
        grad_x += (2.0 * BOX_WEIGHT / outside.size) * outside
        return loss, grad_x.reshape(-1)

    # ------------------------------------------------------------------ stepping
    def step(self) -> float:
        """One L-BFGS iteration; returns (and appends to `losses`) the Gram loss at the new image."""
        self.optimizer.step()
        if self._last_point is not self.optimizer.x:  # the line search's last try was not the point it kept
            self._objective(self.optimizer.x)
        self.losses.append(self._last_gram_loss)
        return self.losses[-1]

    @property
    def step_count(self) -> int:
        return len(self.losses) - 1

    @property
    def image(self) -> np.ndarray:
        """The current image, float64 (H, W, 3) clipped to [0, 1]."""
        return np.clip(self.optimizer.x.reshape(self.shape)[0].transpose(1, 2, 0), 0.0, 1.0)

    def grams(self) -> list[np.ndarray]:
        """The current image's Gram matrix per filter size (compare with `targets`); from the features the
        last step computed at this image when it has them (a forward pass costs as much as the Grams' step)."""
        if self._last_point is not self.optimizer.x:
            self._objective(self.optimizer.x)
        return [gram(f) for f in self._last_features]

    @property
    def drop(self) -> float:
        """How far the Gram loss has fallen from its start: 0.9 = by 90%."""
        return 1.0 - self.losses[-1] / self.losses[0]


def synthesize(
    texture,
    *,
    steps: int | None = None,
    seed: int = 0,
    callback: Callable[[int, np.ndarray, float], object] | None = None,
    features: FeatureSpec = DEFAULT_FEATURES,
) -> tuple[np.ndarray, list[float]]:
    """Synthesise a texture like `texture` (a bundled name, or a float image (H, W, 3) or (3, H, W) in [0, 1])
    from noise seeded by `seed`, in `steps` L-BFGS iterations (None: DEFAULT_STEPS).

    Returns (image, gram_losses): the image as float64 (H, W, 3) in [0, 1], the source's size, and the Gram
    loss before the first step and after each (steps + 1 values). callback(step, image, loss), if given, is
    called after every step (live display)."""
    if steps is None:
        steps = DEFAULT_STEPS
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0 (or None for {DEFAULT_STEPS}), got {steps!r:.40}")
    s = Synthesis(texture, seed=seed, features=features)
    for _ in range(int(steps)):
        loss = s.step()
        if callback is not None:
            callback(s.step_count, s.image, loss)
    return s.image, list(s.losses)
