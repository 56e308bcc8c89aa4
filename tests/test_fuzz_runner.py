"""The fuzz runner (neuralviz/fuzz/runner.py) classifies what a domain's cases do."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from neuralviz.fuzz import runner

FAKE_DOMAIN = """
import os, sys, time

def run_case(seed):
    kind = seed % 7
    if kind == 0:  # printing and reading stdin must not disturb the worker's protocol
        print("hello", flush=True)
        os.write(1, b"raw bytes on fd 1\\n")
        sys.stdin.read()
        return
    if kind == 1:
        raise ValueError("a clear error")
    if kind == 2:
        raise KeyError("missing")
    if kind == 3:
        print("about to abort", file=sys.stderr, flush=True)
        os.abort()
    if kind == 4:
        time.sleep(60)
    if kind == 5:
        raise SystemExit(2)
    raise SystemExit(3)
"""


@pytest.fixture
def fake_domain(tmp_path, monkeypatch):
    (tmp_path / "fakefuzz").mkdir()
    (tmp_path / "fakefuzz" / "__init__.py").write_text("")
    (tmp_path / "fakefuzz" / "cases.py").write_text(FAKE_DOMAIN)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    return "fakefuzz.cases"


def test_outcomes_are_classified(fake_domain):
    found = []
    report = runner.run([fake_domain, "nosuchdomain"], cases=7, seed=0, timeout=2.0, log=found.append)
    counts = report.counts[fake_domain]
    assert counts == {"ok": 1, "clear": 2, "unclear": 2, "crash": 1, "hang": 1}
    assert report.skipped == {"nosuchdomain": "not written yet"}
    outcomes = {seed: (outcome, detail) for _, seed, outcome, detail in report.findings}
    assert outcomes[2][0] == "unclear" and "KeyError" in outcomes[2][1] and "cases.py" in outcomes[2][1]
    assert outcomes[3][0] == "crash" and "SIGABRT" in outcomes[3][1] and "about to abort" in outcomes[3][1]
    assert outcomes[4][0] == "hang"
    assert outcomes[6][0] == "unclear" and "SystemExit" in outcomes[6][1]
    assert len(found) == 4 and report.failed()
    text = runner.summary(report)
    assert f"{fake_domain}:3" in text and f"{fake_domain}:4" in text and "nosuchdomain" in text


def test_classify():
    own = type("SpecError", (Exception,), {"__module__": "neuralviz.spec"})
    fuzz_own = type("Broken", (Exception,), {"__module__": "neuralviz.fuzz.kernels"})
    assert runner.classify(None) == "ok"
    for exc in [ValueError(), TypeError(), OSError(), FileNotFoundError(), SystemExit(0), SystemExit(2), own()]:
        assert runner.classify(exc) == "clear", exc
    for exc in [KeyError(), IndexError(), RecursionError(), AssertionError(), SystemExit(1), MemoryError(), fuzz_own()]:
        assert runner.classify(exc) == "unclear", exc


def test_command_line_exit_status_and_replay(fake_domain):
    def fuzz(*args):
        cmd = [sys.executable, "-m", "neuralviz.fuzz", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)

    clean = fuzz("--domains", fake_domain, "--cases", "1", "--seed", "14")  # seeds 14: ok
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "cases" in clean.stdout and fake_domain in clean.stdout
    crash = fuzz("--domains", fake_domain, "--cases", "1", "--seed", "3")
    assert crash.returncode == 1 and f"replay: {fake_domain}:3" in crash.stdout
    replay = fuzz("--replay", f"{fake_domain}:2")
    assert replay.returncode == 1 and "KeyError" in replay.stderr and "unclear" in replay.stdout
    assert fuzz("--replay", "nonsense").returncode == 2


def test_kernel_domain_runs_in_a_worker():
    report = runner.run(["kernels"], cases=30, seed=0, timeout=30.0, log=lambda text: None)
    counts = report.counts["kernels"]
    assert sum(counts.values()) == 30 and counts["crash"] == counts["hang"] == counts["unclear"] == 0, report.findings


def test_module_docstring_documents_the_interface():
    import neuralviz.fuzz as fuzz

    assert "def run_case(seed: int) -> None" in textwrap.dedent(fuzz.__doc__)
    assert set(fuzz.DOMAINS) == {"kernels", "files", "specs", "training", "cli"}
