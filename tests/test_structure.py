"""nv.structure: group lasso deletes whole hidden neurons (exact zeros), alive counts, determinism, bad input."""

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import structure

SPEC = {
    "input_shape": [2],
    "layers": [
        {"id": "h1", "type": "dense", "units": 12},
        {"id": "a1", "type": "tanh"},
        {"id": "h2", "type": "dense", "units": 8},
        {"id": "a2", "type": "relu"},
        {"id": "out", "type": "dense", "units": 1},
    ],
}


def _train(strength, groups="incoming", l1=0.0, steps=150, seed=0):
    ds = nv.data.load("circles", seed=seed)
    net = nv.Network.from_spec(SPEC, seed=seed, dtype="float64")
    trainer = nv.Trainer(net, "bce", nv.optim.make("adam", net, lr=0.02), seed=seed)
    lasso = structure.GroupLasso(strength, groups=groups, l1=l1)
    stream = nv.data.BatchStream(len(ds.x_train), 16, seed=seed)
    for step in range(steps):
        idx = stream.next_batch()
        loss = trainer.step(ds.x_train[idx], ds.y_train[idx])
        lasso.on_step(trainer, step, loss)
    return net, trainer, ds


def test_hidden_layers_and_full_count_before_training():
    net = nv.Network.from_spec(SPEC, seed=0)
    assert structure.hidden_layers(net) == ["h1", "h2"]
    assert structure.alive_neurons(net) == {"h1": 12, "h2": 8}
    assert structure.alive_neurons(net, groups="outgoing") == {"h1": 12, "h2": 8}


def test_group_lasso_drives_whole_groups_to_exact_zero():
    net, trainer, ds = _train(strength=1.2)
    alive = structure.alive_neurons(net)
    assert alive["h1"] < 12 and alive["h2"] < 8, alive
    w, b = net.layers["h1"].params["weight"].value, net.layers["h1"].params["bias"].value
    dead = np.flatnonzero(structure.group_norms(net)["h1"] <= structure.ALIVE_TOL)
    assert dead.size > 0
    assert np.all(w[dead] == 0.0) and np.all(b[dead] == 0.0)  # exactly zero, not small
    assert trainer.evaluate(ds.x_test, ds.y_test)["accuracy"] > 0.6  # still learns (wide margin)


def test_no_penalty_keeps_every_neuron_and_stronger_penalty_deletes_more():
    plain, _, _ = _train(strength=0.0)
    assert structure.alive_neurons(plain) == {"h1": 12, "h2": 8}
    weak = sum(structure.alive_neurons(_train(strength=0.05)[0]).values())
    strong = sum(structure.alive_neurons(_train(strength=1.2)[0]).values())
    assert strong <= weak <= 20


def test_outgoing_groups_zero_columns_of_the_next_layer():
    net, _, _ = _train(strength=1.2, groups="outgoing")
    dead = np.flatnonzero(structure.group_norms(net, "outgoing")["h2"] <= structure.ALIVE_TOL)
    assert dead.size > 0
    assert np.all(net.layers["out"].params["weight"].value[:, dead] == 0.0)


def test_l1_makes_single_weights_exactly_zero():
    net, _, _ = _train(strength=0.0, l1=0.5)
    w = net.layers["h1"].params["weight"].value
    assert np.count_nonzero(w == 0.0) > 0


def test_deterministic_for_a_seed():
    a, _, _ = _train(strength=0.3, seed=3)
    b, _, _ = _train(strength=0.3, seed=3)
    for name, value in a.state_dict().items():
        np.testing.assert_array_equal(value, b.state_dict()[name])


def test_fit_with_the_callback():
    ds = nv.data.load("circles", seed=0)
    net = nv.Network.from_spec(SPEC, seed=0)
    trainer = nv.Trainer(net, "bce", nv.optim.make("adam", net, lr=0.02), seed=0)
    trainer.fit(ds, epochs=3, batch_size=16, callbacks=[nv.structure.GroupLasso(1.0)], progress=False)
    assert sum(structure.alive_neurons(net).values()) < 20


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"strength": -1.0}, "strength"),
        ({"strength": 0.1, "groups": "rows"}, "groups"),
        ({"strength": 0.1, "l1": -2}, "l1"),
    ],
)
def test_bad_arguments_name_the_problem(kwargs, match):
    with pytest.raises(ValueError, match=match):
        structure.GroupLasso(**kwargs)


def test_alive_neurons_rejects_a_non_network():
    with pytest.raises(TypeError, match="Network"):
        structure.alive_neurons("net")
