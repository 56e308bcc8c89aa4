"""The robustness page (neuralviz.app.robustness): its four runs without Qt, then the page and the lecture view.

The runs first (numpy only, a few steps each): pruning a copy leaves the trained net alone and retraining keeps
the pruned weights at exactly zero; the FGSM perturbation stays within ε and the accuracy curves have one point
per ε; the Jacobian norm is recorded at fixed steps and earlier settings are kept for comparison; group sparsity
records neurons alive. Then the page offscreen: every panel builds, trains a few steps in the worker thread,
follows its controls, and shows a bad setting's error in the window's banner instead of raising.
"""

from __future__ import annotations

from importlib.util import find_spec

import numpy as np
import pytest

from neuralviz.app.robustness.adversarial_run import EPS_CURVE, AdversarialRun
from neuralviz.app.robustness.compression_run import CompressionRun
from neuralviz.app.robustness.noise_run import JACOBIAN_EVERY, NoiseRun
from neuralviz.app.robustness.structure_run import StructureRun

HAS_QT = all(find_spec(m) for m in ("PyQt6", "pyqtgraph", "pytestqt"))
needs_qt = pytest.mark.skipif(not HAS_QT, reason="PyQt6, pyqtgraph and pytest-qt are needed for the page")
WAIT = 20_000  # ms; the waits end as soon as their condition holds
STEPS = 20


# ---------------------------------------------------------------------------------------------- the runs
def test_compression_prunes_a_copy_and_retrains_with_the_mask():
    run = CompressionRun(steps=STEPS)
    run.advance(STEPS)
    assert run.phase == "trained" and len(run.curve_before) == 7
    dense = {name: v.copy() for name, v in run.net.state_dict().items()}
    run.set("fraction", 0.8)
    frame = run.frame()
    assert frame.sparsity == pytest.approx(0.8, abs=0.01) and frame.nonzero < frame.total
    assert frame.zipped_bytes < frame.file_bytes
    for name, value in run.net.state_dict().items():  # the trained net is untouched by pruning its copy
        np.testing.assert_array_equal(value, dense[name])
    zeros = {p.name: p.value == 0 for p in run.pruned.parameters() if p.name.endswith("weight")}
    assert run.set("retrain", True) is True and run.phase == "retraining"
    run.advance(run.limit - run.step)
    assert run.phase == "retrained" and run.frame().retrained_accuracy is not None
    for p in run.pruned.parameters():
        if p.name in zeros:
            assert np.all(p.value[zeros[p.name]] == 0), p.name  # pruned weights stayed exactly zero
    assert [f for f, _ in run.frame().curve_after] == [0.8]


def test_compression_refuses_bad_settings():
    run = CompressionRun(steps=STEPS)
    with pytest.raises(ValueError, match="retrain once"):
        run.set("retrain", True)  # still training
    with pytest.raises(ValueError, match="fraction"):
        run.set("fraction", 1.5)
    with pytest.raises(ValueError, match="unknown setting"):
        run.set("prune", 0.5)


def test_adversarial_perturbation_stays_within_eps_and_curves_cover_every_eps():
    run = AdversarialRun(steps=STEPS)
    run.advance(STEPS)
    run.set("eps", 0.2)
    run.set("example", 3)
    f = run.frame()
    assert f.example == 3 and np.max(np.abs(f.perturbation)) <= 0.2 + 1e-6
    assert 0 <= f.adversarial.min() and f.adversarial.max() <= 1  # stays an image
    assert f.clean_probs.sum() == pytest.approx(1) and f.adversarial_probs.sum() == pytest.approx(1)
    assert len(f.fgsm_curve) == len(f.noise_curve) == len(EPS_CURVE)
    assert f.fgsm_curve[0] == pytest.approx(f.noise_curve[0])  # ε = 0: both the clean accuracy
    with pytest.raises(ValueError, match="ε"):
        run.set("eps", -0.1)


def test_adversarial_training_restarts_and_trains():
    run = AdversarialRun(steps=STEPS)
    run.advance(5)
    run.set("adversarial_training", True)
    assert run.step == 0 and run.adversarial_training
    run.advance(STEPS)
    assert run.frame().fgsm_curve  # trained to its limit: the curves are measured


def test_noise_records_the_jacobian_at_fixed_steps_and_keeps_earlier_settings():
    run = NoiseRun(steps=30)
    run.advance(7)
    run.advance(30)
    assert list(run.jac_steps) == [0, JACOBIAN_EVERY, 30]
    assert all(np.isfinite(run.jac)) and run.jac[-1] > 0
    run.set("noise", 0.3)
    f = run.frame()
    assert f.step == 0 and f.previous[0][0] == "noise σ 0, dropout 0" and "noise σ 0.3" in f.label
    assert f.map.shape == (64, 64) and 0 <= f.map.min() and f.map.max() <= 1
    with pytest.raises(ValueError, match="dropout"):
        run.set("dropout", 1.5)
    assert run.dropout == 0.0  # the run behind the error is the one before it


def test_noise_with_stochastic_weights_draws_sampled_maps():
    run = NoiseRun(steps=10)
    run.set("stochastic", True)
    run.advance(10)
    f = run.frame()
    assert len(f.samples) == 4 and all(s.shape == f.map.shape for s in f.samples)
    assert not all(np.array_equal(s, f.samples[0]) for s in f.samples[1:])  # different draws


