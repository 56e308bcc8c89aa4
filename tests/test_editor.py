"""The architecture editor (neuralviz.app.editor), offscreen under pytest-qt.

What a lecturer relies on: a network drawn with the mouse (palette, ports, inspector) is the spec that
is saved, reopened and trained; shapes are checked after every edit and a failing layer is flagged on
the right node; every edit can be undone; bad input (a cycle, a bad value, a corrupt file) is refused
with a reason and never loses the drawing.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pytestqt")

from PyQt6.QtCore import QMimeData, QPoint, QPointF, Qt  # noqa: E402
from PyQt6.QtGui import QDragEnterEvent, QDropEvent, QImage, QWheelEvent  # noqa: E402
from PyQt6.QtTest import QTest  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402
from qt_image import rgb_array  # noqa: E402

import neuralviz as nv  # noqa: E402
from neuralviz import presets  # noqa: E402
from neuralviz.app.editor.catalog import KINDS, parse_shape  # noqa: E402
from neuralviz.app.editor.inference import ShapeChecker  # noqa: E402
from neuralviz.app.editor.layout import auto_layout  # noqa: E402
from neuralviz.app.editor.model import EditRefused, GraphModel  # noqa: E402
from neuralviz.app.editor.palette import LAYER_MIME  # noqa: E402
from neuralviz.app.editor.templates import TEMPLATES  # noqa: E402
from neuralviz.app.editor.training_data import suggest_dataset  # noqa: E402
from neuralviz.layers import LAYER_TYPES, SpecError  # noqa: E402

WAIT = 30_000  # ms; generous for a loaded machine: the waits end as soon as the condition holds
LEFT, NOMOD = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


# ---------------------------------------------------------------------------------------------- pure parts
def xor_model() -> GraphModel:
    m = GraphModel("xor-mlp", [2])
    h = m.add_layer("dense", {"units": 4}, inputs=["input"])
    a = m.add_layer("tanh", inputs=[h])
    m.add_layer("dense", {"units": 1}, inputs=[a])
    return m


def test_model_is_the_spec_and_round_trips():
    m = xor_model()
    spec = m.to_spec()
    assert [(l["id"], l["type"], l["inputs"]) for l in spec["layers"]] == [
        ("dense1", "dense", ["input"]),
        ("tanh1", "tanh", ["dense1"]),
        ("dense2", "dense", ["tanh1"]),
    ]
    assert spec["output"] == "dense2" and set(spec["layout"]) == {"input", "dense1", "tanh1", "dense2"}
    net = nv.Network.from_spec(spec)  # the engine takes it as it is
    assert net.output_shape == (1,) and net.num_parameters() == 2 * 4 + 4 + 4 + 1
    again = GraphModel.from_spec(json.loads(json.dumps(spec)))
    assert again.to_spec() == spec
    # an unconnected layer survives saving and reopening, and is left out of what trains
    m.add_layer("relu", pos=(500, 300))
    spec = m.to_spec()
    assert GraphModel.from_spec(spec).to_spec() == spec
    assert [l["id"] for l in m.training_spec()["layers"]] == ["dense1", "tanh1", "dense2"]


def test_model_edits_and_refusals():
    m = xor_model()
    with pytest.raises(EditRefused, match="cycle"):
        m.connect("dense2", "dense1")
    with pytest.raises(EditRefused, match="itself|cycle"):
        m.connect("tanh1", "tanh1")
    with pytest.raises(EditRefused, match="network input"):
        m.connect("dense1", "input")
    with pytest.raises(EditRefused, match="taken|already"):
        m.rename("tanh1", "dense1")
    with pytest.raises(EditRefused, match="'input'"):
        m.rename("tanh1", "input")
    assert m.connect("input", "tanh1") == "dense1"  # a single-input layer: the wire is replaced
    m.connect("dense1", "tanh1")
    add = m.add_layer("add", inputs=["dense1", "tanh1"])  # a merge takes several
    assert m.layers[add]["inputs"] == ["dense1", "tanh1"]
    m.rename("dense1", "hidden")
    assert m.layers["tanh1"]["inputs"] == ["hidden"] and m.layers[add]["inputs"] == ["hidden", "tanh1"]
    m.remove(["tanh1"])
    assert m.layers[add]["inputs"] == ["hidden"] and "tanh1" not in m.positions
    pasted = m.paste(m.fragment(["hidden", "dense2"]))
    assert len(pasted) == 2 and all(p not in ("hidden", "dense2") for p in pasted)


def test_opening_bad_specs_says_why():
    with pytest.raises(SpecError, match="dence"):
        GraphModel.from_spec({"input_shape": [2], "layers": [{"id": "h", "type": "dence"}]})
    with pytest.raises(SpecError, match="does not exist"):
        GraphModel.from_spec({"input_shape": [2], "layers": [{"id": "h", "type": "relu", "inputs": ["x"]}]})
    with pytest.raises(SpecError, match="cycle"):
        GraphModel.from_spec(
            {
                "input_shape": [2],
                "layers": [
                    {"id": "a", "type": "add", "inputs": ["input", "b"]},
                    {"id": "b", "type": "relu", "inputs": ["a"]},
                ],
            }
        )


def test_inference_flags_exactly_the_failing_node():
    m = xor_model()
    conv = m.add_layer("conv2d", {"channels": 4, "kernel_size": 3}, inputs=["tanh1"])
    m.add_layer("relu", inputs=[conv])
    m.set_output("dense2")
    inf = ShapeChecker().infer(m)
    assert inf.nodes["dense1"].shape == (4,) and inf.nodes["dense1"].params == 12
    assert set(inf.errors()) == {conv}
    assert "conv2d needs image input" in inf.nodes[conv].error and conv in inf.nodes[conv].error
    assert inf.nodes["relu1"].blocked_by == conv and not inf.nodes["relu1"].error
    assert inf.ok and inf.params == 12 + 5  # the broken branch does not feed the output
    m.set_output("relu1")
    assert not ShapeChecker().infer(m).ok


def test_palette_catalog_covers_every_layer_type_and_parses_values():
    assert set(KINDS) == set(LAYER_TYPES)
    for kind in KINDS.values():
        shape = {"Convolution": [1, 8, 8], "Recurrent": [5, 3]}.get(kind.category, [4])
        m = GraphModel("t", shape)
        lid = m.add_layer(kind.type, inputs=["input"] * (2 if kind.category == "Merge" else 1))
        assert ShapeChecker().infer(m).nodes[lid].ok, kind.type  # the starting values build
    units = KINDS["dense"].param("units")
    assert units.parse(" 16 ") == 16
    for bad, reason in (("0", "≥ 1"), ("8.5", "whole number"), ("", "needs a value"), ("x", "whole number")):
        with pytest.raises(ValueError, match=reason):
            units.parse(bad)
    assert KINDS["conv2d"].param("kernel_size").parse("3, 5") == [3, 5]
    assert KINDS["conv2d"].param("kernel_size").parse("3x3") == 3
    with pytest.raises(ValueError, match="below 1"):
        KINDS["dropout"].param("p").parse("1")
    assert parse_shape("1, 8, 8") == [1, 8, 8]
    with pytest.raises(ValueError):
        parse_shape("1, 0")


def test_templates_build_and_layout_flows_left_to_right():
    for key, template in TEMPLATES.items():
        net = nv.Network.from_spec(template.network())
        assert net.num_parameters() > 0, key
        m = GraphModel.from_spec(template.network())
        pos = auto_layout(m)
        for src, dst, _ in m.edges():  # one row: every wire points right
            assert pos[src][0] < pos[dst][0], (key, src, dst)
    m = GraphModel.from_spec(TEMPLATES["residual"].network())
    pos = auto_layout(m, canvas=(1000, 800))
    rows = sorted({round(y) for _, y in pos.values()})
    assert len(rows) > 1  # a long chain wraps into rows on a wide-ish canvas
    # the block and its skip stay on one row (the cut goes where one wire crosses)
    assert len({round(pos[k][1]) for k in ("act0", "conv1", "act1", "conv2", "skip")}) == 1


def test_training_data_suits_the_input():
    assert suggest_dataset(TEMPLATES["lenet"].spec, "xor") == "digits"
    assert suggest_dataset(TEMPLATES["lenet"].spec, "shapes") == "shapes"
    assert suggest_dataset(TEMPLATES["lstm"].spec, "xor") == "adding"
    assert suggest_dataset(TEMPLATES["mlp"].spec, "spirals") == "spirals"
    assert suggest_dataset(presets.load("story-qa")["network"], "xor") == "story_qa"


# ---------------------------------------------------------------------------------------------- the page
@pytest.fixture
def page(qtbot, window):
    p = window.pages["Architecture"]
    window.tabs.setCurrentWidget(p)
    qtbot.waitUntil(lambda: p.view.viewport().width() > 300, timeout=WAIT)
    return p


def vp_point(page, scene_point: QPointF) -> QPoint:
    return page.view.mapFromScene(scene_point)


def drag(page, a: QPoint, b: QPoint, button=LEFT) -> None:
    vp = page.view.viewport()
    QTest.mousePress(vp, button, NOMOD, a)
    for i in range(1, 6):
        QTest.mouseMove(vp, a + (b - a) * (i / 5))
    QTest.mouseRelease(vp, button, NOMOD, b)


def wire(page, src: str, dst: str) -> None:
    """Drag from src's output port to dst's input port, with the mouse."""
    nodes = page.scene.nodes
    page.view.ensureVisible(nodes[src], 20, 20)
    a = vp_point(page, nodes[src].out_port.scenePos())
    b = vp_point(page, nodes[dst].in_port.scenePos())
    drag(page, a, b)


def drop_layer(page, layer_type: str, at: QPoint) -> None:
    """What the palette's drag delivers (QDrag does not run offscreen; the drop events do)."""
    mime = QMimeData()
    mime.setData(LAYER_MIME, layer_type.encode())
    vp = page.view.viewport()
    QApplication.sendEvent(vp, QDragEnterEvent(at, Qt.DropAction.CopyAction, mime, LEFT, NOMOD))
    QApplication.sendEvent(vp, QDropEvent(QPointF(at), Qt.DropAction.CopyAction, mime, LEFT, NOMOD))


