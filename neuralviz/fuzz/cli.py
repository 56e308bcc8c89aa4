"""Fuzz cases for the command line (`neuralviz.cli.main`): `run_case(seed)`.

Each seed builds one odd or malformed invocation (a random subcommand with random flags and
values: zero, negative and huge numbers, empty strings, NaN, paths to directories, to missing
files, to corrupt, deeply nested or mistyped JSON written into a temporary folder the case
creates and removes) and runs it in-process with stdout and stderr captured. Training is
kept tiny (one epoch or a few steps on small data) unless the case is about those very
arguments, and then only with values the CLI refuses before training, so a case takes well
under a second. Benchmarks and the GUI are only ever invoked in ways that fail (or print
help) before doing any work.

Outcomes, as the harness classifies them: returning normally, `SystemExit` 0 or 2, and
ValueError/TypeError/OSError are clear. `run_case` itself raises AssertionError (unclear)
when the CLI broke its own contract: an exit status other than 0 or 2, a failure without
a one-line ``error:`` message, a traceback printed to stderr, a temporary file left
beside a --save target, or a --save target that was not written after a success.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

# presets that train one epoch in a fraction of a second; small batches only on the first four
# (an epoch of a CNN or recurrent preset at batch 1 takes about a second)
FAST_PRESETS = [
    "xor",
    "perceptron",
    "spirals",
    "universal-approximation",
    "natural-gradient",
    "lstm-adding",
    "digits-cnn",
    "residual-cnn",
]
SMALL_BATCH_OK = {"xor", "perceptron", "spirals", "universal-approximation"}
ALL_PRESETS = FAST_PRESETS + ["shapes-cnn", "story-qa"]  # `info` only
DATASETS = ["xor", "circles", "spirals", "sine", "digits", "adding", "copy", "story_qa", "mnist"]
OPTIMIZERS = ["sgd", "momentum", "adam", "rmsprop", "ng-exact", "kfac", "unitwise", "qd", "diag", "perceptron"]
FIRST_ORDER = ["sgd", "momentum", "adam", "rmsprop", "perceptron"]
LOSSES = ["mse", "bce", "cross_entropy"]

# values that are not a usable number of epochs/batch size (every one is refused by `train`'s argument
# parser before training starts, so even 2**64 costs nothing)
BAD_COUNTS = ["0", "-1", "-100", "1.5", "", "ten", "1e3", "nan", str(2**63), str(2**64), "0x10", " ", "+-1"]
HUGE_COUNTS = (str(2**63), str(2**64))
BAD_FLOATS = ["0", "-1", "nan", "inf", "-inf", "", "abc", "1e400", "-0"]
ODD_FLOATS = ["1e-300", "5e-324", "1e30", "1e308", "0.5", "3"]  # accepted; may diverge (a clear error)
BAD_SEEDS = ["-1", "1.5", "", "x", str(-(2**63))]
ODD_SEEDS = ["0", "1", str(2**32), str(2**63), str(2**64 + 1), str(2**200)]

TINY_SPEC = {
    "format": "neuralviz.network/1",
    "name": "tiny",
    "input_shape": [2],
    "layers": [
        {"id": "h", "type": "dense", "units": 3},
        {"id": "a", "type": "tanh"},
        {"id": "out", "type": "dense", "units": 1},
    ],
}


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _coin(rng: np.random.Generator, p: float = 0.5) -> bool:
    return bool(rng.random() < p)


class _Files:
    """The case's temporary folder and the odd files in it (created on demand)."""

    def __init__(self, root: Path, rng: np.random.Generator):
        self.root, self.rng = root, rng
        self.count = 0

    def path(self, suffix: str = ".json") -> Path:
        self.count += 1
        return self.root / f"f{self.count}{suffix}"

    def write(self, text: str | bytes, suffix: str = ".json") -> str:
        p = self.path(suffix)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text, encoding="utf-8")
        return str(p)

    def directory(self) -> str:
        p = self.root / f"dir{self.count}"
        self.count += 1
        p.mkdir()
        (p / "inside.json").write_text(json.dumps(TINY_SPEC))
        return str(p)

    def missing(self) -> str:
        return _pick(
            self.rng, [str(self.path()), str(self.root / "no" / "such" / "dir" / "x.json"), "/nonexistent.json"]
        )

    # --------------------------------------------------------------- spec and preset files
    def odd_spec(self) -> dict:
        rng = self.rng
        spec = json.loads(json.dumps(TINY_SPEC))
        kind = int(rng.integers(14))
        if kind == 0:
            spec["layers"][0]["units"] = _pick(
                rng, [0, -1, 2**40, 2**62, 2**63, 2**64, 10**30, 2.5, "8", None, True, [4]]
            )
        elif kind == 1:
            spec["input_shape"] = _pick(rng, [[], [0], [-2], [2**40], [2**31, 2**31], "2", None, [2.0], [True]])
        elif kind == 2:
            spec["layers"] = _pick(rng, [[], {}, None, "dense", [None], [[]]])
        elif kind == 3:
            spec["layers"][1]["type"] = _pick(rng, ["nope", "", None, ["tanh"], {"t": 1}, 3])
        elif kind == 4:
            spec["output"] = _pick(rng, ["nope", "", ["out"], {"id": "out"}, 7, "input"])
        elif kind == 5:
            spec["layers"][2]["inputs"] = _pick(rng, [["out"], ["nope"], [], "", [3], ["h", "h"], "input"])
        elif kind == 6:
            spec["format"] = _pick(rng, ["neuralviz.network/2", "", None, 1])
        elif kind == 7:
            spec["layers"][0]["bias"] = _pick(rng, ["no", 0, None, [], "false"])
        elif kind == 8:
            spec["extra_key"] = 1
        elif kind == 9:  # image layers with odd sizes (all caught at build time, before any kernel runs)
            spec = {
                "input_shape": [1, 8, 8],
                "layers": [
                    {
                        "id": "c",
                        "type": _pick(rng, ["conv2d", "maxpool2d", "avgpool2d"]),
                        "channels": _pick(rng, [1, 0, -1, 2**40]),
                        "kernel_size": _pick(rng, [3, 0, -1, 9, 2**40, [3], [3, 3, 3], "3"]),
                        "stride": _pick(rng, [1, 0, -2, 2**40]),
                        "padding": _pick(rng, [0, -1, 2**40]),
                        "dilation": _pick(rng, [1, 0, -1, 2**40]),
                    },
                    {"id": "f", "type": "flatten"},
                    {"id": "out", "type": "dense", "units": 1},
                ],
            }
        elif kind == 10:
            spec["layers"].append({"id": "r", "type": _pick(rng, ["lstm", "gru", "rnn"]), "hidden": 0})
        elif kind == 11:
            spec["layers"][1] = {"id": "d", "type": "dropout", "p": _pick(rng, [-0.5, 1.0, 1.5, "half", None])}
        elif kind == 12:
            spec["layers"][0]["id"] = _pick(rng, ["", "input", None, 5, "a"])
        else:
            spec["layers"].insert(0, {"id": "e", "type": "embedding", "vocab": _pick(rng, [0, -1, 2**40]), "dim": 2})
        return spec

    def odd_preset(self) -> dict:
        rng = self.rng
        preset = {
            "format": "neuralviz.preset/1",
            "name": "fuzz",
            "network": TINY_SPEC,
            "dataset": {"name": "xor", "options": {"n": 40}},
            "training": {"loss": "bce", "optimizer": "sgd", "lr": 0.1, "batch_size": 8, "epochs": 1},
        }
        kind = int(rng.integers(12))
        if kind == 0:
            del preset["network"]
        elif kind == 1:
            preset["network"] = _pick(rng, [None, "xor", [], 3, {}])
        elif kind == 2:
            preset["training"] = _pick(rng, ["fast", [], None, 1])
        elif kind == 3:
            preset["dataset"] = _pick(rng, ["xor", [], None, {"name": None}, {"name": "nope"}, {"name": 3}])
        elif kind == 4:
            preset["training"]["epochs"] = _pick(rng, [0, -1, 2.5, "ten", True, None, [1]])
        elif kind == 5:
            preset["training"]["batch_size"] = _pick(rng, [0, -1, 2.5, "ten", False, 2**63, 10**9])
        elif kind == 6:
            preset["training"]["lr"] = _pick(rng, [0, -1, "fast", None, True, 1e400, [0.1]])
        elif kind == 7:
            preset["training"]["optimizer"] = _pick(rng, ["nope", "", None, 3, ["sgd"]])
        elif kind == 8:
            preset["training"]["loss"] = _pick(rng, ["nope", "", 3, "mse", "cross_entropy"])
        elif kind == 9:
            preset["dataset"]["options"] = _pick(
                rng,
                [
                    {"n": 0},
                    {"n": -5},
                    {"n": 2**70},
                    {"noise": "x"},
                    {"bogus": 1},
                    [],
                    "n",
                    {"n": 4, "test_fraction": 0.0},  # the smallest data set, no test set: trains
                    {"n": 5, "test_fraction": 0.9},  # one training example: trains
                    {"noise": 0.5},
                ],
            )
        elif kind == 10:
            preset["network"] = self.odd_spec()
        else:
            preset["format"] = _pick(rng, ["neuralviz.preset/2", None, ""])
        return preset

    def spec_file(self) -> str:
        """A path to something that is not a good spec: corrupt, deep, odd, empty, binary, a directory..."""
        rng = self.rng
        kind = int(rng.integers(12))
        if kind == 0:
            return self.directory()
        if kind == 1:
            return self.missing()
        if kind == 2:
            depth = _pick(rng, [50, 900, 5000, 200_000])
            opener, closer = _pick(rng, [("[", "]"), ('{"a":', "}")])
            return self.write(opener * depth + "1" + closer * depth)
        if kind == 3:
            good = json.dumps(TINY_SPEC)
            return self.write(good[: int(rng.integers(len(good)))])  # truncated
        if kind == 4:
            return self.write(rng.integers(0, 256, int(rng.integers(1, 200)), dtype=np.uint8).tobytes())
        if kind == 5:
            return self.write(_pick(rng, ["", " ", "null", "[]", "3", '"xor"', "[1, 2]", "{}", "NaN"]))
        if kind == 6:
            return self.write(json.dumps(self.odd_spec()))
        if kind == 7:
            return self.write(json.dumps(self.odd_preset()))
        if kind == 8:
            return self.write("\ufeff" + json.dumps(TINY_SPEC))  # UTF-8 BOM
        if kind == 9:
            return self.write(json.dumps(TINY_SPEC), suffix=_pick(rng, ["", ".txt", ".JSON", ".nvz"]))
        if kind == 10:
            return self.write(json.dumps(TINY_SPEC).encode("utf-16"))
        return self.write(json.dumps(TINY_SPEC))  # a good spec (needs --dataset)

    def save_target(self) -> str:
        rng = self.rng
        kind = int(rng.integers(9))
        if kind == 0:
            return self.directory()
        if kind == 1:
            return ""
        if kind == 2:
            return str(self.root / "missing-dir" / "model.nvz")
        if kind == 3:
            return str(self.root / ("x" * 300))  # name too long
        if kind == 4:
            return str(self.root) + os.sep
        if kind == 5:
            return str(Path(self.write("not a model", suffix=".txt")) / "model.nvz")  # parent is a file
        if kind == 6:
            return " "
        return str(self.path(".nvz"))  # a good target


