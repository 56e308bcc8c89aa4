"""The immutable objects the race worker hands to the GUI thread: copies of what is drawn, never live networks.

RaceLayout  what stays fixed while one race runs: labels, parameter counts, the data to draw, the stop rule
RunState    one run at one step: its numbers, its curves, its picture, its gradient bars and Jacobian norm
RaceFrame   one frame: every run at the same step
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...lecture.scene import StopRule

# what a run's picture is (RaceLayout.picture)
PLANE = "plane"  # 2-D inputs: the output over the plane, with the points
LINE = "line"  # 1-D regression: the fitted curve over the data
CONFUSION = "confusion"  # other classification (images): the test confusion matrix
SCATTER = "scatter"  # other regression to one number (sequences): prediction against target on test examples
NUMBERS = "numbers"  # nothing to draw: the numbers say it all


@dataclass(frozen=True)
class RunData:
    """The points one run trains and is tested on, as drawn (raw inputs: the plane's x1, x2 or the line's x)."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


@dataclass(frozen=True)
class RaceLayout:
    serial: int
    title: str
    labels: tuple[str, ...]
    parameters: tuple[int, ...]
    classification: bool  # accuracy is shown (else the loss is the big number)
    picture: str  # PLANE, LINE, CONFUSION, SCATTER or NUMBERS
    data: tuple[RunData | None, ...]  # per run (None: not drawn; SCATTER: test_y holds the targets shown)
    extent: tuple[float, float, float, float] | None  # PLANE: the square all panels show; LINE, SCATTER: x0, x1, y0, y1
    line_x: np.ndarray | None  # LINE: where the curves are evaluated
    num_classes: int | None
    layers: tuple[tuple[str, ...], ...]  # per run: its parametrised layers (gradient bars), network order
    stop: StopRule
    gradient_bars: bool
    jacobian: bool


@dataclass(frozen=True)
class RunState:
    label: str
    train_loss: float | None
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None
    steps: np.ndarray  # steps of the curve points
    train_curve: np.ndarray  # training loss there
    test_curve: np.ndarray  # test loss there (nan without a test split)
    picture: np.ndarray | None  # PLANE: (H, W) p(class 1) or (K, H, W); LINE: (points,); CONFUSION: (K, K) rows;
    # SCATTER: (examples,) the predictions for layout.data's test_y
    gradients: tuple[float, ...] | None  # ‖∂L/∂θ‖ per layer of layout.layers (gradient_bars)
    jacobian: float | None  # mean ‖∂f/∂x‖_F over the test points (jacobian)
    diverged: str = ""


@dataclass(frozen=True)
class RaceFrame:
    layout: RaceLayout
    step: int
    playing: bool
    runs: tuple[RunState, ...]
    stopped: str = ""  # why the race paused by itself ("" while it may go on)
    final: bool = False  # the last frame of a train_for request
    serial: int = 0

    @property
    def stop_loss(self) -> float | None:
        """The loss the stop rule reads: the lowest current training loss of the runs (the race ends when
        the leader crosses the line), None before any has been measured."""
        return stop_loss(r.train_loss for r in self.runs)


def stop_loss(losses) -> float | None:
    """The lowest of the finite losses given (None when there is none)."""
    finite = [float(v) for v in losses if v is not None and np.isfinite(v)]
    return min(finite) if finite else None


def frozen(a) -> np.ndarray | None:
    """A read-only copy (frames cross threads: nothing in them may change afterwards)."""
    if a is None:
        return None
    out = np.array(a, copy=True)
    out.setflags(write=False)
    return out
