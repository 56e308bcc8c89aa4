"""The feature-map page (neuralviz.app.featuremaps): the pure parts against numpy oracles, then the page
offscreen under pytest-qt.

What a lecturer relies on: one map per channel of every conv/pool layer, with the layer's shape; drawing on
the canvas changes what the network is fed; the translation controls move the input and the maps move with
it; after training the filters have structure; the confusion matrix counts every test image once; the
saliency map has the input's shape (and is the true gradient of the class score).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pytestqt")

from qt_image import rgb_array as _pixels  # noqa: E402

import neuralviz as nv  # noqa: E402
from neuralviz import presets  # noqa: E402
from neuralviz.app.featuremaps.draw_canvas import stamp_segment  # noqa: E402
from neuralviz.app.featuremaps.fc_twin import FullyConnectedTwin, hidden_units_for  # noqa: E402
from neuralviz.app.featuremaps.filters_view import filter_strips  # noqa: E402
from neuralviz.app.featuremaps.mosaic import MosaicPainter, fit_layout, layout_for_cell  # noqa: E402
from neuralviz.app.featuremaps.probe import Probe, map_layers, translate  # noqa: E402
from neuralviz.app.featuremaps.sweep import DatasetSweep, confusion_matrix  # noqa: E402
from neuralviz.app.featuremaps.top_images import top_indices  # noqa: E402
from neuralviz.prediction import probabilities as class_probabilities  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WAIT_S = 30.0  # generous for a loaded machine: the waits end as soon as the condition holds


def digits_net(dtype="float32"):
    return nv.Network.from_spec(presets.load("digits-cnn")["network"], seed=3, dtype=dtype)


# ---------------------------------------------------------------------------------------------- pure parts
def test_map_layers_follow_conv_activation_and_pool_layers():
    net = digits_net()
    assert [(m.id, m.source, m.kind, m.shape) for m in map_layers(net)] == [
        ("r1", "c1", "conv", (8, 8, 8)),
        ("p1", "p1", "pool", (8, 4, 4)),
        ("r2", "c2", "conv", (16, 4, 4)),
        ("p2", "p2", "pool", (16, 2, 2)),
    ]
    residual = nv.Network.from_spec(presets.load("residual-cnn")["network"])
    # c2 feeds the skip addition, not an activation: its raw output is shown
    assert [(m.id, m.source) for m in map_layers(residual)] == [("r0", "stem"), ("r1", "c1"), ("c2", "c2"), ("p", "p")]


@pytest.mark.parametrize("dx,dy", [(0, 0), (2, 1), (-3, 0), (1, -2), (9, 0), (0, -8)])
def test_translate_matches_a_padded_reference(dx, dy):
    rng = np.random.default_rng(0)
    x = rng.random((3, 2, 7, 8)).astype(np.float32)
    pad = 10
    big = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ref = big[..., pad - dy : pad - dy + 7, pad - dx : pad - dx + 8]
    np.testing.assert_array_equal(translate(x, dx, dy), ref)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_probe_maps_scores_and_saliency(dtype):
    net = digits_net(dtype)
    probe = Probe(net.to_spec(), "cross_entropy", dtype)
    probe.load(net.state_dict())
    image = np.random.default_rng(1).random((1, 8, 8)).astype(dtype)
    r = probe.run(image, (0, 0), saliency_class=4)
    net.forward(image[None])
    for m in probe.layers:
        assert r.maps[m.id].shape == m.shape
        np.testing.assert_allclose(r.maps[m.id], net.outputs[m.id][0], rtol=1e-6, atol=1e-6)
    out = net.outputs["out"][0]
    np.testing.assert_allclose(r.scores, out, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(r.probs, class_probabilities(out[None], "cross_entropy")[0], rtol=1e-6)
    assert r.saliency.shape == image.shape == r.image.shape and r.saliency_class == 4
    assert not r.maps["r1"].flags.writeable and not r.saliency.flags.writeable
    if dtype == "float64":  # the saliency is the gradient of the class-4 score: central differences
        eps, fd = 1e-6, np.zeros_like(image)
        for idx in np.ndindex(image.shape):
            hi, lo = image.copy(), image.copy()
            hi[idx] += eps
            lo[idx] -= eps
            fd[idx] = (net.forward(hi[None])[0, 4] - net.forward(lo[None])[0, 4]) / (2 * eps)
        np.testing.assert_allclose(r.saliency, fd, rtol=1e-3, atol=1e-5)
    again = probe.run(image, (0, 0))  # None: the predicted class; no gradients left behind
    assert again.saliency_class == int(np.argmax(again.probs))
    assert all(not p.grad.any() for p in probe.net.parameters())


def test_probe_maps_move_with_the_input():
    """A convolution commutes with translation: the maps of the moved input are the moved maps (where the
    content stays in the frame and the zero border plays the background)."""
    net = digits_net("float64")
    probe = Probe(net.to_spec(), "cross_entropy", "float64")
    probe.load(net.state_dict())
    image = np.zeros((1, 8, 8))
    image[0, 1:5, 1:4] = np.random.default_rng(2).random((4, 3))
    r = probe.run(image, (2, 1))
    np.testing.assert_array_equal(r.image, translate(image, 2, 1))
    before, after = r.maps_original["r1"], r.maps["r1"]
    np.testing.assert_allclose(after[:, 1:, 2:], before[:, :-1, :-2], rtol=1e-12, atol=1e-12)
    assert not np.allclose(after, before)


def test_sweep_confusion_counts_every_test_image_once():
    ds = nv.data.load("digits", seed=0)
    net = digits_net()
    probe = Probe(net.to_spec(), "cross_entropy")
    sweep = DatasetSweep(probe, ds.x_test, ds.y_test)
    twin = FullyConnectedTwin((1, 8, 8), 10, net.num_parameters(), ds.x_train, ds.y_train, batch_size=32)
    results = list(sweep.run(net.state_dict(), twin, serial=1, step=5))
    assert all(x is None for x in results[:-1]) and len(results) > 2  # chunks: the worker answers between
    s = results[-1]
    n = len(ds.x_test)
    predicted = net.forward(ds.x_test).argmax(axis=1)
    assert s.confusion.sum() == n and s.confusion.shape == (10, 10)
    np.testing.assert_array_equal(s.predictions, predicted)
    np.testing.assert_array_equal(s.confusion, confusion_matrix(ds.y_test, predicted, 10))
    assert s.accuracy == pytest.approx(np.mean(predicted == ds.y_test))
    np.testing.assert_allclose(s.channel_max["r2"], _channel_peaks(net, ds.x_test, "r2"), rtol=1e-6)
    assert s.shift_accuracy.shape == s.twin_shift_accuracy.shape == s.shifts.shape
    assert s.shifts[0] == -s.shifts[-1] and 0 in s.shifts


def _channel_peaks(net, x, layer):
    net.forward(x)
    return net.outputs[layer].max(axis=(2, 3))


def test_workbench_mirrors_the_studio_run_and_refuses_what_it_cannot_show():
    from neuralviz.app.featuremaps.workbench import Workbench, unsupported_reason
    from neuralviz.app.settings import StudioSettings
    from neuralviz.app.studio.training_run import TrainingRun

    run = TrainingRun(StudioSettings.from_preset("residual-cnn"), serial=4)
    bench = Workbench(run.info)
    ctx = bench.context
    assert ctx.serial == 4 and ctx.input_shape == (1, 8, 8) and ctx.num_classes == 10
    assert ctx.filter_shapes == {"stem": (8, 1, 3, 3), "c1": (8, 8, 3, 3), "c2": (8, 8, 3, 3)}
    assert len(ctx.test_images) == len(run.x_test) and ctx.max_shift == 3
    bench.probe.load(run.snapshot().params)  # the studio's weights fit the page's copy
    mlp = {
        "input_shape": [1, 8, 8],
        "layers": [{"id": "f", "type": "flatten"}, {"id": "out", "type": "dense", "units": 10}],
    }
    dense = TrainingRun(StudioSettings.from_preset("digits-cnn").with_network(mlp))
    assert "no convolution" in unsupported_reason(dense.info)
    assert "images" in unsupported_reason(TrainingRun(StudioSettings.from_preset("xor")).info)
    with pytest.raises(ValueError, match="no convolution"):
        Workbench(dense.info)


def test_confusion_matrix_reference():
    labels = np.array([0, 1, 2, 2, 1, 0, 2])
    pred = np.array([0, 2, 2, 1, 1, 0, 2])
    ref = np.zeros((3, 3), dtype=np.int64)
    for t, p in zip(labels, pred):
        ref[t, p] += 1
    np.testing.assert_array_equal(confusion_matrix(labels, pred, 3), ref)


def test_twin_has_about_the_cnn_size_and_learns():
    assert hidden_units_for(64, 10, 3658) == 49
    assert hidden_units_for(784, 4, 100) == 16  # never narrower than 16
    ds = nv.data.load("digits", seed=0)
    twin = FullyConnectedTwin((1, 8, 8), 10, 3658, ds.x_train, ds.y_train, batch_size=32, seed=0)
    assert abs(twin.net.num_parameters() - 3658) < 0.05 * 3658
    # the deadline only bounds a hang (5 epochs take well under a second unloaded)
    assert not twin.train_until(5.0, time.perf_counter() + 120) and twin.epoch >= 5.0
    assert np.mean(twin.probabilities(ds.x_test).argmax(axis=1) == ds.y_test) > 0.8


def test_mosaic_matches_a_naive_raster():
    rng = np.random.default_rng(3)
    maps = rng.normal(size=(5, 3, 4)).astype(np.float32)
    layout = layout_for_cell(5, 3, 4, 6, max_width=40, gap=2)  # 2 map pixels per map pixel
    assert (layout.cols, layout.rows, layout.cell_h, layout.cell_w) == (3, 2, 6, 8)
    lut = np.zeros((256, 4), dtype=np.uint8)
    lut[:, 0] = np.arange(256)
    lut[:, 3] = 255
    out = MosaicPainter(lut, background=(1, 2, 3)).render(maps, layout, -2.0, 2.0)
    assert out.shape == (layout.height, layout.width, 4)
    rows = np.clip(np.floor(256 * (maps + 2.0) / 4.0), 0, 255).astype(np.uint8)
    ref = np.tile(np.array([1, 2, 3, 255], dtype=np.uint8), (layout.height, layout.width, 1))
    for i in range(5):
        x, y = layout.cell_origin(i)
        block = np.kron(rows[i], np.ones((2, 2), dtype=np.uint8))
        ref[y : y + 6, x : x + 8, 0] = block
        ref[y : y + 6, x : x + 8, 1:3] = 0
        assert layout.cell_at(x + 1, y + 1) == i and layout.cell_at(x + 8, y) is None  # gap
    np.testing.assert_array_equal(out, ref)
    assert layout.cell_at(layout.width - 1, layout.height - 1) is None  # the empty sixth cell


def test_layouts_balance_lines_and_fit():
    layout = layout_for_cell(16, 4, 4, 40, max_width=500, gap=3)
    assert (layout.cols, layout.rows) == (8, 2) and layout.width <= 500
    grouped = layout_for_cell(12, 3, 3, 30, max_width=200, gap=3, cols_step=4)
    assert grouped.cols % 4 == 0
    fitted = fit_layout(8, 8, 8, 700, 120)
    assert fitted.width <= 700 and fitted.height <= 120 and fitted.rows == 1


def test_filter_strips_put_kernels_side_by_side():
    w = np.arange(2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2)
    strips = filter_strips(w)
    assert strips.shape == (2, 2, 8)
    np.testing.assert_array_equal(strips[1, :, 3:5], w[1, 1])
    assert np.isnan(strips[:, :, 2]).all() and np.isnan(strips[:, :, 5]).all()


def test_brush_strokes_stay_in_range_and_erase():
    image = np.zeros((8, 8), dtype=np.float32)
    drawn = stamp_segment(image, (1.5, 4.5), (6.5, 4.5), 0.8)
    assert drawn.min() >= 0 and drawn.max() <= 1
    assert drawn[4, 2:6].min() == 1.0 and drawn[0].max() == 0.0  # the line is drawn, far rows untouched
    erased = stamp_segment(drawn, (1.5, 4.5), (6.5, 4.5), 0.8, erase=True)
    assert erased[4, 2:6].max() == 0.0


def test_top_indices_rank_largest_first():
    r = np.array([0.5, 2.0, -1.0, 2.0, 1.5])
    np.testing.assert_array_equal(top_indices(r, 3), [1, 3, 4])
    assert len(top_indices(r, 10)) == 5


# ---------------------------------------------------------------------------------------------- the page


def _wait(app, condition, timeout=WAIT_S):
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise AssertionError("timed out waiting for the feature-map page")
        app.processEvents()
        time.sleep(0.005)


@pytest.fixture(scope="module")
def studio(qapp):
    """One studio window on the digits CNN for the page tests (building it is the slow part)."""
    from neuralviz.app.main_window import MainWindow
    from neuralviz.app.settings import StudioSettings

    w = MainWindow(StudioSettings.from_preset("digits-cnn"))
    w.open_page_for("digits-cnn")
    w.show()
    page = w.pages["Feature maps"]
    _wait(qapp, lambda: page.result is not None and page.sweep is not None)
    yield w, page
    w.close()


def _fresh_result(app, page, condition=lambda r: True):
    n = page._requests
    _wait(app, lambda: page.result is not None and page.result.request >= n and condition(page.result))
    return page.result


def test_digits_preset_opens_the_page_with_a_map_per_channel(qapp, studio):
    w, page = studio
    assert w.tabs.currentWidget() is page and page.stack.currentIndex() == 1
    assert page.wants_preset("digits-cnn") and page.wants_preset("shapes-cnn") and not page.wants_preset("xor")
    expected = [("r1", 8, 8, 8), ("p1", 8, 4, 4), ("r2", 16, 4, 4), ("p2", 16, 2, 2)]
    assert [(r.key, r.count, r.map_h, r.map_w) for r in page.maps.rows] == expected
    result = _fresh_result(qapp, page)
    for (key, c, h, wd), layout in zip(expected, page.maps.layouts):
        assert result.maps[key].shape == (c, h, wd)
        assert layout.count == c and (layout.map_h, layout.map_w) == (h, wd)
        image = page.maps.images[key]
        assert (image.width(), image.height()) == (layout.width, layout.height)
    assert [r.key for r in page.filters.rows] == ["c1", "c2"]
    assert result.saliency.shape == result.image.shape == (1, 8, 8)


def test_drawing_on_the_canvas_changes_the_network_input(qapp, studio, qtbot):
    from PyQt6.QtCore import QPoint, Qt

    w, page = studio
    panel = page.input_panel
    panel.show_test(0)
    before = _fresh_result(qapp, page, lambda r: r.true_label is not None).original.copy()
    canvas = panel.canvas
    rect = canvas.image_rect()
    start = QPoint(int(rect.left() + rect.width() * 0.15), int(rect.top() + rect.height() * 0.1))
    end = QPoint(int(rect.left() + rect.width() * 0.85), int(rect.top() + rect.height() * 0.9))
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas, pos=end)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=end)
    assert panel.edited and "edited" in panel.source_label.text() and panel.true_label is None
    drawn = _fresh_result(qapp, page, lambda r: r.true_label is None)
    np.testing.assert_array_equal(drawn.original, panel.base)
    assert drawn.original.max() == 1.0 and not np.array_equal(drawn.original, before)
    assert (drawn.original >= before).all() and drawn.original.sum() > before.sum() + 3  # ink was added
    panel.clear()
    blank = _fresh_result(qapp, page, lambda r: not r.original.any())
    assert panel.source_label.text() == "Your drawing" and not blank.image.any()
    panel.show_test(3)


def test_translation_slider_moves_the_input_and_the_maps(qapp, studio):
    w, page = studio
    panel = page.input_panel
    panel.show_test(5)
    panel.sliders["x"].setValue(2)
    r = _fresh_result(qapp, page, lambda r: r.shift == (2, 0))
    np.testing.assert_array_equal(r.image, translate(r.original, 2, 0))
    assert "2 px right" in panel.shift_label.text()
    shown = panel.canvas.base
    np.testing.assert_array_equal(shown, r.original)  # the canvas keeps the untranslated image
    # the first layer's maps moved right by 2 (away from the edges, where pixels left or entered the frame)
    np.testing.assert_allclose(r.maps["r1"][:, :, 3:7], r.maps_original["r1"][:, :, 1:5], atol=1e-5)
    panel.set_shift(0, 0)
    _fresh_result(qapp, page, lambda r: r.shift == (0, 0))


def test_trained_page_screenshot_has_structured_filters_and_a_full_confusion_matrix(qapp, studio, tmp_path):
    from PyQt6.QtGui import QImage

    w, page = studio
    initial = page.result.filters["c1"].copy()
    w.train_steps(300)
    _wait(
        qapp,
        lambda: (
            w.latest.final
            and page.result is not None
            and page.result.step == w.latest.step
            and page.sweep is not None
            and page.sweep.step == w.latest.step
        ),
    )
    trained = page.result.filters["c1"]
    assert not np.allclose(trained, initial)
    for tab in range(page.tabs.count()):
        page.tabs.setCurrentIndex(tab)
        qapp.processEvents()
        assert page.grab().save(str(tmp_path / f"page{tab}.png"))
    shot = _pixels(QImage(str(tmp_path / "page0.png")))
    packed = (shot[..., 0].astype(np.uint32) << 16) | (shot[..., 1].astype(np.uint32) << 8) | shot[..., 2]
    assert shot.std() > 30 and len(np.unique(packed)) > 300, "page looks blank"
    filters = _pixels(page.filters.images["c1"])
    layout = page.filters.layouts[0]
    for i in range(layout.count):  # every first-layer filter is a pattern, not a flat square
        x, y = layout.cell_origin(i)
        cell = filters[y : y + layout.cell_h, x : x + layout.cell_w].astype(float)
        assert cell.std() > 10, f"filter {i} looks uniform"
    s = page.sweep
    assert s.confusion.sum() == len(page.ctx.test_images) == len(w.info.data.test_x)
    assert s.accuracy == pytest.approx(w.latest.metrics["test_accuracy"], abs=1e-9)
    assert page.result.saliency.shape == page.ctx.input_shape


def test_clicks_choose_channel_class_and_confusion_cell(qapp, studio):
    w, page = studio
    page.maps.mapClicked.emit("r2", 5)
    assert page.tabs.currentWidget() is page.top_images and page.top_images.channel == 5
    responses = page.sweep.channel_max["r2"][:, 5]
    assert responses[page.top_images.indices[0]] == responses.max()
    page.scores.classClicked.emit(7)
    r = _fresh_result(qapp, page, lambda r: r.saliency_class == 7)
    assert page.tabs.currentWidget() is page.saliency and r.saliency.shape == (1, 8, 8)
    page.scores.classClicked.emit(7)  # again: back to following the prediction
    assert page.saliency_class is None
    s = page.sweep
    t, p = next((t, p) for t in range(10) for p in range(10) if s.confusion[t, p])
    page.confusion.cellClicked.emit(t, p)
    idx = page.input_panel.index
    assert s.labels[idx] == t and s.predictions[idx] == p


def test_large_fonts_and_non_image_runs(qapp, studio):
    from neuralviz.app.common.theme import make_theme

    w, page = studio
    w.large_fonts_action.setChecked(True)
    w.step()
    _wait(qapp, lambda: page.theme.large_fonts)
    assert page.grab().toImage().width() > 0
    w.large_fonts_action.setChecked(False)
    w.load_preset("xor")  # planar data: the page explains and offers the CNN presets
    _wait(qapp, lambda: w.info.kind == "planar")
    w.tabs.setCurrentWidget(page)
    assert page.stack.currentIndex() == 0 and "images" in page.placeholder_label.text()
    assert any("digits-cnn" in b.text() for b in page.preset_buttons)
    assert make_theme(False, False) is not None


def test_gui_screenshot_of_the_page_works_headless(tmp_path):
    out = tmp_path / "digits.png"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "neuralviz",
            "gui",
            "--preset",
            "digits-cnn",
            "--train-steps",
            "200",
            "--screenshot",
            str(out),
            "--quit",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    from PyQt6.QtGui import QImage

    shot = _pixels(QImage(str(out)))
    assert shot.std() > 30
