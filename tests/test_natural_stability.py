"""Issue 16: the natural-gradient race left playing. Once a natural run reaches the preset's
target loss, its training loss never rises above twice its best; and undamped K-FAC still
keeps its twin in millimetres on the same function for the first 100 steps.

The cheap version of benchmarks/natural_stability.py (every method, 3 seeds): K-FAC and the
diagonal Fisher, seed 0, 3,000 full-batch steps of the natural-gradient preset's compare
settings. Before the step's loss test (safeguard.py) and the units-free robust_inverse, on
these very settings, K-FAC's loss rose 7e15-fold above its best (from 1e-17 back to about
0.1), diag's 34-fold, and K-FAC's twin in millimetres was 3e-2 away by step 100.
"""

from __future__ import annotations

import numpy as np
import pytest

import neuralviz as nv
from neuralviz.compare import DEFAULT_HPARAMS
from neuralviz.optim.natural import robust_inverse
from neuralviz.optim.natural.safeguard import CHECK_ROWS, check_rows

STEPS = 3000
RULE = 2.0  # worst training loss / best so far, after the target


@pytest.fixture(scope="module")
def preset():
    return nv.presets.load("natural-gradient")


def _race(preset, names, steps, **kw):
    cfg = preset["compare"]
    optimizers = [
        {"name": n, **DEFAULT_HPARAMS[n], **cfg["hyperparameters"].get(n, {})} for n in names
    ]  # the CLI's rule (the preset's training lr is overridden by its compare block)
    return nv.compare(
        preset["network"],
        preset["dataset"]["name"],
        optimizers,
        steps=steps,
        seed=0,
        loss=preset["training"]["loss"],
        batch_size=cfg["batch_size"],
        input_transform=cfg["input_transform"],
        dataset_options=preset["dataset"]["options"],
        **kw,
    )


def test_natural_runs_never_climb_back_after_reaching_the_target(preset):
    assert preset["compare"]["batch_size"] is None  # full batch: batch_loss is the training loss
    target = preset["compare"]["target_loss"]
    cmp = _race(preset, ["kfac", "diag"], STEPS, eval_every=STEPS)
    for name, run in cmp.runs.items():
        assert run.diverged is None, name
        losses = np.asarray(run.batch_loss)  # the full batch's loss before each step
        hit = np.flatnonzero(losses < target)
        assert len(hit) and hit[0] < 100, (name, hit[:1])
        tail = losses[hit[0] :]
        worst = float(np.max(tail / np.minimum.accumulate(tail)))
        assert worst <= RULE, (name, worst)


def test_undamped_kfac_keeps_its_twin_in_millimetres_for_100_steps(preset):
    assert preset["compare"]["hyperparameters"]["kfac"]["damping"] == 0.0
    cmp = _race(
        preset,
        ["kfac"],
        100,
        reparametrize="per-feature",
        reparametrize_options={"scale": 1000.0, "shift": 0.0},
    )
    gap = np.asarray(cmp.invariance["kfac"][1:])
    assert len(gap) == 100 and gap.max() <= 1e-6, gap.max()
    assert cmp.runs["kfac"].steps_to(preset["compare"]["target_loss"]) is not None  # it learns meanwhile


def test_the_loss_test_shrinks_or_drops_a_step_that_raises_the_loss():
    """A step far too long for the batch: the KL alone would accept it (κ huge), the loss
    test shrinks it until the loss falls, and reports what it did."""
    ds = nv.data.load("xor", seed=0, dtype="float64", n=200)
    net = nv.Network.from_spec(
        {
            "input_shape": [2],
            "layers": [
                {"id": "h", "type": "dense", "units": 4},
                {"id": "a", "type": "tanh"},
                {"id": "o", "type": "dense", "units": 2},
            ],
        },
        seed=0,
        dtype="float64",
    )
    opt = nv.optim.make("kfac", net, lr=50.0, damping=0.0, kl_clip=1e9)
    trainer = nv.Trainer(net, "cross_entropy", opt)
    before = trainer.step(ds.x_train, ds.y_train)
    after = trainer.evaluate(ds.x_train, ds.y_train)["loss"]
    assert after < before
    assert opt.info["shrinks"] >= 1 and not opt.info["rejected"]
    assert opt.info["loss_change"] == pytest.approx(after - before, rel=1e-9)
    with pytest.raises(ValueError, match="armijo"):
        nv.optim.make("kfac", net, armijo=1.5)


def test_checks_read_a_fixed_subsample_only_for_expensive_batches():
    assert check_rows(200, 25) == slice(None)  # the lecture's XOR: the whole batch
    rows = check_rows(256, 79510)  # 784-100-10 at batch 256
    assert rows.step == 4 and len(range(256)[rows]) == CHECK_ROWS


def test_robust_inverse_does_not_depend_on_the_units_and_handles_singular_alike():
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(5, 2, 50), rng.normal(0, 0.04, 50), np.ones(50)])
    a = x.T @ x / 50
    d = np.diag([1000.0, 1000.0, 1.0])  # millimetres: A' = D A D
    inv, _ = robust_inverse(a)
    inv_mm, _ = robust_inverse(d @ a @ d)
    np.testing.assert_allclose(d @ inv_mm @ d, inv, rtol=1e-10)
    # a tanh unit saturated to +1 on every example duplicates the bias column: exactly singular,
    # and both rounding signs of the tiny eigenvalue get the same pseudo-inverse
    h = np.column_stack([np.tanh(rng.normal(size=(40, 3))), np.ones(40), np.ones(40)])
    s = h.T @ h / 40
    g = s @ rng.normal(size=5)  # a gradient in the range
    for eps in (0.0, 1e-17, -1e-17):
        inv, singular = robust_inverse(s + eps * np.eye(5))
        assert singular
        np.testing.assert_allclose(s @ (inv @ g), g, rtol=1e-8, atol=1e-10)
