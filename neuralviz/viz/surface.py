"""The loss as a surface over two directions of weight space, and gradient descent walking on it.

Gradient descent is the flow dθ/dt = −∇C(θ); with millions of weights it cannot be drawn, but its
restriction to a plane can. A ParameterPlane fixes every weight but two coordinates (a, b):

    θ(a, b) = θ0 + a·d1 + b·d2,        f(a, b) = C(θ(a, b))  on the whole training set

where each axis is either one chosen weight ("h.weight[0,0]": d = that unit vector, and a is that weight's
value) or a direction of weight space (a flat vector, e.g. random_direction's; a = 0 at the network's
current weights). loss_surface evaluates f on a grid; Descent takes (full-batch) optimizer steps on f alone
— ∇f = (∇C·d1, ∇C·d2) by the chain rule — so the path it draws lies exactly on the surface drawn:

    plane = ParameterPlane(net, x, y, "mse", ["h.weight[0,0]", "out.weight[0,0]"])
    a, b, z = loss_surface(plane, (-4, 4), (-3, 3), resolution=41)    # z[i, j] = f(a[j], b[i])
    path, losses = descend(plane, start=(0.5, -2.5), lr=0.5, steps=100, momentum=0.0)

Every grid point is a full forward pass over the data with other weights, so the grid is a loop of forward
passes (one network whose two coordinates are rewritten in place; batching grid points would need one
weight set per example, which a Network does not have). Measured on one Xeon core: 41 x 41 points of one
tanh neuron on 160 examples take 40-50 ms, 61 x 61 80-120 ms; a 2-8-8-1 net on 250 examples 150-230 ms
at 41 x 41. No Qt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .. import losses
from ..network import Network

__all__ = ["ParameterPlane", "Descent", "loss_surface", "descend", "random_direction", "MAX_SURFACE_RESOLUTION"]

MAX_SURFACE_RESOLUTION = 201  # 40,401 forward passes: beyond that a live view waits too long
DIVERGED = 1e12  # a coordinate or loss beyond this (or not finite) ends a descent: the step was too large
_COORD = re.compile(r"^\s*([^\[\]\s]+)\s*(?:\[\s*([0-9]+(?:\s*,\s*[0-9]+)*)\s*\])?\s*$")


class ParameterPlane:
    """The loss of a network on (x, y) restricted to a 2-D plane of its weight space (see the module doc).

    axes: two entries, each a coordinate "layer.param[i, j]" (a parameter name as Network.parameters()
    names it, an index into its array; the index may be left out for a one-element parameter) or a direction
    (a flat array of net.num_parameters() entries, in the order of net.parameters()). The plane works on its
    own copy of `net`, so the caller's network keeps its weights."""

    def __init__(self, net: Network, x: np.ndarray, y: np.ndarray, loss: str, axes: Sequence):
        self.loss_name = loss
        self._loss = losses.get(loss)
        self.net = _copy_network(net)
        self.x = np.asarray(x)
        self.y = np.asarray(y)
        if len(self.x) == 0 or len(self.x) != len(self.y):
            raise ValueError(
                f"ParameterPlane: x and y need the same number (>= 1) of examples, got {len(x)} and {len(y)}"
            )
        self._params = self.net.parameters()
        theta = np.concatenate([p.value.ravel() for p in self._params]).astype(np.float64)
        if len(axes) != 2:
            raise ValueError(f"ParameterPlane: axes must hold exactly two entries, got {len(axes)}")
        self.labels: list[str] = []
        self._dirs: list[np.ndarray | tuple[int, int]] = []  # (param index, flat index) or a flat direction
        start = []
        for axis in axes:
            if isinstance(axis, str):
                where = self._coordinate(axis)
                self._dirs.append(where)
                self.labels.append(axis.replace(" ", ""))
                start.append(float(self._params[where[0]].value.flat[where[1]]))
            else:
                self._dirs.append(self._direction(axis, theta.size))
                self.labels.append(f"direction {len(self.labels) + 1}")
                start.append(0.0)
        if all(isinstance(d, tuple) for d in self._dirs) and self._dirs[0] == self._dirs[1]:
            raise ValueError(f"ParameterPlane: both axes name the same weight {self.labels[0]!r}")
        self._origin = theta
        for d in self._dirs:  # coordinate axes: the origin has that weight at 0
            if isinstance(d, tuple):
                self._origin[self._offset(d)] = 0.0
        self.start = (start[0], start[1])  # the network's own weights, in plane coordinates

    # ------------------------------------------------------------------ reading the axes
    def _coordinate(self, text: str) -> tuple[int, int]:
        names = [p.name for p in self._params]
        match = _COORD.match(text)
        if match is None or match.group(1) not in names:
            raise ValueError(f"ParameterPlane: unknown weight {text!r}; parameters are {', '.join(names)}")
        k = names.index(match.group(1))
        shape = self._params[k].value.shape
        index = tuple(int(i) for i in match.group(2).split(",")) if match.group(2) else None
        if index is None:
            if self._params[k].size != 1:
                raise ValueError(f"ParameterPlane: {text!r} has shape {shape}; name one entry, e.g. '{names[k]}[0, 0]'")
            return k, 0
        if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape)):
            raise ValueError(f"ParameterPlane: index {list(index)} of {text!r} is outside its shape {shape}")
        return k, int(np.ravel_multi_index(index, shape))

    @staticmethod
    def _direction(axis, size: int) -> np.ndarray:
        d = np.asarray(axis, dtype=np.float64).ravel()
        if d.size != size:
            raise ValueError(
                f"ParameterPlane: a direction needs {size} entries (the network's parameters), got {d.size}"
            )
        if not np.all(np.isfinite(d)) or not np.any(d):
            raise ValueError("ParameterPlane: a direction must be finite and not all zero")
        return d

    def _offset(self, where: tuple[int, int]) -> int:
        k, i = where
        return sum(p.size for p in self._params[:k]) + i

    # ------------------------------------------------------------------ the function and its gradient
    def set_point(self, a: float, b: float) -> None:
        """Write θ(a, b) into the plane's network."""
        if all(isinstance(d, tuple) for d in self._dirs):  # only two weights differ from the origin
            for (k, i), v in zip(self._dirs, (a, b)):
                self._params[k].value.flat[i] = v
            return
        theta = self._origin.copy()
        for d, v in zip(self._dirs, (a, b)):
            if isinstance(d, tuple):
                theta[self._offset(d)] += v
            else:
                theta += v * d
        offset = 0
        for p in self._params:
            p.value[...] = theta[offset : offset + p.size].reshape(p.value.shape)
            offset += p.size

    def loss_at(self, a: float, b: float) -> float:
        """f(a, b): the mean loss over the plane's examples (evaluation mode: no dropout, no noise)."""
        self.set_point(a, b)
        value, _ = self._loss(self.net.forward(self.x, train=False), self.y, grad=False)
        return float(value)

    def value_and_gradient(self, a: float, b: float) -> tuple[float, np.ndarray]:
        """(f(a, b), ∇f(a, b)) with ∇f = (∇C·d1, ∇C·d2): the gradient of the loss along the two axes."""
        self.set_point(a, b)
        value, g = self._loss(self.net.forward(self.x, train=False), self.y)
        self.net.zero_grad()
        self.net.backward(g, input_grad=False)
        grad = np.empty(2)
        for n, d in enumerate(self._dirs):
            if isinstance(d, tuple):
                grad[n] = float(self._params[d[0]].grad.flat[d[1]])
            else:
                grad[n] = float(np.dot(np.concatenate([p.grad.ravel() for p in self._params]), d))
        return float(value), grad


