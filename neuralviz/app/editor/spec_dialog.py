"""SpecEditorDialog: one network spec (a GAN's generator or discriminator) edited on the Architecture
editor's own canvas, in a dialog that hands the edited spec back.

    palette (layer types)  |  canvas (nodes, wires, shapes after every edit)  |  inspector
    the verdict: builds, and makes the required output? (why not, in words)         Cancel  OK

The drawing is an EditorDocument with the editor's undo history, shape inference, actions and shortcuts;
the edit methods are the EditorPage's own (they need only the document, the scene, the view and the
message panel, which this dialog has too), so an edit here behaves as it does on the tab. The spec's
input shape is fixed (the player's place in the game: G reads the latent vector, D reads a sample);
OK is refused, with the reason shown, until the drawing builds and makes `required_output`.

    spec = edit_spec(parent, gan.preset["generator"], "Generator", theme, required_output=(2,))
"""

from __future__ import annotations

import math

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...layers import SpecError
from ...network import Network
from ..common.message_panel import MessagePanel
from ..common.panels import panel, scrolling
from ..common.theme import Theme, stylesheet
from .actions import EditorActions
from .catalog import format_shape
from .document import EditorDocument
from .inspector import Inspector
from .layout import auto_layout
from .model import GraphModel
from .page import EditorPage
from .palette import LayerPalette
from .scene import GraphScene
from .style import canvas_style
from .view import GraphView

OK_COLOUR, BAD_COLOUR = "#1a7f37", "#a40e26"  # the editor's own "✓ builds" / "⚠ problem" colours
_TOOLS = ("undo", "redo", "delete", "layout", "fit")


def _shape(shape) -> tuple[int, ...] | None:
    return None if shape is None else tuple(int(d) for d in shape)