def palette_double_click(page, layer_type: str) -> None:
    tree = page.palette.tree
    item = page.palette._items[layer_type]
    tree.scrollToItem(item)
    centre = tree.visualItemRect(item).center()
    QTest.mouseClick(tree.viewport(), LEFT, NOMOD, centre)  # Qt 6's mouseDClick sends only the
    QTest.mouseDClick(tree.viewport(), LEFT, NOMOD, centre)  # double-click itself


def test_build_xor_mlp_with_the_mouse_save_and_reopen(qtbot, page, tmp_path):
    page.new_empty()
    page.scene.select(["input"])
    palette_double_click(page, "dense")  # added after the selected node, wired to it
    first = page.scene.selected_nodes()[0]
    assert page.document.model.layers[first]["inputs"] == ["input"]
    palette_double_click(page, "tanh")
    page.inspector.fields["id"].type_text("a1")
    # the output layer arrives by drag and drop, then is wired by dragging between ports
    centre = page.view.viewport().rect().center()
    drop_layer(page, "dense", centre + QPoint(150, 150))
    out = [lid for lid in page.document.model.layers if lid not in (first, "a1")][0]
    wire(page, "a1", out)
    page.scene.select([out])
    page.inspector.fields["units"].type_text("1")
    page.scene.select([first])
    page.inspector.fields["units"].type_text("4")
    model = page.document.model
    spec = model.to_spec()
    assert [(l["type"], l.get("units"), l["inputs"]) for l in spec["layers"]] == [
        ("dense", 4, ["input"]),
        ("tanh", None, [first]),
        ("dense", 1, ["a1"]),
    ]
    assert page.document.inference.ok and page.document.inference.params == 17
    assert page.scene.edges[("a1", out, 0)].label == "4"  # the wire shows its tensor shape
    path = tmp_path / "xor.json"
    assert page.save_spec(path)
    page.new_from_template("lenet")
    assert page.open_spec(path)
    assert page.document.model.to_spec() == spec  # positions included
    # Tab on the canvas opens the search; Enter adds the best match
    page.view.setFocus()
    QTest.keyClick(page.view, Qt.Key.Key_Tab)
    assert page.palette.search.hasFocus()
    QTest.keyClicks(page.palette.search, "lst")
    QTest.keyClick(page.palette.search, Qt.Key.Key_Return)
    assert "lstm1" in page.document.model.layers


