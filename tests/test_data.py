"""Tests of neuralviz.data: shapes, determinism, semantics of every generator, IDX files, option errors."""

import math
import os
import pickle
import struct

import numpy as np
import pytest

import neuralviz.data as data

FILE_FREE = [n for n in data.names() if n not in ("mnist", "fashion_mnist")]
# Small sizes keep the whole file fast; every generator still runs through all its code paths.
SMALL = {
    "xor": {"n": 200},
    "circles": {"n": 200},
    "gaussians": {"n": 200},
    "spirals": {"n": 200},
    "moons": {"n": 200},
    "checkerboard": {"n": 200},
    "sine": {"n": 100},
    "step": {"n": 100},
    "abs": {"n": 100},
    "bumps": {"n": 100},
    "digits": {},
    "shapes": {"n": 120},
    "sine_forecast": {"n": 100},
    "adding": {"n": 100},
    "copy": {"n": 100},
    "two_lags": {"n": 100},
    "segmentation": {"n": 20, "size": 16},
    "story_qa": {"n": 150},
    "char_text": {"n": 100, "length": 16},
}

EXPECTED = {  # name: (task, x_train shape without N, y shape without N, num_classes, x dtype)
    "xor": ("classification", (2,), (), 2, np.float32),
    "circles": ("classification", (2,), (), 2, np.float32),
    "gaussians": ("classification", (2,), (), 2, np.float32),
    "spirals": ("classification", (2,), (), 2, np.float32),
    "moons": ("classification", (2,), (), 2, np.float32),
    "checkerboard": ("classification", (2,), (), 2, np.float32),
    "sine": ("regression", (1,), (1,), None, np.float32),
    "step": ("regression", (1,), (1,), None, np.float32),
    "abs": ("regression", (1,), (1,), None, np.float32),
    "bumps": ("regression", (1,), (1,), None, np.float32),
    "digits": ("classification", (1, 8, 8), (), 10, np.float32),
    "shapes": ("classification", (1, 16, 16), (), 4, np.float32),
    "sine_forecast": ("sequence-regression", (20, 1), (1,), None, np.float32),
    "adding": ("sequence-regression", (20, 2), (1,), None, np.float32),
    "copy": ("sequence-labeling", (20, 10), (20,), 9, np.float32),
    "two_lags": ("sequence-regression", (33, 1), (1,), None, np.float32),
    "segmentation": ("segmentation", (3, 16, 16), (16, 16), 5, np.float32),
    "story_qa": ("sequence-classification", None, (), 4, np.int64),
    "char_text": ("sequence-classification", (16,), (), 58, np.int64),
}


def arrays(ds):
    return [ds.x_train, ds.y_train, ds.x_test, ds.y_test]


def same(a, b):
    return all(x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y) for x, y in zip(arrays(a), arrays(b)))


# ---------------------------------------------------------------------------------------------- every dataset


def test_every_registered_dataset_is_covered():
    assert set(FILE_FREE) == set(EXPECTED) == set(SMALL)
    assert set(data.names()) == set(FILE_FREE) | {"mnist", "fashion_mnist"}
    assert data.names("planar") == ["xor", "circles", "gaussians", "spirals", "moons", "checkerboard"]
    assert data.names("regression") == ["sine", "step", "abs", "bumps"]
    assert data.names("sequence") == ["sine_forecast", "adding", "copy", "two_lags", "story_qa", "char_text"]


@pytest.mark.parametrize("name", FILE_FREE)
def test_shapes_dtypes_and_classes(name):
    ds = data.load(name, **SMALL[name])
    task, x_shape, y_shape, classes, x_dtype = EXPECTED[name]
    assert ds.name == name and ds.task == task and ds.num_classes == classes
    assert ds.x_train.dtype == x_dtype and ds.x_test.dtype == x_dtype
    if x_shape is not None:
        assert ds.input_shape == x_shape
    assert ds.x_test.shape[1:] == ds.x_train.shape[1:]
    assert ds.y_train.shape == (ds.n_train, *y_shape) and ds.y_test.shape == (ds.n_test, *y_shape)
    assert ds.n_train > 0 and ds.n_test > 0
    for a in arrays(ds):
        assert a.flags.c_contiguous
    if classes is None:
        assert ds.y_train.dtype == x_dtype
    else:
        assert ds.y_train.dtype == np.int64
        labels = np.concatenate([ds.y_train.ravel(), ds.y_test.ravel()])
        assert labels.min() >= 0 and labels.max() < classes
    if ds.class_names is not None:
        assert len(ds.class_names) == classes
    if ds.feature_names is not None:
        assert len(ds.feature_names) == ds.x_train.shape[-1]
    ds.check_finite()


