"""The sequence page (neuralviz.app.sequence) and its engine helper (neuralviz.sequence_probe).

The probe first, without Qt: its numpy unrolling gives the layer kernels' hidden states, its ‖∂L/∂h_t‖ by
backpropagation through time matches autograd (PyTorch cells with the same weights) and finite differences,
and a plain RNN's gradient vanishes towards the first step. Then the page, offscreen: it builds, trains a few
steps headless in its worker, shows heat-maps of units × steps, reveals the sequence one step at a time, and its
Story QA mode answers the lecture's three questions with the shipped model and shows (not raises) the error
for a word outside the vocabulary.
"""

from __future__ import annotations

from importlib.util import find_spec

import numpy as np
import pytest
from conftest import run_headless, shown_page

from neuralviz import sequence_probe as sp
from neuralviz.network import Network

HAS_QT = all(find_spec(m) for m in ("PyQt6", "pyqtgraph", "pytestqt"))
needs_qt = pytest.mark.skipif(not HAS_QT, reason="PyQt6, pyqtgraph and pytest-qt are needed for the page")
WAIT = 20_000  # ms; the waits end as soon as their condition holds


def tiny_net(kind: str, t: int = 6, features: int = 2, hidden: int = 4, seed: int = 1) -> Network:
    spec = {
        "format": "neuralviz.network/1",
        "name": f"tiny-{kind}",
        "input_shape": [t, features],
        "layers": [{"id": "r", "type": kind, "hidden": hidden}, {"id": "out", "type": "dense", "units": 1}],
    }
    return Network.from_spec(spec, seed=seed)


def example(t: int = 6, features: int = 2, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(t, features))


# ---------------------------------------------------------------------------------------------- the probe
@pytest.mark.parametrize("kind", sp.KINDS)
def test_unrolling_gives_the_kernels_hidden_states(kind):
    net = tiny_net(kind)
    x = example()
    p = sp.probe(net, "r", x, np.array([0.5]), "mse")
    net.forward(x[None].astype(net.dtype))
    kernel = net.layers["r"].y[:, 0, :]  # (T, H): the layer keeps its whole output sequence
    assert p.unrolled.hidden.shape == kernel.shape == (6, 4)
    np.testing.assert_allclose(p.unrolled.hidden, kernel, atol=1e-5)
    assert tuple(p.unrolled.gates) == sp.GATE_NAMES[kind]
    assert all(g.shape == (6, 4) for g in p.unrolled.gates.values())


@pytest.mark.parametrize("kind", sp.KINDS)
def test_state_gradients_match_autograd(kind):
    torch = pytest.importorskip("torch")
    net = tiny_net(kind)
    w = sp.Weights.of(net.layers["r"])
    x = example()
    g = np.random.default_rng(2).normal(size=(6, 4))  # L = Σ_t g_t · h_t
    mine = sp.state_gradients(sp.unroll(kind, w, x), w, g)
    cell = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[kind](2, 4).double()
    with torch.no_grad():
        for name, value in (("weight_ih", w.w_ih), ("weight_hh", w.w_hh), ("bias_ih", w.b_ih), ("bias_hh", w.b_hh)):
            getattr(cell, name).copy_(torch.from_numpy(value))
    h = c = torch.zeros(1, 4, dtype=torch.float64)
    states = []
    for t in range(6):
        xt = torch.from_numpy(x[t : t + 1])
        h, c = cell(xt, (h, c)) if kind == "lstm" else (cell(xt, h), c)
        h.retain_grad()
        states.append(h)
    sum((torch.from_numpy(g[t : t + 1]) * states[t]).sum() for t in range(6)).backward()
    reference = np.concatenate([s.grad.numpy() for s in states])
    np.testing.assert_allclose(mine, reference, rtol=1e-6, atol=1e-9)


def test_rnn_state_gradients_match_finite_differences():
    net = tiny_net("rnn")
    w = sp.Weights.of(net.layers["r"])
    x = example()
    g = np.random.default_rng(3).normal(size=(6, 4))

    def loss_from(t: int, h: np.ndarray) -> float:
        """Σ_s g_s · h_s over s ≥ t, the recurrence restarted from state h at step t."""
        total = g[t] @ h
        for s in range(t + 1, 6):
            h = np.tanh(w.w_ih @ x[s] + w.b_ih + w.w_hh @ h + w.b_hh)
            total += g[s] @ h
        return float(total)

    u = sp.unroll("rnn", w, x)
    grads = sp.state_gradients(u, w, g)
    eps = 1e-6
    for t in (0, 3, 5):
        fd = [
            (loss_from(t, u.hidden[t] + eps * e) - loss_from(t, u.hidden[t] - eps * e)) / (2 * eps) for e in np.eye(4)
        ]
        np.testing.assert_allclose(grads[t], fd, rtol=1e-5, atol=1e-8)


