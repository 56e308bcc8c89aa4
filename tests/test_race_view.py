"""Races of architectures in the app (neuralviz.app.race), offscreen under pytest-qt.

What the lecture relies on: a scene whose preset has "runs" shows one mirrored panel per run and their losses
overlaid; it trains headless for a given number of steps and shows that step; it pauses itself by its stop rule
(the step budget exactly, a target loss at a curve point); R returns it to step 0; training happens in the
worker thread only; it fits the room the presenter gives it; and the window's "Races" tab obeys the Page
protocol. Cheap presets only (the perceptron: 3 parameters a run).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")
pytest.importorskip("pytestqt")

from PyQt6.QtCore import QObject  # noqa: E402

from neuralviz import presets  # noqa: E402
from neuralviz.app import pages as page_registry  # noqa: E402
from neuralviz.app.common import page as protocol  # noqa: E402
from neuralviz.app.common.page import Page  # noqa: E402
from neuralviz.app.common.theme import make_theme  # noqa: E402
from neuralviz.app.race import track as track_module  # noqa: E402
from neuralviz.app.race.frames import LINE, PLANE, stop_loss  # noqa: E402
from neuralviz.app.race.log_axis import log_ticks  # noqa: E402
from neuralviz.app.race.page import RacePage, race_presets  # noqa: E402
from neuralviz.app.race.panel_grid import best_columns  # noqa: E402
from neuralviz.app.race.view import RaceView  # noqa: E402
from neuralviz.lecture.scene import Scene, StopRule  # noqa: E402

WAIT = 20_000  # ms; the waits end as soon as their condition holds


SHORT = StopRule(steps=40)


def scene(preset: str | dict = "perceptron", stop: StopRule = SHORT, options=None) -> Scene:
    preset = presets.load(preset) if isinstance(preset, str) else preset
    return Scene(
        number=1,
        topic=4,
        name="test-race",
        title="test",
        takeaway="",
        notes=(),
        view="race",
        preset=preset,
        options=options or {},
        stop=stop,
    )


@pytest.fixture
def make_view(qtbot):
    views = []

    def make(*args, size=(1024, 610), **kwargs):
        view = RaceView(scene(*args, **kwargs), make_theme())
        qtbot.addWidget(view)
        view.resize(*size)
        view.show()
        views.append(view)
        qtbot.waitUntil(lambda: view.board.latest is not None or bool(view.board.message), timeout=WAIT)
        assert not view.board.message
        return view

    yield make
    for view in views:
        view.shutdown()


def headless(qtbot, view, steps: int) -> None:
    done = []
    view.run_headless(steps, lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT)


# ---------------------------------------------------------------------------------------------- the view
def test_the_view_shows_one_mirrored_panel_per_run(make_view):
    view = make_view()
    board = view.board
    assert board.layout_.labels == ("blobs", "xor")
    assert board.layout_.picture == PLANE
    titles = [p.title.text() for p in board.grid.panels]
    assert "blobs" in titles[0] and "xor" in titles[1]
    assert all("parameters" in p.size_label.text() for p in board.grid.panels)
    assert board.layout_.extent is not None  # one square for every panel
    assert view.current_step() == 0 and not view.is_playing()


def test_run_headless_trains_and_draws_the_steps(qtbot, make_view):
    view = make_view(stop=StopRule(steps=100))
    headless(qtbot, view, 30)
    assert view.current_step() == 30
    frame = view.board.latest
    assert frame.step == 30 and frame.final
    for run, panel in zip(frame.runs, view.board.grid.panels):
        assert run.steps[-1] == 30 and len(run.steps) >= 2  # curve points, the last one at the shown step
        assert run.picture is not None and run.picture.shape[0] == run.picture.shape[1]
        assert panel.values[0].text().endswith("%")  # accuracy, also for the perceptron's mse
    assert view.current_loss() == pytest.approx(stop_loss(r.train_loss for r in frame.runs))


def test_the_stop_rule_pauses_at_the_step_budget(qtbot, make_view):
    view = make_view(stop=StopRule(steps=25))
    view.toggle_play()
    qtbot.waitUntil(lambda: view.current_step() == 25 and not view.is_playing(), timeout=WAIT)
    assert "stopped after 25 steps" in view.status()
    view.toggle_play()  # nothing left to play: it stays where the rule stopped it
    qtbot.wait(100)
    assert view.current_step() == 25 and not view.is_playing()
    headless(qtbot, view, 50)  # a headless run stops by the rule too
    assert view.current_step() == 25


def test_the_stop_rule_pauses_when_the_leader_crosses_the_line(qtbot, make_view):
    """blobs is separable: its loss reaches 0 long before the step budget; XOR's never does."""
    view = make_view(stop=StopRule(steps=20_000, loss_below=0.05))
    view.toggle_play()
    qtbot.waitUntil(lambda: not view.is_playing() and bool(view.board.latest.stopped), timeout=WAIT)
    assert 0 < view.current_step() < 20_000
    assert view.current_loss() < 0.05
    assert "loss" in view.status()