@pytest.mark.parametrize("name", FILE_FREE)
def test_same_seed_same_arrays_and_options_regenerate(name):
    a = data.load(name, seed=3, **SMALL[name])
    b = data.load(name, seed=3, **SMALL[name])
    assert same(a, b)
    c = data.load(a.name, seed=a.seed, **a.options)  # what the app saves and restores
    assert same(a, c)
    assert pickle.loads(pickle.dumps(a.options)) == a.options


@pytest.mark.parametrize("name", FILE_FREE)
def test_different_seeds_differ(name):
    a = data.load(name, seed=1, **SMALL[name])
    b = data.load(name, seed=2, **SMALL[name])
    assert not np.array_equal(a.x_train, b.x_train)


@pytest.mark.parametrize("name", [n for n in FILE_FREE if n not in ("story_qa", "char_text")])  # ids: no floats
def test_float64_option(name):
    ds = data.load(name, dtype="float64", **SMALL[name])
    assert ds.x_train.dtype == np.float64 and ds.x_test.dtype == np.float64
    if ds.num_classes is None:
        assert ds.y_train.dtype == np.float64
    ref = data.load(name, **SMALL[name])
    np.testing.assert_array_equal(ds.x_train.astype(np.float32), ref.x_train)


def test_generator_seed_is_accepted_and_not_recorded():
    ds = data.load("xor", seed=np.random.default_rng(5), n=50)
    assert ds.seed is None and ds.n_train == 25


def test_test_fraction_sizes():
    ds = data.load("circles", n=500)
    assert (ds.n_train, ds.n_test) == (250, 250)  # Playground's 50 % default
    ds = data.load("circles", n=101, test_fraction=0.3)
    assert (ds.n_train, ds.n_test) == (71, 30)
    ds = data.load("circles", n=40, test_fraction=0.0)
    assert ds.n_train == 40 and ds.x_test.shape == (0, 2) and ds.y_test.shape == (0,)


# ---------------------------------------------------------------------------------------------- planar


def all_points(ds):
    return np.concatenate([ds.x_train, ds.x_test]).astype(np.float64), np.concatenate([ds.y_train, ds.y_test])


def test_xor_labels_follow_quadrants_without_noise():
    x, y = all_points(data.load("xor", n=400, dtype="float64"))
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(np.int64))
    assert np.abs(x).min() >= 0.3 and np.abs(x).max() <= 5.3  # Playground's padding off the axes


def test_circles_match_the_playground_radii():
    x, y = all_points(data.load("circles", n=400, dtype="float64"))
    r = np.hypot(x[:, 0], x[:, 1])
    assert r[y == 0].max() <= 2.5 and r[y == 1].min() >= 3.5 and r.max() <= 5.0
    x, y = all_points(data.load("circles", n=600, classes=3, dtype="float64"))
    r = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_array_equal(y, np.minimum(np.floor(r / (5 / 3)), 2))
    assert np.bincount(y).tolist() == [200, 200, 200]


def test_checkerboard_labels_without_noise():
    x, y = all_points(data.load("checkerboard", n=400, classes=3, cells=5, dtype="float64"))
    cell = np.floor((x + 5.0) / 2.0).astype(np.int64)
    np.testing.assert_array_equal(y, (cell[:, 0] + cell[:, 1]) % 3)


@pytest.mark.parametrize(
    "name,classes",
    [
        ("gaussians", 2),
        ("gaussians", 5),
        ("spirals", 2),
        ("spirals", 3),
        ("circles", 4),
        ("checkerboard", 2),
        ("xor", None),
        ("moons", None),
    ],
)
def test_class_balance(name, classes):
    opts = {"classes": classes} if classes else {}
    _, y = all_points(data.load(name, n=600, noise=0.0, **opts))
    k = classes or 2
    counts = np.bincount(y, minlength=k)
    assert counts.sum() == 600
    assert counts.min() >= 0.75 * 600 / k  # exact for the per-class generators, near for xor/checkerboard