def test_residual_cnn_round_trip_and_training_in_the_studio(qtbot, window, page, tmp_path):
    page.new_empty()
    d = page.document
    d.edit("input", lambda m: m.set_input_shape([1, 8, 8]))
    stem = page.add_layer("conv2d", after="input", params={"channels": 8, "kernel_size": 3, "padding": 1})
    act0 = page.add_layer("relu", after=stem)
    c1 = page.add_layer("conv2d", after=act0, params={"channels": 8, "kernel_size": 3, "padding": 1})
    act1 = page.add_layer("relu", after=c1)
    c2 = page.add_layer("conv2d", after=act1, params={"channels": 8, "kernel_size": 3, "padding": 1})
    skip = page.add_layer("add", after=c2)
    wire(page, act0, skip)  # the skip, drawn with the mouse
    flat = page.add_layer("flatten", after=skip)
    page.add_layer("dense", after=flat, params={"units": 10})
    page.auto_layout()
    inf = d.inference
    assert inf.ok and d.model.layers[skip]["inputs"] == [c2, act0]
    assert inf.nodes[skip].shape == (8, 8, 8) and inf.nodes[flat].shape == (512,)
    assert page.scene.edges[(act0, skip, 1)].label == "8×8×8"
    spec = d.model.to_spec()
    path = tmp_path / "residual.json"
    page.save_spec(path)
    page.new_empty()
    page.open_spec(path)
    assert d.model.to_spec() == spec
    shot = tmp_path / "residual.png"
    page.grab().save(str(shot))
    # the drawing trains in the studio
    assert page.train()
    assert window.tabs.currentWidget() is window.studio_page
    qtbot.waitUntil(
        lambda: (
            window.info.settings.dataset == "digits"
            and [l["type"] for l in window.info.settings.network["layers"]] == [l["type"] for l in spec["layers"]]
        ),
        timeout=WAIT,
    )
    window.train_steps(3)
    qtbot.waitUntil(lambda: window.latest.final and window.latest.step == 3, timeout=WAIT)


