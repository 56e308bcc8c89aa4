"""Every benchmark row checks its result against a reference before it is timed (issue 15).

check_close is the llm.c-style comparison (|ours - ref| <= atol + rtol*|ref|); a failed
check stops `python -m neuralviz.bench` with exit status 1 and a message naming the row.
The suite runs here leave this process's thread settings alone and use numpy peers only
(torch hidden), so they take about a second.
"""

import importlib
import sys

import numpy as np
import pytest

import neuralviz as nv
from neuralviz.bench import SUITES
from neuralviz.bench import __main__ as bench_main
from neuralviz.bench._harness import Case, CheckFailed, check_close, run_cases


def test_check_close_passes_within_the_tolerance():
    ref = np.array([1.0, -2.0, 0.0])
    check_close(
        "row", ref + [1e-4, -2e-4, 1e-6], ref, rtol=1e-4, atol=1e-6
    )  # errors at or just under atol + rtol*|ref|
    check_close("row", (0.5, [ref]), (0.5, [ref.astype(np.float32)]), rtol=0.0, atol=0.0)


def test_check_close_names_the_row_its_errors_and_the_tolerance():
    with pytest.raises(CheckFailed) as err:
        check_close("sgemm 2x1", np.array([1.0, 2.2]), np.array([1.0, 2.0]), rtol=1e-4, atol=1e-6)
    msg = str(err.value)
    assert msg.startswith("sgemm 2x1: result differs from the reference")
    for part in ("max abs error 0.2", "max rel error 0.1", "rtol=0.0001", "atol=1e-06", "worst at (1,)"):
        assert part in msg, (part, msg)


@pytest.mark.parametrize(
    "ours, ref",
    [
        (np.array([1.0, np.nan]), np.array([1.0, 2.0])),  # NaN never passes, whatever the tolerance
        (np.zeros(3), np.zeros(4)),
        ((1.0,), (1.0, 2.0)),
        ([1.0, (2.0, 3.0)], [1.0, (2.0, 3.5)]),  # nested: the message names the entry, "row[1][1]"
    ],
)
def test_check_close_fails_a_wrong_result(ours, ref):
    with pytest.raises(CheckFailed, match=r"^row"):
        check_close("row", ours, ref, rtol=0.1, atol=0.1)


def test_run_cases_checks_a_row_before_timing_it():
    calls = []

    def ours():
        calls.append(1)
        return 1.0

    case = Case("wrong row", ours, "numpy", lambda: 2.0, check=lambda: check_close("wrong row", ours(), 2.0, 0, 0))
    with pytest.raises(CheckFailed, match="wrong row"):
        run_cases([case], repeats=1)
    assert calls == [1]  # the check's own call: nothing was timed


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_every_row_of_every_suite_has_a_check(suite):
    for mod_name in SUITES[suite]:
        mod = importlib.import_module(f"neuralviz.bench.{mod_name}")
        for case in mod.cases(quick=True):
            assert callable(case.check), f"{suite}/{mod_name}: row {case.name!r} has no check"


@pytest.fixture
def bench(monkeypatch, capsys):
    """Runs `python -m neuralviz.bench ARGS` in-process; returns (exit status, stdout, stderr)."""
    monkeypatch.setattr(bench_main, "single_thread_peers", lambda: None)  # keep this process's threads
    monkeypatch.setitem(sys.modules, "torch", None)  # numpy peers and references only

    def run(*args):
        code = bench_main.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_a_quick_row_passes_its_check(bench):
    code, out, err = bench("kernels", "--quick", "--only", "sgemm 32x128")
    assert code == 0, err
    assert "sgemm 32x128 @ 128x512 (LSTM step)" in out and err == ""


def test_a_wrong_kernel_stops_the_suite_before_it_is_timed(bench, monkeypatch):
    right = nv.ops.matmul
    monkeypatch.setattr(nv.ops, "matmul", lambda a, b, **kw: right(a, b, **kw) * a.dtype.type(1.001))
    code, out, err = bench("kernels", "--quick", "--only", "sgemm")
    assert code == 1
    assert err.startswith("benchmark stopped: sgemm 512x512 @ 512x512: result differs from the reference"), err
    assert "max abs error" in err and "rtol=" in err
    assert not [line for line in out.splitlines() if line.startswith("sgemm")]  # no row was timed


def test_without_torch_the_numpy_reference_catches_a_wrong_gradient(bench, monkeypatch):
    right = nv.ops.lstm_backward_cached

    def wrong(*args, **kw):  # grad_w_hh 1% too large
        grads = list(right(*args, **kw))
        grads[4] = grads[4] * np.float32(1.01)
        return tuple(grads)

    monkeypatch.setattr(nv.ops, "lstm_backward_cached", wrong)
    code, _, err = bench("kernels", "--quick", "--only", "lstm fwd+bwd tiny")
    assert code == 1
    assert "lstm fwd+bwd tiny seq100 b1 i1 h32: grad_w_hh . v" in err, err


def test_a_suite_row_without_a_check_is_not_timed(bench, monkeypatch):
    from neuralviz.bench import matmul

    calls = []
    monkeypatch.setattr(matmul, "cases", lambda quick: [Case("unchecked row", lambda: calls.append(1), "numpy")])
    code, out, err = bench("kernels", "--quick", "--only", "unchecked")
    assert code == 1
    assert err.startswith("benchmark stopped: unchecked row: the row has no check"), err
    assert calls == [] and "unchecked row" not in out
