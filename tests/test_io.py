"""nv.save / nv.load: round trip, atomic writes, clear errors for bad files."""

import numpy as np
import pytest

import neuralviz as nv

SPEC = {
    "name": "tiny",
    "input_shape": [3],
    "layers": [
        {"id": "h", "type": "dense", "units": 4},
        {"id": "a", "type": "relu"},
        {"id": "out", "type": "dense", "units": 2},
    ],
}


def test_round_trip(tmp_path):
    net = nv.Network.from_spec(SPEC, seed=3, dtype="float64")
    for p in net.parameters():
        p.value += 1.0  # trained weights differ from a fresh init
    path = nv.save(net, tmp_path / "m.nvz")
    again = nv.load(path)
    assert again.to_spec() == net.to_spec() and again.dtype == np.float64
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_array_equal(again.forward(x), net.forward(x))
    assert [p.name for p in tmp_path.iterdir()] == ["m.nvz"]  # no temporary left behind


def test_truncated_foreign_and_missing_files(tmp_path):
    net = nv.Network.from_spec(SPEC)
    path = nv.save(net, tmp_path / "m.nvz")
    data = path.read_bytes()
    (tmp_path / "cut.nvz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.nvz.*truncated or corrupt"):
        nv.load(tmp_path / "cut.nvz")
    (tmp_path / "text.nvz").write_text("hello")
    with pytest.raises(ValueError, match="text.nvz"):
        nv.load(tmp_path / "text.nvz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not a neuralviz model"):
        nv.load(tmp_path / "other.npz")
    with pytest.raises(FileNotFoundError):
        nv.load(tmp_path / "nope.nvz")


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    net = nv.Network.from_spec(SPEC)
    path = nv.save(net, tmp_path / "m.nvz")
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        nv.save(net, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.nvz"]
