"""Issue 14, specs: a spec (dict, JSON text or file) can only fail to build, with a SpecError that
names the layer and the key; it can never crash, exhaust memory or hang the process that reads it.

Crash-type reproducers (a forward pass that aborted the process, a build that was OOM-killed) run
in a subprocess, so a regression fails the test instead of killing the test run.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neuralviz as nv
from neuralviz import presets
from neuralviz.layers import LAYER_TYPES, SpecError
from neuralviz.layers.base import MAX_PARAMS, MAX_SIZE, limits
from neuralviz.spec import MAX_DEPTH, read_spec

XOR = {
    "format": "neuralviz.network/1",
    "input_shape": [2],
    "layers": [
        {"id": "h1", "type": "dense", "units": 4},
        {"id": "a1", "type": "tanh"},
        {"id": "out", "type": "dense", "units": 1},
    ],
}
CNN = {
    "input_shape": [1, 8, 8],
    "layers": [
        {"id": "conv", "type": "conv2d", "channels": 2, "kernel_size": 3, "padding": 1},
        {"id": "pool", "type": "maxpool2d", "kernel_size": 2},
        {"id": "avg", "type": "avgpool2d", "kernel_size": 2},
        {"id": "flat", "type": "flatten"},
        {"id": "out", "type": "dense", "units": 3},
    ],
}


def with_layer(spec: dict, index: int, **changes) -> dict:
    spec = json.loads(json.dumps(spec))
    spec["layers"][index].update(changes)
    return spec


def run_python(code: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    """Runs code in a fresh interpreter (a crash there is a failed test, not a dead test run)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})},
    )


# ----------------------------------------------------------------------------------------- strict types
@pytest.mark.parametrize("value", ["no", "false", 0, 1, None, [True], 0.0])
def test_bias_must_be_a_bool(value):
    with pytest.raises(SpecError, match=r"layer 'h1' \(dense\): 'bias' must be true or false"):
        nv.Network.from_spec(with_layer(XOR, 0, bias=value))


@pytest.mark.parametrize("value", [4.0, True, "4", [4], None, 0, -3, 2**31, 2**63 - 1, 10**400, math.nan])
def test_units_must_be_a_positive_int_in_range(value):
    with pytest.raises(SpecError, match=r"layer 'h1' \(dense\): 'units' must be an integer") as info:
        nv.Network.from_spec(with_layer(XOR, 0, units=value))
    assert len(str(info.value)) < 400


@pytest.mark.parametrize("value", [["dense"], {"t": "dense"}, 3, None, "Dense"])
def test_type_of_the_wrong_json_type_is_a_spec_error(value):
    with pytest.raises(SpecError, match=r"layer 'h1': unknown type"):
        nv.Network.from_spec(with_layer(XOR, 0, type=value))


@pytest.mark.parametrize("value", [["out"], {"id": "out"}, 1, None, "", "input"])
def test_output_of_the_wrong_json_type_is_a_spec_error(value):
    with pytest.raises(SpecError, match=r"'output' must name a layer"):
        nv.Network.from_spec({**XOR, "output": value})


@pytest.mark.parametrize(
    "key, value, match",
    [
        ("name", ["x"], "'name' must be a string"),
        ("description", {"a": 1}, "'description' must be a string"),
        ("layout", [1, 2], "'layout' must be an object"),
        ("input_shape", [2.0], "'input_shape' must be a list"),
        ("input_shape", [True], "'input_shape' must be a list"),
        ("input_shape", [2**31], "'input_shape' must be a list"),
        ("input_shape", [1] * 9, "'input_shape' must be a list"),
        ("layers", {"h": 1}, "'layers' must be a non-empty list"),
    ],
)
def test_top_level_keys_are_typed(key, value, match):
    with pytest.raises(SpecError, match=match):
        nv.Network.from_spec({**XOR, key: value})


def test_inputs_and_ids_are_strings():
    with pytest.raises(SpecError, match=r"layer 'a1': 'inputs' must be a non-empty list of layer ids"):
        nv.Network.from_spec(with_layer(XOR, 1, inputs=[["h1"]]))
    with pytest.raises(SpecError, match=r"layer #1: 'id' must be a non-empty string"):
        nv.Network.from_spec(with_layer(XOR, 1, id=7))