def _train_argv(rng: np.random.Generator, files: _Files) -> list[str]:
    spec_kind = int(rng.integers(5))
    if spec_kind == 0:
        spec = _pick(rng, FAST_PRESETS)
    elif spec_kind == 1:
        spec = _pick(rng, ["nope", "", " ", "XOR", "xor.json", "../xor", "-", "xor\n"])
    else:
        spec = files.spec_file()
    argv = ["train", spec]
    about = _pick(rng, ["epochs", "batch", "lr", "seed", "dataset", "optimizer", "loss", "save", "none", "flags"])
    # every case that could train gets --epochs 1; the epochs case uses values refused up front
    if about == "epochs":
        argv += ["--epochs", _pick(rng, BAD_COUNTS)]
        if _coin(rng):  # a huge run that must never start: the bad --save is checked first
            argv[-1] = str(10**12)
            argv += ["--save", _pick(rng, [files.directory(), "", str(files.root / "nope" / "m.nvz")])]
    else:
        argv += ["--epochs", "1"]
    if about == "batch":
        small = ["1", "3"] if spec in SMALL_BATCH_OK or spec_kind >= 2 else ["32"]
        argv += ["--batch-size", _pick(rng, BAD_COUNTS + small + [str(10**9)])]
    elif _coin(rng, 0.3):
        argv += ["--batch-size", _pick(rng, (["1", "7"] if spec in SMALL_BATCH_OK else []) + ["32", "64", "100000"])]
    if about == "lr":
        argv += ["--lr", _pick(rng, BAD_FLOATS + ODD_FLOATS)]
    if about == "seed":
        argv += ["--seed", _pick(rng, BAD_SEEDS + ODD_SEEDS)]
    if about == "dataset" or (spec_kind >= 2 and _coin(rng, 0.6)):
        argv += ["--dataset", _pick(rng, DATASETS + ["", "nope", "XOR", "xor "])]
    if about == "optimizer":  # second-order methods only on small networks (seconds per epoch on the CNNs)
        names = OPTIMIZERS if spec_kind != 0 or spec in SMALL_BATCH_OK else FIRST_ORDER
        argv += ["--optimizer", _pick(rng, names + ["", "nope", "SGD"])]
    if about == "loss":
        argv += ["--loss", _pick(rng, LOSSES + ["", "nope"])]
    if about == "save":
        # sometimes the spec file itself: saving a model over the spec being trained is refused
        argv += ["--save", spec if spec_kind >= 2 and _coin(rng, 0.2) else files.save_target()]
    if about == "flags":
        argv += _pick(rng, [["--bogus"], ["--epochs"], ["--lr"], ["--save"], ["--", "-x"], ["extra"], ["-h"]])
    if _coin(rng, 0.7):
        argv.append("--quiet")
    return argv