def test_noise_changes_points_or_labels():
    clean = data.load("gaussians", n=400, noise=0.0)
    noisy = data.load("gaussians", n=400, noise=0.5)
    assert noisy.x_train.std() > clean.x_train.std()
    _, y0 = all_points(data.load("xor", n=400, noise=0.0))
    _, y1 = all_points(data.load("xor", n=400, noise=0.5))
    assert (y0 != y1).mean() > 0.05  # same points (same seed), labels read at displaced points


def test_gaussian_blob_centres():
    x, y = all_points(data.load("gaussians", n=2000, dtype="float64"))
    np.testing.assert_allclose(x[y == 0].mean(0), [2, 2], atol=0.15)
    np.testing.assert_allclose(x[y == 1].mean(0), [-2, -2], atol=0.15)
    np.testing.assert_allclose(x[y == 0].std(0), [math.sqrt(0.5)] * 2, rtol=0.1)


@pytest.mark.parametrize("name", ["xor", "circles", "spirals", "checkerboard"])
def test_planar_inputs_stay_in_playground_domain(name):
    x, _ = all_points(data.load(name, n=500, noise=0.5))
    assert np.abs(x).max() <= 6.0


@pytest.mark.parametrize("name", ["moons", "gaussians"])
def test_gaussian_noise_stays_mostly_in_playground_domain(name):
    x, _ = all_points(data.load(name, n=1000, noise=0.5))
    assert (np.abs(x).max(axis=1) <= 6.0).mean() > 0.95


# ---------------------------------------------------------------------------------------------- features


def test_expand_features_values_and_order():
    x = np.array([[0.5, -2.0], [3.0, 1.5]], dtype=np.float32)
    assert data.PLAYGROUND_FEATURES == ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]
    full = data.expand_features(x, data.PLAYGROUND_FEATURES)
    x1, x2 = x[:, 0], x[:, 1]
    expected = np.stack([x1, x2, x1 * x1, x2 * x2, x1 * x2, np.sin(x1), np.sin(x2)], axis=1)
    assert full.dtype == np.float32 and full.shape == (2, 7)
    np.testing.assert_array_equal(full, expected)
    picked = data.expand_features(x.astype(np.float64), ["sin(x2)", "x1^2"])
    assert picked.dtype == np.float64
    np.testing.assert_allclose(picked, np.stack([np.sin(x2), x1 * x1], axis=1).astype(np.float64), rtol=1e-6)
    np.testing.assert_array_equal(data.expand_features(x), x)  # default: the raw inputs
    assert data.expand_features(np.array([[1, 2]]), ["x1*x2"]).tolist() == [[2.0]]


@pytest.mark.parametrize(
    "x,features,match",
    [
        (np.zeros((3, 2)), ["x3"], "unknown feature 'x3'"),
        (np.zeros((3, 2)), [], "empty"),
        (np.zeros((3, 2)), ["x1", "x1"], "repeat"),
        (np.zeros((3, 3)), ["x1"], r"shape \(N, 2\)"),
    ],
)
def test_expand_features_errors(x, features, match):
    with pytest.raises(ValueError, match=match):
        data.expand_features(x, features)


# ---------------------------------------------------------------------------------------------- regression


@pytest.mark.parametrize(
    "name,f", [("sine", lambda x: np.sin(np.pi * x)), ("step", lambda x: (x >= 0) * 1.0), ("abs", np.abs)]
)
def test_regression_targets(name, f):
    ds = data.load(name, n=300, dtype="float64")
    x, y = all_points(ds)
    assert x.shape == (300, 1) and y.shape == (300, 1) and np.abs(x).max() <= 1.0
    np.testing.assert_allclose(y, f(x), atol=1e-12)
    noisy = data.load(name, n=300, noise=0.2, dtype="float64")
    residual = np.concatenate([noisy.y_train, noisy.y_test]) - f(np.concatenate([noisy.x_train, noisy.x_test]))
    assert 0.15 < residual.std() < 0.25


