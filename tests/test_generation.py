"""nv.generation: free-running forecasts and sampled text; the char_text dataset they are shown on."""

import numpy as np
import pytest

import neuralviz.data as data
from neuralviz import optim
from neuralviz.data.text import decode, encode
from neuralviz.generation import free_run, sample_text
from neuralviz.network import Network
from neuralviz.trainer import Trainer


def forecaster(t=8, out=1, seed=0, sequences=False):
    layers = [{"id": "rnn", "type": "gru", "hidden": 8, "return_sequences": sequences}]
    layers.append({"id": "out", "type": "dense", "units": out})
    return Network.from_spec({"input_shape": [t, 1], "layers": layers}, seed=seed)


def char_model(vocab_size, t=6, one_hot=False):
    first = [] if one_hot else [{"id": "embed", "type": "embedding", "vocab": vocab_size, "dim": 4}]
    layers = [*first, {"id": "rnn", "type": "gru", "hidden": 8}, {"id": "out", "type": "dense", "units": vocab_size}]
    return Network.from_spec({"input_shape": [t, vocab_size] if one_hot else [t], "layers": layers}, seed=0)


# ---------------------------------------------------------------------------------------------- free_run


def test_free_run_shapes_and_determinism():
    net = forecaster()
    prompt = np.sin(np.arange(10) / 2.0)
    one = free_run(net, prompt, 5)
    assert one.shape == (5,) and one.dtype == net.dtype
    np.testing.assert_array_equal(one, free_run(net, prompt, 5))
    batch = free_run(net, np.stack([prompt, -prompt]), 5)
    assert batch.shape == (2, 5)
    np.testing.assert_array_equal(batch[0], one)
    assert free_run(net, prompt[None, :, None], 3).shape == (1, 3)
    assert free_run(net, prompt, 0).shape == (0,)


def test_free_run_feeds_its_own_predictions_back():
    net = forecaster()
    prompt = np.linspace(-1, 1, 8)
    gen = free_run(net, prompt, 2)
    window = np.append(prompt[1:], gen[0]).astype(np.float32)
    assert gen[1] == pytest.approx(float(net.forward(window[None, :, None])[0, 0]))


def test_free_run_reads_the_next_value_of_a_multi_step_or_per_step_forecaster():
    prompt = np.zeros(8)
    horizon = forecaster(out=3)
    assert free_run(horizon, prompt, 1)[0] == pytest.approx(float(horizon.forward(np.zeros((1, 8, 1)))[0, 0]))
    per_step = forecaster(sequences=True)
    assert free_run(per_step, prompt, 1)[0] == pytest.approx(float(per_step.forward(np.zeros((1, 8, 1)))[0, -1, 0]))


def test_free_run_refuses_what_does_not_fit():
    net = forecaster()
    with pytest.raises(ValueError, match="windows of 8"):
        free_run(net, np.zeros(5), 3)
    with pytest.raises(ValueError, match="shape"):
        free_run(net, np.zeros((2, 8, 2)), 3)
    with pytest.raises(ValueError, match="steps"):
        free_run(net, np.zeros(8), -1)
    with pytest.raises(ValueError, match="NaN"):
        free_run(net, np.full(8, np.nan), 1)
    with pytest.raises(ValueError, match=r"\(T, 1\)"):
        free_run(char_model(5), np.zeros(8), 1)
    wide = Network.from_spec({"input_shape": [8, 1], "layers": [{"id": "r", "type": "gru", "hidden": 3}]})
    wide_seq = Network.from_spec(
        {"input_shape": [8, 1], "layers": [{"id": "r", "type": "gru", "hidden": 3, "return_sequences": True}]}
    )
    assert free_run(wide, np.zeros(8), 1).shape == (1,)  # (hidden,) reads as a horizon: its first value
    with pytest.raises(ValueError, match="not a next-value forecast"):
        free_run(wide_seq, np.zeros(8), 1)