def _compare_argv(rng: np.random.Generator, files: _Files) -> list[str]:
    kind = int(rng.integers(4))
    if kind == 0:
        preset = _pick(rng, ["xor", "natural-gradient", "spirals", "perceptron"])
    elif kind == 1:
        preset = _pick(rng, ["nope", "", "x.json"])
    else:
        preset = files.spec_file() if _coin(rng) else files.write(json.dumps(files.odd_preset()))
    argv = ["compare", preset]
    about = _pick(rng, ["steps", "target", "batch", "optimizers", "set", "seed", "reparam", "flags", "none"])
    if about == "steps":  # not 2**63 and up: compare accepts them and trains "forever" (left to compare.py)
        argv += ["--steps", _pick(rng, [c for c in BAD_COUNTS if c not in HUGE_COUNTS])]
    else:
        argv += ["--steps", _pick(rng, ["1", "2", "3"])]
    if about == "target":
        argv += ["--target", _pick(rng, BAD_FLOATS + ODD_FLOATS)]
    if about == "batch":
        argv += ["--batch-size", _pick(rng, BAD_COUNTS + ["1", "5", str(10**9)])]
    if about == "optimizers" or _coin(rng, 0.3):
        argv += ["--optimizers", _pick(rng, ["sgd", "sgd,adam", "", ",", "nope", "sgd,sgd", "kfac,qd", " sgd"])]
    if about == "set":
        argv += ["--set", _pick(rng, ["sgd.lr=0", "sgd.lr=-1", "sgd.lr=nan", "=", "sgd", "sgd.=1", "sgd.lr=", "x.y=1"])]
    if about == "seed":
        argv += ["--seed", _pick(rng, BAD_SEEDS + ODD_SEEDS)]
    if about == "reparam":
        argv += ["--reparametrize", _pick(rng, ["per-feature", "affine", "nope", ""])]
    if about == "flags":
        argv += _pick(rng, [["--bogus"], ["--steps"], ["-h"], ["--help"], ["--no-transform"]])
    return argv


