"""The text a user sees in the window when something in a worker thread fails."""

from __future__ import annotations

import traceback

import numpy as np

# errors whose own message says everything (bad input, divergence, a singular metric)
PLAIN = (ValueError, TypeError, FileNotFoundError, FloatingPointError, KeyError, np.linalg.LinAlgError)


def describe_error(err: BaseException, with_trace: bool = True) -> str:
    """The error's own text, with its type (and the last frames, with_trace) when it is not one
    of the PLAIN kinds: an unexpected failure should say where it came from."""
    text = str(err) or repr(err)
    if isinstance(err, PLAIN):
        return text
    if not with_trace:
        return f"{type(err).__name__}: {text}"
    return f"{type(err).__name__}: {text}\n{traceback.format_exc(limit=3)}"