def test_a_plain_rnn_gradient_vanishes_through_time_and_the_probe_leaves_the_gradients_alone():
    net = tiny_net("rnn", t=30, hidden=8)
    net.layers["r"].w_hh.value *= 0.5  # a contracting recurrence: the textbook case of vanishing gradients
    before = [p.grad.copy() for p in net.parameters()]
    p = sp.probe(net, "r", example(t=30), np.array([1.0]), "mse")
    assert p.grad_norms.shape == (30,) and np.all(np.isfinite(p.grad_norms)) and np.all(p.grad_norms >= 0)
    assert p.grad_norms[0] < 1e-3 * p.grad_norms[-1]
    assert all(np.array_equal(b, q.grad) for b, q in zip(before, net.parameters()))
    assert np.isfinite(p.loss) and p.prediction.shape == (1,)


def test_the_probe_names_what_it_cannot_read():
    net = tiny_net("gru")
    with pytest.raises(ValueError, match="'out' is not an rnn/lstm/gru layer"):
        sp.probe(net, "out", example(), np.array([0.0]), "mse")
    w = sp.Weights.of(net.layers["r"])
    with pytest.raises(ValueError, match="cannot read a sequence of shape"):
        sp.unroll("gru", w, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="kind must be one of"):
        sp.unroll("clockwork", w, example())
    assert [lid for lid, _ in sp.recurrent_layers(net)] == ["r"]


# ---------------------------------------------------------------------------------------------- the page


@pytest.fixture
def page(qtbot):
    from neuralviz.app.sequence.page import SequencePage

    p = shown_page(qtbot, SequencePage, (1024, 640))
    yield p
    p.shutdown()


@needs_qt
def test_recurrent_presets_are_offered():
    from neuralviz.app.sequence.run import recurrent_presets

    names = [name for name, _ in recurrent_presets()]
    assert "lstm-adding" in names and "story-qa" not in names and "xor" not in names


@needs_qt
def test_the_page_trains_headless_and_shows_units_by_steps(qtbot, page):
    run_headless(qtbot, page, 5)
    assert page.shown_step() == 5
    frame = page.frame
    t_len, hidden = 30, 32  # lstm-adding: T = 30, 32 units
    assert page.board.hidden.matrix.shape == (hidden, t_len)
    assert page.board.gates.matrix.shape == (4 * hidden, t_len)  # input, forget, candidate, output
    assert frame.probe.grad_norms.shape == (t_len,) and np.all(np.isfinite(frame.probe.grad_norms))
    assert len(frame.losses) == 5 and np.all(np.isfinite(frame.losses))
    assert page.trains_itself() and page.wants_preset("lstm-adding") and not page.wants_preset("xor")


@needs_qt
def test_step_by_step_reveals_one_time_step_at_a_time(qtbot, page):
    run_headless(qtbot, page, 1)
    page.time.setValue(1)
    assert page.shown_time() == 1
    page.next_step()
    assert page.shown_time() == 2 and page.time_label.text() == "t = 2"
    shown = page.board.hidden.image.image
    assert np.all(np.isfinite(shown[:, :2])) and np.all(np.isnan(shown[:, 2:]))  # steps 3.. not yet revealed
    page.time.setValue(page.time.maximum())
    page.next_step()
    assert page.shown_time() == 1  # after the last step, back to the first


@needs_qt
def test_another_cell_trains_the_same_task(qtbot, page):
    from neuralviz.app.sequence.run import with_cell

    page.cell.setCurrentIndex(page.cell.findData("rnn"))
    run_headless(qtbot, page, 2)
    assert page.frame.probe.unrolled.kind == "rnn" and page.board.gates.matrix.shape == (1, 30)  # no gates: blank
    assert page.board.titles["gates"].text() == "Gates: a plain RNN has none"
    with pytest.raises(ValueError, match="cell must be one of"):
        with_cell({"network": {}}, "clockwork")