def test_free_run_of_a_trained_model_follows_the_sine_for_a_few_steps():
    ds = data.load("sine_forecast", seed=0, n=600, length=12, components=1)
    net = forecaster(t=12)
    trainer = Trainer(net, "mse", optim.make("adam", net, lr=0.01), seed=0)
    trainer.train_steps(ds.x_train, ds.y_train, 400, 32)
    t = np.arange(12 + 4)
    wave = np.sin(2 * np.pi * t / 16.0 + 0.3)
    gen = free_run(net, wave[:12], 4)
    constant = np.abs(wave[12:] - wave[11]).mean()  # repeating the last value: the trivial forecast
    assert np.abs(gen - wave[12:]).mean() < min(0.15, constant / 2)


# ---------------------------------------------------------------------------------------------- sample_text

VOCAB = list(" abcde")


def test_sample_text_is_seeded_and_deterministic():
    net = char_model(len(VOCAB))
    a = sample_text(net, VOCAB, "abc", 30, temperature=1.0, seed=1)
    assert len(a) == 30 and set(a) <= set(VOCAB)
    assert a == sample_text(net, VOCAB, "abc", 30, temperature=1.0, seed=1)
    assert a != sample_text(net, VOCAB, "abc", 30, temperature=1.0, seed=2)
    assert sample_text(net, VOCAB, "abc", 0) == ""


def test_temperature_zero_is_argmax():
    net = char_model(len(VOCAB))
    text = sample_text(net, VOCAB, "abcabc", 5, temperature=0, seed=0)
    assert text == sample_text(net, VOCAB, "abcabc", 5, temperature=0, seed=99)
    ids = list(encode(VOCAB, "abcabc"))
    for ch in text:
        ids.append(int(np.argmax(net.forward(np.array([ids[-6:]]))[0])))
        assert VOCAB[ids[-1]] == ch


def test_sample_text_takes_one_hot_networks_and_pads_short_prompts():
    net = char_model(len(VOCAB), one_hot=True)
    assert len(sample_text(net, VOCAB, "a", 4, temperature=0.5, seed=0)) == 4


def test_sample_text_names_unknown_characters_and_refuses_misfits():
    net = char_model(len(VOCAB))
    with pytest.raises(ValueError, match=r"'x', 'z'"):
        sample_text(net, VOCAB, "abxz", 3)
    with pytest.raises(ValueError, match="logit per character"):
        sample_text(net, VOCAB + ["f"], "abc", 3)
    with pytest.raises(ValueError, match="temperature"):
        sample_text(net, VOCAB, "abc", 3, temperature=-1)
    with pytest.raises(ValueError, match="seed"):
        sample_text(net, VOCAB, "abc", 3, seed=-1)
    with pytest.raises(ValueError, match="single characters"):
        sample_text(net, "abcdef", "abc", 3)
    with pytest.raises(ValueError, match="fits neither"):
        sample_text(forecaster(out=len(VOCAB)), VOCAB, "abc", 3)
    no_space = list("abcdef")
    with pytest.raises(ValueError, match="reads 6"):
        sample_text(char_model(6), no_space, "abc", 3)


# ---------------------------------------------------------------------------------------------- char_text


def test_char_text_is_deterministic_and_decodes_back_to_the_text():
    a = data.load("char_text", seed=4, n=300, length=16)
    b = data.load("char_text", seed=4, n=300, length=16)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert a.vocab == sorted(a.vocab) and a.num_classes == len(a.vocab)
    text = data.text.corpus()
    window = a.decode(a.x_train[0])
    assert len(window) == 16 and window in text
    assert window + a.vocab[a.y_train[0]] in text
    assert decode(a.vocab, encode(a.vocab, text[:500])) == text[:500]


def test_char_text_keeps_train_and_test_windows_in_separate_parts_of_the_text():
    ds = data.load("char_text", seed=0, n=400, length=16, test_fraction=0.2)
    text = data.text.corpus()
    cut = round(len(text) * 0.8)
    assert all(text.find(w) < cut for w in ds.decode(ds.x_train[:20]))
    assert all(text.find(w, cut) >= cut for w in ds.decode(ds.x_test[:20]))


def test_char_text_refuses_a_window_longer_than_its_test_part():
    with pytest.raises(ValueError, match="shorter than one window"):
        data.load("char_text", n=100, length=1000, test_fraction=0.01)