class Descent:
    """Full-batch gradient descent on a plane, one step at a time (a live view draws the path as it grows).

    Heavy-ball momentum as the engine's "momentum" optimizer: v ← μ·v + ∇f, p ← p − lr·v (μ = 0: plain
    gradient descent, the Euler step of dθ/dt = −∇C). `path` holds every point visited, `losses` the loss
    there. A step that throws the point or the loss beyond 1e12 (or to NaN) ends the descent (`diverged`)."""

    def __init__(self, plane: ParameterPlane, start: Sequence[float], lr: float, momentum: float = 0.0):
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"Descent: lr must be a finite number > 0, got {lr!r:.60}")
        if not (np.isfinite(momentum) and 0.0 <= momentum < 1.0):
            raise ValueError(f"Descent: momentum must be in [0, 1), got {momentum!r:.60}")
        point = np.asarray(start, dtype=np.float64)
        if point.shape != (2,) or not np.all(np.isfinite(point)):
            raise ValueError(f"Descent: start must be two finite numbers, got {start!r:.80}")
        self.plane, self.lr, self.momentum = plane, float(lr), float(momentum)
        self._velocity = np.zeros(2)
        loss, self._grad = plane.value_and_gradient(*point)
        self.path: list[tuple[float, float]] = [(float(point[0]), float(point[1]))]
        self.losses: list[float] = [loss]
        self.diverged = not _sane(point, loss)

    @property
    def step_count(self) -> int:
        return len(self.path) - 1

    def step(self, k: int = 1) -> None:
        """k more steps (fewer if the descent diverges on the way)."""
        for _ in range(int(k)):
            if self.diverged:
                return
            self._velocity = self.momentum * self._velocity + self._grad
            point = np.asarray(self.path[-1]) - self.lr * self._velocity
            if not np.all(np.abs(point) < DIVERGED):  # NaN included: no forward pass with such weights
                self.diverged = True
                return
            loss, self._grad = self.plane.value_and_gradient(*point)
            self.path.append((float(point[0]), float(point[1])))
            self.losses.append(loss)
            self.diverged = not _sane(point, loss)