# (layer type, a valid base layer, key, bad values): every parameter of every type
PARAMS = [
    ("dense", {"units": 3}, "units", [0, 2.5, True, "3", 2**31]),
    ("dense", {"units": 3}, "bias", ["yes", 1, None]),
    ("conv2d", {"channels": 2, "kernel_size": 3}, "channels", [0, 1.0, False, 2**40]),
    ("conv2d", {"channels": 2, "kernel_size": 3}, "kernel_size", [0, [3], [3, 3, 3], [3.0, 3], True, 9, 2**62]),
    ("conv2d", {"channels": 2, "kernel_size": 3}, "stride", [0, -1, [1, 0], 1.5, "1", 2**31]),
    ("conv2d", {"channels": 2, "kernel_size": 3}, "padding", [-1, 2**63 - 1, 2**31, [0, -1], 0.5]),
    ("conv2d", {"channels": 2, "kernel_size": 3}, "dilation", [0, 2**62, 5, [1, 2.0]]),
    ("conv2d", {"channels": 2, "kernel_size": 3}, "bias", ["no", 0]),
    ("maxpool2d", {"kernel_size": 2}, "kernel_size", [0, 2**62, 11, None, [2, 2, 2]]),
    ("maxpool2d", {"kernel_size": 2}, "stride", [0, 2.0, [2, -2]]),
    ("maxpool2d", {"kernel_size": 2}, "padding", [-1, 2, 2**63 - 1]),
    ("avgpool2d", {"kernel_size": 2}, "kernel_size", [2**62, "2"]),
    ("avgpool2d", {"kernel_size": 2}, "padding", [3, [0, 5]]),
    ("leaky_relu", {}, "slope", [-0.1, 1.5, math.nan, math.inf, "0.1", True]),
    ("dropout", {}, "p", [1.0, 1, -0.1, math.nan, "0.5", None, False, 10**400]),
    ("gaussian_noise", {}, "std", [-1.0, math.inf, math.nan, "0.1", True]),
    ("concat", {"inputs": ["input", "input"]}, "axis", [0, 4, True, 1.0, "1"]),
]


@pytest.mark.parametrize("ltype, base, key, values", PARAMS)
def test_every_layer_parameter_is_validated(ltype, base, key, values):
    for value in values:
        spec = {"input_shape": [1, 8, 8], "layers": [{"id": "probe", "type": ltype, **base, key: value}]}
        if ltype in ("dense", "leaky_relu", "dropout", "gaussian_noise"):
            spec["input_shape"] = [5]
        with pytest.raises(SpecError) as info:
            nv.Network.from_spec(spec)
        message = str(info.value)
        assert "'probe'" in message and key in message, (value, message)


@pytest.mark.parametrize(
    "ltype, extra, key, values",
    [
        ("rnn", {}, "hidden", [0, 2.0, True, 2**31]),
        ("lstm", {}, "return_sequences", ["yes", 1, None]),
        ("gru", {}, "hidden", ["3", None]),
        ("embedding", {"dim": 3}, "vocab", [0, 1.5, 2**31]),
        ("embedding", {"vocab": 3}, "dim", [-2, False]),
    ],
)
def test_sequence_layer_parameters_are_validated(ltype, extra, key, values):
    base = {"hidden": 3} if ltype in ("rnn", "lstm", "gru") else {}
    for value in values:
        layer = {"id": "probe", "type": ltype, **base, **extra, key: value}
        with pytest.raises(SpecError) as info:
            nv.Network.from_spec({"input_shape": [4, 2] if ltype != "embedding" else [4], "layers": [layer]})
        assert "'probe'" in str(info.value) and key in str(info.value), (value, str(info.value))


def test_boundary_values_that_are_fine_still_build():
    nv.Network.from_spec({"input_shape": [5], "layers": [{"id": "d", "type": "dropout", "p": 0.999}]})
    nv.Network.from_spec({"input_shape": [5], "layers": [{"id": "n", "type": "gaussian_noise", "std": 0}]})
    nv.Network.from_spec({"input_shape": [5], "layers": [{"id": "d", "type": "dense", "units": 1, "bias": False}]})
    net = nv.Network.from_spec(with_layer(CNN, 0, stride=[2, 1], dilation=2, padding=[2, 0]))
    y = net.forward(np.ones((2, 1, 8, 8), np.float32))
    assert y.shape == (2, *net.output_shape)


# ----------------------------------------------------------------------------------------- geometry
@pytest.mark.parametrize(
    "changes",
    [
        {"padding": 2**63 - 1},
        {"padding": 2**63 - 1, "stride": 2},
        {"padding": 2**31 - 1, "stride": 2**31 - 1},
        {"padding": 2**20},  # in range, but the padded buffer is 2**42 elements
        {"dilation": 2**30},
        {"kernel_size": 11},
        {"kernel_size": [3, 2**31 - 1]},
    ],
)
def test_conv_geometry_that_overflows_or_empties_the_output_is_refused(changes):
    with pytest.raises(SpecError, match=r"layer 'conv' \(conv2d\)"):
        nv.Network.from_spec(with_layer(CNN, 0, **changes))


