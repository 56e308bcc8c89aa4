"""Issue 14, files: no model, IDX or session file can do more than fail to load, and no save loses work.

Every reproducer of the issue has a test here: decompression bombs (.nvz member, .idx.gz), a spec given as a
path, metadata without a spec, complex/datetime/bool/object parameters, temporaries left by killed saves,
the two-file session replaced without fsync, weights entries leaving the session's folder, odd session
values; and corrupt files of every kind. Reproducers that used to crash or hang the process (bombs eating
the memory, a FIFO blocking) run in a subprocess with a memory and time limit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import io as nvio
from neuralviz.app.session import (
    MAX_SESSION_BYTES,
    load_session,
    save_session,
    validate_settings,
    weights_path,
)
from neuralviz.app.settings import StudioSettings
from neuralviz.data import idx as nvidx
from neuralviz.data import read_idx, write_idx
from neuralviz.fuzz import files as fz

ROOT = Path(__file__).resolve().parents[1]
SPEC = {
    "name": "tiny",
    "input_shape": [3],
    "layers": [
        {"id": "h", "type": "dense", "units": 4},
        {"id": "a", "type": "relu"},
        {"id": "out", "type": "dense", "units": 2},
    ],
}
META = {"format": "neuralviz.model/1", "spec": SPEC, "dtype": "float32", "seed": 0}
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX FIFOs, rlimits, signals and fsync of folders")


def run_python(code: str, *, memory_mb: int | None = 768, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter, its address space capped at what imports took + memory_mb."""
    prelude = textwrap.dedent(
        f"""
        import resource
        import neuralviz as nv
        from neuralviz.app import session
        from neuralviz.fuzz import files as fz
        if {memory_mb!r} is not None:
            with open("/proc/self/status") as fh:
                vm = next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmSize"))
            limit = vm + {memory_mb!r} * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        """
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )


def model_file(path: Path, members: dict[str, np.ndarray | bytes], meta: dict | None = META) -> Path:
    """A model file written member by member (arrays or raw npy bytes)."""
    out = []
    if meta is not None:
        out.append(fz.stored("__meta__.npy", fz.npy_bytes(np.frombuffer(json.dumps(meta).encode(), np.uint8))))
    for key, value in members.items():
        out.append(fz.stored(f"{key}.npy", value if isinstance(value, bytes) else fz.npy_bytes(value)))
    path.write_bytes(fz.zip_bytes(out))
    return path


def params(dtype="float32") -> dict[str, np.ndarray]:
    net = nv.Network.from_spec(SPEC, dtype=dtype)
    return {f"param/{k}": v for k, v in net.state_dict().items()}


# ============================================================================================== model files
@posix_only
def test_model_decompression_bomb_is_refused_before_inflating(tmp_path):
    """A 3 MB .nvz whose member inflates to 3 GiB: refused from the headers, in a process that has 768 MB."""
    code = f"""
        import time
        from pathlib import Path
        import numpy as np, json
        path = Path({str(tmp_path)!r}) / "bomb.nvz"
        meta = fz.stored("__meta__.npy", fz.npy_bytes(np.frombuffer(json.dumps({META!r}).encode(), np.uint8)))
        net = nv.Network.from_spec({SPEC!r})
        state = net.state_dict()
        others = [fz.stored(f"param/{{k}}.npy", fz.npy_bytes(v)) for k, v in state.items() if k != "h.weight"]
        bomb = fz.zip_bomb_member("param/h.weight.npy", 3 * 2**30)
        path.write_bytes(fz.zip_bytes([meta, *others, bomb]))
        print("size", path.stat().st_size)
        start = time.perf_counter()
        for kwargs in ({{}}, {{"max_bytes": 2**20}}):
            try:
                nv.load(path, **kwargs)
            except ValueError as err:
                print("refused", err)
        print("seconds", time.perf_counter() - start)
        """
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert int(lines[0].split()[1]) < 4_000_000
    refused = [line for line in lines if line.startswith("refused")]
    assert len(refused) == 2
    assert "bomb.nvz" in refused[0] and "param/h.weight" in refused[0] and "(805306368,)" in refused[0]
    assert "bomb.nvz" in refused[1] and "inflate to" in refused[1] and "1,048,576" in refused[1]
    assert float(lines[-1].split()[1]) < 5.0


