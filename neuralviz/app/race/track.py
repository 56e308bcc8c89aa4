"""RaceTrack: the engine's Race plus what the race's views need of it, measured in the worker thread (no Qt).

The engine (neuralviz.race.Race) trains every run in lockstep on one batch stream. The track adds, at the
steps the worker asks (`measure`), one point of each run's curves: its loss on the training set and on the
test split (each at most EVAL_LIMIT examples, the same ones every time), its accuracy for classification
(also for a perceptron trained with mse on 0/1 labels: neuralviz.prediction reads any output), and, when
the scene asks, ‖∂L/∂θ‖ per layer (on GRADIENT_BATCH training examples) and the mean ‖∂f/∂x‖ over the test
points (JACOBIAN_POINTS of them). `frame()` copies all of it, with each run's picture, into a RaceFrame.

Stop rule: `stop.reached(step, loss)` with loss = the lowest current training loss of the runs (the
race ends when the leader crosses the line; see frames.stop_loss).
"""

from __future__ import annotations

import copy

import numpy as np

from ... import analysis
from ...lecture.scene import StopRule
from ...prediction import accuracy, predict
from .frames import CONFUSION, RaceFrame, RaceLayout, RunState, frozen, stop_loss
from .pictures import Pictures, confusion, picture_kind

EVAL_LIMIT = 1000  # examples of each split a curve point is measured on
GRADIENT_BATCH = 256  # training examples the gradient bars are measured on
JACOBIAN_POINTS = 256  # test points the Jacobian norm is averaged over


def _race_class():
    """The engine's Race (imported late: the app's other pages never need it)."""
    from ...race import Race

    return Race


class _Curve:
    """One run's measured points (lists: appended to in the worker thread only)."""

    def __init__(self):
        self.steps: list[int] = []
        self.train: list[float] = []
        self.test: list[float] = []
        self.metrics: dict = {}
        self.confusion: np.ndarray | None = None
        self.gradients: tuple[float, ...] | None = None
        self.jacobian: float | None = None