def test_padding_2_63_spec_is_refused_in_a_subprocess():
    """The issue's reproducer: this spec built, saved, loaded, and then forward aborted the process."""
    spec = with_layer(CNN, 0, padding=2**63 - 1, stride=2)
    result = run_python(
        f"""
        import json, numpy as np, neuralviz as nv
        spec = json.loads({json.dumps(json.dumps(spec))})
        try:
            net = nv.Network.from_spec(spec)
        except nv.SpecError as err:
            print("refused:", err)
        else:
            net.forward(np.ones((1, 1, 8, 8), np.float32))
            print("built and ran")
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "refused: layer 'conv' (conv2d): 'padding'" in result.stdout


def test_pool_geometry_is_checked_with_python_ints():
    for changes in ({"kernel_size": 2**62}, {"kernel_size": 2**31 - 1, "padding": 2**30}):
        with pytest.raises(SpecError, match=r"layer 'pool' \(maxpool2d\)"):
            nv.Network.from_spec(with_layer(CNN, 1, **changes))


# ----------------------------------------------------------------------------------------- deep nesting
def deep(depth: int):
    v = 1
    for _ in range(depth):
        v = [v]
    return v


def test_deeply_nested_json_text_and_files_are_spec_errors(tmp_path):
    text = '{"input_shape": [2], "layers": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(SpecError, match="nested too deeply"):
        nv.Network.from_spec(text)
    path = tmp_path / "deep.json"
    path.write_text(text)
    with pytest.raises(SpecError, match="nested too deeply"):
        nv.Network.from_spec(path)
    with pytest.raises(SpecError, match="nested too deeply"):
        read_spec(str(path))


@pytest.mark.parametrize("where", ["units", "layout", "description"])
def test_deeply_nested_dicts_are_spec_errors_naming_where(where):
    spec = json.loads(json.dumps(XOR))
    if where == "units":
        spec["layers"][0]["units"] = deep(MAX_DEPTH + 5)
    else:
        spec[where] = {"h1": deep(5000)} if where == "layout" else deep(5000)
    with pytest.raises(SpecError, match="nested too deeply") as info:
        nv.Network.from_spec(spec)
    assert where in str(info.value)


def test_a_directory_or_a_huge_file_is_not_a_spec(tmp_path):
    with pytest.raises(SpecError, match="is a directory"):
        nv.Network.from_spec(tmp_path)
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(65 * 2**20)  # sparse: costs no disk
    with pytest.raises(SpecError, match="too large"):
        nv.Network.from_spec(big)


def test_cli_info_on_deep_or_huge_specs_is_one_line_exit_2(tmp_path):
    deep_file = tmp_path / "deep.json"
    deep_file.write_text('{"input_shape": [2], "layers": ' + "[" * 100_000 + "]" * 100_000 + "}")
    huge_file = tmp_path / "huge.json"
    huge_file.write_text(json.dumps(with_layer(XOR, 0, units=2**30)))
    for path, word in ((deep_file, "nested"), (huge_file, "parameters")):
        result = subprocess.run(
            [sys.executable, "-m", "neuralviz", "info", str(path)], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 2, result.stderr[-2000:]
        assert "Traceback" not in result.stderr and word in result.stderr


# ----------------------------------------------------------------------------------------- the budget
def test_budget_defaults_and_overrides(monkeypatch):
    monkeypatch.delenv("NEURALVIZ_MAX_PARAMS", raising=False)
    monkeypatch.delenv("NEURALVIZ_MAX_ACTIVATIONS", raising=False)
    assert limits() == (MAX_PARAMS, MAX_PARAMS) == (2**28, 2**28)
    spec = with_layer(XOR, 0, units=1000)  # 2*1000 + 1000 + 1000 + 1 = 4001 parameters
    assert nv.Network.from_spec(spec).num_parameters() == 4001
    with pytest.raises(SpecError, match=r"4,001 parameters .*above the budget of 4,000"):
        nv.Network.from_spec(spec, max_params=4000)
    monkeypatch.setenv("NEURALVIZ_MAX_PARAMS", "3_000")
    with pytest.raises(
        SpecError, match=r"needs 4,001 parameters up to layer 'out' \(dense\), above the budget of 3,000"
    ):
        nv.Network.from_spec(spec)
    monkeypatch.setenv("NEURALVIZ_MAX_PARAMS", "2500")
    with pytest.raises(SpecError, match=r"layer 'h1' \(dense\): units=1000, bias=True gives 3,000 parameters"):
        nv.Network.from_spec(spec)
    assert nv.Network.from_spec(spec, max_params=5000).num_parameters() == 4001  # the argument wins
    monkeypatch.setenv("NEURALVIZ_MAX_PARAMS", "lots")
    with pytest.raises(ValueError, match="NEURALVIZ_MAX_PARAMS must be a positive integer"):
        nv.Network.from_spec(spec)
    monkeypatch.delenv("NEURALVIZ_MAX_PARAMS")
    with pytest.raises(ValueError, match="max_params must be a positive integer"):
        nv.Network.from_spec(spec, max_params=1.5)
    with pytest.raises(SpecError, match="activation elements per example"):
        nv.Network.from_spec(spec, max_activations=1000)
    with pytest.raises(SpecError, match=r"the input \(3, 32768, 32768\) has 3,221,225,472 elements"):
        nv.Network.from_spec({"input_shape": [3, 2**15, 2**15], "layers": [{"id": "r", "type": "relu"}]})


def test_a_spec_above_the_budget_is_refused_before_allocating():
    """2**28 dense units from two inputs: 805 million parameters, 13 GB at the build's peak. In a
    subprocess limited to 1.5 GiB of address space, the refusal must come before any allocation."""
    result = run_python(
        """
        import resource
        import neuralviz as nv
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**29, 3 * 2**29))
        spec = {"input_shape": [2], "layers": [{"id": "wide", "type": "dense", "units": 2**28}]}
        for kwargs in ({}, {"max_params": 2**40}):
            try:
                nv.Network.from_spec(spec, **kwargs)
            except nv.SpecError as err:
                print("refused:", err)
            except MemoryError:
                print("allocated")
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert "805,306,368 parameters" in lines[0] and "layer 'wide'" in lines[0]
    # with the budget raised the build is attempted, and then fails cleanly where memory ends
    assert lines[1] in ("allocated",) or "refused" in lines[1]


