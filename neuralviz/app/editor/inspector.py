"""Inspector: the parameters of the selected layer (or of the network when nothing is selected), each
checked as typed, with what shape inference says about the layer: output shape, parameters, FLOPs and,
when it does not build, the engine's message in full."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...layers import LAYER_TYPES
from ...spec import INPUT
from ..common.panels import title_label
from .catalog import KINDS, ParamSpec, format_shape, parse_shape
from .inference import Inference
from .model import LAYER_ID, GraphModel
from .param_field import ParamField
from .style import ERROR, ERROR_TEXT


def flops_text(n: int) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}FLOPs"
    return f"{n:,d} FLOPs"


class Inspector(QWidget):
    paramChanged = pyqtSignal(str, str, object)  # layer id, key, value (None: back to the default)
    renamed = pyqtSignal(str, str)  # old id, new id
    inputShapeChanged = pyqtSignal(list)
    networkNameChanged = pyqtSignal(str)
    outputChosen = pyqtSignal(str)
    invalid = pyqtSignal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        title = title_label("INSPECTOR")
        self.heading = QLabel()
        self.heading.setProperty("role", "metric")  # the theme's larger size, whatever the fonts
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setStyleSheet("font-weight: bold;")
        self.heading.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setProperty("role", "hint")
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 4, 0, 4)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet(
            f"QLabel {{ color: {ERROR_TEXT}; background: #fff5f5; border: 2px solid {ERROR};"
            " border-radius: 6px; padding: 6px; }"
        )
        self.error.hide()
        self.output_button = QPushButton("Make this the output")
        self.output_button.clicked.connect(lambda: self.outputChosen.emit(self._key[0]))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addWidget(title)
        lay.addWidget(self.heading)
        lay.addWidget(self.summary)
        lay.addWidget(self.form_host)
        lay.addWidget(self.facts)
        lay.addWidget(self.error)
        lay.addWidget(self.output_button)
        lay.addStretch(1)
        self.fields: dict[str, ParamField] = {}
        self._key: tuple = ()

    # ================================================================== showing
    def show_selection(self, model: GraphModel, inference: Inference, selected: list[str]) -> None:
        if len(selected) > 1:
            self._show_many(selected)
        elif selected and (selected[0] in model.layers or selected[0] == INPUT):
            self._show_node(model, inference, selected[0])
        else:
            self._show_network(model, inference)

    def _rebuild(self, key: tuple) -> bool:
        """Starts a new form when the subject changed; False when the fields can be updated in place."""
        if key == self._key:
            return False
        self._key = key
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        return True

    def _add(self, key: str, label: str, field: ParamField) -> ParamField:
        self.fields[key] = field
        self.form.addRow(label, field)
        return field

    def _show_many(self, selected: list[str]) -> None:
        self._rebuild(("many", tuple(selected)))
        self.heading.setText(f"{len(selected)} layers selected")
        self.summary.setText("Delete removes them, Ctrl+C copies them, drag one to move them all.")
        self.facts.setText("")
        self.error.hide()
        self.output_button.hide()

    def _show_network(self, model: GraphModel, inference: Inference) -> None:
        if self._rebuild(("network",)):
            name = self._add("name", "name", ParamField(_parse_name, str, "the network's name (saved in the spec)"))
            name.committed.connect(lambda v: self.networkNameChanged.emit(str(v)))
            name.invalid.connect(self.invalid)
            self._input_field()
        self.heading.setText(f"Network “{model.name}”")
        self.summary.setText(model.description or "Select a layer to edit it. Tab searches the layers.")
        self.fields["name"].set_value(model.name)
        self.fields["input_shape"].set_value(model.input_shape)
        out = inference.output
        lines = [
            f"<b>{len(model.layers)}</b> layers, output <b>{out or '—'}</b>"
            + (f" {format_shape(inference.nodes[out].shape)}" if out and inference.nodes[out].ok else ""),
            f"<b>{inference.params:,d}</b> parameters · <b>{flops_text(inference.flops)}</b> per example",
        ]
        self.facts.setText("<br>".join(lines))
        self._show_problems(list(inference.problems))
        self.output_button.hide()

    def _input_field(self) -> ParamField:
        field = self._add(
            "input_shape",
            "input shape",
            ParamField(
                parse_shape,
                format_shape_text,
                "sizes of one example without the batch axis: '2' for points, "
                "'1, 8, 8' for 8×8 grey images, '20, 2' for sequences of 20 steps",
            ),
        )
        field.committed.connect(lambda v: self.inputShapeChanged.emit(list(v)))
        field.invalid.connect(self.invalid)
        return field

    def _show_node(self, model: GraphModel, inference: Inference, lid: str) -> None:
        info = inference.nodes.get(lid)
        if lid == INPUT:
            if self._rebuild(("input",)):
                self._input_field()
            self.heading.setText("input")
            self.summary.setText(
                "The network input: one example's shape. The studio sets it to the data's shape when it trains."
            )
            self.fields["input_shape"].set_value(model.input_shape)
            self.facts.setText("")
            self.error.hide()
            self.output_button.hide()
            return
        entry = model.layers[lid]
        kind = KINDS[entry["type"]]
        if self._rebuild(("layer", lid, entry["type"])):
            self._layer_fields(model, lid, kind)
        self.heading.setText(f"{lid} · {entry['type']}")
        self.summary.setText(kind.summary)
        self.fields["id"].set_value(lid)
        for spec in kind.params:
            self.fields[spec.key].set_value(entry.get(spec.key, kind.defaults.get(spec.key)))
        facts = []
        if info is not None and info.ok:
            facts.append(f"output <b>{format_shape(info.shape)}</b>")
            facts.append(f"<b>{info.params:,d}</b> parameters · {flops_text(info.flops)} per example")
        elif info is not None and info.blocked_by:
            facts.append(f"no shape yet: '{info.blocked_by}' before it does not build")
        if info is not None and not info.used:
            facts.append("not connected to the network output, so it does not train")
        unknown = sorted(set(entry) - {"type", "inputs"} - set(kind.defaults))
        if unknown:
            facts.append(f"unknown parameters in the spec: {', '.join(unknown)}")
        self.facts.setText("<br>".join(facts))
        self._show_problems([info.error] if info is not None and info.error else [])
        self.output_button.setVisible(True)
        self.output_button.setEnabled(model.output_id() != lid)
        self.output_button.setText("This is the output" if model.output_id() == lid else "Make this the output")

    def _layer_fields(self, model: GraphModel, lid: str, kind) -> None:
        def parse_id(text: str) -> str:
            text = text.strip()
            if not LAYER_ID.fullmatch(text):
                raise ValueError("a name starts with a letter and uses letters, digits, _ and - only")
            if text == INPUT or (text != lid and text in model.layers):
                raise ValueError(f"the name {text!r} is taken")
            return text

        # each field remembers its layer: a field that commits as focus leaves it (because another node
        # was clicked) still edits the layer it belongs to
        field = self._add("id", "name", ParamField(parse_id, str, "the layer's id in the spec"))
        field.committed.connect(lambda new: self.renamed.emit(lid, new))
        field.invalid.connect(self.invalid)
        defaults = LAYER_TYPES[kind.type].defaults
        for spec in kind.params:
            default = defaults.get(spec.key)
            field = self._add(
                spec.key,
                spec.key.replace("_", " "),
                ParamField(
                    _parser(spec, default),
                    spec.format,
                    spec.doc,
                    placeholder=spec.auto or ("" if default is None else f"default {spec.format(default)}"),
                    checkbox=spec.kind == "bool",
                ),
            )
            field.committed.connect(
                lambda value, key=spec.key, d=default: self.paramChanged.emit(lid, key, None if value == d else value)
            )
            field.invalid.connect(self.invalid)

    def _show_problems(self, problems: list[str]) -> None:
        if problems:
            head = (
                "This layer does not build:"
                if len(self._key) > 1 and self._key[0] == "layer"
                else f"{len(problems)} problem{'s' if len(problems) > 1 else ''}:"
            )
            self.error.setText(head + "\n" + "\n".join(f"• {p}" for p in problems[:6]))
            self.error.show()
        else:
            self.error.hide()


def format_shape_text(shape) -> str:
    return ", ".join(str(d) for d in shape)


def _parse_name(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError("the network needs a name")
    return text


def _parser(spec: ParamSpec, default: object | None):
    """spec.parse, where an empty field means the engine's default when there is one."""

    def parse(text: str):
        if not text.strip() and default is not None:
            return default
        return spec.parse(text)

    return parse
