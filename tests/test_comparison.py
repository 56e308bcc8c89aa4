"""The "Plain vs natural" page (neuralviz.app.comparison), offscreen under pytest-qt.

What the lecture relies on: every run starts from the same weights and sees the same minibatches, in
lockstep; the curves grow while it races; a reparametrisation changes SGD's trajectory but not undamped
exact natural gradient's; the damping slider acts on the running optimizers; the Fisher inspector draws
P x P matrices; big networks get K-FAC instead of exact natural gradient, with the reason said; and the
lecture preset shows SGD stalling where K-FAC converges.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")
pytest.importorskip("pytestqt")

from PyQt6.QtCore import QObject  # noqa: E402
from PyQt6.QtGui import QImage  # noqa: E402

import neuralviz as nv  # noqa: E402
from neuralviz import presets  # noqa: E402
from neuralviz.app.common.theme import make_theme  # noqa: E402
from neuralviz.app.comparison.config import RaceConfig, RunChoice, config_from_compare  # noqa: E402
from neuralviz.app.comparison.damping_slider import format_lambda, notch_value, value_notch  # noqa: E402
from neuralviz.app.comparison.fisher_probe import pooled  # noqa: E402
from neuralviz.app.comparison.lockstep import Lockstep  # noqa: E402
from neuralviz.app.comparison.page import ComparisonPage  # noqa: E402
from neuralviz.app.comparison.problem import build_problem  # noqa: E402
from neuralviz.app.comparison.race_controls import RaceControls  # noqa: E402
from neuralviz.app.settings import StudioSettings  # noqa: E402
from neuralviz.app.studio.training_run import TrainingRun  # noqa: E402
from neuralviz.trainer import Trainer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WAIT = 20_000  # ms; the waits end as soon as their condition holds

# A well-conditioned problem for the invariance test: undamped exact natural gradient is exactly
# invariant, but amplifies rounding by cond(F) per step, so it is pinned to a small net on easy data,
# full batch (cond(F) stays moderate; on XOR with 8-8 hidden units F is numerically singular at once,
# and a minibatch of 10 gives a Fisher of rank 10 or less).
SMALL = dict(dataset="gaussians", hidden=[2], dataset_options={"n": 100}, batch_size=1000)


def settings(preset: str = "xor", **changes) -> StudioSettings:
    return StudioSettings.from_preset(preset).updated(**changes)


class FakeWindow(QObject):
    """What a page needs of the studio window: its theme (and a close event to stop the race)."""

    def __init__(self):
        super().__init__()
        self.theme = make_theme()


@pytest.fixture
def page_for(qtbot):
    made = []

    def make(s: StudioSettings) -> ComparisonPage:
        window = FakeWindow()
        page = ComparisonPage(window)
        qtbot.addWidget(page)
        made.append((page, window))
        page.resize(1500, 950)
        page.on_configured(TrainingRun(s).info)  # as the studio reports a new configuration
        page.show()
        qtbot.waitUntil(lambda: page.latest is not None and page.latest_fisher is not None, timeout=WAIT)
        return page

    yield make
    for page, _ in made:
        page.shutdown()


def wait_frame(qtbot, page, predicate):
    qtbot.waitUntil(lambda: page.latest is not None and predicate(page.latest), timeout=WAIT)
    return page.latest


def race_to(qtbot, page, steps: int):
    """Train `steps` steps at full speed and wait for the frame marked final."""
    serial = page.latest.serial
    page.train_for(steps)
    return wait_frame(qtbot, page, lambda f: f.final and f.serial > serial)


# ---------------------------------------------------------------------------------------------- no Qt
def test_lockstep_runs_start_identical_share_minibatches_and_count_alike():
    problem = build_problem(settings("xor"))  # the studio's minibatches of 10
    assert problem.batch_size == 10 < len(problem.x_train)
    race = Lockstep(problem, RaceConfig(runs=(RunChoice("sgd", 0.1), RunChoice("sgd", 0.1), RunChoice("kfac", 1.0))))
    digest = race.start_digest
    race.train(15)
    assert race.step == 15 and all(r.opt.steps == 15 for r in race.runs)
    # the same optimizer on the same minibatch stream from the same start: bit-identical weights
    a, b = race.runs[0].net.state_dict(), race.runs[1].net.state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["h1.weight"], race.runs[2].net.state_dict()["h1.weight"])
    frame = race.frame()
    assert {t.start_digest for t in frame.runs} == {digest}
    assert all(np.array_equal(t.steps, frame.runs[0].steps) for t in frame.runs)
    # the start is checked, not assumed: a run with other weights is refused
    fresh = Lockstep(problem, RaceConfig(runs=(RunChoice("sgd", 0.1), RunChoice("kfac", 1.0))))
    fresh.runs[1].net.parameters()[0].value[0, 0] += 1e-9
    with pytest.raises(AssertionError, match="run B"):
        fresh.check_identical_start()


def test_page_and_nv_compare_train_on_identical_minibatches(monkeypatch):
    """With the same seed, nv.compare and the page's Lockstep draw their batches from the same
    nv.data.BatchStream: the same examples in the same order, step after step (across epochs), so the
    same optimizer from the same start takes the same steps."""
    seen: dict[int, list] = {}
    step = Trainer.step

    def recording(self, x, y):
        loss = step(self, x, y)
        seen.setdefault(id(self), []).append((np.array(x), np.array(y), loss))
        return loss

    monkeypatch.setattr(Trainer, "step", recording)
    s = settings("xor", seed=3, data_seed=3)
    problem = build_problem(s)
    steps = 2 * len(problem.x_train) // problem.batch_size + 5  # two epochs and a bit
    race = Lockstep(problem, RaceConfig(runs=(RunChoice("sgd", 0.1), RunChoice("sgd", 0.1)), seed=3))
    race.train(steps)
    page_batches = seen[id(race.runs[0].trainer)]
    seen.clear()
    ds = nv.data.load(s.dataset, seed=s.data_seed, **s.dataset_options)
    sgd = [{"name": "sgd", "lr": 0.1}]
    nv.compare(problem.spec, ds, sgd, steps=steps, seed=3, loss=problem.loss, batch_size=problem.batch_size)
    (compare_batches,) = seen.values()
    assert len(page_batches) == len(compare_batches) == steps
    for i, ((xa, ya, la), (xb, yb, lb)) in enumerate(zip(page_batches, compare_batches)):
        assert np.array_equal(xa, xb) and np.array_equal(ya, yb), f"step {i + 1}: different minibatches"
        assert la == lb, f"step {i + 1}: losses {la} and {lb} differ"


def test_lecture_preset_sgd_stalls_where_kfac_converges_and_stays_invariant():
    preset = presets.load("natural-gradient")
    compare = preset["compare"]
    problem = build_problem(StudioSettings.from_preset("natural-gradient"), compare["input_transform"], 0)
    assert problem.transform_text == "x1 → 4·x1 + 5, x2 → 0.04·x2"
    raw = problem.points.train_x.astype(np.float64)
    np.testing.assert_allclose(problem.x_train, raw * [4.0, 0.04] + [5.0, 0.0], rtol=1e-12)
    config = config_from_compare(compare)
    assert [r.name for r in config.runs] == ["sgd", "kfac"] and config.damping == 0.0
    assert config.reparam == "millimetres"
    race = Lockstep(problem, config)
    race.train(40)
    frame = race.frame()
    sgd, kfac = frame.runs
    reached = kfac.steps[np.nonzero(kfac.loss < compare["target_loss"])[0]]
    assert reached.size and reached[0] <= 40, "K-FAC should reach the target within a few dozen steps"
    assert sgd.loss.min() > 0.5, "SGD should stall on the badly scaled inputs"
    # the twins in millimetres: SGD's goes elsewhere, undamped K-FAC's stays on the same function
    assert sgd.gap[0] < 1e-12 and sgd.gap[-1] > 1e-2
    assert np.nanmax(kfac.gap[:31]) < 1e-6


def test_exact_natural_gradient_is_replaced_above_the_size_limit():
    problem = build_problem(settings("xor", hidden=[45, 45]))
    assert problem.parameters > 2000
    race = Lockstep(problem, RaceConfig(runs=(RunChoice("sgd", 0.1), RunChoice("ng-exact", 1.0))))
    assert [r.choice.name for r in race.runs] == ["sgd", "kfac"]
    assert not race.info.exact_allowed and "K-FAC runs instead" in race.info.notice
    fisher = race.inspect(1)
    assert [t.kind for t in fisher.tiles] == ["kfac", "qd", "diag"] and "not computed" in fisher.message
    assert all(t.correlation.shape[0] <= 240 for t in fisher.tiles)  # pooled for drawing


def test_small_helpers():
    assert notch_value(0) == 0.0 and value_notch(0.0) == 0 and value_notch(1e-3) > 0
    assert notch_value(value_notch(1e-3)) == pytest.approx(1e-3)
    assert format_lambda(0.0) == "0" and format_lambda(1e-3) == "1e-3" and format_lambda(1.778e-3) == "1.8e-3"
    m = np.arange(36.0).reshape(6, 6) - 20
    p = pooled(m, 3)
    assert p.shape == (3, 3) and p[0, 0] == -20 and p[2, 2] == 15  # largest magnitude, sign kept


# ---------------------------------------------------------------------------------------------- the page
def test_page_races_in_lockstep_and_curves_grow(qtbot, page_for):
    page = page_for(settings("xor"))
    first = page.latest
    assert first.step == 0 and len({t.start_digest for t in first.runs}) == 1  # identical start (asserted)
    assert [t.title.split()[0] for t in first.runs] == ["SGD", "K-FAC"]
    for _ in range(3):
        page.step()
    frame = wait_frame(qtbot, page, lambda f: f.step == 3)
    assert all(list(t.steps) == [0, 1, 2, 3] for t in frame.runs)  # every run, every step, same count
    page.play()
    frame = wait_frame(qtbot, page, lambda f: f.step >= 40)
    page.pause()
    qtbot.waitUntil(lambda: not page.playing, timeout=WAIT)
    points = [len(c.getData()[0]) for c in page.loss._curves]
    assert len(points) == 2 and min(points) >= 40
    assert all(t.output.shape == (96, 96) for t in page.latest.runs)
    assert "step" in page.controls.step_label.text()
    page.loss.time_button.setChecked(True)  # loss against each run's own time
    x, _ = page.loss._curves[1].getData()
    np.testing.assert_array_equal(x, page.latest.runs[1].seconds)
    assert np.all(np.diff(x) >= 0) and x[-1] > 0


def test_reparametrisation_separates_sgd_but_not_undamped_exact_ng(qtbot, page_for):
    page = page_for(settings("xor", **SMALL))
    page.choose_optimizer(1, "ng-exact")
    wait_frame(qtbot, page, lambda f: f.runs[1].title.startswith("Exact NG"))
    page.set_damping(0.0)
    # a normalised step of KL 0.02² stays inside the page's kl_clip; undamped exact NG is invariant only
    # to cond(F)·eps, and at lr 0.05 the clipped trajectory meets an F with cond ~1e12 (gap 5e-4)
    page.set_lr(1, 0.02)
    page.set_normalize(True)
    page.set_reparam("millimetres")  # the toggle: every run gets a twin in millimetres
    frame = wait_frame(qtbot, page, lambda f: bool(f.info.twin_text) and f.step == 0)
    assert frame.info.config.damping == 0.0 and frame.info.config.normalize
    frame = race_to(qtbot, page, 20)
    sgd, ng = frame.runs
    assert sgd.gap[0] < 1e-12 < 1e-2 < sgd.gap[-1]  # same function at the start, then apart
    assert np.nanmax(ng.gap) < 1e-6  # relative: invariant to rounding
    assert page.gap.stack.currentWidget() is page.gap.plot_widget
    page.set_reparam("none")
    frame = wait_frame(qtbot, page, lambda f: not f.info.twin_text)
    assert np.isnan(frame.runs[0].gap).all()


def test_damping_slider_acts_on_the_running_optimizers(qtbot, page_for):
    page = page_for(settings("xor"))
    race_to(qtbot, page, 5)
    before = page.latest.runs[1]
    page.controls.damping.slider.setValue(value_notch(0.1))  # as a user drags it
    frame = wait_frame(qtbot, page, lambda f: f.runs[1].damping == pytest.approx(0.1))
    assert "λ 0.1" in frame.runs[1].title and frame.info.config.damping == pytest.approx(0.1)
    assert frame.runs[0].damping is None  # SGD has no metric to damp
    assert page.latest_fisher is not None
    qtbot.waitUntil(lambda: page.latest_fisher.damping == pytest.approx(0.1), timeout=WAIT)
    # ... and it changes the trajectory: the same race with the old λ goes elsewhere
    frame = race_to(qtbot, page, 5)
    problem = build_problem(settings("xor"))
    reference = Lockstep(problem, frame.info.config.replace(damping=before.damping))
    reference.train(10)
    assert reference.frame().runs[1].loss[-1] != pytest.approx(frame.runs[1].loss[-1], rel=1e-6)
    assert reference.frame().runs[0].loss[-1] == pytest.approx(frame.runs[0].loss[-1], rel=1e-12)


def test_a_refused_change_keeps_the_race_and_says_why(qtbot, page_for):
    page = page_for(settings("xor", activation="relu"))
    serial = page.latest.info.serial
    page.set_reparam("units")  # a ReLU network has no tanh units to swap
    qtbot.waitUntil(lambda: page.message.level == "error", timeout=WAIT)
    assert "tanh or sigmoid" in page.message.text
    assert page.config.reparam == "none" and page.controls.reparam.currentData() == "none"
    page.step()
    frame = wait_frame(qtbot, page, lambda f: f.step == 1)
    assert frame.info.serial == serial  # the race in force went on


def test_fisher_heat_maps_are_p_by_p_with_layer_blocks(qtbot, page_for):
    page = page_for(settings("xor"))
    p = page.latest.info.problem.parameters
    fisher = page.latest_fisher
    assert [t.kind for t in fisher.tiles] == ["exact", "kfac", "qd", "diag"]
    assert all(t.size == p and t.correlation.shape == (p, p) and t.magnitude.shape == (p, p) for t in fisher.tiles)
    assert [tile.shown_size for tile in page.inspector.tiles] == [p] * 4
    assert page.inspector.tiles[0].image.image.shape[:2] == (p, p)
    assert [name for name, _, _ in fisher.layers] == ["h1", "h2", "out"] and fisher.layers[-1][2] == p
    assert len(fisher.spectra["exact"]) == p and np.isfinite(fisher.cond_damped[-1])
    diag = next(t for t in fisher.tiles if t.kind == "diag").correlation
    np.testing.assert_array_equal(diag, np.diag(np.diag(diag)))  # the diagonal keeps no correlation
    page.inspect(0)  # at the other run's weights
    qtbot.waitUntil(lambda: page.latest_fisher.run_label == "A", timeout=WAIT)


def test_controls_disable_exact_ng_for_big_networks(qtbot):
    controls = RaceControls()
    qtbot.addWidget(controls)
    race = Lockstep(
        build_problem(settings("xor", hidden=[45, 45])),
        RaceConfig(runs=(RunChoice("sgd", 0.1), RunChoice("kfac", 1.0))),
    )
    controls.show_config(race.config, race.info)
    item = controls.rows[1].combo.model().item(controls.rows[1].combo.findData("ng-exact"))
    assert not item.isEnabled() and "Fisher" in item.toolTip()


def test_page_wants_the_preset_and_runs_headless(qtbot, page_for):
    page = page_for(settings("natural-gradient"))
    assert page.wants_preset("natural-gradient") and not page.wants_preset("xor")
    assert page.latest.info.twin_text and page.latest.info.problem.transform is not None
    done = []
    page.run_headless(12, lambda: done.append(page.latest.step))
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT)
    assert done == [12] and page.latest.final


def test_gui_command_line_opens_the_comparison_for_the_preset(tmp_path):
    shot = tmp_path / "ng.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "neuralviz",
            "gui",
            "--preset",
            "natural-gradient",
            "--train-steps",
            "20",
            "--screenshot",
            str(shot),
            "--quit",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr
    image = QImage(str(shot))
    assert image.width() >= 1200 and image.height() >= 800
