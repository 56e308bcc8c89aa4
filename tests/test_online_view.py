"""The online-training scene's view (neuralviz.app.lecture.online_view): full BPTT, truncated BPTT and UORO
trained sequence by sequence in a worker thread, three loss curves, the memory each keeps, stopping by its rule.

Small races (a few short sequences, 4 hidden units) keep it to a second or two; the race's numbers are checked
in tests/test_online*.py and benchmarks/online_training.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import GUI_WAIT_MS, make_scene

from neuralviz.app.lecture import views
from neuralviz.app.lecture.online_worker import OnlineRace, read_options, running_mean
from neuralviz.app.lecture.unavailable_view import UnavailableView
from neuralviz.lecture.scene import Scene
from neuralviz.online import METHODS

SMALL = {"window": 1, "length": 12, "hidden": 4, "seed": 0}


def _scene(steps: int = 8, **options) -> Scene:
    return make_scene("online", steps, options=dict(SMALL, **options))


def _theme():
    from neuralviz.app.common.theme import make_theme

    return make_theme()


@pytest.fixture
def view(qtbot):
    v = views.build_view(_scene(), _theme())
    qtbot.addWidget(v)
    v.resize(1024, 600)
    v.show()
    yield v
    v.shutdown()


# ----------------------------------------------------------------------------------------------- no Qt
def test_running_mean_averages_what_there_is():
    losses = np.array([4.0, 2.0, 0.0, 2.0])
    np.testing.assert_allclose(running_mean(losses, 2), [4.0, 3.0, 1.0, 1.0])
    assert len(running_mean(np.empty(0))) == 0


def test_race_memory_and_steps():
    race = OnlineRace(SMALL, budget=3)
    race.advance(10)  # never past the budget
    frame = race.frame(playing=False, final=True)
    assert frame.step == 3 and frame.labels == METHODS
    memory = dict(zip(frame.labels, frame.memory))
    assert memory["full BPTT"] == 12 * 4, "full BPTT keeps every hidden state of the sequence"
    assert memory["truncated BPTT"] == 1 * 4
    assert memory["truncated BPTT"] < memory["UORO"] < 100 * memory["full BPTT"]
    assert all(len(c) == 3 and np.all(np.isfinite(c)) for c in frame.curves)


@pytest.mark.parametrize(
    "options, said",
    [({"window": 0}, "'window'"), ({"lag": 20, "length": 12}, "'lag'"), ({"colour": 1}, "unknown option 'colour'")],
)
def test_bad_options_name_the_problem(options, said):
    with pytest.raises(ValueError, match=said):
        read_options(options)


# ----------------------------------------------------------------------------------------------- the view
def test_headless_run_draws_three_curves_and_the_memory(qtbot, view):
    assert not isinstance(view, UnavailableView), view.status()
    done = []
    view.run_headless(1000, lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=GUI_WAIT_MS)
    assert view.current_step() == 8, "the headless run is bounded by the stop rule"
    assert not view.is_playing()
    assert all(len(c.getData()[0]) == 8 for c in view.curves)
    assert [t.toPlainText() for t in view.bar_labels] == [f"{m:,d}" for m in view.frame.memory]
    assert "loss" in view.readouts[0].text() and "stopped after 8" in view.status()


def test_play_stops_by_its_rule_and_reset_starts_over(qtbot, view):
    qtbot.waitUntil(lambda: view.frame is not None, timeout=GUI_WAIT_MS)
    view.toggle_play()
    qtbot.waitUntil(lambda: view.current_step() >= 8 and not view.is_playing(), timeout=GUI_WAIT_MS)
    assert view.current_step() == 8
    view.toggle_play()  # a stopped scene does not start again
    qtbot.wait(50)
    assert not view.is_playing()
    view.reset()
    qtbot.waitUntil(lambda: view.frame is not None and view.current_step() == 0, timeout=GUI_WAIT_MS)


def test_a_bad_option_is_shown_not_raised(qtbot):
    v = views.build_view(_scene(hidden=-1), _theme())
    qtbot.addWidget(v)
    assert isinstance(v, UnavailableView) and "'hidden'" in v.status()