@needs_qt
def test_story_qa_answers_the_lecture_and_shows_unknown_words(qtbot, page):
    from neuralviz.data.story_qa import LECTURE_QUESTIONS

    assert page.wants_preset("story-qa") and page.modes.currentWidget() is page.qa
    for question, expected in LECTURE_QUESTIONS.items():
        page.qa.question.setText(question)
        page.qa.ask()
        qtbot.waitUntil(lambda q=question: page.qa.reading is not None and page.qa.question_answered == q, timeout=WAIT)
        assert page.qa.reading.answer == expected
        assert page.qa.table.rowCount() == len(page.qa.reading.sentences) == 12
        assert page.qa.table.columnCount() == 1 + 3  # the sentence, then one column per hop
    page.qa.question.setText("Where is the dragon?")
    page.qa.ask()
    qtbot.waitUntil(lambda: "dragon" in page.message.text, timeout=WAIT)
    assert "outside the vocabulary" in page.qa.answer.text() and page.qa.reading is None


# ---------------------------------------------------------------------------------------------- lag and generation
def test_a_lag_rebuilds_the_task_and_fits_the_net_to_it():
    from neuralviz.app.sequence.lag import lag_of, with_lag

    copy_preset = {
        "network": {"format": "neuralviz.network/1", "name": "c", "input_shape": [99, 10], "layers": []},
        "dataset": {"name": "copy", "options": {"target": "last", "length": 5, "lead": 3, "n": 50}},
    }
    assert lag_of(copy_preset).option == "delay" and lag_of(copy_preset).value == 10  # the dataset's default
    preset, ds = with_lag(copy_preset, 20, 0, "test")
    assert preset["network"]["input_shape"] == [3 + 5 + 20, 10] == list(ds.x_train.shape[1:])
    assert copy_preset["network"]["input_shape"] == [99, 10]  # the preset given is left alone
    with pytest.raises(ValueError, match=r"Delay must be an integer in \[1, 200\]"):
        with_lag(copy_preset, 0, 0, "test")
    with pytest.raises(ValueError, match="has no lag to set"):
        with_lag({"network": {}, "dataset": {"name": "sine_forecast"}}, 5, 0, "test")


@needs_qt
def test_the_lag_box_retrains_the_adding_problem_with_another_t(qtbot, page):
    run_headless(qtbot, page, 2)
    assert page.lag_label.text() == "T:" and page.lag.value() == 30 and page.lag.isVisible()
    assert not page.temperature.isVisible()
    page.lag.setValue(12)
    qtbot.waitUntil(lambda: page.frame.lag.value == 12, timeout=WAIT)
    assert page.frame.step == 0 and len(page.frame.losses) == 0  # from scratch
    run_headless(qtbot, page, 2)
    assert page.board.hidden.matrix.shape == (32, 12) and page.time.maximum() == 12
    page.reset()  # Reset keeps the lag
    qtbot.waitUntil(lambda: page.frame.step == 0, timeout=WAIT)
    assert page.frame.lag.value == 12


@needs_qt
def test_a_sine_forecaster_runs_free_after_its_prompt(qtbot, page):
    from neuralviz.app.sequence.generated import FREE_STEPS

    assert page.wants_preset("sine-forecast")
    run_headless(qtbot, page, 3)
    fc = page.frame.forecast
    assert fc.prompt.shape == (20,) and fc.truth.shape == fc.generated.shape == (FREE_STEPS,)
    assert np.all(np.isfinite(fc.generated)) and page.board.outputs.currentWidget() is page.board.output
    assert page.board.panels["signal"].isHidden() and not page.lag.isVisible()


@needs_qt
def test_a_character_model_writes_the_same_text_for_the_same_seed(qtbot, page):
    from neuralviz.app.sequence.generated import SAMPLE_LENGTH

    assert page.wants_preset("char-rnn")
    run_headless(qtbot, page, 2)
    first = page.frame.sample
    assert first.step == 2 and len(first.text) == SAMPLE_LENGTH and len(first.prompt) == 32
    assert page.board.outputs.currentWidget() is page.board.text and page.temperature.isVisible()
    assert page.board.text.plain().replace("\n", "").endswith(first.text.replace("\n", ""))
    page.reset()
    run_headless(qtbot, page, 2)
    assert page.frame.sample.text == first.text  # the same seed, the same net: the same text
    page.temperature.setValue(0.0)
    qtbot.waitUntil(lambda: page.frame.sample.temperature == 0.0, timeout=WAIT)
    assert len(page.frame.sample.text) == SAMPLE_LENGTH