def test_structure_records_neurons_alive():
    run = StructureRun(steps=30, strength=0.2)
    run.advance(30)
    f = run.frame()
    assert f.layers == ("h1", "h2") and f.sizes == (32, 32)
    assert f.history.shape == (4, 2) and tuple(f.history[0]) == (32, 32)
    assert all(0 <= a <= 32 for a in f.alive)
    with pytest.raises(ValueError, match="strength"):
        run.set("strength", "lots")


def test_structure_with_l1_zeroes_single_weights():
    run = StructureRun(steps=30, strength=0.0)
    run.set("l1", 0.01)
    run.advance(30)
    f = run.frame()
    assert f.l1 == 0.01 and f.alive == (32, 32) and f.zero_weights > 0.05


def test_runs_are_deterministic():
    a, b = StructureRun(steps=10, seed=2), StructureRun(steps=10, seed=2)
    a.advance(10), b.advance(10)
    for name, value in a.net.state_dict().items():
        np.testing.assert_array_equal(value, b.net.state_dict()[name])


# ---------------------------------------------------------------------------------------------- the page
class FakeWindow:
    def __init__(self):
        from neuralviz.app.common.theme import make_theme

        self.theme = make_theme()


@pytest.fixture
def page(qtbot):
    from neuralviz.app.robustness.page import RobustnessPage

    p = RobustnessPage(FakeWindow(), steps=STEPS)
    qtbot.addWidget(p)
    p.resize(1024, 700)
    p.show()
    yield p
    p.shutdown()


def run_headless(qtbot, page, steps: int) -> None:
    done = []
    page.run_headless(steps, lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT)


@needs_qt
@pytest.mark.parametrize("panel", ["compression", "noise", "adversarial", "structure"])
def test_every_panel_builds_and_trains_in_the_worker(qtbot, page, panel):
    page.modes.setCurrentWidget(page.panels[panel])
    run_headless(qtbot, page, STEPS)
    assert page.loaded == panel and page.shown_step() == STEPS
    assert page.panels[panel].frame is page.frame
    assert page.message.text == ""
    assert page.trains_itself() and page.wants_preset("compression") and not page.wants_preset("xor")


@needs_qt
def test_the_prune_slider_and_retrain_button_reach_the_run(qtbot, page):
    run_headless(qtbot, page, STEPS)
    panel = page.panels["compression"]
    panel.slider.setValue(50)
    qtbot.waitUntil(lambda: page.frame.fraction == 0.5, timeout=WAIT)
    assert page.frame.sparsity == pytest.approx(0.5, abs=0.01)
    assert panel.retrain.isEnabled()
    panel.retrain.click()
    qtbot.waitUntil(lambda: page.frame.phase == "retrained", timeout=WAIT)
    assert page.frame.retrained_accuracy is not None and "retrained" in panel.summary.text()


@needs_qt
def test_the_eps_slider_moves_the_attack(qtbot, page):
    page.modes.setCurrentWidget(page.panels["adversarial"])
    run_headless(qtbot, page, STEPS)
    page.panels["adversarial"].eps.setValue(25)
    qtbot.waitUntil(lambda: page.frame.eps == 0.25, timeout=WAIT)
    assert np.max(np.abs(page.frame.perturbation)) <= 0.25 + 1e-6


@needs_qt
def test_a_bad_setting_shows_its_error_in_the_window(qtbot, page):
    run_headless(qtbot, page, STEPS)
    page.host.post(page.host.worker.command, "fraction", 3.0)
    qtbot.waitUntil(lambda: "fraction" in page.message.text, timeout=WAIT)
    page.panels["compression"].slider.setValue(40)  # the page still works after it
    qtbot.waitUntil(lambda: page.frame.fraction == 0.4, timeout=WAIT)


# ---------------------------------------------------------------------------------------------- the view
def scene(options: dict, steps: int = STEPS):
    from neuralviz.lecture.scene import Scene, StopRule

    return Scene(1, 15, "t", "t", "t", ("a", "b"), "robustness", None, options=options, stop=StopRule(steps=steps))


@needs_qt
def test_the_lecture_view_shows_one_panel_with_its_options(qtbot):
    from neuralviz.app.common.theme import make_theme
    from neuralviz.app.robustness.view import RobustnessView

    view = RobustnessView(scene({"panel": "adversarial", "eps": 0.2}), make_theme())
    qtbot.addWidget(view)
    try:
        view.resize(1024, 700)
        view.show()
        done = []
        view.run_headless(100, lambda: done.append(True))
        qtbot.waitUntil(lambda: bool(done), timeout=WAIT)
        assert view.current_step() == STEPS and view.frame.eps == pytest.approx(0.2)
        assert view.panel.eps.value() == 20 and "step 20/20" in view.status()
    finally:
        view.shutdown()


@needs_qt
@pytest.mark.parametrize(
    "options, match",
    [({}, "panel"), ({"panel": "noise", "eps": 0.1}, "eps"), ({"panel": "noise", "noise": 7}, "noise")],
)
def test_the_lecture_view_names_a_bad_option(qtbot, options, match):
    from neuralviz.app.common.theme import make_theme
    from neuralviz.app.robustness.view import RobustnessView

    with pytest.raises(ValueError, match=match):
        RobustnessView(scene(options), make_theme())