def _other_argv(rng: np.random.Generator, files: _Files) -> list[str]:
    kind = int(rng.integers(9))
    if kind == 0:
        return ["info", _pick(rng, ALL_PRESETS) if _coin(rng, 0.3) else files.spec_file()]
    if kind == 1:
        return ["info", _pick(rng, ["", "nope", "-h"])] + (["extra"] if _coin(rng) else [])
    if kind == 2:
        return ["presets"] + _pick(rng, [[], ["-h"], ["--bogus"], ["extra"]])
    if kind == 3:
        return ["backends"] + _pick(rng, [[], ["-v"], ["-h"], ["--bogus"]])
    if kind == 4:  # bench: only ways that fail (or print help) before timing anything
        return ["bench"] + _pick(
            rng,
            [
                [],
                ["-h"],
                ["nope"],
                ["kernels", "--bogus"],
                ["kernels", "--json", files.directory()],
                ["training", "--json", ""],
                ["natural", "--json", str(files.root / "no" / "r.json")],
                ["all", "--quick", "--json", str(files.root) + os.sep],
            ],
        )
    if kind == 5:  # gui: help and argument errors only (no window)
        return ["gui"] + _pick(rng, [["-h"], ["--train-steps", "x"], ["--bogus"], ["--train-steps"]])
    if kind == 6:
        return _pick(rng, [[], ["-h"], ["--version"], ["nope"], ["--bogus"], [""], ["-"]])
    if kind == 7:
        return [_pick(rng, ["train", "info", "compare"])]  # missing positional
    return ["compare"] + _pick(rng, [["-h"], ["--help"], [], ["--steps", "1"]])


