"""The end-to-end memory network layer: gradients, attention, masking, encodings, spec errors."""

import numpy as np
import pytest
from gradcheck import check_network_gradients

import neuralviz as nv
from neuralviz.layers import LAYER_TYPES, SpecError
from neuralviz.layers.memory import position_encoding

VOCAB, SLOTS, WORDS = 9, 4, 4


def memory_net(dtype="float64", seed=0, **config):
    layer = {"id": "mem", "type": "memory", "vocab": VOCAB, "dim": 6, "hops": 3, **config}
    spec = {"input_shape": [SLOTS + 1, WORDS], "layers": [layer]}
    return nv.Network.from_spec(spec, seed=seed, dtype=dtype)


def stories(seed=0):
    """Three examples: a full story, one with two empty rows, one with no story at all; short sentences."""
    x = np.random.default_rng(seed).integers(1, VOCAB, size=(3, SLOTS + 1, WORDS))
    x[:, :, 3] = 0
    x[1, :2] = 0
    x[2, :SLOTS] = 0
    return x


@pytest.mark.parametrize("tying", ["adjacent", "layerwise"])
@pytest.mark.parametrize("encodings", [(True, True), (False, False)])
def test_gradients_match_finite_differences(tying, encodings):
    pe, te = encodings
    net = memory_net(tying=tying, position_encoding=pe, temporal_encoding=te)
    check_network_gradients(net, stories(), what=f"memory {tying} pe={pe} te={te}")


def test_gradients_with_time_noise_at_training_time():
    net = memory_net(time_noise=0.5)
    check_network_gradients(net, stories(1), train=True, reseed=3, what="memory time_noise")
    assert net.layers["mem"].stochastic and not memory_net().layers["mem"].stochastic


def test_attention_per_hop_over_the_non_empty_sentences():
    net = memory_net(hops=2)
    x = stories()
    out = net.forward(x)
    attention = net.layers["mem"].attention
    assert out.shape == (3, 6) and len(attention) == 2
    for p in attention:
        assert p.shape == (3, SLOTS)
        np.testing.assert_allclose(p[:2].sum(axis=1), 1.0)
        assert np.all(p[1, :2] == 0) and np.all(p[2] == 0)  # empty rows, and a story with none


def test_padding_and_empty_rows_change_nothing():
    net = memory_net()
    x = stories()
    before = net.forward(x).copy()
    for p in net.parameters():
        if p.name.startswith("mem.E"):
            p.value[0] = 5.0  # the padding word's embedding never counts
    np.testing.assert_array_equal(net.forward(x), before)


def test_temporal_encoding_orders_the_memory():
    """Without it the memory is a set: the story's sentences in another order give the same answer."""
    x = stories()[:1]
    shuffled = x.copy()
    shuffled[0, :SLOTS] = x[0, [2, 0, 3, 1]]
    plain = memory_net(temporal_encoding=False)
    np.testing.assert_allclose(plain.forward(x), plain.forward(shuffled), rtol=1e-12)
    timed = memory_net()
    assert not np.allclose(timed.forward(x), timed.forward(shuffled))


def test_time_noise_only_when_training():
    net = memory_net(dtype="float32", time_noise=0.5)
    x = np.repeat(stories()[:1], 64, axis=0)
    evaluation = net.forward(x)
    assert np.all(evaluation == evaluation[0]) and evaluation.dtype == np.float32
    assert len(np.unique(net.forward(x, train=True).round(5), axis=0)) > 1


def test_position_encoding_is_the_papers():
    l = position_encoding(4, 3)
    j, k = 2, 3  # 1-based word and dimension
    assert l[j - 1, k - 1] == pytest.approx((1 - j / 4) - (k / 3) * (1 - 2 * j / 4))


def test_registered_with_a_spec_round_trip():
    assert LAYER_TYPES["memory"].type == "memory"
    net = memory_net(tying="layerwise", words=[f"w{i}" for i in range(VOCAB)])
    names = sorted(p.name for p in net.parameters())
    assert names == ["mem.A", "mem.B", "mem.C", "mem.H", "mem.TA", "mem.TC"]
    again = nv.Network.from_spec(net.to_spec(), dtype="float64")
    again.load_state_dict(net.state_dict())
    np.testing.assert_array_equal(again.forward(stories()), net.forward(stories()))
    assert net.layers["mem"].flops() > 0
    adjacent = memory_net(hops=2)
    assert sorted(p.name for p in adjacent.parameters()) == [
        f"mem.{n}" for n in ("E0", "E1", "E2", "TE0", "TE1", "TE2")
    ]


@pytest.mark.parametrize(
    "shape,config,match",
    [
        ([6], {}, r"\(sentences \+ 1, words\)"),
        ([1, 4], {}, r"\(sentences \+ 1, words\)"),
        ([5, 4], {"tying": "none"}, r"'tying' must be one of"),
        ([5, 4], {"hops": 0}, r"'hops'"),
        ([5, 4], {"time_noise": 2.0}, r"'time_noise'"),
        ([5, 4], {"words": ["a", "b"]}, r"'words' must hold 9 distinct words"),
        ([5, 4], {"words": "abc"}, r"'words' must be a list"),
        ([5, 4], {"units": 3}, r"unknown parameter"),
    ],
)
def test_bad_specs_are_clear_errors(shape, config, match):
    spec = {"input_shape": shape, "layers": [{"id": "mem", "type": "memory", "vocab": VOCAB, **config}]}
    with pytest.raises(SpecError, match=match):
        nv.Network.from_spec(spec)


def test_token_ids_outside_the_vocabulary_are_named():
    net = memory_net()
    x = stories()
    x[0, 0, 0] = VOCAB
    with pytest.raises(ValueError, match=r"token id 9 is outside the vocabulary \[0, 9\)"):
        net.forward(x)
    with pytest.raises(ValueError, match="integer token ids"):
        net.forward(stories() + 0.5)