def test_undo_redo_round_trips_every_edit(page):
    page.new_empty()
    d = page.document
    d.undo_stack.clear()
    states = [d.model.state()]

    def did(ok):
        assert ok
        states.append(d.model.state())

    h = page.add_layer("dense", after="input")
    states.append(d.model.state())
    a = page.add_layer("relu", after=h)
    states.append(d.model.state())
    did(page.set_param(h, "units", 3))
    did(page.rename(a, "act"))
    did(page.connect_layers("input", "act"))  # replaces the wire from h
    page.scene.select([h])
    page.copy_selection()
    assert page.paste()
    states.append(d.model.state())
    page.scene.select([h])
    did(page.delete_selection())
    page.auto_layout()
    states.append(d.model.state())
    assert d.undo_stack.count() == len(states) - 1
    for expected in reversed(states[:-1]):
        d.undo_stack.undo()
        assert d.model.state() == expected
        assert set(page.scene.nodes) == set(expected["positions"])
    for expected in states[1:]:
        d.undo_stack.redo()
        assert d.model.state() == expected


def test_shape_error_is_flagged_on_the_right_node(qtbot, page, tmp_path):
    page.open_preset("digits-cnn")
    d = page.document
    assert d.inference.ok
    assert page.set_param("c2", "kernel_size", 7)  # 4x4 maps cannot take a 7x7 kernel
    errors = d.inference.errors()
    assert list(errors) == ["c2"] and "larger than the padded input" in errors["c2"]
    assert page.scene.nodes["c2"].info.error and not page.scene.nodes["c1"].info.error
    assert page.scene.nodes["r2"].info.blocked_by == "c2"
    assert page.scene.edges[("p1", "c2", 0)].flagged
    assert not page.train_button.isEnabled()
    assert not page.train() and "c2" in page.message.text
    page.scene.select(["c2"])
    assert page.inspector.error.isVisibleTo(page) and "larger" in page.inspector.error.text()
    page.grab().save(str(tmp_path / "shape-error.png"))
    page.document.undo_stack.undo()
    assert d.inference.ok and page.train_button.isEnabled()


