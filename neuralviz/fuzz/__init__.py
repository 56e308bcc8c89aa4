"""Bad-input fuzzing of the engine (issue 14): `python -m neuralviz.fuzz --help`.

Each domain is a module `neuralviz.fuzz.<domain>` with one function::

    def run_case(seed: int) -> None

that performs one random bad-input case derived from `numpy.random.default_rng(seed)` and
returns normally or raises. The runner (runner.py) runs the cases in a worker subprocess,
so that a crash or a hang is observed rather than fatal, and classifies each case:

  ok        returned normally
  clear     raised a clear error: ValueError, TypeError, OSError, SystemExit(0 or 2) or an
            exception class of neuralviz's own
  unclear   raised anything else (IndexError, KeyError, RecursionError, AssertionError from
            the case's own checks, ...)
  crash     the worker died (a signal, an abort, os._exit)
  hang      the case ran past the per-case timeout

A case is replayed with `python -m neuralviz.fuzz --replay DOMAIN:SEED`. The fast part of
the fuzzing runs in the test suite (tests/test_fuzz_*.py); this package is the longer run.
"""

from __future__ import annotations

DOMAINS = ("kernels", "files", "specs", "training", "cli")
