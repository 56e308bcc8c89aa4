"""The command line (`neuralviz ...`): help for every subcommand, --version, user errors as one
line with exit status 2 (checked before training), the plain CUDA reason, benchmarks without
torch, and a smoke run of the CLI fuzz cases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import neuralviz as nv
from neuralviz import backend
from neuralviz.cli import check_output_path, main

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    "format": "neuralviz.network/1",
    "name": "tiny",
    "input_shape": [2],
    "layers": [
        {"id": "h", "type": "dense", "units": 3},
        {"id": "a", "type": "tanh"},
        {"id": "out", "type": "dense", "units": 1},
    ],
}
SUBCOMMANDS = ["train", "info", "compare", "presets", "backends", "gui", "bench"]


def run(argv, capsys) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `neuralviz argv...` run in this process."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *fragments):
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("neuralviz") and "error:" in lines[0], err
    for fragment in fragments:
        assert fragment in lines[0], err


def write(path: Path, obj) -> str:
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    return str(path)


def preset_file(tmp_path: Path, **changes) -> str:
    preset = {
        "format": "neuralviz.preset/1",
        "name": "p",
        "network": TINY,
        "dataset": {"name": "xor", "options": {"n": 40}},
        "training": {"loss": "bce", "optimizer": "sgd", "lr": 0.1, "batch_size": 8, "epochs": 3},
    }
    preset.update(changes)
    for key in [k for k, v in preset.items() if v is None]:
        del preset[key]
    return write(tmp_path / "preset.json", preset)


# ----------------------------------------------------------------------------- help and version


@pytest.mark.parametrize("command", SUBCOMMANDS)
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_every_subcommand_has_help(command, flag, capsys):
    code, out, err = run([command, flag], capsys)
    assert code == 0, err
    assert out.startswith(f"usage: neuralviz {command}"), out
    assert "rest" not in out  # no placeholder argument for the passthrough commands


def test_compare_and_bench_help_list_their_options(capsys):
    _, out, _ = run(["compare", "-h"], capsys)
    assert "--optimizers" in out and "--steps" in out and "--set" in out
    _, out, _ = run(["bench", "--help"], capsys)
    assert "--quick" in out and "--only" in out and "--json" in out
    for suite in ("kernels", "training", "natural", "cuda"):
        assert suite in out


def test_top_level_help_and_version(capsys):
    code, out, _ = run(["-h"], capsys)
    assert code == 0 and all(c in out for c in SUBCOMMANDS)
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"neuralviz {nv.__version__}"


def test_python_m_neuralviz_version_and_help():
    """`python -m neuralviz` sends --version and -h to the command line, not to the studio."""
    for flag, expected in (("--version", f"neuralviz {nv.__version__}"), ("-h", "usage: neuralviz")):
        proc = subprocess.run(
            [sys.executable, "-m", "neuralviz", flag], capture_output=True, text=True, timeout=120, cwd=ROOT
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(expected), proc.stdout


def test_compare_help_with_other_arguments(capsys):
    code, out, _ = run(["compare", "xor", "--steps", "3", "-h"], capsys)
    assert code == 0 and "usage: neuralviz compare" in out


# ----------------------------------------------------------------------------- backends


@pytest.mark.parametrize(
    ("count", "message", "driver", "expected"),
    [
        (0, "CUDA driver version is insufficient for CUDA runtime version (cudaError 35)", False, backend.NO_GPU),
        (0, "no CUDA-capable device is detected (cudaError 100)", True, backend.NO_GPU),
        (0, "no CUDA device found", True, backend.NO_GPU),
        (0, "", False, backend.NO_GPU),
        (0, "out of memory (cudaError 2)", True, "out of memory (cudaError 2)"),
        (0, "initialization error (cudaError 3)", False, "initialization error (cudaError 3)"),
        (2, "", True, ""),
    ],
)
def test_plain_cuda_reason(monkeypatch, count, message, driver, expected):
    monkeypatch.setattr(backend, "_driver_present", lambda: driver)
    assert backend.plain_cuda_reason(count, message) == expected


def test_insufficient_driver_with_a_driver_keeps_the_runtime_text(monkeypatch):
    """With a driver installed, error 35 really is an old driver: say so, and what to do."""
    monkeypatch.setattr(backend, "_driver_present", lambda: True)
    text = backend.plain_cuda_reason(0, "CUDA driver version is insufficient for CUDA runtime version (cudaError 35)")
    assert "insufficient" in text and "update the driver" in text


def test_backends_command(capsys):
    code, out, _ = run(["backends", "--verbose"], capsys)
    assert code == 0 and "backends: cpu" in out
    if backend._cuda_module is not None and not backend.HAS_CUDA and not backend._driver_present():
        assert "cuda: CUDA backend unavailable: no NVIDIA GPU found" in out
        assert "insufficient" not in out.split("cuda runtime said:")[0]


# ----------------------------------------------------------------------------- user errors: one line, status 2


def test_preset_file_without_network(tmp_path, capsys):
    path = preset_file(tmp_path, network=None)
    for command in ("train", "info"):
        assert_one_line_error(*run([command, path], capsys)[::2], "no 'network'")


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"training": "fast"}, "'training' must be a JSON object"),
        ({"dataset": ["xor"]}, "'dataset' must be a JSON object"),
        ({"network": "xor"}, "'network' must be a JSON object"),
        ({"training": {"epochs": 0}}, "training.epochs"),
        ({"training": {"batch_size": "ten"}}, "training.batch_size"),
        ({"training": {"lr": -1}}, "training.lr"),
        ({"training": {"optimizer": 3}}, "training.optimizer"),
        ({"dataset": {"name": "xor", "options": []}}, "dataset.options"),
    ],
)
def test_malformed_preset_file(tmp_path, capsys, changes, fragment):
    path = preset_file(tmp_path, **changes)
    assert_one_line_error(*run(["train", path, "--quiet"], capsys)[::2], fragment)


def test_spec_path_is_a_directory(tmp_path, capsys):
    for command in ("train", "info"):
        assert_one_line_error(*run([command, str(tmp_path)], capsys)[::2], "is a directory")


def test_directory_named_like_a_preset_is_not_read(tmp_path, capsys, monkeypatch):
    """`neuralviz info xor` in a folder that holds a directory `xor` still means the preset."""
    (tmp_path / "xor").mkdir()
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["info", "xor"], capsys)
    assert code == 0, err


@pytest.mark.parametrize("units", [2**31, 2**28, 10**30])
def test_huge_spec(tmp_path, capsys, units):
    spec = {**TINY, "layers": [{"id": "h", "type": "dense", "units": units}]}
    path = write(tmp_path / "huge.json", spec)
    for command in ("info", "train"):
        argv = [command, path] + (["--dataset", "xor", "--epochs", "1", "--quiet"] if command == "train" else [])
        code, out, err = run(argv, capsys)
        assert_one_line_error(code, err, "'h'")
        assert "training" not in out


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deeply_nested_json(tmp_path, capsys, opener):
    closer = "]" if opener == "[" else "}"
    path = write(tmp_path / "deep.json", opener * 100_000 + "1" + closer * 100_000)
    for command in ("info", "train"):
        assert_one_line_error(*run([command, path], capsys)[::2], "nested too deeply")


@pytest.mark.parametrize("text", ["", "[1, 2]", "{", "null", "\x00\x01binary"])
def test_corrupt_or_non_object_json(tmp_path, capsys, text):
    path = write(tmp_path / "bad.json", text)
    assert_one_line_error(*run(["info", path], capsys)[::2])


def test_missing_spec_and_unknown_preset(tmp_path, capsys):
    assert_one_line_error(*run(["info", str(tmp_path / "nope.json")], capsys)[::2], "no such file")
    assert_one_line_error(*run(["train", "no-such-preset"], capsys)[::2], "unknown preset")
    assert_one_line_error(*run(["train", ""], capsys)[::2], "empty")


def test_plain_spec_needs_a_dataset(tmp_path, capsys):
    path = write(tmp_path / "tiny.json", TINY)
    assert_one_line_error(*run(["train", path, "--quiet"], capsys)[::2], "--dataset is required")


def test_dataset_mismatch_is_reported_before_training(tmp_path, capsys):
    code, out, err = run(["train", "xor", "--dataset", "digits", "--epochs", "1", "--quiet"], capsys)
    assert_one_line_error(code, err, "shape")
    assert "training" not in out


def test_train_on_a_gpu_that_is_not_there_says_why(capsys):
    if nv.backend.HAS_CUDA:
        pytest.skip("a GPU is usable here")
    code, out, err = run(["train", "xor", "--epochs", "1", "--quiet", "--backend", "cuda"], capsys)
    assert_one_line_error(code, err, "no NVIDIA GPU found")
    assert "training" not in out


def test_train_through_the_cuda_code_path(tmp_path, capsys):
    """--backend cuda-sim: the CUDA kernels on the simulator, start to end, and the model saved from host memory."""
    if nv.backend.simulator() is None:
        pytest.skip("_C_cudasim was not built")
    model = tmp_path / "xor.nvz"
    code, out, err = run(
        ["train", "xor", "--epochs", "1", "--quiet", "--backend", "cuda-sim", "--save", str(model)], capsys
    )
    assert code == 0, err
    assert "on cuda-sim" in out and "done:" in out and model.is_file()
    assert nv.get_backend() == "cpu"


def test_tf32_on_the_cpu_is_refused(capsys):
    code, out, err = run(["train", "xor", "--epochs", "1", "--quiet", "--tf32"], capsys)
    assert_one_line_error(code, err, "--tf32 needs --backend cuda")
    assert "training" not in out and nv.get_backend() == "cpu"


def test_train_with_tf32_on_the_cuda_code_path(capsys):
    """--tf32: the float32 products on the (simulated) tensor cores for the run, the switch restored after."""
    sim = nv.backend.simulator()
    if sim is None:
        pytest.skip("_C_cudasim was not built")
    code, out, err = run(["train", "xor", "--epochs", "1", "--quiet", "--backend", "cuda-sim", "--tf32"], capsys)
    assert code == 0, err
    assert "on cuda-sim" in out and "done:" in out
    assert sim.tf32 is False and nv.get_backend() == "cpu"


# ----------------------------------------------------------------------------- --save, checked before training


def test_save_onto_a_directory_is_refused_before_training(tmp_path, capsys):
    target = tmp_path / "models"
    target.mkdir()
    # a run of 10**12 epochs would never end: the error must come first
    code, out, err = run(["train", "xor", "--epochs", str(10**12), "--quiet", "--save", str(target)], capsys)
    assert_one_line_error(code, err, "is a directory")
    assert out == "" and target.is_dir()


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("", "empty"),
        (" ", "empty"),
        ("{tmp}/missing/model.nvz", "does not exist"),
        ("{tmp}/file.txt/model.nvz", "not a directory"),
        ("{tmp}/", "names a directory"),
        ("{tmp}/" + "x" * 300, "cannot write"),
    ],
)
def test_bad_save_targets(tmp_path, capsys, target, fragment):
    (tmp_path / "file.txt").write_text("x")
    target = target.format(tmp=tmp_path)
    code, out, err = run(["train", "xor", "--epochs", str(10**12), "--quiet", "--save", target], capsys)
    assert_one_line_error(code, err, fragment)
    assert out == ""
    assert not list(tmp_path.rglob("*.tmp"))


def test_save_over_the_spec_being_trained_is_refused(tmp_path, capsys):
    path = write(tmp_path / "tiny.json", TINY)
    code, _, err = run(["train", path, "--dataset", "xor", "--epochs", "1", "--quiet", "--save", path], capsys)
    assert_one_line_error(code, err, "overwrite")
    assert json.loads(Path(path).read_text()) == TINY


def test_save_writes_a_loadable_model(tmp_path, capsys):
    target = tmp_path / "m.nvz"
    code, out, err = run(["train", "xor", "--epochs", "1", "--quiet", "--save", str(target)], capsys)
    assert code == 0, err
    assert f"saved to {target}" in out
    assert nv.load(target).num_parameters() > 0
    assert not list(tmp_path.glob("*.tmp"))  # the writability probe leaves nothing behind


def test_check_output_path_refuses_special_files():
    if os.path.exists("/dev/null"):
        with pytest.raises(ValueError, match="not a regular file"):
            check_output_path("/dev/null", "--save")


# ----------------------------------------------------------------------------- explicit counts are honoured or refused


@pytest.mark.parametrize(
    "argv",
    [
        ["--epochs", "0"],
        ["--epochs", "-3"],
        ["--batch-size", "0"],
        ["--batch-size", "-1"],
        ["--epochs", "1.5"],
        ["--epochs", str(2**63)],  # not a real request: refused instead of training "forever"
        ["--lr", "0"],
        ["--lr", "nan"],
        ["--lr", "inf"],
        ["--seed", "-1"],
        ["--optimizer", ""],
        ["--dataset", ""],
    ],
)
def test_zero_negative_and_empty_values_are_errors(capsys, argv):
    code, out, err = run(["train", "xor", "--quiet", *argv], capsys)
    assert code == 2 and "Traceback" not in err
    assert f"argument {argv[0]}" in err.strip().splitlines()[-1]
    assert out == ""


def test_explicit_epochs_and_batch_size_are_used(capsys):
    code, out, err = run(["train", "xor", "--epochs", "1", "--batch-size", "250", "--quiet"], capsys)
    assert code == 0, err
    assert "1 epochs, batch 250" in out and "done: 1 steps" in out


# ----------------------------------------------------------------------------- compare


def test_compare_malformed_preset_file(tmp_path, capsys):
    assert_one_line_error(*run(["compare", preset_file(tmp_path, network=None), "--steps", "1"], capsys)[::2])
    assert_one_line_error(*run(["compare", preset_file(tmp_path, training=None, dataset=5)], capsys)[::2])
    plain = write(tmp_path / "tiny.json", TINY)
    assert_one_line_error(*run(["compare", plain, "--steps", "1"], capsys)[::2], "not a preset")
    deep = write(tmp_path / "deep.json", "[" * 100_000)
    assert_one_line_error(*run(["compare", deep], capsys)[::2], "nested too deeply")


# ----------------------------------------------------------------------------- in a real process


def test_user_errors_in_a_real_process(tmp_path):
    """The console entry point: one line on stderr, status 2, for a directory and for deep JSON."""
    deep = write(tmp_path / "deep.json", "[" * 100_000)
    for argv in (["train", str(tmp_path)], ["info", deep], ["train", "xor", "--epochs", "0"]):
        proc = subprocess.run(
            [sys.executable, "-m", "neuralviz", *argv], capture_output=True, text=True, timeout=120, cwd=ROOT
        )
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert proc.stderr.strip().splitlines()[-1].startswith("neuralviz"), proc.stderr


# ----------------------------------------------------------------------------- benchmarks


def test_bench_without_torch_says_so(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    out_json = tmp_path / "rows.json"
    code, out, err = run(
        ["bench", "kernels", "--quick", "--only", "lstm fwd+bwd tiny", "--json", str(out_json)], capsys
    )
    assert code == 0, err
    assert "torch not installed" in out
    assert "nan" not in out.lower()
    rows = json.loads(out_json.read_text())
    assert rows and all(r["ratio"] is None and r["note"] == "torch not installed" for r in rows)


def test_bench_row_keeps_an_absolute_target_without_its_peer(monkeypatch, capsys):
    from neuralviz.bench._harness import Case, run_cases

    monkeypatch.setitem(sys.modules, "torch", None)
    run_cases([Case("grid", lambda: None, "torch", None, target="<= 3 ms")], repeats=1)
    row = capsys.readouterr().out.splitlines()[-1]
    assert "torch not installed; target <= 3 ms" in row and "nan" not in row


@pytest.mark.parametrize("target", ["", "{tmp}", "{tmp}/missing/rows.json"])
def test_bench_json_path_is_checked_before_the_run(tmp_path, capsys, target):
    code, out, err = run(["bench", "all", "--json", target.format(tmp=tmp_path)], capsys)
    assert_one_line_error(code, err, "--json")
    assert out == ""


def test_bench_cuda_suite_says_why_it_is_empty(capsys, monkeypatch):
    if backend.HAS_CUDA:
        pytest.skip("a GPU is usable here")
    monkeypatch.setitem(sys.modules, "torch", None)  # not needed here; importing it costs seconds
    code, out, _ = run(["bench", "cuda", "--quick"], capsys)
    assert code == 0 and "[cuda/cuda] skipped: CUDA backend unavailable" in out


# ----------------------------------------------------------------------------- fuzz cases


def test_cli_fuzz_cases_smoke():
    """A slice of the CLI fuzz cases (neuralviz/fuzz/cli.py) runs cleanly in-process."""
    from neuralviz.fuzz.cli import run_case

    for seed in range(100):
        try:
            run_case(seed)
        except SystemExit as exc:
            assert exc.code in (0, 2, None), seed