def test_every_preset_fits_the_default_budget_with_a_wide_margin():
    for name in presets.names():
        net = nv.Network.from_spec(presets.load(name)["network"])
        assert net.num_parameters() < MAX_PARAMS // 100
        assert sum(layer.activation_count() for layer in net.layers.values()) < MAX_PARAMS // 100


def test_two_phase_build_draws_the_same_weights_as_building_each_layer():
    """The budget check builds every layer before allocating any: the initial weights must be exactly
    those a layer built (and allocated) on its own draws from the same generator."""
    for spec in [presets.load(n)["network"] for n in presets.names()]:
        net = nv.Network.from_spec(spec, seed=7)
        index = {l["id"]: i for i, l in enumerate(net.spec["layers"])}
        shapes = {"input": net.input_shape}
        for entry in net.order:
            config = {k: v for k, v in entry.items() if k not in ("id", "type", "inputs")}
            rng = np.random.default_rng([7, index[entry["id"]]])
            alone = LAYER_TYPES[entry["type"]](
                entry["id"], config, [shapes[s] for s in entry["inputs"]], net.dtype, rng
            )
            shapes[entry["id"]] = alone.output_shape
            for local, p in alone.params.items():
                np.testing.assert_array_equal(p.value, net.layers[entry["id"]].params[local].value)


def test_empty_batches_pass_through_every_layer_type():
    for spec in [presets.load(n)["network"] for n in presets.names()]:
        net = nv.Network.from_spec(spec)
        kind = np.int64 if net.order[0]["type"] == "embedding" else np.float32
        y = net.forward(np.zeros((0, *net.input_shape), kind), train=True)
        assert y.shape == (0, *net.output_shape)
        net.backward(np.zeros_like(y))


