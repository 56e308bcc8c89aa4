"""SpecEditorDialog (neuralviz.app.editor.spec_dialog), offscreen: a GAN player's spec drawn on the
editor's canvas; an edit through the inspector gives a new spec that builds and plays in the GAN; a
wrong output shape or input shape is refused with the reason shown; Cancel gives None."""

from __future__ import annotations

import copy

import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pytestqt")

from PyQt6.QtCore import QTimer  # noqa: E402
from PyQt6.QtWidgets import QDialogButtonBox  # noqa: E402

import neuralviz as nv  # noqa: E402
from neuralviz.app.common.theme import make_theme  # noqa: E402
from neuralviz.app.editor.spec_dialog import SpecEditorDialog, edit_spec  # noqa: E402
from neuralviz.generative.gan import GAN  # noqa: E402


@pytest.fixture
def preset():
    return copy.deepcopy(nv.presets.load("gan-ring"))


@pytest.fixture
def dialog(qtbot, preset):
    d = SpecEditorDialog(preset["generator"], "Generator", make_theme(), required_output=(2,))
    qtbot.addWidget(d)
    d.resize(1024, 700)
    d.show()
    qtbot.waitExposed(d)
    return d


def ok(dialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def test_shows_the_spec_layers(dialog, preset):
    ids = [l["id"] for l in preset["generator"]["layers"]]
    assert set(ids) <= set(dialog.scene.nodes)
    assert "✓ builds" in dialog.verdict.text() and dialog.problem() == ""
    assert dialog.spec()["input_shape"] == [2]


def test_inspector_edit_gives_a_spec_that_plays(dialog, preset):
    dialog.scene.select(["h1"])
    dialog.inspector.fields["units"].type_text("16")
    assert dialog.document.model.layers["h1"]["units"] == 16
    ok(dialog)
    assert dialog.result() == SpecEditorDialog.DialogCode.Accepted
    spec = dialog.spec()
    assert next(l for l in spec["layers"] if l["id"] == "h1")["units"] == 16
    gan = GAN.from_preset(preset, seed=0).with_networks(generator=spec)
    assert 16 in gan.generator.parameters()[0].value.shape
    gan.step()


def test_added_layer_through_the_page_methods(dialog):
    dialog.scene.select(["a2"])
    new = dialog.add_layer("dense", after="a2", params={"units": 8})
    assert new in dialog.scene.nodes
    assert dialog.document.model.layers[new]["inputs"] == ["a2"]
    dialog.document.undo_stack.undo()
    assert new not in dialog.document.model.layers


def test_wrong_output_is_refused_with_the_reason(dialog):
    dialog.scene.select(["out"])
    dialog.inspector.fields["units"].type_text("3")
    assert dialog.problem() == "the output shape is 3 but must be 2"
    assert "Not yet" in dialog.verdict.text()
    ok(dialog)
    assert dialog.isVisible() and dialog.result() != SpecEditorDialog.DialogCode.Accepted
    assert "Cannot use this network yet" in dialog.message.text and "must be" in dialog.message.text
    dialog.document.undo_stack.undo()  # back to 2 units: accepted
    ok(dialog)
    assert dialog.result() == SpecEditorDialog.DialogCode.Accepted


def test_input_shape_is_fixed(dialog):
    dialog.scene.select([])
    dialog.inspector.inputShapeChanged.emit([5])
    assert tuple(dialog.document.model.input_shape) == (2,)
    assert "fixed" in dialog.message.text


def test_discriminator_needs_one_logit(qtbot, preset):
    d = SpecEditorDialog(preset["discriminator"], "Discriminator", make_theme(), required_output=(1,))
    qtbot.addWidget(d)
    assert d.problem() == ""
    last = d.document.model.output_id()
    d.set_param(last, "units", 4)
    assert d.problem() == "the output shape is 4 but must be 1"


def test_not_a_spec_raises():
    with pytest.raises(ValueError):
        SpecEditorDialog({"input_shape": [2], "layers": [{"id": "h", "type": "dence"}]}, "G", make_theme())


def test_edit_spec_cancel_gives_none_and_ok_gives_the_spec(qtbot, preset):
    def press(which):
        def later():
            from PyQt6.QtWidgets import QApplication

            d = next(w for w in QApplication.topLevelWidgets() if isinstance(w, SpecEditorDialog) and w.isVisible())
            d.buttons.button(which).click()

        QTimer.singleShot(200, later)

    press(QDialogButtonBox.StandardButton.Cancel)
    assert edit_spec(None, preset["generator"], "G", make_theme(), (2,)) is None
    press(QDialogButtonBox.StandardButton.Ok)
    spec = SpecEditorDialog.edit_spec(None, preset["generator"], "G", make_theme(), (2,))
    assert [l["id"] for l in spec["layers"]] == [l["id"] for l in preset["generator"]["layers"]]


def test_spec_view_draws_read_only(qtbot, preset):
    from neuralviz.app.editor.spec_view import SpecView

    view = SpecView(make_theme())
    qtbot.addWidget(view)
    view.resize(360, 160)
    view.show()
    view.show_spec(preset["discriminator"])
    assert {l["id"] for l in preset["discriminator"]["layers"]} < set(view.graph.nodes)
    assert not view.isInteractive()
    with qtbot.waitSignal(view.activated, timeout=1000):
        view.mouseDoubleClickEvent(None)
    view.show_spec(preset["generator"])  # another spec replaces the drawing
    assert view.model.name == preset["generator"]["name"]
    with pytest.raises(ValueError):
        view.show_spec({"input_shape": [2], "layers": "x"})
