"""Proof that a call releases the GIL, by counting events rather than timing them.

A ticker thread counts in a loop that sleeps briefly between counts. The switch interval is raised far
above what one call takes, so the calling thread never loses the GIL to a forced switch: the counter
can move while `call()` runs only if the call itself lets go of the GIL. The calls are repeated until
the ticker has moved `want` times inside them; a call that holds the GIL never gets there, however
slow or loaded the machine, and one that releases it gets there on the first call or a few more.
"""

from __future__ import annotations

import sys
import threading
import time

SWITCH_INTERVAL_S = 10.0  # far longer than any one call here, even on a loaded machine


def ticks_inside(call, want: int = 3, max_calls: int = 50) -> tuple[int, int]:
    """Runs call() until another Python thread has ticked `want` times while it ran, or max_calls calls.

    Returns (ticks counted inside the calls, calls made).
    """
    count = 0
    done = threading.Event()

    def ticker():
        nonlocal count
        while not done.is_set():
            count += 1
            time.sleep(0.0001)  # releases the GIL: the caller gets it back between calls

    interval = sys.getswitchinterval()
    thread = threading.Thread(target=ticker, daemon=True)
    inside = calls = 0
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        thread.start()
        while inside < want and calls < max_calls:
            time.sleep(0.001)  # the ticker runs here, outside the call; not counted
            before = count
            call()
            inside += count - before
            calls += 1
    finally:
        done.set()
        sys.setswitchinterval(interval)
        thread.join()
    return inside, calls