def test_a_cycle_is_refused_at_connect_time(page):
    page.open_preset("xor")
    before = page.document.model.state()
    wire(page, "out", "h1")  # dragged with the mouse
    assert page.document.model.state() == before
    assert page.message.level == "error" and "cycle" in page.message.text
    assert "h1 → a1 → h2 → a2 → out" in page.message.text


def test_invalid_parameters_are_rejected_with_the_reason(page):
    page.open_preset("xor")
    page.scene.select(["h1"])
    field = page.inspector.fields["units"]
    before = page.document.model.state()
    field.type_text("0")
    assert "≥ 1" in field.reason and not field.reason_label.isHidden()
    assert page.document.model.state() == before and "Not applied" in page.message.text
    field.type_text("four")
    assert "whole number" in field.reason and page.document.model.state() == before
    field.type_text("16")
    assert page.document.model.layers["h1"]["units"] == 16 and not field.reason
    page.scene.select(["input"])
    page.inspector.fields["input_shape"].type_text("2, x")
    assert page.document.model.input_shape == [2]


def test_corrupt_json_keeps_the_drawing(page, tmp_path):
    page.open_preset("residual-cnn")
    before = page.document.model.to_spec()
    bad = tmp_path / "bad.json"
    bad.write_text('{"input_shape": [2], "layers": [', encoding="utf-8")
    assert not page.open_spec(bad)
    assert "not valid JSON" in page.message.text and page.document.model.to_spec() == before
    bad.write_text('{"input_shape": [2], "layers": [{"id": "a", "type": "dence"}]}', encoding="utf-8")
    assert not page.open_spec(bad) and "dence" in page.message.text
    assert not page.open_spec(tmp_path / "missing.json")
    assert page.document.model.to_spec() == before


def test_every_preset_opens_laid_out(page):
    for name in presets.names():
        assert page.open_preset(name), name
        model = page.document.model
        assert model.has_layout() and page.document.inference.ok, name
        assert set(page.scene.nodes) == set(model.nodes())
        boxes = [page.scene.nodes[lid].scene_box() for lid in model.nodes()]
        assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :]), name


