"""What the race benchmarks (lecture_races.py, sequence_races.py) share: one race run to its preset's budget, timed,
with each run's numbers; the machine line every report starts with; how a claim reads and sets the exit status."""

from __future__ import annotations

import os
import platform
import time
from operator import attrgetter

from neuralviz.race import Race


def race_row(preset: str | dict, seed: int, fields: tuple[str, ...]) -> dict:
    """One race of `preset` (name or dict) trained for its budget (every run, lockstep), evaluated and timed
    (building the race is not counted): {"seed", "steps", "seconds", "runs"}, where "runs" maps each label to the
    run's `fields` (attribute paths such as "trainer.path", keyed by their last name) and why it diverged (None if
    it did not, so that JSON can hold it)."""
    race = Race(preset, seed=seed)
    start = time.perf_counter()
    race.advance(race.budget)
    race.evaluate()
    seconds = time.perf_counter() - start
    runs = {
        label: {f.rsplit(".", 1)[-1]: attrgetter(f)(run) for f in fields}
        | {"diverged": None if run.diverged is None else str(run.diverged)}
        for label, run in race.runs.items()
    }
    return {"seed": seed, "steps": race.step, "seconds": seconds, "runs": runs}


def machine() -> str:
    """The processor, CPU count and load: timings from a loaded or another machine are not comparable."""
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"


def verdict(ok: bool) -> str:
    """How a claim line ends."""
    return "OK" if ok else "NOT MET"


def exit_status(results: list[dict]) -> int:
    """0 when every result's claim (if it has one) is met, else 1."""
    return 0 if all(not r["claim"] or r["claim"].endswith(verdict(True)) for r in results) else 1
