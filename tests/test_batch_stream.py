"""nv.data.BatchStream, the one source of minibatch order: shuffled epochs back to back, cut
into full-size batches; take() and next_batch() read the same stream; batch size can change
mid-stream; every argument is checked."""

import itertools

import numpy as np
import pytest

import neuralviz as nv
from neuralviz.data import BatchStream
from neuralviz.fastpath import sample_order


def batches(stream, count):
    return [stream.next_batch() for _ in range(count)]


def test_same_seed_same_batches_and_another_seed_others():
    a, b, c = (BatchStream(50, 7, seed=s) for s in (3, 3, 4))
    first, again, other = batches(a, 30), batches(b, 30), batches(c, 30)
    assert all(np.array_equal(p, q) for p, q in zip(first, again))
    assert not all(np.array_equal(p, q) for p, q in zip(first, other))
    assert all(p.dtype == np.int64 and p.shape == (7,) for p in first)


def test_epochs_are_the_permutations_of_default_rng_in_order():
    n, stream = 13, BatchStream(13, 5, seed=2)
    rng = np.random.default_rng(2)
    flat = stream.take(4 * n)
    for e in range(4):
        epoch = flat[e * n : (e + 1) * n]
        assert sorted(epoch) == list(range(n))
        np.testing.assert_array_equal(epoch, rng.permutation(n))


@pytest.mark.parametrize("n,b,k", [(13, 5, 11), (10, 10, 4), (7, 3, 9), (1, 1, 5), (100, 1, 250)])
def test_take_equals_concatenated_batches(n, b, k):
    flat = BatchStream(n, b, seed=0).take(k * b)
    stream = BatchStream(n, b, seed=0)
    np.testing.assert_array_equal(flat, np.concatenate(batches(stream, k)))
    assert stream.samples_seen == k * b and stream.epoch == pytest.approx(k * b / n)


def test_take_and_next_batch_mix_freely():
    mixed = BatchStream(11, 4, seed=5)
    parts = [mixed.take(9), mixed.next_batch(), mixed.take(0), mixed.take(30), next(mixed)]
    np.testing.assert_array_equal(np.concatenate(parts), BatchStream(11, 4, seed=5).take(9 + 4 + 30 + 4))
    assert mixed.take(0).shape == (0,) and mixed.take(0).dtype == np.int64


def test_a_batch_spans_two_epochs():
    rng = np.random.default_rng(1)
    first, second = rng.permutation(7), rng.permutation(7)
    stream = BatchStream(7, 3, seed=1)
    got = batches(stream, 3)
    np.testing.assert_array_equal(got[0], first[:3])
    np.testing.assert_array_equal(got[1], first[3:6])
    np.testing.assert_array_equal(got[2], [first[6], second[0], second[1]])
    assert stream.steps_per_epoch == 3


def test_batch_size_above_n_is_clamped():
    stream = BatchStream(6, 50, seed=0)
    assert stream.batch_size == 6 and stream.steps_per_epoch == 1
    assert sorted(stream.next_batch()) == list(range(6))
    stream.batch_size = 1000
    assert stream.batch_size == 6


def test_changing_the_batch_size_continues_the_sample_stream():
    stream = BatchStream(23, 4, seed=9)
    got = batches(stream, 5)
    stream.batch_size = 7
    got += batches(stream, 6)
    assert [len(b) for b in got] == [4] * 5 + [7] * 6
    np.testing.assert_array_equal(np.concatenate(got), BatchStream(23, 4, seed=9).take(5 * 4 + 6 * 7))
    assert stream.samples_seen == 62 and stream.steps_per_epoch == 4


def test_it_is_an_endless_iterator():
    stream = BatchStream(5, 2, seed=0)
    assert iter(stream) is stream
    got = list(itertools.islice(stream, 8))
    np.testing.assert_array_equal(np.concatenate(got), BatchStream(5, 2, seed=0).take(16))
    assert "n=5" in repr(stream) and "samples_seen=16" in repr(stream)


def test_a_generator_seed_is_shared_and_drawn_one_epoch_at_a_time():
    rng, twin = np.random.default_rng(4), np.random.default_rng(4)
    stream = BatchStream(10, 5, seed=rng)
    stream.take(10)  # exactly one epoch: one permutation, no more
    twin.permutation(10)
    assert rng.random() == twin.random()
    stream.take(1)  # the next epoch is drawn only now, from the advanced generator
    np.testing.assert_array_equal(stream.take(9), _second_epoch_after_a_draw(4)[1:])


def _second_epoch_after_a_draw(seed):
    rng = np.random.default_rng(seed)
    rng.permutation(10)
    rng.random()
    return rng.permutation(10)


def test_other_minibatch_orders_read_the_stream():
    """fastpath.sample_order and Dataset.batches are thin wrappers over a BatchStream."""
    np.testing.assert_array_equal(sample_order(17, 9, 4, np.random.default_rng(3)), BatchStream(17, 4, seed=3).take(36))
    ds = nv.data.load("xor", seed=0, n=40)
    epoch = BatchStream(len(ds.x_train), 6, seed=8).take(len(ds.x_train))
    xs = np.concatenate([xb for xb, _ in ds.batches(6, seed=8)])
    np.testing.assert_array_equal(xs, ds.x_train[epoch])


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"n": 0, "batch_size": 1, "seed": 0}, "n"),
        ({"n": 2.5, "batch_size": 1, "seed": 0}, "n"),
        ({"n": True, "batch_size": 1, "seed": 0}, "n"),
        ({"n": 5, "batch_size": 0, "seed": 0}, "batch_size"),
        ({"n": 5, "batch_size": "4", "seed": 0}, "batch_size"),
        ({"n": 5, "batch_size": 2, "seed": -1}, "seed"),
        ({"n": 5, "batch_size": 2, "seed": 1.0}, "seed"),
        ({"n": 5, "batch_size": 2, "seed": None}, "seed"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, name):
    with pytest.raises(ValueError, match=f"BatchStream: {name} must be"):
        BatchStream(kwargs.pop("n"), kwargs.pop("batch_size"), **kwargs)


def test_bad_counts_and_sizes_later_name_themselves():
    stream = BatchStream(5, 2, seed=0)
    with pytest.raises(ValueError, match="count must be an integer >= 0"):
        stream.take(-1)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        stream.batch_size = 0
    with pytest.raises(TypeError):
        BatchStream(5, 2, 0)  # seed is keyword-only
    assert stream.batch_size == 2 and stream.samples_seen == 0