class SpecEditorDialog(QDialog):
    """Edits a copy of `spec`; spec() is the edited one (layout dropped, unused layers dropped)."""

    # the EditorPage's edit methods, shared as they are: they use document, scene, view, message, _edit
    _edit = EditorPage._edit
    add_layer = EditorPage.add_layer
    _palette_add = EditorPage._palette_add
    _dropped = EditorPage._dropped
    connect_layers = EditorPage.connect_layers
    set_param = EditorPage.set_param
    rename = EditorPage.rename
    delete_selection = EditorPage.delete_selection
    select_all = EditorPage.select_all
    _nodes_moved = EditorPage._nodes_moved
    copy_selection = EditorPage.copy_selection
    cut_selection = EditorPage.cut_selection
    paste = EditorPage.paste
    duplicate = EditorPage.duplicate
    _clipboard_fragment = EditorPage._clipboard_fragment
    _canvas = EditorPage._canvas
    _show_inspector = EditorPage._show_inspector

    def __init__(
        self, spec: dict, title: str, theme: Theme, required_output=None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        model = GraphModel.from_spec(spec)  # SpecError naming the problem when it is not a spec
        self.input_shape = tuple(model.input_shape)
        self.required_output = _shape(required_output)
        self.theme = theme
        self.setWindowTitle(title)
        font = self.font()  # the theme's size even when the window's font does not reach a dialog
        font.setPointSizeF(theme.font_pt)
        self.setFont(font)
        self.setStyleSheet(stylesheet(theme))
        self.document = EditorDocument(self)
        self.scene = GraphScene(canvas_style(theme), self)
        self.view = GraphView(self.scene)
        self.palette = LayerPalette()
        self.inspector = Inspector()
        self.message = MessagePanel()
        self.actions = EditorActions(self)
        self._clipboard: dict | None = None
        self._pastes = 0
        self._build(title)
        self._connect()
        self._shown = False
        self._had_layout = model.has_layout()
        if not self._had_layout:
            sizes = self.scene.measure(model, self.document.checker.infer(model))
            model.positions.update(auto_layout(model, sizes.get, self._canvas(self.scene.unit)))
        self.document.replace(model, "", keep_history=False)

    # ------------------------------------------------------------------ layout
    def _build(self, title: str) -> None:
        bar = QHBoxLayout()
        rule = f"<b>{title}</b> · input fixed at {format_shape(self.input_shape)}"
        if self.required_output is not None:
            rule += f" · output must be {format_shape(self.required_output)}"
        heading = QLabel(rule)
        heading.setProperty("role", "metric")
        heading.setWordWrap(True)  # wraps on 1024 pixels with large fonts instead of widening the dialog
        heading.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar.addWidget(heading, 1)
        for name in _TOOLS:
            button = QToolButton()
            button.setDefaultAction(self.actions[name])
            bar.addWidget(button)
        self.verdict = QLabel()
        self.verdict.setProperty("role", "metric")
        self.verdict.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setAutoDefault(False)  # Enter edits fields
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAutoDefault(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(panel(self.palette))
        self.splitter.addWidget(panel(self.view))
        self.splitter.addWidget(panel(scrolling(self.inspector)))
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addLayout(bar)
        lay.addWidget(self.message)
        lay.addWidget(self.splitter, 1)
        foot = QHBoxLayout()
        foot.addWidget(self.verdict, 1)
        foot.addWidget(self.buttons, 0, Qt.AlignmentFlag.AlignBottom)
        lay.addLayout(foot)
        self.resize(1100, 700)

    def _connect(self) -> None:
        d, a, i = self.document, self.actions, self.inspector
        d.changed.connect(self._on_changed)
        d.refused.connect(self.show_error)
        d.undo_stack.canUndoChanged.connect(a["undo"].setEnabled)
        d.undo_stack.canRedoChanged.connect(a["redo"].setEnabled)
        a["undo"].setEnabled(False)
        a["redo"].setEnabled(False)
        for name, slot in (
            ("undo", d.undo_stack.undo),
            ("redo", d.undo_stack.redo),
            ("delete", self.delete_selection),
            ("copy", self.copy_selection),
            ("cut", self.cut_selection),
            ("paste", self.paste),
            ("duplicate", self.duplicate),
            ("select_all", self.select_all),
            ("layout", self.auto_layout),
            ("fit", self.fit),
            ("search", self.palette.focus_search),
        ):
            a[name].triggered.connect(slot)
        self.scene.connectRequested.connect(self.connect_layers)
        self.scene.nodesMoved.connect(self._nodes_moved)
        self.scene.selectionChanged.connect(self._show_inspector)
        self.view.layerDropped.connect(self._dropped)
        self.view.searchRequested.connect(self.palette.focus_search)
        self.palette.addRequested.connect(self._palette_add)
        i.paramChanged.connect(self.set_param)
        i.renamed.connect(self.rename)
        i.inputShapeChanged.connect(self._input_fixed)
        i.networkNameChanged.connect(lambda name: self._edit("Rename the network", lambda m: setattr(m, "name", name)))
        i.outputChosen.connect(lambda lid: self._edit(f"Make '{lid}' the output", lambda m: m.set_output(lid)))
        i.invalid.connect(lambda reason: self.show_error(f"Not applied: {reason}"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    # ------------------------------------------------------------------ edits the page does differently
    def _input_fixed(self, shape) -> None:
        """The input is the player's place in the game, not the user's to change: say so, show it again."""
        self.show_error(f"The input shape is fixed at {format_shape(self.input_shape)} here.")
        field = self.inspector.fields.get("input_shape")
        if field is not None:
            field.set_value(self.input_shape)

    def auto_layout(self) -> None:
        positions = auto_layout(self.document.model, self.scene.model_size, self._canvas(self.scene.unit))
        self.document.edit("Auto-layout", lambda m: m.move(positions))
        self.fit()

    def fit(self) -> None:
        self.view.fit(self.scene.drawing_rect())

    def show_error(self, text: str) -> None:
        self.message.show_error(text)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._shown:
            self._shown = True
            width = self.splitter.width()
            side = min(width // 4, max(180, self.palette.sizeHint().width() + 20))  # large fonts: wider
            self.splitter.setSizes([side, width - 2 * side, side])
            QTimer.singleShot(0, self._lay_out_for_canvas)

    def _lay_out_for_canvas(self) -> None:
        """A spec without a saved layout is laid out again for the canvas it got (as the tab does), so a
        long chain wraps into rows instead of shrinking; never an undo step, and never after an edit."""
        model = self.document.model
        if not self._had_layout and not self.document.touched:
            model.move(auto_layout(model, self.scene.model_size, self._canvas(self.scene.unit)))
            self.document.refresh()
        self.fit()

    # ------------------------------------------------------------------ the verdict
    def problem(self) -> str:
        """Why the drawing cannot be handed back ("" when it can): shapes, build, input, output."""
        model, inference = self.document.model, self.document.inference
        if inference.problems:
            return inference.problems[0]
        if tuple(model.input_shape) != self.input_shape:
            return f"the input must stay {format_shape(self.input_shape)}, not {format_shape(model.input_shape)}"
        try:
            net = Network.from_spec(self.spec())
        except (SpecError, ValueError, TypeError) as err:
            return str(err)
        out, want = _shape(net.output_shape), self.required_output
        if want is not None and out != want and not (want == (1,) and math.prod(out) == 1):
            return f"the output shape is {format_shape(out)} but must be {format_shape(want)}"
        return ""

    def _on_changed(self) -> None:
        self.scene.sync(self.document.model, self.document.inference)
        self._show_inspector()
        reason = self.problem()
        if reason:
            text = f"<span style='color:{BAD_COLOUR}'><b>⚠ Not yet: {reason}</b></span>"
        else:
            out = self.document.inference.nodes[self.document.inference.output].shape
            text = (
                f"<span style='color:{OK_COLOUR}'><b>✓ builds</b></span> · "
                f"{format_shape(self.input_shape)} → {format_shape(out)} · "
                f"<b>{self.document.inference.params:,d}</b> parameters"
            )
        self.verdict.setText(text)
        if self.message.level == "error" and not reason:
            self.message.clear()

    def accept(self) -> None:
        """OK: only a drawing that builds and makes the required output; else the reason, and stay."""
        reason = self.problem()
        if reason:
            self.show_error(f"Cannot use this network yet: {reason}")
            return
        super().accept()

    def spec(self) -> dict:
        """The edited network spec (as the engine takes it: layers that feed the output, no layout)."""
        return self.document.model.training_spec()


def edit_spec(parent: QWidget | None, spec: dict, title: str, theme: Theme, required_output=None) -> dict | None:
    """Opens the dialog (modal); the edited spec on OK, None on Cancel."""
    dialog = SpecEditorDialog(spec, title, theme, required_output, parent)
    try:
        return dialog.spec() if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()


SpecEditorDialog.edit_spec = staticmethod(edit_spec)