def test_model_metadata_bomb_and_total_limit(tmp_path):
    meta_bomb = fz.zip_bomb_member("__meta__.npy", 64 * 2**20, descr="|u1")
    path = tmp_path / "meta.nvz"
    path.write_bytes(fz.zip_bytes([meta_bomb]))
    with pytest.raises(ValueError, match=r"meta\.nvz: entry '__meta__': 67,108,864 bytes of metadata is more than"):
        nv.load(path)
    ok = nv.save(nv.Network.from_spec(SPEC), tmp_path / "ok.nvz")
    with pytest.raises(ValueError, match=r"ok\.nvz: its members would inflate to .* more than the limit of 100"):
        nv.load(ok, max_bytes=100)


def test_model_spec_is_never_a_path(tmp_path):
    """meta.spec used to go through read_spec, which opens a path: /etc/passwd was read as JSON."""
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(SPEC))
    for spec in (str(spec_file), "/etc/passwd", json.dumps(SPEC), ["input_shape"]):
        path = model_file(tmp_path / "m.nvz", params(), {**META, "spec": spec})
        with pytest.raises(ValueError, match=r"m\.nvz: entry '__meta__\.spec': must be a JSON object"):
            nv.load(path)


def test_model_metadata_without_spec_or_with_bad_fields(tmp_path):
    meta = {k: v for k, v in META.items() if k != "spec"}
    with pytest.raises(ValueError, match=r"m\.nvz: entry '__meta__\.spec': metadata has no 'spec'"):
        nv.load(model_file(tmp_path / "m.nvz", params(), meta))
    for key, value in (("dtype", "complex64"), ("dtype", 32), ("seed", -1), ("seed", True), ("seed", 1.5)):
        with pytest.raises(ValueError, match=rf"m\.nvz: entry '__meta__\.{key}'"):
            nv.load(model_file(tmp_path / "m.nvz", params(), {**META, key: value}))
    with pytest.raises(ValueError, match=r"m\.nvz: unsupported model format 'neuralviz.model/9'"):
        nv.load(model_file(tmp_path / "m.nvz", params(), {**META, "format": "neuralviz.model/9"}))
    bad_spec = {**SPEC, "layers": [{"id": "h", "type": "dense", "units": "many"}]}
    with pytest.raises(ValueError, match=r"m\.nvz: entry '__meta__\.spec': invalid network spec"):
        nv.load(model_file(tmp_path / "m.nvz", params(), {**META, "spec": bad_spec}))


@pytest.mark.parametrize(
    "make, what",
    [
        (lambda v: v.astype(np.complex64), "complex64"),
        (lambda v: v.astype(np.complex128) + 1j, "complex128"),
        (lambda v: np.zeros(v.shape, "datetime64[s]"), "datetime64"),
        (lambda v: np.zeros(v.shape, "timedelta64[s]"), "timedelta64"),
        (lambda v: v > 0, "bool"),
        (lambda v: v.astype(np.int32), "int32"),
        (lambda v: np.zeros(v.shape, "U3"), "<U3"),
        (lambda v: np.zeros(v.shape, [("a", "<f4")]), "a"),
        (lambda v: np.array([object()] * v.size, dtype=object).reshape(v.shape), "object"),
    ],
)
def test_model_parameters_of_other_dtypes_are_refused(tmp_path, make, what):
    arrays = params()
    arrays["param/h.weight"] = make(arrays["param/h.weight"])
    with pytest.raises(ValueError, match=r"m\.nvz: entry 'param/h\.weight': has dtype .*" + what):
        nv.load(model_file(tmp_path / "m.nvz", arrays))


def test_model_float_parameters_of_another_precision_and_order_load(tmp_path):
    arrays = params("float64")
    arrays["param/h.weight"] = np.asfortranarray(arrays["param/h.weight"].astype(">f8"))
    arrays["param/h.bias"] = arrays["param/h.bias"].astype(np.float16)
    net = nv.load(model_file(tmp_path / "m.nvz", arrays))
    np.testing.assert_array_equal(net.state_dict()["h.weight"], arrays["param/h.weight"].astype(np.float32))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_model_nan_or_inf_weights_are_refused(tmp_path, bad):
    """Decision: a model holding NaN or inf is a diverged model; loading it is refused (the same rule as
    Network.load_state_dict), naming the entry."""
    arrays = params()
    arrays["param/out.bias"] = arrays["param/out.bias"].copy()
    arrays["param/out.bias"][1] = bad
    with pytest.raises(ValueError, match=r"m\.nvz: entry 'param/out\.bias': contains NaN or inf"):
        nv.load(model_file(tmp_path / "m.nvz", arrays))


