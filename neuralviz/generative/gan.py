"""GAN: a generator and a discriminator (two neuralviz Networks) in a game, stepped by hand.

    gan = nv.generative.GAN.from_preset("gan-ring", seed=0)
    history = gan.train()                  # the preset's budget of steps; {"d_loss": [...], "g_loss": [...]}
    gan.sample(500), gan.real(500)         # generated and real samples, shaped like the data

One `step()` is k_d discriminator steps then one generator step (Goodfellow et al. 2014, Alg. 1):

- D step: real x and fake G(z) in one batch, BCE on D's logits (target 1 for real, 0 for fake),
  D.backward, D's optimizer. G only runs forward.
- G step: D forward on G(z), ∂L_G/∂logit, D.backward gives ∂L_G/∂x (D's parameter gradients are
  zeroed: only G moves), G.backward(∂L_G/∂x), G's optimizer.

Losses on logits l (stable forms): "non_saturating" L_G = −log σ(l) (strong gradients while D rejects
the fakes), "saturating" L_G = log(1 − σ(l)) (the minimax game; its gradient σ(l) vanishes then) and
"least_squares" on σ(l) (GAN Lab's LeastSq: L_D = (D(x) − 1)² + D(G(z))², L_G = (D(G(z)) − 1)²).

Every random thing has its own seeded stream: the training batches (real draws and latents) and the
streams behind sample/real/latent, so drawing samples for a view never changes the training.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from .. import losses, optim
from ..network import Network
from . import sources

LOSSES = ("non_saturating", "saturating", "least_squares")
DISTRIBUTIONS = ("normal", "uniform")
_TRAINING_DEFAULTS = {
    "loss": "non_saturating",
    "optimizer": "adam",
    "lr_g": 1e-3,
    "lr_d": 1e-3,
    "betas": [0.5, 0.999],
    "batch_size": 64,
    "k_d": 1,
    "steps": 1000,
    "real_label": 1.0,
    "schedule": "constant",
    "schedule_options": {},
}


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free


@dataclass(frozen=True)
class GanState:
    """A snapshot for another thread: counts, settings and copies of the loss history."""

    steps_done: int
    d_steps: int
    g_steps: int
    d_loss: np.ndarray
    g_loss: np.ndarray
    lr_g: float
    lr_d: float
    k_d: int
    loss: str


def _positive_int(who: str, key: str, value, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{who}: {key} must be an integer >= {low}, got {value!r:.60}")
    return int(value)


def _rate(who: str, key: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: {key} must be a number, got {type(value).__name__} {value!r:.60}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{who}: {key} must be a finite number > 0, got {value!r}")
    return float(value)


def load_preset(name_or_dict) -> dict:
    """A GAN preset dict (by name from assets/presets/, or a dict checked the same way)."""
    from .. import presets

    preset = presets.load(name_or_dict) if isinstance(name_or_dict, str) else name_or_dict
    if not isinstance(preset, dict):
        raise ValueError(f"GAN: a preset is a name or a dict, got {type(preset).__name__}")
    if preset.get("kind") != "gan":
        raise ValueError(f"GAN: preset {preset.get('name', '?')!r:.60} is not a GAN preset (its kind is not 'gan')")
    for key in ("generator", "discriminator", "latent", "data"):
        if not isinstance(preset.get(key), dict):
            raise ValueError(f"GAN preset {preset.get('name', '?')!r:.60}: needs a {key!r} object")
    return preset


class GAN:
    """Two Networks and their optimizers; build with GAN.from_preset(name_or_dict, seed=0)."""

    def __init__(self, preset: dict, seed: int = 0):
        self.preset = copy.deepcopy(load_preset(preset))
        self.name = str(self.preset.get("name", "gan"))
        self._read_config()
        self.reset(seed)

    @classmethod
    def from_preset(cls, name_or_dict, seed: int = 0) -> GAN:
        return cls(load_preset(name_or_dict), seed=seed)

    # ------------------------------------------------------------------ configuration
    def _read_config(self) -> None:
        who = f"GAN preset {self.name!r}"
        latent = self.preset["latent"]
        self.latent_dim = _positive_int(who, "latent.dim", latent.get("dim", 2))
        self.distribution = latent.get("distribution", "normal")
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"{who}: latent.distribution must be one of {DISTRIBUTIONS}, got {self.distribution!r}")
        t = {**_TRAINING_DEFAULTS, **(self.preset.get("training") or {})}
        if "beta1" in t:
            t["betas"] = [t["beta1"], t.get("beta2", 0.999)]
        if t["loss"] not in LOSSES:
            raise ValueError(f"{who}: training.loss must be one of {LOSSES}, got {t['loss']!r:.60}")
        self.loss = t["loss"]
        self.optimizer = t["optimizer"]
        self.lr_g, self.lr_d = _rate(who, "lr_g", t["lr_g"]), _rate(who, "lr_d", t["lr_d"])
        self.betas = tuple(float(b) for b in t["betas"])
        self.batch_size = _positive_int(who, "batch_size", t["batch_size"])
        self.k_d = _positive_int(who, "k_d", t["k_d"], low=0)
        self.budget = _positive_int(who, "steps", t["steps"], low=0)
        self.real_label = float(t["real_label"])
        if not 0.5 < self.real_label <= 1.0:
            raise ValueError(f"{who}: real_label (one-sided smoothing) must be in (0.5, 1], got {self.real_label!r}")
        self.schedule = (t["schedule"], dict(t["schedule_options"] or {}))
        self.data_cfg = dict(self.preset["data"])

    def _make_optimizer(self, net: Network, lr: float):
        hp = {"lr": lr, "schedule": self.schedule[0], "schedule_options": self.schedule[1]}
        if self.optimizer == "adam":
            hp.update(beta1=self.betas[0], beta2=self.betas[1])
        return optim.make(self.optimizer, net, **hp)

    def reset(self, seed: int | None = None) -> None:
        """Fresh weights, optimizers, streams and history for `seed` (the current seed when None)."""
        seed = self.seed if seed is None else seed
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"GAN: seed must be an integer >= 0, got {seed!r:.60}")
        self.seed = int(seed)
        spec_g, spec_d = copy.deepcopy(self.preset["generator"]), copy.deepcopy(self.preset["discriminator"])
        self.generator = Network.from_spec(spec_g, seed=self.seed)
        self.discriminator = Network.from_spec(spec_d, seed=self.seed + 1_000)
        self.source = sources.make(self.data_cfg, seed=self.seed)
        self._check_shapes()
        self.opt_g = self._make_optimizer(self.generator, self.lr_g)
        self.opt_d = self._make_optimizer(self.discriminator, self.lr_d)
        self._train_rng = np.random.default_rng([self.seed, 1])
        self._eval_rng = np.random.default_rng([self.seed, 2])
        self.steps_done = self.d_steps = self.g_steps = 0
        self.history: dict[str, list[float]] = {"d_loss": [], "g_loss": []}

    def _check_shapes(self) -> None:
        who = f"GAN preset {self.name!r}"
        if self.generator.input_shape != (self.latent_dim,):
            raise ValueError(
                f"{who}: the generator's input_shape {list(self.generator.input_shape)} must be [latent.dim] "
                f"= [{self.latent_dim}]"
            )
        if self.generator.output_shape != self.source.shape:
            raise ValueError(
                f"{who}: the generator makes {self.generator.output_shape} but the data are {self.source.shape}"
            )
        if self.discriminator.input_shape != self.source.shape:
            raise ValueError(
                f"{who}: the discriminator reads {self.discriminator.input_shape} but the data are {self.source.shape}"
            )
        if math.prod(self.discriminator.output_shape) != 1:
            raise ValueError(f"{who}: the discriminator must output one logit, not {self.discriminator.output_shape}")

    def with_networks(self, generator: dict | None = None, discriminator: dict | None = None) -> GAN:
        """A new GAN playing the same game with other players: the given network specs (None keeps the
        current one), the same data (drawn points included), latent and training settings (the live
        rates, loss and k included), fresh weights from this GAN's seed, step 0. Built and checked before
        anything is returned (this GAN is never changed): ValueError naming the player and the shape
        that does not fit (G reads [latent.dim] and makes a sample, D reads a sample and makes one logit)."""
        preset = copy.deepcopy(self.preset)
        preset["data"] = copy.deepcopy(self.data_cfg)
        preset["training"] = {
            **(preset.get("training") or {}),
            "lr_g": self.lr_g,
            "lr_d": self.lr_d,
            "loss": self.loss,
            "k_d": self.k_d,
        }
        for key, spec in (("generator", generator), ("discriminator", discriminator)):
            if spec is None:
                continue
            if not isinstance(spec, dict):
                raise TypeError(f"GAN.with_networks: the {key} must be a network spec dict, got {type(spec).__name__}")
            try:
                Network.from_spec(copy.deepcopy(spec))
            except (ValueError, TypeError, KeyError) as err:
                raise ValueError(f"GAN.with_networks: the {key} spec does not build: {err}") from err
            preset[key] = copy.deepcopy(spec)
        return GAN(preset, seed=self.seed)

    def set_points(self, points) -> None:
        """Replace a "points" source's drawn points (the app's draw-your-own)."""
        if self.data_cfg.get("source") != "points":
            raise ValueError(f"GAN: set_points needs a 'points' data source, not {self.data_cfg.get('source')!r}")
        self.data_cfg["points"] = np.asarray(points, dtype=np.float64).reshape(-1, 2).tolist()
        self.source = sources.make(self.data_cfg, seed=self.seed)

    def set_lr(self, lr_g: float | None = None, lr_d: float | None = None) -> None:
        if lr_g is not None:
            self.lr_g = _rate("GAN", "lr_g", lr_g)
            self.opt_g.set_lr(self.lr_g)
        if lr_d is not None:
            self.lr_d = _rate("GAN", "lr_d", lr_d)
            self.opt_d.set_lr(self.lr_d)

    def set_loss(self, loss: str) -> None:
        """Switch the game's loss live ("non_saturating", "saturating", "least_squares"): the weights stay."""
        if loss not in LOSSES:
            raise ValueError(f"GAN: loss must be one of {', '.join(LOSSES)}, got {loss!r:.60}")
        self.loss = loss

    def set_k_d(self, k_d: int) -> None:
        self.k_d = _positive_int("GAN", "k_d", k_d, low=0)

    # ------------------------------------------------------------------ sampling
    def _z(self, n: int, rng: np.random.Generator) -> np.ndarray:
        shape = (n, self.latent_dim)
        z = rng.standard_normal(shape) if self.distribution == "normal" else rng.uniform(-1.0, 1.0, shape)
        return z.astype(np.float32)

    def _stream(self, seed) -> np.random.Generator:
        return self._eval_rng if seed is None else np.random.default_rng(seed)

    def latent(self, n: int, seed: int | None = None) -> np.ndarray:
        """n latent vectors (n, dim): from the GAN's own evaluation stream, or from `seed` when given."""
        return self._z(_positive_int("GAN.latent", "n", n, low=0), self._stream(seed))

    def sample(self, n: int | None = None, *, z=None, seed: int | None = None) -> np.ndarray:
        """n generated samples shaped like the data (or G(z) for given latents z)."""
        if z is None:
            if n is None:
                raise ValueError("GAN.sample: give n or z")
            z = self.latent(n, seed)
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"GAN.sample: z must have shape (n, {self.latent_dim}), got {z.shape}")
        return self.generator.forward(z).copy()

    def real(self, n: int, seed: int | None = None) -> np.ndarray:
        """n real samples from the data source (the evaluation stream, or `seed`)."""
        return self.source.sample(_positive_int("GAN.real", "n", n, low=0), self._stream(seed))

    def discriminate(self, x) -> np.ndarray:
        """D(x): the probability D gives each sample of being real, shape (n,)."""
        return _sigmoid(self.discriminator.forward(np.asarray(x, dtype=np.float32)).reshape(-1).astype(np.float64))

    def input_gradient(self, x, of: str = "d") -> np.ndarray:
        """∂D(x)/∂x (of="d": where D's output rises, GAN Lab's arrows) or −∂L_G/∂x (of="g_loss": the
        direction the generator's loss pushes each sample, what G actually receives)."""
        x = np.asarray(x, dtype=np.float32)
        logits = self.discriminator.forward(x).reshape(len(x), 1)
        if of == "d":
            p = _sigmoid(logits.astype(np.float64))
            grad = p * (1 - p)
        elif of == "g_loss":
            grad = -self._g_loss(logits)[1] * len(x)  # per sample, not divided by the batch
        else:
            raise ValueError(f"GAN.input_gradient: of must be 'd' or 'g_loss', got {of!r:.60}")
        gx = self.discriminator.backward(
            grad.astype(np.float32).reshape(self.discriminator.outputs[self.discriminator.output_id].shape)
        )
        self.discriminator.zero_grad()
        return np.asarray(gx, dtype=np.float32).copy()

    # ------------------------------------------------------------------ losses
    def _d_loss(self, logits: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
        """D's loss over a batch of real then fake logits; sums the real and the fake means."""
        n = len(logits)
        if self.loss == "least_squares":
            p = _sigmoid(logits.astype(np.float64))
            value = 2.0 * float(np.mean((p - target) ** 2))
            grad = 2.0 * 2.0 * (p - target) * p * (1 - p) / n
            return value, grad.astype(logits.dtype)
        value, grad = losses.bce(logits, target)
        return 2.0 * float(value), 2.0 * grad

    def _g_loss(self, logits: np.ndarray) -> tuple[float, np.ndarray]:
        n = len(logits)
        if self.loss == "non_saturating":
            value, grad = losses.bce(logits, np.ones_like(logits))
            return float(value), grad
        l64 = logits.astype(np.float64)
        p = _sigmoid(l64)
        if self.loss == "saturating":  # log(1 − σ(l)) = −softplus(l)
            return float(-np.mean(_softplus(l64))), (-p / n).astype(logits.dtype)
        return float(np.mean((p - 1) ** 2)), (2.0 * (p - 1) * p * (1 - p) / n).astype(logits.dtype)

    # ------------------------------------------------------------------ steps
    def _d_update(self) -> float:
        """One discriminator update on a fresh real batch and a fresh fake batch; returns D's loss."""
        b = self.batch_size
        real = self.source.sample(b, self._train_rng)
        fake = self.generator.forward(self._z(b, self._train_rng), train=True)
        x = np.concatenate([real, fake.astype(np.float32, copy=False)])
        d = self.discriminator
        logits = d.forward(x, train=True).reshape(2 * b, 1)
        target = np.zeros((2 * b, 1), dtype=logits.dtype)
        target[:b] = self.real_label
        value, grad = self._d_loss(logits, target)
        d.zero_grad()
        d.backward(grad.reshape(d.outputs[d.output_id].shape), input_grad=False)
        self.opt_d.step()
        self.d_steps += 1
        return value

    def _g_update(self) -> float:
        """One generator update through a frozen D; returns G's loss."""
        g, d = self.generator, self.discriminator
        fake = g.forward(self._z(self.batch_size, self._train_rng), train=True)
        logits = d.forward(fake, train=True)
        value, grad = self._g_loss(logits.reshape(len(fake), 1))
        d.zero_grad()
        grad_x = d.backward(grad.reshape(logits.shape))
        d.zero_grad()  # only G updates
        g.zero_grad()
        g.backward(grad_x, input_grad=False)
        self.opt_g.step()
        self.g_steps += 1
        return value

    def _record(self, d_loss: float, g_loss: float) -> None:
        self.history["d_loss"].append(d_loss)
        self.history["g_loss"].append(g_loss)
        self.steps_done += 1

    def step_d(self) -> float:
        """One discriminator step alone (GAN Lab's "train D only"): history gets (D loss, NaN)."""
        value = self._d_update()
        self._record(value, math.nan)
        return value

    def step_g(self) -> float:
        """One generator step alone ("train G only"): history gets (NaN, G loss)."""
        value = self._g_update()
        self._record(math.nan, value)
        return value

    def step(self) -> tuple[float, float]:
        """k_d D updates then one G update (one iteration of Goodfellow et al.'s Algorithm 1); history gets
        (mean D loss, G loss). steps_done counts step(), step_d() and step_g() calls alike."""
        d_losses = [self._d_update() for _ in range(self.k_d)]
        g_loss = self._g_update()
        d_loss = float(np.mean(d_losses)) if d_losses else math.nan
        self._record(d_loss, g_loss)
        return d_loss, g_loss

    def train(self, steps: int | None = None, callback=None) -> dict[str, np.ndarray]:
        """Runs `steps` step()s (None: the preset's budget); returns the whole loss history as arrays.
        callback(gan) runs after every step (return True from it to stop early)."""
        steps = self.budget if steps is None else _positive_int("GAN.train", "steps", steps, low=0)
        for _ in range(steps):
            d_loss, g_loss = self.step()
            if not (math.isfinite(g_loss) and (math.isfinite(d_loss) or self.k_d == 0)):
                raise FloatingPointError(
                    f"GAN.train: the losses diverged at step {self.steps_done} (D {d_loss}, G {g_loss})"
                )
            if callback is not None and callback(self):
                break
        return self.losses()

    def losses(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v, dtype=np.float64) for k, v in self.history.items()}

    def state(self) -> GanState:
        """Counts, settings and copies of the history: safe to hand to another thread."""
        return GanState(
            self.steps_done,
            self.d_steps,
            self.g_steps,
            np.asarray(self.history["d_loss"], dtype=np.float64),
            np.asarray(self.history["g_loss"], dtype=np.float64),
            self.lr_g,
            self.lr_d,
            self.k_d,
            self.loss,
        )

    def coverage(self, n: int = 2500, seed: int = 0) -> dict | None:
        """Mode coverage of n samples (metrics.mode_coverage) for a mixture source, None otherwise."""
        from .metrics import mode_coverage

        if self.source.modes is None:
            return None
        return mode_coverage(self.sample(n, seed=seed), self.source.modes, self.source.std)

    def __repr__(self) -> str:
        return f"GAN({self.name!r}, seed={self.seed}, steps_done={self.steps_done})"
