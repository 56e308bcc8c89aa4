"""The architecture editor's "Measure cost" panel (neuralviz.app.editor.cost_panel), offscreen under pytest-qt.

What a lecturer relies on: one click times a training step of the drawn network off the GUI thread and shows
one row per layer with its bar, weights and outputs; a drawing that cannot be measured says why in the page's
message panel (never a crash); figures of an older drawing say they are stale.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pytestqt")

from PyQt6.QtCore import Qt  # noqa: E402
from PyQt6.QtGui import QColor  # noqa: E402
from qt_image import rgb_array  # noqa: E402

from neuralviz.app.common.theme import make_theme  # noqa: E402
from neuralviz.app.editor.cost_panel import CostRequest, measure, ms_text  # noqa: E402
from neuralviz.app.editor.page import EditorPage  # noqa: E402
from neuralviz.app.settings import StudioSettings  # noqa: E402

WAIT = 30_000  # ms; generous for a loaded machine: the waits end as soon as the condition holds


class _Window:
    """What the editor page reads of the main window, without the studio and its training thread."""

    def __init__(self, preset: str = "digits-cnn"):
        self.theme = make_theme()
        self.settings = StudioSettings.from_preset(preset)
        self.latest = None
        self.info = None


@pytest.fixture
def page(qtbot):
    p = EditorPage(_Window())
    qtbot.addWidget(p)
    p.resize(1024, 700)
    p.show()
    qtbot.waitUntil(lambda: p.view.viewport().width() > 300, timeout=WAIT)
    yield p
    p.shutdown()


def _measured(qtbot, page) -> None:
    qtbot.mouseClick(page.measure_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.cost_panel.profile is not None and not page.cost_panel.busy, timeout=WAIT)


def test_measure_cost_shows_a_row_per_layer(qtbot, page):
    assert page.cost_panel.isHidden() and page.cost_host is None  # no thread until the first measurement
    _measured(qtbot, page)
    panel, prof = page.cost_panel, page.cost_panel.profile
    spec = page.document.model.training_spec()
    assert [r.id for r in prof.rows] == [l["id"] for l in spec["layers"]]
    assert prof.batch == page.window.settings.batch_size and prof.input_shape == (1, 8, 8)
    assert prof.param_bytes == 4 * page.document.inference.params
    assert panel.isVisible() and page.measure_button.isEnabled() and page.message.level != "error"
    assert f"{ms_text(prof.step_ms)} ms" in panel.summary.text() and "memory" in panel.summary.text()
    assert "cpu" in panel.details.text() and "batch" in panel.details.text()
    # the rows are painted: every row's forward (blue) and backward (orange) bar shows somewhere
    qtbot.waitUntil(lambda: panel.bars.height() >= panel.bars.sizeHint().height(), timeout=WAIT)  # laid out
    pixels = rgb_array(panel.bars.grab().toImage())
    for colour in (page.theme.positive, page.theme.negative):
        c = QColor(colour)
        assert np.all(pixels == (c.red(), c.green(), c.blue()), axis=-1).sum() > 20, colour
    assert panel.bars.sizeHint().height() >= (len(prof.rows) + 2) * panel.bars._row_height()
    # an edit makes the figures stale; closing hides the panel and keeps the page usable
    assert page.set_param("h", "units", 16)
    assert panel.stale and "changed since" in panel.details.text()
    qtbot.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)
    assert panel.isHidden()


def test_a_drawing_with_problems_says_why_in_the_message_panel(qtbot, page):
    assert page.set_param("c2", "kernel_size", 7)  # 4x4 maps cannot take a 7x7 kernel
    assert not page.measure_cost()
    assert page.message.level == "error" and "c2" in page.message.text
    assert page.cost_panel.isHidden()


def test_a_failure_in_the_worker_reaches_the_message_panel(qtbot, page):
    _measured(qtbot, page)
    # a spec the shape checker would never let through: the worker's error must still come back as text
    bad = {"input_shape": [2], "layers": [{"id": "d", "type": "dense", "units": 0}]}
    page.cost_host.post(page.cost_host.worker.measure, CostRequest(page._cost_serial, bad, 4))
    qtbot.waitUntil(lambda: page.message.level == "error", timeout=WAIT)
    assert "Could not measure the cost" in page.message.text and "'d'" in page.message.text
    assert page.cost_panel.profile is None and page.measure_button.isEnabled()
    _measured(qtbot, page)  # and the next measurement works
    assert page.cost_panel.profile is not None


def test_the_drawing_is_fitted_to_the_data_it_will_train_on():
    cnn = {
        "input_shape": [1, 8, 8],
        "layers": [
            {"id": "c", "type": "conv2d", "channels": 2, "kernel_size": 3},
            {"id": "f", "type": "flatten"},
            {"id": "out", "type": "dense", "units": 2},
        ],
    }
    fitted = measure(CostRequest(1, cnn, 4, "shapes", (1, 16, 16)))
    assert fitted.profile.input_shape == (1, 16, 16) and "from shapes" in fitted.note
    drawn = measure(CostRequest(2, cnn, 4, "xor", (2,)))  # a CNN cannot read 2-D points: measured as drawn
    assert drawn.profile.input_shape == (1, 8, 8) and "as drawn" in drawn.note
    assert measure(CostRequest(3, cnn, 4)).profile.input_shape == (1, 8, 8)


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large-fonts"])
def test_the_page_with_the_panel_still_fits_a_small_projector(qtbot, large):
    """Issue 16's limit (tests/test_window_fit.py) with the panel shown: the page leaves the window's chrome
    (menu, tabs, status bar: about 110 pixels high with large fonts) room within 1024 x 720."""
    window = _Window()
    window.theme = make_theme(large_fonts=large)
    p = EditorPage(window)
    qtbot.addWidget(p)
    p.resize(1000, 600)
    p.show()
    try:
        _measured(qtbot, p)
        size = p.minimumSizeHint()
        assert size.width() <= 1024 - 40 and size.height() <= 720 - 120, (size.width(), size.height())
    finally:
        p.shutdown()