def test_model_wrong_members_and_shapes(tmp_path):
    arrays = params()
    with pytest.raises(ValueError, match=r"m\.nvz: its parameters do not match its spec: missing \['h\.bias'\]"):
        nv.load(model_file(tmp_path / "m.nvz", {k: v for k, v in arrays.items() if k != "param/h.bias"}))
    with pytest.raises(ValueError, match=r"unexpected \['param/zz\.weight'\]"):
        nv.load(model_file(tmp_path / "m.nvz", {**arrays, "param/zz.weight": np.ones(2, np.float32)}))
    with pytest.raises(ValueError, match=r"m\.nvz: unexpected entries \['optimizer'\]"):
        nv.load(model_file(tmp_path / "m.nvz", {**arrays, "optimizer": np.ones(2)}))
    with pytest.raises(ValueError, match=r"entry 'param/h\.weight': has shape \(3, 4\), but the spec gives"):
        nv.load(model_file(tmp_path / "m.nvz", {**arrays, "param/h.weight": np.ones((3, 4), np.float32)}))
    # two members of one name (zipfile would silently take the last)
    members = [fz.stored("__meta__.npy", fz.npy_bytes(np.frombuffer(json.dumps(META).encode(), np.uint8)))]
    members += [fz.stored(f"{k}.npy", fz.npy_bytes(v)) for k, v in arrays.items()]
    (tmp_path / "dup.nvz").write_bytes(fz.zip_bytes(members + [members[1]]))
    with pytest.raises(ValueError, match=r"dup\.nvz: entry 'param/h\.weight': appears twice"):
        nv.load(tmp_path / "dup.nvz")
    # a member that is not .npy, and an npy header that declares more data than the member has
    (tmp_path / "txt.nvz").write_bytes(fz.zip_bytes(members + [fz.stored("readme.txt", b"hi")]))
    with pytest.raises(ValueError, match=r"txt\.nvz: unexpected zip member 'readme\.txt'"):
        nv.load(tmp_path / "txt.nvz")
    lying = fz.npy_header((2**40,), "<f4") + np.zeros(12, np.float32).tobytes()
    (tmp_path / "lie.nvz").write_bytes(fz.zip_bytes(members[:1] + [fz.stored("param/h.weight.npy", lying)]))
    with pytest.raises(ValueError, match=r"lie\.nvz: entry 'param/h\.weight': its header declares shape"):
        nv.load(tmp_path / "lie.nvz")