# ----------------------------------------------------------------------------------------- hypothesis
VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-2, max_value=12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=4),
    st.lists(st.integers(min_value=-3, max_value=2**64), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
BASES = [
    XOR,
    CNN,
    {
        "input_shape": [5, 3],
        "layers": [
            {"id": "rnn", "type": "gru", "hidden": 4, "return_sequences": True},
            {"id": "lstm", "type": "lstm", "hidden": 3},
            {"id": "noise", "type": "gaussian_noise", "std": 0.1},
            {"id": "drop", "type": "dropout", "p": 0.2},
            {"id": "leaky", "type": "leaky_relu"},
            {"id": "skip", "type": "add", "inputs": ["leaky", "lstm"]},
            {"id": "cat", "type": "concat", "inputs": ["skip", "drop"]},
            {"id": "out", "type": "dense", "units": 2},
        ],
    },
    {
        "input_shape": [6],
        "layers": [
            {"id": "emb", "type": "embedding", "vocab": 9, "dim": 4},
            {"id": "rnn", "type": "rnn", "hidden": 3},
            {"id": "out", "type": "sigmoid"},
        ],
    },
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_specs_build_and_run_or_name_the_layer_and_key(data):
    base = data.draw(st.sampled_from(BASES))
    spec = json.loads(json.dumps(base))
    layer = data.draw(st.sampled_from(spec["layers"]))
    keys = sorted(LAYER_TYPES[layer["type"]].defaults) + ["units", "kernel_size", "padding", "bogus"]
    key = data.draw(st.sampled_from(keys))
    layer[key] = data.draw(VALUES)
    try:
        net = nv.Network.from_spec(spec, max_params=2**20, max_activations=2**20)
    except SpecError as err:
        message = str(err)
        if f"layer '{layer['id']}'" in message:  # refused at the mutated layer: the key is named
            assert key in message, message
        else:  # refused downstream, where the new shape no longer fits: that layer and the shapes are named
            assert "input shapes" in message or "budget" in message, message
        assert len(message) < 1000
        return
    first = net.layers[net.order[0]["id"]]
    x = (
        np.random.default_rng(0).integers(0, first.param_shape("weight")[0], size=(2, *net.input_shape))
        if first.type == "embedding"
        else np.ones((2, *net.input_shape), np.float32)
    )
    y = net.forward(x, train=True)
    assert y.shape == (2, *net.output_shape)
    net.backward(np.ones_like(y))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=-5, max_value=2**64), min_size=0, max_size=10))
def test_random_input_shapes_build_or_refuse(shape):
    spec = {"input_shape": shape, "layers": [{"id": "f", "type": "flatten"}, {"id": "d", "type": "dense", "units": 2}]}
    try:
        net = nv.Network.from_spec(spec, max_params=2**20, max_activations=2**20)
    except SpecError as err:
        assert "input" in str(err) or "'d'" in str(err) or "'f'" in str(err)
        return
    assert all(1 <= d <= MAX_SIZE for d in net.input_shape)


def test_fuzz_spec_cases_give_clear_outcomes_in_a_subprocess():
    """A slice of neuralviz.fuzz.specs: every case builds and runs, or raises ValueError/TypeError."""
    result = run_python(
        """
        import collections
        from neuralviz.fuzz import specs
        counts = collections.Counter()
        for seed in range(300):
            try:
                specs.run_case(seed)
                counts["ok"] += 1
            except (ValueError, TypeError):
                counts["clear"] += 1
        print(counts["ok"], counts["clear"])
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ok, clear = map(int, result.stdout.split())
    assert ok + clear == 300 and ok >= 20


# ----------------------------------------------------------------------------------------- the editor
def test_editor_open_refuses_deep_huge_and_mistyped_files(request, tmp_path):
    """The app's open dialog goes through EditorPage.open_spec: a RecursionError used to escape it."""
    pytest.importorskip("PyQt6")
    pytest.importorskip("pytestqt")
    from neuralviz.app.main_window import MainWindow

    qtbot = request.getfixturevalue("qtbot")
    window = MainWindow()
    qtbot.addWidget(window)
    page = window.pages["Architecture"]
    page.open_preset("xor")
    before = page.document.model.to_spec()
    files = {
        "deep.json": '{"input_shape": [2], "layers": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "deep_value.json": json.dumps({**XOR, "description": "x"}).replace('"x"', "[" * 60 + "]" * 60),
        "type.json": json.dumps(with_layer(XOR, 0, type=["dense"])),
        "output.json": json.dumps({**XOR, "output": {"id": "out"}}),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        assert not page.open_spec(tmp_path / name), name
        assert "Could not open" in page.message.text or "could not" in page.message.text.lower(), name
        assert page.document.model.to_spec() == before
    assert not page.open_spec(tmp_path)  # a directory
    # a drawing may hold a failing layer (the editor flags the node): a huge one opens, is flagged, allocates nothing
    (tmp_path / "huge.json").write_text(json.dumps(with_layer(XOR, 0, units=2**40)))
    assert page.open_spec(tmp_path / "huge.json")
    assert "'units'" in page.document.checker.infer(page.document.model).errors()["h1"]
    window.close()