def test_sine_frequency():
    ds = data.load("sine", n=50, frequency=3.0, dtype="float64")
    np.testing.assert_allclose(ds.y_train, np.sin(3 * np.pi * ds.x_train), atol=1e-12)


# ---------------------------------------------------------------------------------------------- images

DIGIT_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
FIRST_DIGIT = [
    0,
    0,
    5,
    13,
    9,
    1,
    0,
    0,
    0,
    0,
    13,
    15,
    10,
    15,
    5,
    0,
    0,
    3,
    15,
    2,
    0,
    11,
    8,
    0,
    0,
    4,
    12,
    0,
    0,
    8,
    8,
    0,
    0,
    5,
    8,
    0,
    0,
    9,
    8,
    0,
    0,
    4,
    11,
    0,
    1,
    12,
    7,
    0,
    0,
    2,
    14,
    5,
    10,
    12,
    0,
    0,
    0,
    0,
    6,
    13,
    10,
    0,
    0,
    0,
]  # the first row of scikit-learn's digits.csv.gz, a 0


def test_digits_are_the_real_1797_images():
    ds = data.load("digits", dtype="float64")
    x, y = all_points(ds)
    assert x.shape == (1797, 1, 8, 8)
    assert np.bincount(y).tolist() == DIGIT_COUNTS
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(np.unique(x * 16), np.arange(17))  # counts 0..16 scaled by 1/16
    first = np.array(FIRST_DIGIT).reshape(1, 8, 8) / 16.0
    hits = [i for i in range(len(x)) if np.array_equal(x[i], first)]
    assert len(hits) == 1 and y[hits[0]] == 0
    assert ds.class_names == [str(d) for d in range(10)]


def test_digits_split_is_stratified():
    ds = data.load("digits", test_fraction=0.2)
    expected_test = [round(c * 0.2) for c in DIGIT_COUNTS]
    assert np.bincount(ds.y_test, minlength=10).tolist() == expected_test
    assert ds.n_train + ds.n_test == 1797
    sub = data.load("digits", n=300)
    assert sub.n_train + sub.n_test == 300


def test_shapes_classes_positions_and_size_option():
    ds = data.load("shapes", n=400, size=20, noise=0.0, seed=1)
    x, y = all_points(ds)
    assert x.shape == (400, 1, 20, 20) and ds.class_names == ["square", "circle", "triangle", "cross"]
    assert np.bincount(y).tolist() == [100, 100, 100, 100]
    assert x.min() >= 0.0 and x.max() <= 1.0
    mass = x.sum(axis=(1, 2, 3))
    assert mass.min() > 5.0  # every image shows a shape
    rows = np.arange(20)
    centroid_row = (x[:, 0].sum(axis=2) * rows).sum(axis=1) / mass
    centroid_col = (x[:, 0].sum(axis=1) * rows).sum(axis=1) / mass
    assert centroid_row.std() > 1.5 and centroid_col.std() > 1.5  # shapes sit at many positions
    # Discs fill ~π/4 of their bounding box, crosses much less: the classes really differ.
    box = (x[:, 0] > 0.05).any(axis=1).sum(axis=1) * (x[:, 0] > 0.05).any(axis=2).sum(axis=1)
    fill = (x[:, 0] > 0.5).sum(axis=(1, 2)) / box
    assert fill[y == 1].mean() > fill[y == 3].mean() + 0.2
    noisy = data.load("shapes", n=40, noise=0.3)
    assert noisy.x_train.min() >= 0.0 and noisy.x_train.max() <= 1.0


# ---------------------------------------------------------------------------------------------- IDX / MNIST


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, suffix):
    a = (np.arange(2 * 3 * 5).reshape(2, 3, 5) * 7 % 120).astype(dtype)
    path = tmp_path / f"a.idx{suffix}"
    data.write_idx(path, a)
    b = data.read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.shape == a.shape
    np.testing.assert_array_equal(a, b)


def test_idx_header_layout(tmp_path):
    path = tmp_path / "labels"
    data.write_idx(path, np.array([3, 1, 4], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 3, 1, 4])  # magic 0x00000801, big-endian size


