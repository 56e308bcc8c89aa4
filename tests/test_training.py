"""Learning sanity (asserted outcomes), optimizers against PyTorch, and the Trainer's
guarantees: determinism, callbacks, divergence and bad-data errors."""

import numpy as np
import pytest

import neuralviz as nv

XOR_241 = {
    "input_shape": [2],
    "layers": [
        {"id": "h", "type": "dense", "units": 4},
        {"id": "a", "type": "tanh"},
        {"id": "out", "type": "dense", "units": 1},
    ],
}
PERCEPTRON = {"input_shape": [2], "layers": [{"id": "w", "type": "dense", "units": 1}, {"id": "s", "type": "step"}]}


def fit(spec, ds, loss, opt_name, epochs, batch_size, seed=0, **hp):
    net = nv.Network.from_spec(spec, seed=seed)
    trainer = nv.Trainer(net, loss, nv.optim.make(opt_name, net, **hp), seed=seed)
    trainer.fit(ds, epochs=epochs, batch_size=batch_size, progress=False)
    return trainer


XOR_TABLE_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_TABLE_Y = np.array([0, 1, 1, 0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mlp_2_4_1_learns_the_xor_truth_table_perfectly(seed):
    net = nv.Network.from_spec(XOR_241, seed=seed)
    trainer = nv.Trainer(net, "bce", nv.optim.make("adam", net, lr=0.05), seed=seed)
    for _ in range(400):
        trainer.step(XOR_TABLE_X, XOR_TABLE_Y)
    assert trainer.evaluate(XOR_TABLE_X, XOR_TABLE_Y)["accuracy"] == 1.0


def test_mlp_2_4_1_learns_playground_xor():
    """The Playground's XOR cloud (points down to 0.3 from the axes) is harder: >= 97%."""
    ds = nv.data.load("xor", seed=0, noise=0.0)
    trainer = fit(XOR_241, ds, "bce", "adam", epochs=150, batch_size=25, lr=0.05, seed=2)
    assert trainer.evaluate(ds.x_train, ds.y_train)["accuracy"] >= 0.97
    assert trainer.evaluate(ds.x_test, ds.y_test)["accuracy"] >= 0.97


def test_perceptron_cannot_learn_xor_but_learns_separable_data():
    net = nv.Network.from_spec(PERCEPTRON, seed=0)
    t = nv.Trainer(net, "mse", nv.optim.make("perceptron", net, lr=0.1))
    for _ in range(200):  # no line separates the truth table: at least one of 4 stays wrong
        t.step(XOR_TABLE_X, XOR_TABLE_Y)
        assert t.evaluate(XOR_TABLE_X, XOR_TABLE_Y)["loss"] >= 0.25
    xor = nv.data.load("xor", seed=0, noise=0.0)
    t = fit(PERCEPTRON, xor, "mse", "perceptron", epochs=20, batch_size=1, lr=0.1)
    assert t.evaluate(xor.x_train, xor.y_train)["loss"] > 0.15  # stuck misclassifying a quarter or more
    blobs = nv.data.load("gaussians", seed=0, noise=0.0)
    t = fit(PERCEPTRON, blobs, "mse", "perceptron", epochs=20, batch_size=1, lr=0.1)
    assert t.evaluate(blobs.x_train, blobs.y_train)["loss"] == 0.0  # every point right


def test_small_cnn_reaches_95_percent_on_digits():
    ds = nv.data.load("digits", seed=0)
    spec = {
        "input_shape": [1, 8, 8],
        "layers": [
            {"id": "c1", "type": "conv2d", "channels": 16, "kernel_size": 3, "padding": 1},
            {"id": "r1", "type": "relu"},
            {"id": "p1", "type": "maxpool2d", "kernel_size": 2},
            {"id": "f", "type": "flatten"},
            {"id": "out", "type": "dense", "units": 10},
        ],
    }
    trainer = fit(spec, ds, "cross_entropy", "adam", epochs=12, batch_size=32, lr=0.01)
    assert trainer.evaluate(ds.x_test, ds.y_test)["accuracy"] >= 0.95


def test_training_is_deterministic_per_seed():
    ds = nv.data.load("spirals", seed=1)
    spec = {
        "input_shape": [2],
        "layers": [
            {"id": "h", "type": "dense", "units": 8},
            {"id": "d", "type": "dropout", "p": 0.2},
            {"id": "a", "type": "relu"},
            {"id": "out", "type": "dense", "units": 1},
        ],
    }
    h1 = fit(spec, ds, "bce", "momentum", epochs=2, batch_size=16, seed=4, lr=0.05).history
    h2 = fit(spec, ds, "bce", "momentum", epochs=2, batch_size=16, seed=4, lr=0.05).history
    h3 = fit(spec, ds, "bce", "momentum", epochs=2, batch_size=16, seed=5, lr=0.05).history
    assert h1["train_loss"] == h2["train_loss"]
    assert h1["train_loss"] != h3["train_loss"]


def test_callbacks_can_stop_and_history_is_recorded():
    ds = nv.data.load("circles", seed=0)

    class StopAt(nv.Callback):
        def __init__(self):
            self.seen = []

        def on_step(self, trainer, step, loss):
            self.seen.append(loss)
            return step >= 7

    cb = StopAt()
    net = nv.Network.from_spec(XOR_241)
    trainer = nv.Trainer(net, "bce", nv.optim.make("sgd", net, lr=0.1))
    history = trainer.fit(ds, epochs=5, batch_size=10, callbacks=[cb], progress=False)
    assert trainer.steps == 7 and len(cb.seen) == 7
    assert history["epoch"] == [1] and len(history["test_accuracy"]) == 1


def test_divergence_stops_with_a_message():
    ds = nv.data.load("sine", seed=0)
    spec = {
        "input_shape": [1],
        "layers": [{"id": "h", "type": "dense", "units": 16}, {"id": "out", "type": "dense", "units": 1}],
    }
    with pytest.raises(nv.TrainingDiverged, match="learning rate"):
        fit(spec, ds, "mse", "sgd", epochs=50, batch_size=8, lr=1e4)


def test_bad_data_is_refused_before_training():
    ds = nv.data.load("xor", seed=0)
    net = nv.Network.from_spec(XOR_241)
    trainer = nv.Trainer(net, "bce", nv.optim.make("sgd", net))
    ds.x_train[3, 0] = np.nan
    with pytest.raises(ValueError, match="x_train contains NaN"):
        trainer.fit(ds, epochs=1)
    digits = nv.data.load("digits", seed=0)
    with pytest.raises(ValueError, match=r"inputs of shape \(1, 8, 8\).*expects \(2,\)"):
        trainer.fit(digits, epochs=1)
    three = nv.data.load("gaussians", seed=0, classes=3)
    spec2 = {"input_shape": [2], "layers": [{"id": "out", "type": "dense", "units": 2}]}
    net2 = nv.Network.from_spec(spec2)
    with pytest.raises(ValueError, match="outputs 2 classes"):
        nv.Trainer(net2, "cross_entropy", nv.optim.make("sgd", net2)).fit(three, epochs=1)


def test_unknown_optimizer_and_hyperparameters():
    net = nv.Network.from_spec(XOR_241)
    with pytest.raises(ValueError, match="unknown optimizer 'sgdd'"):
        nv.optim.make("sgdd", net)
    with pytest.raises(ValueError, match="unknown hyperparameter"):
        nv.optim.make("adam", net, momentum=0.9)
    with pytest.raises(ValueError, match="lr must be"):
        nv.optim.make("sgd", net, lr=-1)
    with pytest.raises(ValueError, match="perceptron"):
        nv.optim.make("perceptron", net)


def test_schedules():
    from neuralviz.optim import make_schedule

    assert make_schedule("constant", 0.1)(1000) == 0.1
    s = make_schedule("step", 0.1, step_size=10, gamma=0.5)
    assert s(9) == 0.1 and s(10) == 0.05 and s(25) == 0.025
    c = make_schedule("cosine", 0.1, total_steps=100, min_lr=0.0)
    assert c(0) == pytest.approx(0.1) and c(50) == pytest.approx(0.05) and c(100) == pytest.approx(0.0)
    net = nv.Network.from_spec(XOR_241)
    opt = nv.optim.make("sgd", net, lr=0.1, schedule="step", schedule_options={"step_size": 2, "gamma": 0.1})
    opt.step()
    opt.step()
    assert opt.lr == pytest.approx(0.01)


@pytest.mark.parametrize(
    "name,hp,torch_name,torch_hp",
    [
        ("sgd", {"lr": 0.1, "weight_decay": 0.01}, "SGD", {"lr": 0.1, "weight_decay": 0.01}),
        ("momentum", {"lr": 0.1, "momentum": 0.9}, "SGD", {"lr": 0.1, "momentum": 0.9}),
        (
            "momentum",
            {"lr": 0.1, "momentum": 0.8, "nesterov": True},
            "SGD",
            {"lr": 0.1, "momentum": 0.8, "nesterov": True},
        ),
        ("adam", {"lr": 0.01, "weight_decay": 0.1}, "Adam", {"lr": 0.01, "weight_decay": 0.1}),
        ("rmsprop", {"lr": 0.01}, "RMSprop", {"lr": 0.01, "eps": 1e-8}),
    ],
)
def test_optimizers_match_torch(name, hp, torch_name, torch_hp):
    torch = pytest.importorskip("torch")
    spec = {
        "input_shape": [3],
        "layers": [
            {"id": "h", "type": "dense", "units": 4},
            {"id": "a", "type": "tanh"},
            {"id": "out", "type": "dense", "units": 2},
        ],
    }
    net = nv.Network.from_spec(spec, seed=0, dtype="float64")
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    named = {
        "h.weight": model[0].weight,
        "h.bias": model[0].bias,
        "out.weight": model[2].weight,
        "out.bias": model[2].bias,
    }
    with torch.no_grad():
        for k, p in named.items():
            p.copy_(torch.from_numpy(net.state_dict()[k]))
    opt = nv.optim.make(name, net, **hp)
    topt = getattr(torch.optim, torch_name)(model.parameters(), **torch_hp)
    rng = np.random.default_rng(0)
    trainer = nv.Trainer(net, "mse", opt)
    for _ in range(5):
        x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
        trainer.step(x, y)
        topt.zero_grad()
        torch.nn.functional.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        topt.step()
    for k, p in named.items():
        np.testing.assert_allclose(net.state_dict()[k], p.detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=k)