class RaceTrack:
    def __init__(
        self, preset: dict, seed: int = 0, stop: StopRule | None = None, options: dict | None = None, serial: int = 0
    ):
        if not isinstance(preset, dict) or not preset.get("runs"):
            name = preset.get("name", "this preset") if isinstance(preset, dict) else repr(preset)[:60]
            raise ValueError(f"race: {name} has no 'runs' to race")
        options = options or {}
        self.race = _race_class()(copy.deepcopy(preset), seed=seed)
        self.runs = list(self.race.runs.values())
        self.stop = stop if stop is not None else StopRule(steps=int(self.race.budget))
        self.gradient_bars = bool(options.get("gradient_bars", False))
        self.jacobian = bool(options.get("jacobian", False))
        datasets = [r.dataset for r in self.runs]
        kind = picture_kind(datasets)
        self.pictures = Pictures(datasets, kind, max(int(r.parameters) for r in self.runs))
        self.curves = [_Curve() for _ in self.runs]
        self._eval = [self._eval_sets(d) for d in datasets]
        self.layout = RaceLayout(
            serial=serial,
            title=str(preset.get("title") or preset.get("name") or "race"),
            labels=tuple(r.label for r in self.runs),
            parameters=tuple(int(r.parameters) for r in self.runs),
            classification=all(d.is_classification for d in datasets),
            picture=kind,
            data=self.pictures.data,
            extent=self.pictures.extent,
            line_x=self.pictures.line_x,
            num_classes=datasets[0].num_classes,
            layers=tuple(tuple(lid for lid, layer in r.network.layers.items() if layer.params) for r in self.runs),
            stop=self.stop,
            gradient_bars=self.gradient_bars,
            jacobian=self.jacobian,
        )
        self.measured_at = -1
        self.measure()

    @staticmethod
    def _eval_sets(d) -> dict:
        n, t = min(len(d.x_train), EVAL_LIMIT), min(len(d.x_test), EVAL_LIMIT)
        return {
            "train": (d.x_train[:n], d.y_train[:n]),
            "test": (d.x_test[:t], d.y_test[:t]) if t else None,
            "gradient": (d.x_train[:GRADIENT_BATCH], d.y_train[:GRADIENT_BATCH]),
            "jacobian": (d.x_test[:JACOBIAN_POINTS] if t else d.x_train[:JACOBIAN_POINTS]),
        }

    # ------------------------------------------------------------------ training
    @property
    def step(self) -> int:
        return int(self.race.step)

    def advance(self, steps: int) -> None:
        if steps > 0:
            self.race.advance(int(steps))

    def measure(self) -> None:
        """One point of every run's curves at the current step (and its bars, Jacobian, confusion)."""
        if self.measured_at == self.step:
            return
        for run, curve, sets in zip(self.runs, self.curves, self._eval):
            self._measure_run(run, curve, sets)
        self.measured_at = self.step

    def _measure_run(self, run, curve: _Curve, sets: dict) -> None:
        loss_name, classify = run.trainer.loss_name, run.dataset.is_classification
        metrics = {}
        test_out = None
        for split in ("train", "test"):
            if sets[split] is None:
                continue
            x, y = sets[split]
            out = predict(run.network, x)
            with np.errstate(all="ignore"):
                value, _ = run.trainer.loss_fn(out, y, grad=False)
            metrics[f"{split}_loss"] = float(value)
            metrics[f"{split}_accuracy"] = accuracy(out, y, loss_name) if classify else None
            test_out = out if split == "test" else test_out
        curve.metrics = metrics
        curve.steps.append(self.step)
        curve.train.append(metrics["train_loss"])
        curve.test.append(metrics.get("test_loss", float("nan")))
        if self.pictures.kind == CONFUSION and test_out is not None:
            curve.confusion = confusion(test_out, sets["test"][1], loss_name, run.dataset.num_classes)
        if self.gradient_bars:
            curve.gradients = self._gradients(run, *sets["gradient"])
        if self.jacobian:
            curve.jacobian = _safe(lambda: analysis.input_jacobian_norm(run.network, sets["jacobian"]))

    @staticmethod
    def _gradients(run, x, y) -> tuple[float, ...] | None:
        norms = _safe(lambda: analysis.layer_gradient_norms(run.network, run.trainer.loss_name, x, y))
        return None if norms is None else tuple(float(v) for v in norms.values())

    # ------------------------------------------------------------------ the stop rule
    def stop_loss(self) -> float | None:
        return stop_loss(c.metrics.get("train_loss") for c in self.curves)

    def stop_reason(self) -> str:
        return self.stop.reason(self.step, self.stop_loss()) if self.stop.reached(self.step, self.stop_loss()) else ""

    # ------------------------------------------------------------------ frames
    def frame(self, playing: bool, final: bool = False, serial: int = 0) -> RaceFrame:
        states = []
        for i, (run, curve) in enumerate(zip(self.runs, self.curves)):
            picture = curve.confusion if self.pictures.kind == CONFUSION else self._picture(i, run)
            m = curve.metrics
            states.append(
                RunState(
                    label=run.label,
                    train_loss=m.get("train_loss"),
                    test_loss=m.get("test_loss"),
                    train_accuracy=m.get("train_accuracy"),
                    test_accuracy=m.get("test_accuracy"),
                    steps=frozen(np.asarray(curve.steps, dtype=np.int64)),
                    train_curve=frozen(np.asarray(curve.train, dtype=np.float64)),
                    test_curve=frozen(np.asarray(curve.test, dtype=np.float64)),
                    picture=picture,
                    gradients=curve.gradients,
                    jacobian=curve.jacobian,
                    diverged=_diverged_text(run),
                )
            )
        return RaceFrame(
            layout=self.layout,
            step=self.step,
            playing=playing,
            runs=tuple(states),
            stopped=self.stop_reason(),
            final=final,
            serial=serial,
        )

    def _picture(self, index: int, run) -> np.ndarray | None:
        with np.errstate(all="ignore"):
            return self.pictures.draw(index, run.network, run.trainer.loss_name)


def _diverged_text(run) -> str:
    """ "diverged at step 412" for a run the engine stopped (Run.diverged), else ""."""
    err = getattr(run, "diverged", None)
    if err is None:
        return ""
    step = getattr(err, "step", None)
    return f"diverged at step {step}" if step is not None else "diverged"


def _safe(measure):
    """A measurement that may fail on a diverged network (NaN weights): None instead of an error."""
    try:
        value = measure()
    except (ValueError, FloatingPointError):
        return None
    return value