def test_rubber_band_copy_paste_delete_and_view_controls(page):
    page.open_preset("xor")
    d = page.document
    nodes = page.scene.nodes
    # rubber band around h1 and a1, from empty space above-left to below-right
    r = nodes["h1"].scene_box().united(nodes["a1"].scene_box())
    drag(page, vp_point(page, r.topLeft() - QPointF(20, 30)), vp_point(page, r.bottomRight() + QPointF(5, 10)))
    assert sorted(page.scene.selected_nodes()) == ["a1", "h1"]
    page.view.setFocus()
    QTest.keyClick(page.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(page.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    pasted = page.scene.selected_nodes()
    assert len(pasted) == 2 and set(pasted).isdisjoint({"h1", "a1"})
    new_h = [p for p in pasted if d.model.layers[p]["type"] == "dense"][0]
    new_a = [p for p in pasted if p != new_h][0]
    assert d.model.layers[new_a]["inputs"] == [new_h]  # the wire between them came along
    QTest.keyClick(page.view, Qt.Key.Key_Delete)
    assert set(pasted).isdisjoint(d.model.layers)
    # moving a node by dragging it is one undoable step
    before = nodes["h2"].pos()
    centre = vp_point(page, nodes["h2"].scene_box().center())
    drag(page, centre, centre + QPoint(40, 60))
    moved = d.model.positions["h2"]
    assert moved != (before.x(), before.y())
    d.undo_stack.undo()
    assert d.model.positions["h2"] == (before.x(), before.y())
    # a wire can be selected and deleted
    page.scene.clearSelection()
    page.scene.edges[("a2", "out", 0)].setSelected(True)
    page.delete_selection()
    assert d.model.layers["out"]["inputs"] == [] and not d.inference.ok
    # zoom with the wheel, pan with the middle button
    zoom = page.view.zoom
    vp = page.view.viewport()
    wheel = QWheelEvent(
        QPointF(200, 200),
        QPointF(page.view.mapToGlobal(QPoint(200, 200))),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        NOMOD,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(vp, wheel)
    assert page.view.zoom > zoom * 1.2
    h = page.view.horizontalScrollBar().value()
    drag(page, QPoint(300, 300), QPoint(200, 300), Qt.MouseButton.MiddleButton)
    assert page.view.horizontalScrollBar().value() != h


def test_palette_drags_layers_and_fonts_scale_the_canvas(qtbot, window, page):
    tree = page.palette.tree
    data = tree.mimeData([page.palette._items["conv2d"]])
    assert bytes(data.data(LAYER_MIME)) == b"conv2d"
    page.palette.filter("pool")
    assert page.palette.visible_types() == ["maxpool2d", "avgpool2d"]
    page.palette.filter("")
    page.open_preset("xor")
    x, y = page.document.model.positions["a1"]
    width = page.scene.nodes["a1"].size()[0]
    window.large_fonts_action.setChecked(True)  # the window's switch reaches the canvas
    assert page.scene.unit == 1.5 and page.scene.nodes["a1"].size()[0] > 1.3 * width
    assert page.scene.nodes["a1"].pos() == QPointF(1.5 * x, 1.5 * y)
    assert page.document.model.positions["a1"] == (x, y)  # the saved layout does not change
    zoom = page.view.zoom
    page.actions["panels"].trigger()  # canvas only, for the projector
    qtbot.waitUntil(lambda: page.view.zoom > zoom * 1.05, timeout=WAIT)
    assert not page.palette.isVisible() and not page.inspector.isVisible()
    page.actions["panels"].trigger()
    qtbot.waitUntil(lambda: page.palette.isVisible(), timeout=WAIT)


def test_live_thumbnails_and_export(qtbot, window, page, tmp_path):
    # the page mirrors the studio's XOR network until edited, and draws its activity in the nodes
    assert page.document.model.output_id() == window.info.settings.network["layers"][-1]["id"]
    window.train_steps(200)
    qtbot.waitUntil(lambda: window.latest.final, timeout=WAIT)
    page.on_snapshot(window.latest)
    qtbot.waitUntil(lambda: bool(page.scene.nodes["h1"].thumbnails), timeout=WAIT)
    node = page.scene.nodes["h1"]
    assert node.band and node.thumbnail_caption().startswith("units 1–")
    assert node.thumbnails[0].width() == 40 and page.scene.nodes["input"].thumbnails
    page.open_preset("digits-cnn")  # another network than the studio's: no stale pictures
    assert not page.scene.nodes["c1"].band and "another network" in page.activity.text()
    png, svg = tmp_path / "net.png", tmp_path / "net.svg"
    assert page.export(png, "png") and page.export(svg, "svg")
    image = QImage(str(png))
    assert image.width() > 400 and image.height() > 200
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and "conv2d" in text
    assert rgb_array(image).std() > 20  # not a blank picture