def loss_surface(
    plane: ParameterPlane, a_range: Sequence[float], b_range: Sequence[float], resolution: int = 41
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, z): a and b the resolution grid values along each axis (range ends included), z (resolution,
    resolution) float64 with z[i, j] = f(a[j], b[i]) (row = b, as images are drawn with b up once flipped)."""
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise ValueError(f"loss_surface: resolution must be an integer, got {resolution!r:.60}")
    if not 2 <= resolution <= MAX_SURFACE_RESOLUTION:
        raise ValueError(f"loss_surface: resolution must be in [2, {MAX_SURFACE_RESOLUTION}], got {resolution}")
    a = _axis_values("a_range", a_range, resolution)
    b = _axis_values("b_range", b_range, resolution)
    z = np.empty((resolution, resolution))
    for i, bv in enumerate(b):
        for j, av in enumerate(a):
            z[i, j] = plane.loss_at(av, bv)
    return a, b, z


def descend(
    plane: ParameterPlane, start: Sequence[float], lr: float, steps: int, momentum: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """(path (n + 1, 2), losses (n + 1,)): `steps` steps of Descent from `start` (n < steps if it diverged)."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"descend: steps must be an integer >= 0, got {steps!r:.60}")
    run = Descent(plane, start, lr, momentum)
    run.step(steps)
    return np.array(run.path), np.array(run.losses)


def random_direction(net: Network, seed: int) -> np.ndarray:
    """A random direction of weight space for a 2-D slice, scaled parameter by parameter to the norm of that
    parameter's weights (Li et al. 2018, "Visualizing the loss landscape of neural nets"): a step of 1 along
    it changes every layer by about its own size, so layers with small weights are not swamped."""
    rng = np.random.default_rng([int(seed), 7_919])
    parts = []
    for p in net.parameters():
        d = rng.standard_normal(p.size)
        norm = float(np.linalg.norm(p.value))
        parts.append(d * (norm / max(float(np.linalg.norm(d)), 1e-12) if norm > 0 else 1.0 / np.sqrt(p.size)))
    return np.concatenate(parts)


def _axis_values(name: str, bounds: Sequence[float], resolution: int) -> np.ndarray:
    lo, hi = (float(v) for v in bounds)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"loss_surface: {name} must be two finite numbers (low < high), got {tuple(bounds)}")
    return np.linspace(lo, hi, resolution)


def _sane(point: np.ndarray, loss: float) -> bool:
    return bool(np.all(np.abs(point) < DIVERGED) and np.isfinite(loss) and abs(loss) < DIVERGED)


def _copy_network(net: Network) -> Network:
    copy = Network(net.to_spec(), seed=net.seed, dtype=str(net.dtype))
    copy.load_state_dict(net.state_dict())
    return copy
