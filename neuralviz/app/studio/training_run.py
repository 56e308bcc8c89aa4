"""TrainingRun: one configuration of the studio (data, network, loss, optimizer) and its training state.

Pure Python and numpy, no Qt: the worker thread drives it, tests can drive it directly. Building one
either succeeds completely or raises (a bad spec, a missing data file, an impossible combination), so the
worker can keep the previous run alive and the user loses nothing when a change fails.

Training is the engine's: `Trainer.train_steps` on the trainer's one batch stream (nv.data.BatchStream),
which takes the fused C++ path (many SGD steps per call, GIL released) whenever the network, loss and
optimizer qualify and says so in `trainer.path` / `trainer.path_reason`; the run keeps no path logic or
minibatch order of its own. The learning rate lives in the optimizer alone: `settings` reads it from there.

What the views show is read through the engine too: `nv.predict` (outputs, probabilities, labels,
accuracy) and `nv.viz.grid` (the plane's extent and grid).
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np

from ... import data as nvdata
from ... import losses, optim
from ...layers import SpecError
from ...network import Network
from ...prediction import accuracy, predict, predict_labels, probabilities
from ...trainer import Trainer
from ...viz.grid import grid_points, square_extent
from ..common.snapshot import (
    CurveHistory,
    DataView,
    LayerBlock,
    NetStructure,
    NeuronColumn,
    RunInfo,
    Samples,
    Snapshot,
    frozen,
)
from ..common.spec_edit import ACTIVATION_TYPES, MlpDescription, fit_io
from ..settings import StudioSettings

GRID = 96  # output map: GRID x GRID predictions over the plane
NEURON_STRIDE = 2  # neuron thumbnails use every 2nd grid point (48 x 48)
LINE_POINTS = 200  # regression curves
EVAL_LIMIT = 1000  # curves are measured on at most this many train / test examples
HISTORY_LIMIT = 2000  # curve points kept (older ones are thinned 2:1)
DIAGRAM_MAX_UNITS = 32  # wider MLP layers are drawn as blocks
DIAGRAM_MAX_INPUTS = 16
DEFAULT_MLP = MlpDescription(input_shape=(2,), hidden=[8, 8], activations=["tanh", "tanh"], output_units=1)


class TrainingRun:
    def __init__(self, settings: StudioSettings, serial: int = 0, state: dict[str, np.ndarray] | None = None):
        # what the run was built with and the live changes since; its lr is never read: the optimizer's is
        self._settings = settings.copy()
        self.serial = serial
        self.notices: list[str] = []
        s = self._settings
        self.ds = nvdata.load(s.dataset, seed=int(s.data_seed), **s.dataset_options)
        self.kind = self.ds.kind
        self.features = self._features()
        self.loss = self._choose_loss()
        self._set_points(*self._points_with_edits())
        self.net = self._build_network()
        if state is not None:
            self.net.load_state_dict(state)
        self.out_units = int(np.prod(self.net.output_shape[-1:]))
        self._set_targets()
        self.trainer = Trainer(self.net, self.loss, self._make_optimizer(self._settings), seed=self._settings.seed)
        self.trainer.check_dataset(
            SimpleNamespace(
                name=self.ds.name,
                x_train=self.x_train,
                y_train=self.labels_train,
                x_test=self.x_test,
                y_test=self.labels_test,
            )
        )
        self._check_output_fits_targets()
        self.step = 0
        self.samples_seen = 0
        self.last_loss: float | None = None
        self._history: dict[str, list] = {
            k: [] for k in ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy")
        }
        self._history_stride, self._evaluations, self._evaluated_at = 1, 0, -1
        self._delta: dict[str, np.ndarray] = {}  # the last step's change of each parameter (MLPs)
        self._metrics: dict[str, float | None] = {}
        self._maps: dict = {}
        self._prepare_views()
        self.structure = self._structure()
        self.info = self._make_info()

    # ================================================================== building
    def _features(self) -> list[str]:
        if self.kind != "planar":
            return []
        chosen = [f for f in nvdata.PLAYGROUND_FEATURES if f in self._settings.features]
        unknown = sorted(set(self._settings.features) - set(nvdata.PLAYGROUND_FEATURES))
        if unknown:
            raise ValueError(f"unknown input feature(s) {unknown}; choose from {', '.join(nvdata.PLAYGROUND_FEATURES)}")
        if not chosen:
            raise ValueError("no input feature selected: tick at least one of " + ", ".join(nvdata.PLAYGROUND_FEATURES))
        return chosen

    def _choose_loss(self) -> str:
        ds, wanted = self.ds, self._settings.loss or self.ds.default_loss
        fits = {
            "mse": True,
            "bce": ds.task == "classification" and ds.num_classes == 2,
            "cross_entropy": ds.is_classification,
        }
        if wanted not in fits:
            raise ValueError(f"unknown loss {wanted!r}; choose one of {', '.join(fits)}")
        if not fits[wanted]:
            self.notices.append(f"loss {wanted} does not fit {ds.name} ({ds.task}); using {ds.default_loss}")
            return ds.default_loss
        return wanted

    def _points_with_edits(self):
        """Train/test inputs and labels with the user's clicked points applied (2-D data only)."""
        ds = self.ds
        x_train, y_train = ds.x_train, ds.y_train
        for edit in self._settings.point_edits if self.kind == "planar" else ():
            if edit[0] == "add":
                label = int(edit[3])
                if not 0 <= label < (ds.num_classes or 2):
                    raise ValueError(f"added point has class {label}, but {ds.name} has {ds.num_classes} classes")
                x_train = np.vstack([x_train, np.array([[edit[1], edit[2]]], dtype=x_train.dtype)])
                y_train = np.append(y_train, np.int64(label))
            elif edit[0] == "remove" and len(x_train) > 1:
                d = np.hypot(x_train[:, 0] - edit[1], x_train[:, 1] - edit[2])
                keep = np.arange(len(x_train)) != int(np.argmin(d))
                x_train, y_train = x_train[keep], y_train[keep]
        return x_train, y_train, ds.x_test, ds.y_test

    def _set_points(self, x_train, y_train, x_test, y_test) -> None:
        """Raw points (what the views draw) and network inputs (features expanded for 2-D data)."""
        self.points = DataView(frozen(x_train), frozen(y_train), frozen(x_test), frozen(y_test))
        self.labels_train, self.labels_test = y_train, y_test
        if self.kind == "planar":
            self.x_train = nvdata.expand_features(x_train, self.features).astype(np.float32)
            self.x_test = nvdata.expand_features(x_test, self.features).astype(np.float32)
        else:
            self.x_train, self.x_test = x_train, x_test

    def _output_units(self, spec_units: int | None) -> int:
        ds = self.ds
        if self.loss == "bce":
            return 1
        if self.loss == "cross_entropy":
            return int(ds.num_classes)
        if ds.is_classification:  # mse on labels: one unit (the perceptron) or one-hot rows
            return 1 if spec_units == 1 else int(ds.num_classes)
        return int(np.prod(ds.target_shape))

    def _build_network(self) -> Network:
        s = self._settings
        input_shape = (len(self.features),) if self.kind == "planar" else tuple(self.ds.input_shape)
        mlp = MlpDescription.from_spec(s.network) if s.network else None
        if mlp is None:
            if not s.network:
                raise SpecError("no network spec: pick a preset or open a spec file")
            Network.from_spec(s.network, seed=s.seed)  # a broken spec is an error, never silently replaced
            spec = fit_io(s.network, input_shape, self._output_units(_last_units(s.network)))
            try:
                return Network.from_spec(spec, seed=s.seed)
            except (SpecError, ValueError, TypeError) as err:
                name = s.network.get("name", "")
                if len(input_shape) != 1:
                    raise SpecError(
                        f"network {name!r} cannot read {self.ds.name} inputs of shape {input_shape}: {err}"
                    ) from None
                # a valid network built for other data (a CNN meeting 2-D points): an MLP takes over
                self.notices.append(
                    f"network {name!r} cannot read {self.ds.name} ({err}); using an MLP 8, 8 (tanh) instead"
                )
                mlp = dataclasses.replace(DEFAULT_MLP)
                s.hidden, s.activation, s.dropout, s.input_noise = [8, 8], "tanh", 0.0, 0.0
        mlp.input_shape = input_shape
        # one label per time step: the dense layers run per step instead of on the flattened sequence
        mlp.flatten = self.ds.task != "sequence-labeling" or len(input_shape) != 2
        mlp.output_units = self._output_units(mlp.output_units)
        if s.hidden is not None:
            mlp.set_hidden(list(s.hidden))
        if s.activation and s.activation != "mixed":
            mlp.set_activation(s.activation)
        mlp.dropout, mlp.input_noise = float(s.dropout), float(s.input_noise)
        s.network = mlp.to_spec()
        return Network.from_spec(s.network, seed=s.seed)

    def _set_targets(self) -> None:
        self.y_train = self._targets(self.labels_train)
        self.y_test = self._targets(self.labels_test)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """What the loss takes: labels for cross_entropy, 0/1 columns or one-hot rows, or float targets."""
        if self.loss == "cross_entropy":
            return y.astype(np.int64)
        if self.ds.is_classification:
            if self.out_units == 1:
                return y.astype(np.float32).reshape(len(y), 1)
            return np.eye(self.out_units, dtype=np.float32)[y]
        return y.astype(np.float32).reshape(len(y), -1)

    def _check_output_fits_targets(self) -> None:
        """One forward pass and loss on two examples, so a network whose output cannot be compared with
        the targets is refused now (with both shapes named) rather than failing mid-training."""
        out = self.net.forward(self.x_train[:2], train=False)
        try:
            losses.get(self.loss)(out, self.y_train[:2], grad=False)
        except (ValueError, TypeError) as err:
            raise ValueError(
                f"the network's output {tuple(out.shape[1:])} does not fit the {self.loss} "
                f"targets of {self.ds.name} {tuple(self.y_train.shape[1:])}: {err}"
            ) from None

    @property
    def settings(self) -> StudioSettings:
        """The settings in force (a copy), with the optimizer's learning rate: the one place it lives."""
        return self._settings.updated(lr=self.trainer.opt.base_lr)

    def _make_optimizer(self, s: StudioSettings):
        return optim.make(s.optimizer, self.net, lr=float(s.lr), weight_decay=s.weight_decay, l1=s.l1)

    # ================================================================== live changes
    def set_live(self, **changes) -> None:
        """Learning rate, batch size, regularisation or optimizer, keeping the weights.

        Raises (and changes nothing) when the new value is rejected, e.g. an optimizer that cannot
        train this network."""
        new = self._settings.updated(**changes)
        if new.batch_size < 1:
            raise ValueError(f"batch size must be at least 1, got {new.batch_size}")
        if new.lr < 0 or new.reg_rate < 0 or not np.isfinite(new.lr + new.reg_rate):
            raise ValueError(f"learning rate and regularisation rate must be >= 0, got {new.lr}, {new.reg_rate}")
        opt = self.trainer.opt
        if new.optimizer != self._settings.optimizer:
            opt = self._make_optimizer(new)  # raises before anything changed
        opt.set_lr(float(new.lr))
        opt.weight_decay, opt.l1 = new.weight_decay, new.l1
        self.trainer.opt = opt
        self._settings = new  # a new batch size continues the trainer's stream at that size
        self.info = dataclasses.replace(self.info, settings=self.settings, **self._path())

    def edit_points(self, edit: list) -> None:
        """Add (["add", x1, x2, label]) or remove (["remove", x1, x2]: the nearest) a training point."""
        if self.kind != "planar":
            raise ValueError("points can only be added to 2-D datasets")
        self._settings.point_edits.append(list(edit))
        try:
            self._set_points(*self._points_with_edits())
        except Exception:
            self._settings.point_edits.pop()
            raise
        self._set_targets()
        self.trainer.reset_stream()  # other points: the minibatch order starts over
        self._prepare_eval()
        self.info = dataclasses.replace(self.info, data=self.points, settings=self.settings)

    # ================================================================== training
    @property
    def uses_fast_path(self) -> bool:
        """Whether the trainer trains (or, before the first step, will train) on the fused C++ path."""
        return self.trainer.path == "fused"

    def _path(self) -> dict:
        return {"fast_path": self.uses_fast_path, "path_reason": self.trainer.path_reason}

    @property
    def epoch(self) -> float:
        return self.samples_seen / max(1, len(self.x_train))

    @property
    def batch_size(self) -> int:
        return max(1, min(int(self._settings.batch_size), len(self.x_train)))

    def train(self, steps: int) -> int:
        """Runs `steps` minibatch steps; returns how many were done.

        Raises TrainingDiverged (after counting the steps that were done) when the loss stops being finite.
        When the trainer's path changed (a live change of optimizer), `info` is a new object saying so."""
        if steps <= 0:
            return 0
        before, b = self.trainer.steps, self.batch_size
        try:
            if self.structure.kind == "mlp":
                step_losses = self._train_keeping_last_change(steps, b)
            else:
                step_losses = self.trainer.train_steps(self.x_train, self.y_train, steps, b)
        finally:
            self._count(self.trainer.steps - before, b)
        self.last_loss = float(step_losses[-1])
        path = self._path()
        if path["path_reason"] != self.info.path_reason or path["fast_path"] != self.info.fast_path:
            self.info = dataclasses.replace(self.info, **path)
        return steps

    def _train_keeping_last_change(self, steps: int, batch: int) -> np.ndarray:
        """Train, keeping how the last step changed the weights (step_delta): the chunk's last step runs
        on its own after a copy of the weights (an MLP's are small: the copy costs far less than a step
        call). The fused path leaves no gradients behind, so the change is what the diagram can show."""
        if steps > 1:
            self.trainer.train_steps(self.x_train, self.y_train, steps - 1, batch)
        params = list(self.net.parameters())
        before = [p.value.copy() for p in params]
        losses = self.trainer.train_steps(self.x_train, self.y_train, 1, batch)
        self._delta = {p.name: frozen(p.value - b) for p, b in zip(params, before)}
        return losses

    def _count(self, steps: int, batch: int) -> None:
        self.step += steps
        self.samples_seen += steps * batch

    # ================================================================== what the views show
    def _prepare_views(self) -> None:
        self._prepare_eval()
        self.extent = (-6.0, 6.0, -6.0, 6.0)
        self.line_x = None
        self.feature_maps: dict[str, np.ndarray] = {}
        if self.kind == "planar":
            self.extent = square_extent(np.vstack([self.ds.x_train, self.ds.x_test]))
            plane = grid_points(self.extent, GRID)  # row = x2 (y axis), column = x1
            self.grid_inputs = nvdata.expand_features(plane, self.features).astype(np.float32)
            small = plane.reshape(GRID, GRID, 2)[::NEURON_STRIDE, ::NEURON_STRIDE].reshape(-1, 2)
            h = GRID // NEURON_STRIDE
            all_maps = nvdata.expand_features(small, nvdata.PLAYGROUND_FEATURES)
            for j, name in enumerate(nvdata.PLAYGROUND_FEATURES):
                m = all_maps[:, j].reshape(h, h)
                self.feature_maps[name] = frozen(m / max(1e-12, float(np.abs(m).max())))
        elif self.kind == "regression" and tuple(self.ds.input_shape) == (1,):
            xs = np.concatenate([self.ds.x_train[:, 0], self.ds.x_test[:, 0]])
            lo, hi = float(xs.min()), float(xs.max())
            pad = 0.1 * (hi - lo or 1.0)
            self.line_x = frozen(np.linspace(lo - pad, hi + pad, LINE_POINTS).astype(np.float32))

    def _prepare_eval(self) -> None:
        k = EVAL_LIMIT
        self._eval_sets = {
            "train": (self.x_train[:k], self.y_train[:k], self.labels_train[:k]),
            "test": (self.x_test[:k], self.y_test[:k], self.labels_test[:k]),
        }

    def _make_info(self) -> RunInfo:
        return RunInfo(
            serial=self.serial,
            settings=self.settings,
            kind=self.kind,
            task=self.ds.task,
            loss=self.loss,
            num_classes=self.ds.num_classes,
            class_names=tuple(self.ds.class_names or [str(k) for k in range(self.ds.num_classes or 0)]),
            structure=self.structure,
            data=self.points,
            extent=self.extent,
            feature_maps=self.feature_maps,
            line_x=self.line_x,
            notice="; ".join(self.notices),
            **self._path(),
        )

    def _structure(self) -> NetStructure:
        net = self.net
        sizes = " → ".join(
            str(int(np.prod(s)))
            for s in [net.input_shape]
            + [net.layers[e["id"]].output_shape for e in net.order if net.layers[e["id"]].type == "dense"]
        )
        mlp = MlpDescription.from_spec(net.spec)
        neuron_view = (
            mlp is not None
            and self.kind in ("planar", "regression")
            and int(np.prod(net.input_shape)) <= DIAGRAM_MAX_INPUTS
            and max(mlp.hidden + [mlp.output_units]) <= DIAGRAM_MAX_UNITS
        )
        params = net.num_parameters()
        if neuron_view:
            return NetStructure(
                kind="mlp",
                columns=self._columns(),
                input_shape=net.input_shape,
                parameters=params,
                summary=f"{sizes} · {params:,d} parameters",
            )
        blocks = tuple(
            LayerBlock(
                id=e["id"],
                type=net.layers[e["id"]].type,
                inputs=tuple(e["inputs"]),
                output_shape=tuple(net.layers[e["id"]].output_shape),
                params=sum(p.size for p in net.layers[e["id"]].params.values()),
                detail=_block_detail(e),
            )
            for e in net.order
        )
        return NetStructure(
            kind="blocks",
            blocks=blocks,
            input_shape=net.input_shape,
            parameters=params,
            summary=f"{len(blocks)} layers · {params:,d} parameters",
        )

    def _columns(self) -> tuple[NeuronColumn, ...]:
        if self.kind == "planar":
            names = tuple(nvdata.PLAYGROUND_FEATURES)
            first = NeuronColumn("Features", "input", None, names, tuple(n in self.features for n in names))
        else:
            names = tuple(self.ds.feature_names or [f"x{j + 1}" for j in range(self.net.input_shape[0])])
            first = NeuronColumn("Input", "input", None, names, (True,) * len(names))
        columns = [first]
        dense_order = [e["id"] for e in self.net.order if self.net.layers[e["id"]].type == "dense"]
        for entry in self.net.order:
            layer = self.net.layers[entry["id"]]
            if layer.type == "dense":
                units = layer.output_shape[0]
                last = entry["id"] == dense_order[-1]
                title = "Output" if last else f"Layer {len(columns)}"
                columns.append(
                    NeuronColumn(
                        title,
                        entry["id"],
                        entry["id"],
                        tuple(f"{entry['id']}[{k}]" for k in range(units)),
                        (True,) * units,
                    )
                )
            elif layer.type in ACTIVATION_TYPES:
                columns[-1] = dataclasses.replace(columns[-1], map_layer=entry["id"])
        return tuple(columns)

    # ================================================================== frames
    def snapshot(
        self,
        *,
        playing: bool = False,
        steps_per_second: float = 0.0,
        evaluate: bool = True,
        maps: bool = True,
        final: bool = False,
        serial: int = 0,
    ) -> Snapshot:
        """One frame for the views; evaluate/maps=False reuse the last metrics / maps (cheaper)."""
        if (evaluate and self._evaluated_at != self.step) or not self._metrics:
            self.evaluate()
        if maps or not self._maps:
            self._maps = self._compute_maps()
        return Snapshot(
            info=self.info,
            step=self.step,
            epoch=self.epoch,
            steps_per_second=steps_per_second,
            playing=playing,
            metrics=dict(self._metrics),
            history=self._history_arrays(),
            params={p.name: frozen(p.value) for p in self.net.parameters()},
            output_map=self._maps.get("output"),
            neuron_maps=self._maps.get("neurons", {}),
            curve=self._maps.get("curve"),
            samples=self._maps.get("samples"),
            final=final,
            serial=serial,
            step_delta=dict(self._delta),
        )

    def evaluate(self) -> None:
        """Measure loss and accuracy on (up to EVAL_LIMIT) train and test examples; adds a curve point."""
        m: dict[str, float | None] = {}
        loss_fn = losses.get(self.loss)
        for split, (x, y, labels) in self._eval_sets.items():
            if len(x) == 0:
                m[f"{split}_loss"] = m[f"{split}_accuracy"] = None
                continue
            out = predict(self.net, x)
            value = float(loss_fn(out, y, grad=False)[0])
            m[f"{split}_loss"] = value if np.isfinite(value) else None
            m[f"{split}_accuracy"] = accuracy(out, labels, self.loss) if self.ds.is_classification else None
        self._metrics = m
        self._evaluated_at = self.step
        self._evaluations += 1
        if (self._evaluations - 1) % self._history_stride == 0:
            h = self._history
            h["epoch"].append(self.epoch)
            for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
                h[key].append(np.nan if m[key] is None else m[key])
            if len(h["epoch"]) > HISTORY_LIMIT:
                for key in h:
                    h[key] = h[key][::2]
                self._history_stride *= 2

    def _history_arrays(self) -> CurveHistory:
        h = self._history
        return CurveHistory(
            *(
                frozen(np.asarray(h[k], dtype=np.float64))
                for k in ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy")
            )
        )

    def _compute_maps(self) -> dict:
        if self.kind == "planar":
            return self._plane_maps()
        if self.line_x is not None:
            return self._line_maps()
        return {"samples": self._samples()}

    def _plane_maps(self) -> dict:
        # one forward pass over the whole grid: the neuron maps read every layer's output in net.outputs
        out = predict(self.net, self.grid_inputs, batch_size=len(self.grid_inputs))
        p = probabilities(out, self.loss)
        output = p.reshape(GRID, GRID) if p.ndim == 1 else p.T.reshape(-1, GRID, GRID)
        neurons = {}
        if self.structure.kind == "mlp":
            for col in self.structure.columns[1:]:
                a = self.net.outputs[col.map_layer].reshape(GRID, GRID, -1)
                neurons[col.map_layer] = frozen(np.moveaxis(a[::NEURON_STRIDE, ::NEURON_STRIDE], -1, 0))
        return {"output": frozen(output), "neurons": neurons}

    def _line_maps(self) -> dict:
        out = predict(self.net, self.line_x[:, None], batch_size=len(self.line_x))
        neurons = {}
        if self.structure.kind == "mlp":
            for col in self.structure.columns[1:]:
                neurons[col.map_layer] = frozen(self.net.outputs[col.map_layer].T)
        return {"curve": frozen(out[:, 0]), "neurons": neurons}

    def _samples(self, count: int = 16) -> Samples:
        x, labels = self.x_test[:count], self.labels_test[:count]
        if len(x) == 0 or self.ds.task == "reconstruction":  # images, not labels: the Generative tab shows them
            return Samples(None, (), ())
        out = predict(self.net, x)
        names = self.info.class_names
        if self.kind == "image":
            pred = predict_labels(out, self.loss)
            texts = tuple(
                _class_name(names, k) if k == y else f"{_class_name(names, k)} (is {_class_name(names, y)})"
                for k, y in zip(pred, labels)
            )
            return Samples(frozen(np.clip(x[:, 0], 0.0, 1.0)), texts, tuple(bool(a == b) for a, b in zip(pred, labels)))
        return self._sequence_samples(out, x, labels, names, min(count, 8))

    def _sequence_samples(self, out, x, labels, names, count) -> Samples:
        texts, correct = [], []
        for i in range(min(count, len(x))):
            story = _decode(self.ds, x[i])
            if self.ds.is_classification:
                pred = predict_labels(out[i : i + 1], self.loss)[0]
                if np.ndim(pred):  # sequence labelling: one label per time step
                    ok = bool(np.all(pred == labels[i]))
                    shown = " ".join(_class_name(names, k) for k in pred)
                    texts.append(f"{story}  →  {shown}")
                else:
                    ok = bool(pred == labels[i])
                    texts.append(
                        f"{story}  →  {_class_name(names, pred)}"
                        + ("" if ok else f"   (answer: {_class_name(names, labels[i])})")
                    )
                correct.append(ok)
            else:
                target = np.ravel(labels[i])
                texts.append(f"target {_fmt(target)}   prediction {_fmt(np.ravel(out[i]))}   {story}")
                correct.append(None)
        return Samples(None, tuple(texts), tuple(correct))


# ---------------------------------------------------------------------------------------------- helpers
def _last_units(spec: dict) -> int | None:
    layers = spec.get("layers") or []
    denses = [l for l in layers if l.get("type") == "dense"]
    return int(denses[-1]["units"]) if denses and "units" in denses[-1] else None


def _block_detail(entry: dict) -> str:
    keys = ("units", "channels", "kernel_size", "stride", "padding", "hidden", "dim", "vocab", "p", "std")
    return ", ".join(f"{k} {entry[k]}" for k in keys if k in entry)


def _class_name(names, k) -> str:
    k = int(k)
    return names[k] if 0 <= k < len(names) else str(k)


def _fmt(values: np.ndarray) -> str:
    return " ".join(f"{v:+.3f}" for v in values[:4])


def _decode(ds, x) -> str:
    """A short text for one sequence example (decoded words where the dataset has a vocabulary)."""
    try:
        text = ds.decode(x)
    except Exception:
        v = np.asarray(x, dtype=np.float64).reshape(len(x), -1)[:, 0]
        text = " ".join(f"{a:.2f}" for a in v[-6:])
        text = f"… {text}"
    return text if len(text) <= 110 else "…" + text[-109:]