def test_reset_returns_to_step_zero(qtbot, make_view):
    view = make_view()
    headless(qtbot, view, 20)
    first = view.board.latest.layout.serial
    view.reset()
    qtbot.waitUntil(lambda: view.board.latest is not None and view.board.latest.layout.serial != first, timeout=WAIT)
    assert view.current_step() == 0 and not view.is_playing()
    assert all(len(run.steps) == 1 for run in view.board.latest.runs)


def test_nothing_trains_in_the_gui_thread(qtbot, make_view, monkeypatch):
    threads = set()
    advance, measure = track_module.RaceTrack.advance, track_module.RaceTrack.measure

    def spy_advance(self, steps):
        threads.add(threading.get_ident())
        advance(self, steps)

    def spy_measure(self):
        threads.add(threading.get_ident())
        measure(self)

    monkeypatch.setattr(track_module.RaceTrack, "advance", spy_advance)
    monkeypatch.setattr(track_module.RaceTrack, "measure", spy_measure)
    view = make_view()
    headless(qtbot, view, 10)
    assert threads and threading.main_thread().ident not in threads


@pytest.mark.parametrize("size", [(1280, 560), (1024, 610)])
def test_the_view_fits_the_room_the_presenter_gives_it(qtbot, make_view, size):
    view = make_view(size=size)
    qtbot.waitUntil(lambda: view.board.right.width() > 0, timeout=WAIT)
    assert (view.width(), view.height()) == size  # no minimum size pushes it wider or taller
    board = view.board
    for part in (board.left, board.right):
        g = part.geometry()
        assert g.left() >= 0 and g.right() < size[0] and g.bottom() < size[1]
    pictures = [p.plot_widget for p in board.grid.panels]
    assert all(min(w.width(), w.height()) >= 200 for w in pictures)  # big pictures, not slivers


def test_a_regression_race_draws_fitted_curves(qtbot, make_view):
    preset = presets.load("widths")
    view = make_view(preset, stop=StopRule(steps=20))
    headless(qtbot, view, 10)
    frame = view.board.latest
    assert frame.layout.picture == LINE and not frame.layout.classification
    assert all(np.isfinite(run.picture).all() and run.picture.shape == frame.layout.line_x.shape for run in frame.runs)


def test_the_options_add_gradient_bars_and_the_jacobian(qtbot, make_view):
    view = make_view(options={"gradient_bars": True, "jacobian": True})
    headless(qtbot, view, 5)
    board = view.board
    assert board.bars_panel.isVisible()
    for run, layers in zip(board.latest.runs, board.layout_.layers):
        assert run.gradients is not None and len(run.gradients) == len(layers)
        assert run.jacobian is not None and run.jacobian >= 0
    assert board.grid.panels[0].values[2].isVisible()


def test_a_preset_without_runs_is_a_clear_error(qtbot):
    with pytest.raises(ValueError, match="runs"):
        RaceView(scene("xor"), make_theme())


# ---------------------------------------------------------------------------------------------- the page
class FakeWindow(QObject):
    def __init__(self):
        super().__init__()
        self.theme = make_theme()


def test_the_races_tab_is_listed_and_obeys_the_page_protocol(qtbot):
    assert RacePage in page_registry.page_classes()
    assert issubclass(RacePage, Page) and RacePage.TITLE
    assert all(getattr(RacePage, name) is not getattr(Page, name) for name in protocol.REQUIRED)
    assert all(getattr(RacePage, name) is not getattr(Page, name) for name in protocol.TRAINING_KEYS)
    names = [name for name, _ in race_presets()]
    assert {"perceptron", "depth", "residual"} <= set(names) and "xor" not in names
    page = RacePage(FakeWindow())
    qtbot.addWidget(page)
    try:
        assert page.trains_itself()
        assert page.wants_preset("perceptron") and not page.wants_preset("xor")
        done = []
        page.run_headless(7, lambda: done.append(True))
        qtbot.waitUntil(lambda: bool(done), timeout=WAIT)
        assert page.shown_step() == 7
        page.step()
        qtbot.waitUntil(lambda: page.shown_step() == 8, timeout=WAIT)
        page.reset()
        qtbot.waitUntil(lambda: page.shown_step() == 0 and page.board.latest.runs[0].steps.size == 1, timeout=WAIT)
        page.set_theme(make_theme(large_fonts=True))
    finally:
        page.shutdown()


# ---------------------------------------------------------------------------------------------- pieces
def test_log_ticks_are_few_round_and_readable():
    ticks = log_ticks(-8.0, 0.0, 120, 20)
    assert 2 <= len(ticks) <= 4 and all(float(p).is_integer() for p, _ in ticks)
    narrow = dict(log_ticks(-1.0, 0.0, 400, 20))
    assert list(narrow.values()) == ["0.1", "0.2", "0.5", "1"]


def test_the_grid_picks_the_arrangement_with_the_largest_pictures():
    assert best_columns(2, 800, 560, 100)[0] == 2
    assert best_columns(4, 900, 560, 100)[0] == 4  # wide: one row
    assert best_columns(4, 480, 600, 100)[0] == 2  # squarer: two by two
    assert stop_loss([None, 0.3, float("nan"), 0.1]) == 0.1 and stop_loss([None]) is None
