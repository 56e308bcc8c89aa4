"""What a new user and a lecturer saw wrong on screen (issue 16, "Fixes seen on screen"), offscreen.

The window fits 1280x720 and 1024x768 projectors with either font size; curves are sampled densely in
headless runs and have real height and several accuracy ticks; the output map's axes span the data; the
play button draws its icon; the message banner moves nothing; the title follows the dataset; mnist asks
for its folder (a mocked picker) and remembers it; a wrong answer is never green; the diagram's edges can
show the last step's change; log axes label spaced decades.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")
pytest.importorskip("pytestqt")

from PyQt6.QtCore import QEvent, QSettings  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402
from qt_image import widget_pixels as pixels  # noqa: E402

import neuralviz as nv  # noqa: E402
from neuralviz.app.common.log_ticks import decade_label, decade_ticks  # noqa: E402
from neuralviz.app.common.theme import make_theme  # noqa: E402
from neuralviz.app.common.user_prefs import UserPrefs  # noqa: E402
from neuralviz.app.featuremaps.drawing import RIGHT, WRONG  # noqa: E402
from neuralviz.app.featuremaps.invariance_view import answer_text  # noqa: E402
from neuralviz.app.studio.curves_view import ACCURACY_TICKS  # noqa: E402
from neuralviz.app.studio.dataset_folder import IDX_FILES, missing_files  # noqa: E402

WAIT = 30_000


def _settle(qtbot, ms: int = 50) -> None:
    QApplication.processEvents()
    qtbot.wait(ms)


def _train(qtbot, w, steps: int) -> None:
    target = w.latest.step + steps
    w.train_steps(steps)
    qtbot.waitUntil(lambda: w.latest.final and w.latest.step >= target, timeout=WAIT)
    _settle(qtbot)


# ---------------------------------------------------------------------------------------------- fitting
def _window_fits_small_projectors_with_either_font_size(qtbot, window):
    """The studio, feature-map and comparison pages fit 1024x768 and 1280x720 (other pages are checked by
    their own tests)."""
    w = window
    mine = [w.studio, w.pages["Feature maps"], w.pages["Plain vs natural"]]
    for large in (False, True):
        w.apply_theme(make_theme(large, False))
        _settle(qtbot)
        chrome = sum(bar.sizeHint().height() for bar in (w.menuBar(), w.tabs.tabBar(), w.statusBar())) + 8
        for page in mine:
            hint = page.minimumSizeHint()
            assert hint.width() <= 1016 and hint.height() + chrome <= 720, (page.title(), large, hint, chrome)
    w.apply_theme(make_theme(False, False))
    for size in ((1280, 720), (1024, 768)):
        w.resize(*size)
        _settle(qtbot)
        assert (w.width(), w.height()) == size


def _large_fonts_keep_the_map_and_the_accuracy_plot(qtbot, window):
    w = window
    w.resize(1280, 720)
    _train(qtbot, w, 40)
    normal_side = w.output_panel.boundary.data_side
    w.apply_theme(make_theme(True, False))
    _settle(qtbot, 100)
    _train(qtbot, w, 40)
    curves = w.output_panel.curves
    assert curves.acc_plot.isVisible() and curves.acc_plot.height() > 60
    assert w.output_panel.boundary.data_side >= 180, "large fonts must not shrink the map to a stamp"
    assert normal_side >= 280


def _hyperparameters_wrap_into_rows_when_narrow(qtbot, window):
    hyper = window.hyper
    hyper.fit_columns(hyper.width_for(9))
    assert hyper.columns == 9
    hyper.fit_columns(hyper.width_for(3) + 5)
    assert hyper.columns == 3
    assert hyper.minimumWidth() <= hyper.width_for(3)


# ---------------------------------------------------------------------------------------------- curves and map
def _headless_curves_are_sampled_densely_with_real_height(qtbot, window):
    w = window
    w.resize(1280, 720)
    _train(qtbot, w, 300)
    curves = w.output_panel.curves
    assert curves.points >= 100, f"300 steps drawn from {curves.points} points: a straight ramp"
    assert curves.loss_plot.height() >= 100 and curves.acc_plot.height() >= 100
    assert [label for _, label in ACCURACY_TICKS] == ["0%", "25%", "50%", "75%", "100%"]
    out = w.output_panel
    shown = [label.text() for label in (out.test_metric, out.train_metric) if label.isVisible()]
    assert shown and all("–" not in text and "%" in text for text in shown), shown


def _output_map_axes_span_the_data_extent(qtbot, window):
    w = window
    for size in ((1280, 720), (1024, 768)):
        w.resize(*size)
        _settle(qtbot, 100)
        (x0, x1), (y0, y1) = w.output_panel.boundary.plot.vb.viewRange()
        e0, e1, f0, f1 = w.info.extent
        width = e1 - e0
        assert x0 >= e0 - 0.1 * width and x1 <= e1 + 0.1 * width, (size, (x0, x1), w.info.extent)
        assert y0 >= f0 - 0.1 * width and y1 <= f1 + 0.1 * width


# ---------------------------------------------------------------------------------------------- small things
def _race_play_button_draws_its_icon(qtbot, window):
    controls = window.pages["Plain vs natural"].controls
    for playing in (True, False):
        controls.set_playing(playing)
        button = controls.play_button
        assert not button.icon().isNull() and "⏸" not in button.text() and "▶" not in button.text()


def _message_banner_moves_nothing(qtbot, window):
    w = window
    w.message.clear()
    _settle(qtbot)
    before = w.studio.splitter.mapTo(w, w.studio.splitter.rect().topLeft())
    w.message.show_info("A notice about what a change did.")
    _settle(qtbot)
    assert w.message.isVisible()
    assert w.studio.splitter.mapTo(w, w.studio.splitter.rect().topLeft()) == before


def _title_follows_the_dataset(qtbot, window):
    w = window
    assert "XOR" in w.network_panel.title.toolTip()
    w.data_panel.datasetChosen.emit("sine")
    qtbot.waitUntil(lambda: w.info.settings.dataset == "sine", timeout=WAIT)
    assert "XOR" not in w.network_panel.title.toolTip() and "XOR" not in w.windowTitle()
    assert "sine" in w.network_panel.title.toolTip()


def _network_view_redraws_whole_when_the_window_loses_focus(qtbot, window):
    view = window.network_panel.view
    QApplication.sendEvent(view, QEvent(QEvent.Type.ActivationChange))
    _settle(qtbot)
    assert pixels(view).std() > 10


# ---------------------------------------------------------------------------------------------- mnist folder
def _fake_mnist(folder, n: int = 12) -> None:
    rng = np.random.default_rng(0)
    for split, count in (("train", n), ("t10k", n)):
        nv.data.write_idx(folder / f"{split}-images-idx3-ubyte", rng.integers(0, 255, (count, 28, 28), dtype=np.uint8))
        nv.data.write_idx(folder / f"{split}-labels-idx1-ubyte", np.arange(count, dtype=np.uint8) % 10)


@pytest.fixture
def prefs(tmp_path):
    return UserPrefs(QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat))


def test_mnist_asks_for_a_folder_checks_it_and_remembers_it(qtbot, window, prefs, tmp_path):
    w = window
    asked = []
    w.studio.prefs = prefs
    w.studio.pick_folder = lambda parent, title: asked.append(title) or answer
    answer = ""  # cancelled: nothing changes, and the user is told why
    w.data_panel.datasetChosen.emit("mnist")
    assert asked and w.message.level == "error" and "no folder" in w.message.text
    assert w.settings.dataset == "xor" and "xor" in w.data_panel.dataset.currentText()

    answer = str(tmp_path)  # a folder without the files: named in the message
    w.data_panel.datasetChosen.emit("mnist")
    assert "train-images-idx3-ubyte" in w.message.text and w.settings.dataset == "xor"
    assert missing_files(answer) == list(IDX_FILES) and prefs.dataset_folder("mnist") == ""

    data = tmp_path / "mnist"
    data.mkdir()
    _fake_mnist(data)
    answer = str(data)
    w.data_panel.datasetChosen.emit("mnist")
    assert prefs.dataset_folder("mnist") == str(data)
    assert w.settings.dataset == "mnist" and w.settings.dataset_options["path"] == str(data)
    qtbot.waitUntil(lambda: w.message.level == "error" or w.info.settings.dataset == "mnist", timeout=WAIT)

    asked.clear()  # chosen again later: the remembered folder, no dialog
    w.data_panel.datasetChosen.emit("xor")
    qtbot.waitUntil(lambda: w.settings.dataset == "xor", timeout=WAIT)
    w.data_panel.datasetChosen.emit("mnist")
    assert not asked and w.settings.dataset_options["path"] == str(data)


# ---------------------------------------------------------------------------------------------- feature maps
def test_a_wrong_answer_is_never_green():
    text, colour = answer_text("fully connected", "T", 0.9, 2, true_label=1)
    assert "✗" in text and colour == WRONG
    text, colour = answer_text("CNN", "L", 0.8, 1, true_label=1)
    assert "✓" in text and colour == RIGHT
    text, colour = answer_text("CNN", "L", 0.8, 1, true_label=None)
    assert "✓" not in text and "✗" not in text and colour == ""


# ---------------------------------------------------------------------------------------------- backprop view
def _edges_show_the_last_steps_change(qtbot, window):
    w = window
    _train(qtbot, w, 20)
    delta = w.latest.step_delta
    assert set(delta) == set(w.latest.params) and all(d.shape == w.latest.params[k].shape for k, d in delta.items())
    assert max(float(np.abs(d).max()) for d in delta.values()) > 0
    view = w.network_panel.view
    view.set_edge_mode("delta")
    drawn = view._edges.weights["h1"]
    assert np.abs(drawn).max() == pytest.approx(
        3.0 * np.abs(delta["h1.weight"]).max() / max(float(np.abs(d).max()) for d in delta.values())
    )
    with pytest.raises(ValueError, match="edge mode"):
        view.set_edge_mode("gradients!")
    view.set_edge_mode("weights")
    np.testing.assert_array_equal(view._edges.weights["h1"], w.latest.params["h1.weight"])


# ---------------------------------------------------------------------------------------------- log axes
def test_log_axis_labels_are_spaced_decades():
    ticks = decade_ticks(-16.0, 1.0, pixels=60.0, line_px=12.0)
    values = [v for v, _ in ticks]
    assert len(values) >= 2 and all(float(v).is_integer() for v in values)
    gap_px = (values[1] - values[0]) * 60.0 / 17.0
    assert gap_px >= 1.8 * 12.0
    assert [decade_label(k) for k in (-5, -1, 0, 1, 3)] == ["10⁻⁵", "10⁻¹", "1", "10", "10³"]
    assert [v for v, _ in decade_ticks(-3.2, 0.2, pixels=300.0, line_px=12.0)] == [-3.0, -2.0, -1.0, 0.0]
    short = decade_ticks(-17.0, -3.0, pixels=40.0, line_px=12.0)  # a short axis: two labels, inside it
    assert len(short) == 2 and all(-17.0 < v < -3.0 for v, _ in short)


# ---------------------------------------------------------------------------------------------- the tests
# (a few checks per window: building the main window is the slow part)
def test_layout_fits_projectors_and_large_fonts_keep_the_pictures(qtbot, window):
    _window_fits_small_projectors_with_either_font_size(qtbot, window)
    _hyperparameters_wrap_into_rows_when_narrow(qtbot, window)
    _large_fonts_keep_the_map_and_the_accuracy_plot(qtbot, window)


def test_curves_map_and_edges_after_headless_training(qtbot, window):
    _headless_curves_are_sampled_densely_with_real_height(qtbot, window)
    _output_map_axes_span_the_data_extent(qtbot, window)
    _edges_show_the_last_steps_change(qtbot, window)


def test_icon_banner_focus_and_title(qtbot, window):
    _race_play_button_draws_its_icon(qtbot, window)
    _message_banner_moves_nothing(qtbot, window)
    _network_view_redraws_whole_when_the_window_loses_focus(qtbot, window)
    _title_follows_the_dataset(qtbot, window)