def build_argv(seed: int, root: Path) -> list[str]:
    """The argument list of case `seed`, with its files written under `root`."""
    rng = np.random.default_rng(seed)
    files = _Files(root, rng)
    roll = rng.random()
    if roll < 0.55:
        return _train_argv(rng, files)
    if roll < 0.7:
        return _compare_argv(rng, files)
    return _other_argv(rng, files)


def _save_target(argv: list[str]) -> str | None:
    if "--save" in argv:
        i = argv.index("--save")
        return argv[i + 1] if i + 1 < len(argv) else None
    return None


def _check_outcome(argv: list[str], status: int, err: str, root: Path, dirs_before: set[str]) -> None:
    """The CLI's contract for one finished invocation; AssertionError (an unclear outcome) if broken."""
    if "Traceback (most recent call last)" in err:
        raise AssertionError(f"traceback printed for {argv!r}:\n{err[-2000:]}")
    if status not in (0, 2):
        raise AssertionError(f"exit status {status} for {argv!r}; stderr: {err[-500:]}")
    if status == 2:
        last = [line for line in err.splitlines() if line.strip()][-1:] or [""]
        if "error:" not in last[0]:
            raise AssertionError(f"status 2 without an 'error:' line for {argv!r}; stderr: {err[-500:]}")
    leftovers = sorted(str(p.relative_to(root)) for p in root.rglob("*.tmp"))
    if leftovers:
        raise AssertionError(f"temporary files left behind by {argv!r}: {leftovers}")
    for d in dirs_before:  # a directory given as an output path is never replaced or emptied
        if not Path(d).is_dir():
            raise AssertionError(f"{argv!r} replaced the directory {d}")
    target = _save_target(argv)
    if status == 0 and argv[:1] == ["train"] and target and "-h" not in argv and not Path(target).is_file():
        raise AssertionError(f"{argv!r} succeeded but wrote no model to {target!r}")


def run_case(seed: int) -> None:
    """Runs fuzz case `seed` in this process (see the module docstring for the outcomes)."""
    from neuralviz.cli import main

    root = Path(tempfile.mkdtemp(prefix="neuralviz-fuzz-cli-"))
    try:
        argv = build_argv(seed, root)
        dirs_before = {str(p) for p in root.iterdir() if p.is_dir()}
        out, err = io.StringIO(), io.StringIO()
        status = None
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = main(argv)
        except SystemExit as exc:
            code = exc.code
            status = code if isinstance(code, int) else (0 if code is None else 1)
        _check_outcome(argv, status, err.getvalue(), root, dirs_before)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def describe_case(seed: int) -> list[str]:
    """The argv of case `seed` (its file paths point into a folder that no longer exists)."""
    root = Path(tempfile.mkdtemp(prefix="neuralviz-fuzz-cli-"))
    try:
        return build_argv(seed, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    import sys

    for s in map(int, sys.argv[1:]):
        print(s, describe_case(s))
        run_case(s)