def idx_bytes(array):
    array = np.asarray(array, dtype=np.uint8)
    return bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


@pytest.mark.parametrize(
    "content,match",
    [
        (b"\x00\x00", "too short"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "bad magic"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "bad magic"),  # unknown type code
        (b"\x00\x00\x08\x03\x00\x00\x00\x01", "truncated header"),
        (idx_bytes(np.zeros((4, 3, 3)))[:-1], "size mismatch"),
        (idx_bytes(np.zeros((4,))) + b"\x00", "size mismatch"),
    ],
)
def test_corrupt_idx_raises_naming_the_file(tmp_path, content, match):
    path = tmp_path / "broken-idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as err:
        data.read_idx(path)
    assert str(path) in str(err.value)


def test_corrupt_gzip_idx(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="gzip") as err:
        data.read_idx(path)
    assert str(path) in str(err.value)


def write_mnist(folder, n_train=12, n_test=5, size=6, gz=False, dotted=False, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(exist_ok=True)
    sets = {}
    for role, stem, n in [("train", "train", n_train), ("test", "t10k", n_test)]:
        images = rng.integers(0, 256, size=(n, size, size), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        for kind, arr, nd in [("images", images, 3), ("labels", labels, 1)]:
            name = f"{stem}-{kind}-idx{nd}-ubyte"
            if dotted:
                name = name.replace("-idx", ".idx")
            data.write_idx(folder / (name + (".gz" if gz else "")), arr)
        sets[role] = (images, labels)
    return sets


@pytest.mark.parametrize("gz,dotted", [(False, False), (True, False), (False, True)])
def test_mnist_reads_idx_files(tmp_path, gz, dotted):
    raw = write_mnist(tmp_path / "mnist", gz=gz, dotted=dotted)
    ds = data.load("mnist", path=tmp_path / "mnist")
    assert ds.x_train.shape == (12, 1, 6, 6) and ds.x_test.shape == (5, 1, 6, 6)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    np.testing.assert_allclose(ds.x_train[:, 0], raw["train"][0] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(ds.y_test, raw["test"][1])
    assert ds.options["path"] == os.fspath(tmp_path / "mnist")
    fashion = data.load("fashion_mnist", path=str(tmp_path / "mnist"), n_train=4, seed=1)
    assert fashion.n_train == 4 and fashion.class_names[9] == "Ankle boot"
    assert same(fashion, data.load("fashion_mnist", seed=1, **fashion.options))


def test_mnist_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        data.load("mnist", path=tmp_path / "nowhere")
    assert "nowhere" in str(err.value) and "train-images-idx3-ubyte" in str(err.value)
    write_mnist(tmp_path / "partial")
    os.remove(tmp_path / "partial" / "t10k-labels-idx1-ubyte")
    with pytest.raises(FileNotFoundError) as err:
        data.load("mnist", path=tmp_path / "partial")
    message = str(err.value)
    assert "t10k-labels-idx1-ubyte" in message and "partial" in message
    assert "missing t10k-labels-idx1-ubyte[.gz] in" in message
    with pytest.raises(ValueError, match="'path' is required"):
        data.load("mnist")


def test_mnist_inconsistent_files(tmp_path):
    write_mnist(tmp_path / "m")
    data.write_idx(tmp_path / "m" / "train-labels-idx1-ubyte", np.zeros(3, dtype=np.uint8))
    with pytest.raises(ValueError, match="12 images but 3 labels"):
        data.load("mnist", path=tmp_path / "m")
    data.write_idx(tmp_path / "m" / "train-labels-idx1-ubyte", np.full(12, 11, dtype=np.uint8))
    with pytest.raises(ValueError, match="label 11"):
        data.load("mnist", path=tmp_path / "m")
    truncated = idx_bytes(np.zeros((12, 6, 6)))[:-10]
    (tmp_path / "m" / "train-images-idx3-ubyte").write_bytes(truncated)
    with pytest.raises(ValueError, match="train-images-idx3-ubyte: size mismatch"):
        data.load("mnist", path=tmp_path / "m")


def test_asset_path_errors_name_both_places():
    assert data.asset_path("data/digits.csv.gz").is_file()
    with pytest.raises(FileNotFoundError) as err:
        data.asset_path("data/no-such-file.bin")
    assert str(err.value).count("no-such-file.bin") == 3  # the request, the package place, the repo place


# ---------------------------------------------------------------------------------------------- sequences


def test_adding_problem_targets():
    ds = data.load("adding", n=200, length=15, dtype="float64")
    x, y = all_points(ds)
    values, markers = x[:, :, 0], x[:, :, 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert (markers.sum(axis=1) == 2).all()
    assert (markers[:, :7].sum(axis=1) == 1).all() and (markers[:, 7:].sum(axis=1) == 1).all()
    np.testing.assert_allclose(y[:, 0], (values * markers).sum(axis=1), rtol=1e-12)
    assert values.min() >= 0 and values.max() < 1


def test_sine_forecast_targets_continue_the_signal():
    # One sine obeys s[t] = 2cos(ω) s[t-1] - s[t-2]: fit 2cos(ω) on the inputs, predict the target.
    ds = data.load("sine_forecast", n=50, length=30, components=1, noise=0.0, dtype="float64")
    x, y = ds.x_train[:, :, 0], ds.y_train[:, 0]
    for s, target in zip(x, y):
        c = np.dot(s[1:-1], s[2:] + s[:-2]) / np.dot(s[1:-1], s[1:-1])
        assert abs(c * s[-1] - s[-2] - target) < 1e-9
    assert np.abs(x).max() <= 1.0
    multi = data.load("sine_forecast", n=20, length=12, horizon=3, components=3, noise=0.1)
    assert multi.x_train.shape == (16, 12, 1) and multi.y_train.shape == (16, 3)


def test_copy_task_layout():
    ds = data.load("copy", n=60, symbols=5, length=3, delay=4)
    K, L, D = 5, 3, 4
    x, y = ds.x_train, ds.y_train
    assert x.shape[1:] == (2 * L + D, K + 2) and y.shape[1:] == (2 * L + D,)
    np.testing.assert_array_equal(x.sum(axis=2), 1.0)  # one-hot rows
    tokens = x.argmax(axis=2)
    assert (tokens[:, :L] < K).all() and (tokens[:, L : L + D - 1] == K).all()
    assert (tokens[:, L + D - 1] == K + 1).all() and (tokens[:, L + D :] == K).all()
    np.testing.assert_array_equal(y[:, L + D :], tokens[:, :L])  # repeat the symbols
    assert (y[:, : L + D] == K).all()
    assert ds.num_classes == K + 1 and ds.class_names[-1] == "blank"
    assert ds.decode(x[0]).split()[L + D - 1] == ">"
    assert ds.decode(y[:2])[0].split()[-L:] == [ds.vocab[t] for t in tokens[0, :L]]

    last = data.load("copy", n=60, symbols=5, length=3, delay=4, target="last")
    assert last.task == "sequence-classification" and last.num_classes == K
    assert last.x_train.shape[1:] == (L + D, K + 2) and last.y_train.shape == (last.n_train,)
    np.testing.assert_array_equal(last.y_train, last.x_train[:, 0].argmax(axis=1))
    assert (last.x_train[:, -1].argmax(axis=1) == K + 1).all()


def test_two_lags_adds_the_short_and_the_long_lagged_input():
    ds = data.load("two_lags", n=50, length=10, short=2, long=7, seed=4)
    x, y = ds.x_train[:, :, 0], ds.y_train[:, 0]
    assert set(np.unique(x)) == {-1.0, 1.0}
    np.testing.assert_array_equal(y, x[:, 10 - 1 - 2] + x[:, 10 - 1 - 7])
    assert ds.task == "sequence-regression" and ds.num_classes is None


def answer_by_simulation(text: str, places: list[str]) -> str:
    """An independent reading of a story: move, take, drop, then where is the object?"""
    sentences = text.lower().replace("?", " ?").replace(".", " .").split(" .")
    actor_at, holder, object_at = {}, {}, {}
    for sentence in sentences:
        words = sentence.split()
        if not words:
            continue
        place = next((w for w in words if w in places), None)
        if words[0] == "where":
            obj = words[-2]
            return actor_at[holder[obj]] if holder.get(obj) else object_at[obj]
        if words[0] == "the":  # "the ring is in the cave"
            object_at[words[1]], holder[words[1]] = place, None
        elif place is not None:  # "bilbo went (back) to the cave"
            actor_at[words[0]] = place
        elif words[1] in ("took", "picked", "grabbed"):
            holder[words[-1] if words[-1] != "there" else words[-2]] = words[0]
        else:  # dropped / left / put down
            obj = words[-2] if words[-1] == "there" else words[-1]
            holder[obj], object_at[obj] = None, actor_at[words[0]]
    raise AssertionError(f"no question in {text!r}")


@pytest.mark.parametrize("padding", ["pre", "post"])
def test_story_answers_follow_from_the_story(padding):
    ds = data.load("story_qa", n=300, padding=padding, seed=4)
    for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
        for ids, label in zip(x, y):
            text = ds.decode(ids)
            assert text.endswith("?")
            assert answer_by_simulation(text, ds.class_names) == ds.class_names[label]
    pad_column = ds.x_train[:, 0] if padding == "pre" else ds.x_train[:, -1]
    assert (pad_column == 0).any() and ds.vocab[0] == "<pad>"
    last_words = ds.x_train[:, -1] if padding == "pre" else None
    if last_words is not None:
        assert (np.array(ds.vocab)[last_words] == "?").all()  # the question ends every row


def test_story_vocab_and_balance():
    a = data.load("story_qa", n=400, seed=1)
    b = data.load("story_qa", n=100, seed=2)
    assert a.vocab == b.vocab  # vocabulary never depends on the seed
    assert len(set(a.vocab)) == len(a.vocab)
    assert a.x_train.max() < len(a.vocab) and a.class_names == ["shire", "cave", "forest", "river"]
    counts = np.bincount(np.concatenate([a.y_train, a.y_test]), minlength=4)
    assert counts.min() > 0.15 * 400
    text = a.decode(a.x_train[0])
    assert text[0].isupper() and "<pad>" not in text
    assert isinstance(a.decode(a.x_train[:3]), list)
    big = data.load("story_qa", n=20, actors=6, places=8, objects=6, events=12)
    assert big.num_classes == 8 and big.y_train.max() < 8


# ---------------------------------------------------------------------------------------------- Dataset API


def test_batches_cover_the_split_once():
    ds = data.load("moons", n=103, test_fraction=0.0)
    seen = []
    sizes = []
    for xb, yb in ds.batches(10, seed=0):
        sizes.append(len(xb))
        seen.extend(map(tuple, xb.tolist()))
        assert xb.dtype == np.float32 and yb.dtype == np.int64 and len(xb) == len(yb)
    assert sizes == [10] * 10 + [3]
    assert sorted(seen) == sorted(map(tuple, ds.x_train.tolist()))
    first = [xb for xb, _ in ds.batches(10, seed=0)]
    again = [xb for xb, _ in ds.batches(10, seed=0)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    rng = np.random.default_rng(0)
    epoch1 = next(ds.batches(10, rng=rng))[0]
    epoch2 = next(ds.batches(10, rng))[0]  # a Generator passed as seed advances too
    assert not np.array_equal(epoch1, epoch2)
    ordered = next(ds.batches(5, shuffle=False))[0]
    np.testing.assert_array_equal(ordered, ds.x_train[:5])
    assert [len(b[0]) for b in ds.batches(10, seed=1, drop_last=True)] == [10] * 10
    assert len(list(ds.batches(50, which="test"))) == 0
    with pytest.raises(ValueError, match="batch_size"):
        ds.batches(0)
    with pytest.raises(ValueError, match="either seed or rng"):
        ds.batches(4, seed=1, rng=rng)


def test_check_finite_names_the_array():
    ds = data.load("sine", n=20)
    ds.check_finite()
    ds.y_test[0, 0] = np.nan
    with pytest.raises(ValueError, match="y_test"):
        ds.check_finite()
    ds = data.load("xor", n=20)
    ds.x_train[1, 1] = np.inf
    with pytest.raises(ValueError, match="x_train"):
        ds.check_finite()


def test_targets_for_losses():
    ds = data.load("xor", n=40)
    assert ds.default_loss == "bce" and ds.output_units == 1
    t = ds.targets("bce")
    assert t.shape == (ds.n_train, 1) and t.dtype == np.float32
    np.testing.assert_array_equal(t[:, 0], ds.y_train)
    assert ds.targets("cross_entropy").dtype == np.int64
    g = data.load("gaussians", n=60, classes=3, dtype="float64")
    assert g.default_loss == "cross_entropy" and g.output_units == 3
    onehot = g.targets("mse", "test")
    assert onehot.shape == (g.n_test, 3) and onehot.dtype == np.float64
    np.testing.assert_array_equal(onehot.argmax(1), g.y_test)
    with pytest.raises(ValueError, match="binary"):
        g.targets("bce")
    r = data.load("abs", n=20)
    assert r.default_loss == "mse" and r.output_units == 1 and r.num_classes is None
    with pytest.raises(ValueError, match="integer class labels"):
        data.to_targets(r.y_train, "cross_entropy")
    s = data.load("story_qa", n=30)
    assert s.targets("mse").dtype == np.float32
    with pytest.raises(ValueError, match="no vocabulary"):
        r.decode(np.zeros(3, dtype=np.int64))


def test_describe_and_defaults():
    info = data.describe("spirals")
    assert info["kind"] == "planar" and info["task"] == "classification"
    assert info["options"]["noise"]["default"] == 0.0 and "classes" in info["options"]
    assert data.default_options("mnist")["path"] is None and data.describe("mnist")["required"] == ["path"]
    ds = data.load("spirals")
    assert ds.options == data.default_options("spirals")
    assert "spirals" in repr(ds)


# ---------------------------------------------------------------------------------------------- option errors


@pytest.mark.parametrize(
    "name,options,match",
    [
        ("xor", {"n": -5}, r"option n=-5 is outside"),
        ("xor", {"n": 2.5}, r"option n=2.5 must be an integer"),
        ("xor", {"n": True}, r"option n=True must be an integer"),
        ("xor", {"noise": 0.7}, r"option noise=0.7 is outside \[0.0, 0.5\]"),
        ("xor", {"noise": -0.1}, r"option noise=-0.1"),
        ("xor", {"noise": float("nan")}, r"option noise=nan"),
        ("xor", {"noise": "high"}, r"option noise='high' must be a number"),
        ("xor", {"classes": 3}, r"unknown option 'classes'"),
        ("moons", {"nosie": 0.1}, r"unknown option 'nosie'.*noise"),
        ("circles", {"classes": 1}, r"option classes=1"),
        ("circles", {"test_fraction": 1.0}, r"option test_fraction=1.0"),
        ("circles", {"dtype": "int32"}, r"option dtype='int32'"),
        ("circles", {"n": 4, "test_fraction": 0.9}, r"option n=4 leaves no training"),
        ("digits", {"n": 5}, r"option n=5"),
        ("shapes", {"size": 4}, r"option size=4"),
        ("copy", {"target": "all"}, r"option target='all' is not one of"),
        ("story_qa", {"places": 1}, r"option places=1"),
        ("story_qa", {"dtype": "float64"}, r"unknown option 'dtype'"),
        ("adding", {"length": 1}, r"option length=1"),
        ("two_lags", {"short": 3, "long": 3}, r"option short=3 must be smaller than long=3"),
        ("two_lags", {"long": 40}, r"option long=40 must be smaller than length=33"),
        ("two_lags", {"short": -1}, r"option short=-1"),
    ],
)
def test_bad_options_are_named(name, options, match):
    with pytest.raises(ValueError, match=match):
        data.load(name, **options)


def test_unknown_name_lists_the_datasets():
    with pytest.raises(ValueError, match="unknown dataset 'iris'; available: xor, circles") as err:
        data.load("iris")
    assert "story_qa" in str(err.value)
    with pytest.raises(ValueError, match="seed"):
        data.load("xor", seed=-1)
    with pytest.raises(ValueError, match="seed"):
        data.load("xor", seed="1")
    with pytest.raises(ValueError, match="unknown kind"):
        data.names("images")