def test_model_corrupt_bytes_always_name_the_file(tmp_path):
    good = nv.save(nv.Network.from_spec(SPEC), tmp_path / "good.nvz").read_bytes()
    rng = np.random.default_rng(0)
    variants = {
        "empty": b"",
        "text": b"hello",
        "random": rng.integers(0, 256, 5000, dtype=np.uint8).tobytes(),
        "deep": None,
    }
    for cut in (1, 30, len(good) // 3, len(good) // 2, len(good) - 30, len(good) - 1):
        variants[f"cut{cut}"] = good[:cut]
    for i in range(40):
        flipped = bytearray(good)
        for _ in range(5):
            j = int(rng.integers(len(flipped)))
            flipped[j] ^= 1 << int(rng.integers(8))
        variants[f"flip{i}"] = bytes(flipped)
    deep = b"[" * 100_000 + b"]" * 100_000
    for name, data in variants.items():
        path = tmp_path / f"{name}.nvz"
        if data is None:
            path.write_bytes(fz.zip_bytes([fz.stored("__meta__.npy", fz.npy_bytes(np.frombuffer(deep, np.uint8)))]))
        else:
            path.write_bytes(data)
        try:
            nv.load(path)
        except ValueError as err:
            assert f"{name}.nvz" in str(err), err
        # (a flip in the zip's padding or a file name's case can leave a loadable model: also fine)
    with pytest.raises(ValueError, match=r"deep\.nvz: entry '__meta__': JSON nested too deeply"):
        nv.load(tmp_path / "deep.nvz")


def test_model_paths_that_are_not_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        nv.load(tmp_path / "nope.nvz")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        nv.load(tmp_path)
    if os.path.exists("/dev/zero"):
        with pytest.raises(ValueError, match="not a regular file"):
            nv.load("/dev/zero")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        nv.save(nv.Network.from_spec(SPEC), tmp_path)


@posix_only
def test_fifo_model_idx_and_session_fail_at_once_instead_of_blocking(tmp_path):
    for name in ("m.nvz", "d.idx", "d.idx.gz", "s.json"):
        os.mkfifo(tmp_path / name)
    code = f"""
        from pathlib import Path
        from neuralviz.data import read_idx
        folder = Path({str(tmp_path)!r})
        for load, name in ((nv.load, "m.nvz"), (read_idx, "d.idx"), (read_idx, "d.idx.gz"),
                           (session.load_session, "s.json")):
            try:
                load(folder / name)
            except ValueError as err:
                print("refused", err)
        """
    proc = run_python(code, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("not a regular file") == 4, proc.stdout


# ---------------------------------------------------------------------------------------------- saving
def test_save_fsyncs_the_file_and_the_folder(tmp_path, monkeypatch):
    synced = []
    real = os.fsync

    def spy(fd):
        synced.append(os.path.isdir(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else None)
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    nv.save(nv.Network.from_spec(SPEC), tmp_path / "m.nvz")
    if os.name == "posix" and os.path.exists("/proc/self/fd"):
        assert synced == [False, True]  # the data, then the folder holding the rename


@posix_only
def test_killed_saves_leave_temporaries_that_the_next_save_removes(tmp_path):
    """nv.save stays atomic under SIGKILL; the temporaries the kills leave go with the next save of the same
    target, while a save still running in another process keeps its own."""
    target = tmp_path / "m.nvz"
    net = nv.Network.from_spec(SPEC)
    nv.save(net, target)
    before = target.read_bytes()
    hang = f"""
        import sys, time
        from neuralviz.io import atomic_write
        def slow(fh):
            fh.write(b"partial model bytes")
            fh.flush()
            print("writing", flush=True)
            time.sleep(120)
        atomic_write({str(target)!r}, slow)
        """
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    procs = []
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(hang)], stdout=subprocess.PIPE, env=env)
        assert proc.stdout.readline().strip() == b"writing"
        procs.append(proc)
    try:
        for proc in procs[:2]:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        temps = sorted(p.name for p in tmp_path.glob("m.nvz.*.tmp"))
        assert len(temps) == 3 and target.read_bytes() == before  # the old model is intact
        unrelated = tmp_path / "m.nvz.backup.tmp"
        unrelated.write_bytes(b"not ours")
        nv.save(net, target)
        left = sorted(p.name for p in tmp_path.glob("m.nvz.*.tmp"))
        assert len(left) == 2 and "m.nvz.backup.tmp" in left  # the live save's temporary and the unrelated file
        assert nv.load(target).to_spec() == net.to_spec()
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(10)
    nv.save(net, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.nvz", "m.nvz.backup.tmp"]


def test_failed_save_removes_its_temporary(tmp_path, monkeypatch):
    net = nv.Network.from_spec(SPEC)
    target = nv.save(net, tmp_path / "m.nvz")
    before = target.read_bytes()

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(KeyboardInterrupt):
        nv.save(net, target)
    assert target.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["m.nvz"]


# ============================================================================================== IDX
@posix_only
def test_idx_gz_decompression_bomb_is_refused_before_inflating(tmp_path):
    """A 3 MB .idx.gz declaring 3 GiB of pixels: refused after its 12 header bytes, in a process that has
    768 MB; a bomb under the limit inflates into exactly its declared size and no further."""
    code = f"""
        import time
        from pathlib import Path
        from neuralviz.data import read_idx
        path = Path({str(tmp_path)!r}) / "train-images-idx3-ubyte.gz"
        path.write_bytes(fz.gzip_bomb(fz.idx_header(0x08, (3 * 2**30 // 784, 28, 28)), 3 * 2**30))
        print("size", path.stat().st_size)
        start = time.perf_counter()
        try:
            read_idx(path)
        except ValueError as err:
            print("refused", err)
        print("seconds", time.perf_counter() - start)
        small = Path({str(tmp_path)!r}) / "small.idx.gz"
        small.write_bytes(fz.gzip_bytes(fz.idx_header(0x08, (2**20,)) + bytes(2**20)) + fz.gzip_bomb(b"", 2**30))
        try:
            read_idx(small)
        except ValueError as err:
            print("refused", err)
        """
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert int(lines[0].split()[1]) < 4_000_000
    assert "train-images-idx3-ubyte.gz" in lines[1] and "more than the limit of 1,073,741,824" in lines[1]
    assert float(lines[2].split()[1]) < 2.0
    assert "small.idx.gz" in lines[3] and "holds more" in lines[3]


def test_idx_declared_sizes_are_checked_before_reading(tmp_path):
    path = tmp_path / "big.idx"
    path.write_bytes(fz.idx_header(0x0E, (2**31, 2**31)) + bytes(16))
    with pytest.raises(ValueError, match=r"big\.idx: header declares shape \(2147483648, 2147483648\) of float64"):
        read_idx(path)
    path.write_bytes(fz.idx_header(0x08, (1000, 1000)) + bytes(16))
    with pytest.raises(ValueError, match=r"big\.idx: size mismatch: header says shape \(1000, 1000\)"):
        read_idx(path)
    write_idx(path, np.zeros((100, 100), np.uint8))
    with pytest.raises(ValueError, match="more than the limit of 1,000"):
        read_idx(path, max_bytes=1000)
    old = nvidx.MAX_IDX_BYTES
    try:
        nvidx.MAX_IDX_BYTES = 9999
        with pytest.raises(ValueError, match="more than the limit of 9,999"):
            read_idx(path)
    finally:
        nvidx.MAX_IDX_BYTES = old
    assert read_idx(path).shape == (100, 100)


@pytest.mark.parametrize("dtype", ["u1", "i1", ">i2", "i4", "f4", "f8"])
@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, dtype, gz):
    values = (np.random.default_rng(1).standard_normal((3, 4, 5)) * 100).astype(dtype)
    path = tmp_path / ("a.idx.gz" if gz else "a.idx")
    write_idx(path, values)
    back = read_idx(path)
    assert back.dtype.isnative and back.dtype == values.dtype.newbyteorder("=")
    np.testing.assert_array_equal(back, values)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # written atomically, no temporary left
    assert nvidx.parse_idx(fz.idx_header(0x08, (0, 3)), "empty").shape == (0, 3)


def test_idx_corrupt_files_name_the_file(tmp_path):
    values = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    write_idx(tmp_path / "ok.idx", values)
    raw = (tmp_path / "ok.idx").read_bytes()
    cases = {
        "short.idx": raw[:3],
        "header.idx": raw[:9],
        "cut.idx": raw[:-1],
        "long.idx": raw + b"\0",
        "magic.idx": b"\1" + raw[1:],
        "code.idx": raw[:2] + b"\x0f" + raw[3:],
        "ndim.idx": raw[:3] + b"\0" + raw[4:],
        "cut.idx.gz": fz.gzip_bytes(raw)[:-12],
        "tail.idx.gz": fz.gzip_bytes(raw) + b"garbage!",
        "plain.idx.gz": raw,
        "long.idx.gz": fz.gzip_bytes(raw + b"\0"),
        "two.idx.gz": fz.gzip_bytes(raw) + fz.gzip_bytes(raw),
        "random.idx.gz": np.random.default_rng(0).integers(0, 256, 999, dtype=np.uint8).tobytes(),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=f"IDX file .*{name}"):
            read_idx(tmp_path / name)
    with pytest.raises(FileNotFoundError, match="not found"):
        read_idx(tmp_path / "missing.idx")
    with pytest.raises(IsADirectoryError):
        read_idx(tmp_path)


# ============================================================================================== sessions (files)
def xor_session(tmp_path: Path, name: str = "lecture.json", **changes):
    settings = StudioSettings.from_preset("xor").updated(**changes)
    state = nv.Network.from_spec(settings.network, seed=1).state_dict()
    return save_session(tmp_path / name, settings, state, step=300, epoch=75.0), settings, state


def test_session_save_is_a_versioned_pair_written_json_last(tmp_path, monkeypatch):
    path, settings, state = xor_session(tmp_path)
    meta = json.loads(path.read_text())
    assert meta["weights"].startswith("lecture.weights.") and meta["weights"].endswith(".npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["lecture.json", meta["weights"]])
    order = []
    real = nvio.atomic_write

    def spy(target, write):
        order.append(Path(target).name)
        return real(target, write)

    monkeypatch.setattr("neuralviz.app.session.atomic_write", spy)
    state2 = {k: v + 1 for k, v in state.items()}
    save_session(path, settings, state2, step=600)
    meta2 = json.loads(path.read_text())
    assert order == [meta2["weights"], "lecture.json"]  # the new weights first, the JSON naming them last
    assert meta2["weights"] != meta["weights"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["lecture.json", meta2["weights"]])
    loaded, weights, again = load_session(path)
    assert loaded == settings and again["step"] == 600
    for k, v in state2.items():
        np.testing.assert_array_equal(weights[k], v)
    save_session(path, settings, None)  # no weights: the old file goes too
    assert [p.name for p in tmp_path.iterdir()] == ["lecture.json"]
    assert load_session(path)[1] is None


def test_session_save_fsyncs_both_files_and_the_folder(tmp_path, monkeypatch):
    synced = []
    real = os.fsync

    def spy(fd):
        synced.append(os.path.isdir(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    xor_session(tmp_path)
    if os.path.exists("/proc/self/fd"):
        assert synced == [False, True, False, True]


@posix_only
@pytest.mark.parametrize("where", ["after the weights", "while writing the weights", "while writing the JSON"])
def test_session_killed_mid_save_still_opens_as_before(tmp_path, where):
    """The reproducer: a kill between replacing the weights and the JSON left a session that no longer
    opened ("unexpected ['h3.bias', ...]"). Now the previous session opens, weights and all, and the next
    save removes what the killed one left."""
    path, settings, state = xor_session(tmp_path)
    code = f"""
        import time
        from pathlib import Path
        import numpy as np
        from neuralviz.app.settings import StudioSettings
        from neuralviz.io import atomic_write
        calls = []
        def hanging(target, write):
            calls.append(target)
            if {where!r} == "after the weights" and len(calls) == 2:
                print("killing", flush=True); time.sleep(120)
            slow_call = {{"while writing the weights": 1, "while writing the JSON": 2}}.get({where!r})
            if len(calls) == slow_call:
                def slow(fh):
                    fh.write(b"half")
                    fh.flush()
                    print("killing", flush=True)
                    time.sleep(120)
                return atomic_write(target, slow)
            return atomic_write(target, write)
        session.atomic_write = hanging
        settings = StudioSettings.from_preset("spirals")
        state = nv.Network.from_spec(settings.network).state_dict()
        session.save_session(Path({str(path)!r}), settings, state, step=999)
        """
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-c", "from neuralviz.app import session\nimport neuralviz as nv\n" + textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout.readline().strip() == b"killing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
        proc.wait(10)
    assert len(list(tmp_path.iterdir())) >= 3  # JSON, weights, and what the killed save left
    loaded, weights, meta = load_session(path)
    assert loaded == settings and meta["step"] == 300
    for k, v in state.items():
        np.testing.assert_array_equal(weights[k], v)
    save_session(path, settings, weights, step=301)
    assert len(list(tmp_path.iterdir())) == 2  # the orphan or temporary is gone
    assert load_session(path)[2]["step"] == 301


def test_old_sessions_still_open(tmp_path):
    """Sessions written before versioned weights: <stem>.weights.npz beside the JSON."""
    settings = StudioSettings.from_preset("spirals")
    state = nv.Network.from_spec(settings.network).state_dict()
    np.savez(weights_path(tmp_path / "old.json"), **state)
    meta = {
        "format": "neuralviz.session/1",
        "settings": settings.to_dict(),
        "step": 12,
        "epoch": 0.5,
        "weights": "old.weights.npz",
    }
    (tmp_path / "old.json").write_text(json.dumps(meta, indent=1))
    loaded, weights, meta = load_session(tmp_path / "old.json")
    assert loaded == settings and set(weights) == set(state) and meta["step"] == 12
    save_session(tmp_path / "old.json", loaded, weights)  # saving it again replaces the old-style file
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and "old.weights.npz" not in names


@pytest.mark.parametrize(
    "weights",
    ["../outside.npz", "../../outside.npz", "OUTSIDE", "sub/w.npz", "..", ".", "", "w.npz\x00.json", "w.json", 7],
)
def test_session_weights_never_leave_the_session_folder(tmp_path, weights):
    inner = tmp_path / "sessions"
    inner.mkdir()
    path, settings, state = xor_session(inner)
    np.savez(tmp_path / "outside.npz", **state)  # a valid weights file, outside
    (inner / "sub").mkdir()
    np.savez(inner / "sub" / "w.npz", **state)
    meta = json.loads(path.read_text())
    meta["weights"] = str(tmp_path / "outside.npz") if weights == "OUTSIDE" else weights
    path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"lecture\.json: 'weights' must be the name of a \.npz file in the session"):
        load_session(path)


@posix_only
def test_session_weights_link_leading_outside_is_refused(tmp_path):
    inner = tmp_path / "sessions"
    inner.mkdir()
    path, settings, state = xor_session(inner)
    np.savez(tmp_path / "outside.npz", **state)
    os.symlink(tmp_path / "outside.npz", inner / "link.npz")
    meta = json.loads(path.read_text())
    meta["weights"] = "link.npz"
    path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"lecture\.json: 'weights' 'link\.npz' leads outside the session's folder"):
        load_session(path)


@pytest.mark.parametrize(
    "where, value, field",
    [
        ("top", ("step", 1.5), "'step'"),
        ("top", ("step", -1), "'step'"),
        ("top", ("epoch", "x"), "'epoch'"),
        ("top", ("extra", 1), "unknown key"),
        ("settings", ("batch_size", "ten"), "settings.batch_size"),
        ("settings", ("batch_size", -5), "settings.batch_size"),
        ("settings", ("batch_size", 0), "settings.batch_size"),
        ("settings", ("batch_size", 2.0), "settings.batch_size"),
        ("settings", ("batch_size", True), "settings.batch_size"),
        ("settings", ("batch_size", 10**6), "settings.batch_size"),
        ("settings", ("lr", "fast"), "settings.lr"),
        ("settings", ("lr", -0.1), "settings.lr"),
        ("settings", ("seed", 1.5), "settings.seed"),
        ("settings", ("seed", 10**7), "settings.seed"),
        ("settings", ("data_seed", -3), "settings.data_seed"),
        ("settings", ("optimizer", "magic"), "settings.optimizer"),
        ("settings", ("optimizer", ["sgd"]), "settings.optimizer"),
        ("settings", ("loss", "hinge"), "settings.loss"),
        ("settings", ("dataset", "cifar"), "settings.dataset"),
        ("settings", ("dataset_options", {"noise": "lots"}), "settings.dataset_options"),
        ("settings", ("dataset_options", []), "settings.dataset_options"),
        ("settings", ("features", ["x3"]), "settings.features"),
        ("settings", ("regularization", "l3"), "settings.regularization"),
        ("settings", ("reg_rate", float("inf")), None),  # Infinity is not JSON: refused by the parser
        ("settings", ("hidden", [8, 0]), "settings.hidden"),
        ("settings", ("hidden", "8, 8"), "settings.hidden"),
        ("settings", ("activation", "softmax"), "settings.activation"),
        ("settings", ("dropout", 1.0), "settings.dropout"),
        ("settings", ("input_noise", -1), "settings.input_noise"),
        ("settings", ("network", "spec.json"), "settings.network"),
        ("settings", ("network", {"input_shape": [2], "layers": [{"id": "h", "type": ["dense"]}]}), "settings.network"),
        ("settings", ("point_edits", [["add", 0.1, "x", 1]]), "settings.point_edits"),
        ("settings", ("point_edits", [["paint", 0.1, 0.2]]), "settings.point_edits"),
        ("settings", ("title", 5), "settings.title"),
        ("settings", ("colour", "red"), "unknown settings key"),
    ],
)
def test_session_values_are_validated_naming_the_field(tmp_path, where, value, field):
    path, _, _ = xor_session(tmp_path)
    meta = json.loads(path.read_text())
    key, v = value
    (meta if where == "top" else meta["settings"])[key] = v
    path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"lecture\.json") as info:
        load_session(path)
    assert field is None or field in str(info.value)


def test_session_json_that_is_not_a_session(tmp_path):
    path = tmp_path / "s.json"
    for raw, says in (
        (b"{not json", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"format": "neuralviz.session/1", "step": NaN}', "NaN is not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[]", "format 'list'"),
        (b'{"format": "neuralviz.session/1"}', "'settings' is missing"),
        (b'{"format": "neuralviz.session/1", "settings": []}', "'settings' must be a JSON object"),
    ):
        path.write_bytes(raw)
        with pytest.raises(ValueError, match=r"s\.json.*" + says):
            load_session(path)
    path.write_bytes(b" " * (MAX_SESSION_BYTES + 1))
    with pytest.raises(ValueError, match="larger than"):
        load_session(path)
    with pytest.raises(FileNotFoundError, match="not found"):
        load_session(tmp_path / "missing.json")


def test_session_weights_file_content_is_checked(tmp_path):
    path, settings, state = xor_session(tmp_path)
    wpath = tmp_path / json.loads(path.read_text())["weights"]
    for bad, says in (
        ({**state, "h1.weight": state["h1.weight"].astype(np.complex64)}, "has dtype complex64"),
        ({**state, "h1.bias": state["h1.bias"] > 0}, "has dtype bool"),
        ({**state, "h1.bias": np.full(8, np.nan, np.float32)}, "contains NaN or inf"),
    ):
        np.savez(wpath, **bad)
        with pytest.raises(ValueError, match=r"\.npz: entry 'h1\.(weight|bias)': " + says):
            load_session(path)
    wpath.write_bytes(fz.zip_bytes([fz.zip_bomb_member("h1.weight.npy", 3 * 2**30)]))
    with pytest.raises(ValueError, match=r"\.npz: its members would inflate to 3,221,225,"):
        load_session(path)
    wpath.write_bytes(wpath.read_bytes()[:100])
    with pytest.raises(ValueError, match=r"\.npz is not a readable weights file"):
        load_session(path)
    wpath.unlink()
    with pytest.raises(FileNotFoundError, match="weights file .* is missing"):
        load_session(path)


def test_every_settings_field_is_checked_and_every_preset_passes():
    from dataclasses import fields

    from neuralviz import presets
    from neuralviz.app import session

    assert {f.name for f in fields(StudioSettings)} == set(session._CHECKS)
    for name in presets.names():
        validate_settings(StudioSettings.from_preset(name).to_dict(), name)


def test_save_session_refuses_settings_it_could_not_open_again(tmp_path):
    settings = StudioSettings.from_preset("xor").updated(batch_size=-5)
    with pytest.raises(ValueError, match="settings.batch_size"):
        save_session(tmp_path / "s.json", settings)
    assert list(tmp_path.iterdir()) == []


# ============================================================================================== fuzz piece
def test_fuzz_files_cases_fail_clearly():
    """A few cases of neuralviz.fuzz.files in process (the harness runs thousands, each in a subprocess)."""
    outcomes = {"ok": 0, "clear": 0}
    for seed in range(40):
        try:
            fz.run_case(seed)
            outcomes["ok"] += 1
        except (ValueError, TypeError, OSError):
            outcomes["clear"] += 1
    assert outcomes["ok"] >= 1 and outcomes["clear"] >= 20


def test_fuzz_zip_helper_writes_real_zips(tmp_path):
    payload = fz.npy_bytes(np.arange(5.0))
    (tmp_path / "a.npz").write_bytes(fz.zip_bytes([fz.stored("a.npy", payload), fz.deflated("b.npy", payload)]))
    with zipfile.ZipFile(tmp_path / "a.npz") as z:
        assert z.testzip() is None
    with np.load(tmp_path / "a.npz") as data:
        np.testing.assert_array_equal(data["b"], np.arange(5.0))
