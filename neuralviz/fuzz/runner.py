"""Runs fuzz cases in a worker subprocess and classifies each one (see __init__.py).

The worker is long-lived: it imports the domain modules once, then reads "DOMAIN SEED" lines
on stdin and answers each with one JSON line. The parent waits for that line with a per-case
timeout; a worker that dies (crash) or does not answer in time (hang, then killed with its
whole process group) is replaced by a fresh one for the next case. The worker's stdout and
stderr go to a log file that is emptied before each case, so after a crash it holds what the
case printed last: the C library's message ("double free or corruption") and, with
PYTHONFAULTHANDLER set, the Python stack of the crash.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field

OUTCOMES = ("ok", "clear", "unclear", "crash", "hang")
STARTUP_TIMEOUT = 120.0  # importing numpy, the extension and the domains


def module_name(domain: str) -> str:
    """The module of a domain: neuralviz.fuzz.<domain>, or a dotted module path as given."""
    return domain if "." in domain else f"neuralviz.fuzz.{domain}"


def classify(exc: BaseException | None) -> str:
    """'ok', 'clear' or 'unclear' for a case that returned (None) or raised exc."""
    if exc is None:
        return "ok"
    if isinstance(exc, SystemExit):
        return "clear" if exc.code in (None, 0, 2) else "unclear"
    if isinstance(exc, (ValueError, TypeError, OSError)):
        return "clear"
    module = type(exc).__module__
    own = module == "neuralviz" or (module.startswith("neuralviz.") and not module.startswith("neuralviz.fuzz"))
    return "clear" if own else "unclear"


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}"


def where(exc: BaseException) -> str:
    """The last three frames of exc's traceback, innermost first: 'file.py:12 in f < ...'."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    return " < ".join(f"{os.path.basename(f.filename)}:{f.lineno} in {f.name}" for f in reversed(frames))


# ------------------------------------------------------------------ the worker (child side)
def worker(domains: list[str]) -> None:
    """Serves cases until stdin closes: one JSON line per 'DOMAIN SEED' line."""
    results = os.fdopen(os.dup(1), "w", buffering=1)
    commands = os.fdopen(os.dup(0), "r")
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # a case that reads stdin must not eat seeds
    os.dup2(2, 1)  # and what it prints goes to the log, not into the results
    modules, skipped = {}, {}
    for d in domains:
        try:
            modules[d] = importlib.import_module(module_name(d)).run_case
        except ModuleNotFoundError as e:
            skipped[d] = "not written yet" if e.name == module_name(d) else f"import failed: {describe(e)}"
        except Exception as e:  # noqa: BLE001 - a broken domain is reported, not fatal
            skipped[d] = f"import failed: {describe(e)}"
    results.write(json.dumps({"skipped": skipped}) + "\n")
    for line in commands:
        domain, seed = line.split()
        start = time.perf_counter()
        exc = None
        try:
            modules[domain](int(seed))
        except BaseException as e:  # noqa: BLE001 - classifying every outcome is the point
            exc = e
        outcome = classify(exc)
        reply = {"outcome": outcome, "seconds": time.perf_counter() - start}
        if exc is not None:
            reply["detail"] = describe(exc) + (f"  [{where(exc)}]" if outcome == "unclear" else "")
        results.write(json.dumps(reply) + "\n")


# ------------------------------------------------------------------ the parent side
class WorkerGone(Exception):
    pass


class Worker:
    """One worker subprocess; run() returns its reply, None on timeout, or raises WorkerGone."""

    def __init__(self, domains: list[str]):
        self.log = tempfile.TemporaryFile()
        env = dict(os.environ, PYTHONFAULTHANDLER="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "neuralviz.fuzz", "--worker", ",".join(domains)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
            start_new_session=True,  # a hang is killed with everything it started
        )
        self.pending = b""
        ready = self._read(STARTUP_TIMEOUT)
        if ready is None:
            self.close()
            raise WorkerGone(f"the worker did not start within {STARTUP_TIMEOUT:g} s")
        self.skipped: dict[str, str] = ready["skipped"]

    def run(self, domain: str, seed: int, timeout: float) -> dict | None:
        os.ftruncate(self.log.fileno(), 0)  # the file offset is shared with the child
        os.lseek(self.log.fileno(), 0, os.SEEK_SET)
        try:
            self.proc.stdin.write(f"{domain} {seed}\n".encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise WorkerGone(self._death()) from None
        return self._read(timeout)

    def _read(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise WorkerGone(self._death())
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return json.loads(line)

    def _death(self) -> str:
        code = self.proc.wait()
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"
        lines = [ln.strip() for ln in os.pread(self.log.fileno(), 1 << 16, 0).decode(errors="replace").splitlines()]
        lines = [ln for ln in lines if ln and not ln.startswith(("Extension modules:", "Current thread"))]
        return " | ".join([how, *lines[:6]])

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stdin.close()
        self.log.close()


@dataclass
class Report:
    """Counts per domain and outcome, and the seeds of every crash, hang and unclear case."""

    counts: dict = field(default_factory=lambda: defaultdict(lambda: dict.fromkeys(OUTCOMES, 0)))
    findings: list = field(default_factory=list)  # (domain, seed, outcome, detail)
    skipped: dict = field(default_factory=dict)

    def add(self, domain: str, seed: int, outcome: str, detail: str = "") -> None:
        self.counts[domain][outcome] += 1
        if outcome in ("unclear", "crash", "hang"):
            self.findings.append((domain, seed, outcome, detail))

    def failed(self) -> bool:
        return any(c["crash"] or c["hang"] for c in self.counts.values())


def run(
    domains: list[str],
    *,
    cases: int | None = None,
    minutes: float | None = None,
    seed: int = 0,
    timeout: float = 10.0,
    log=print,
) -> Report:
    """Runs cases round-robin over the domains: `cases` per domain, or until `minutes` pass.

    Case i of a domain gets seed + i. log(text) receives each finding as it happens.
    """
    deadline = None if minutes is None else time.monotonic() + 60 * minutes
    report, active, worker = Report(), list(domains), None
    next_index = dict.fromkeys(domains, 0)
    try:
        while active:
            for domain in list(active):
                if domain not in active:  # skipped by a worker started in this round
                    continue
                if (cases is not None and next_index[domain] >= cases) or (
                    deadline is not None and time.monotonic() >= deadline
                ):
                    active.remove(domain)
                    continue
                if worker is None:
                    worker = Worker(domains)
                    for name, why in worker.skipped.items():
                        if name in active:
                            report.skipped[name] = why
                            active.remove(name)
                    if domain not in active:
                        continue
                case_seed = seed + next_index[domain]
                next_index[domain] += 1
                try:
                    reply = worker.run(domain, case_seed, timeout)
                except WorkerGone as gone:
                    worker.close()
                    worker, outcome, detail = None, "crash", str(gone)
                else:
                    if reply is None:
                        worker.close()
                        worker, outcome, detail = None, "hang", f"no answer within {timeout:g} s"
                    else:
                        outcome, detail = reply["outcome"], reply.get("detail", "")
                report.add(domain, case_seed, outcome, detail)
                if outcome in ("crash", "hang", "unclear"):
                    log(f"[{outcome}] {domain}:{case_seed}  {detail}")
    finally:
        if worker is not None:
            worker.close()
    return report


def summary(report: Report) -> str:
    """The table of counts per domain, then the crash/hang/unclear cases grouped by message."""
    head = ("domain", "cases", "ok", "clear", "unclear", "crash", "hang")
    rows = [head]
    for domain, c in report.counts.items():
        rows.append((domain, sum(c.values()), *(c[o] for o in OUTCOMES)))
    lines = ["  ".join(f"{v!s:>9}" if i else f"{v!s:<10}" for i, v in enumerate(row)) for row in rows]
    for domain, why in report.skipped.items():
        lines.append(f"{domain:<10}  skipped: {why}")
    groups = defaultdict(list)
    for domain, seed, outcome, detail in report.findings:
        groups[(outcome, domain, detail.split(" | ")[0][:200])].append(seed)
    for (outcome, domain, detail), seeds in groups.items():
        shown = ", ".join(f"{domain}:{s}" for s in seeds[:5]) + (" ..." if len(seeds) > 5 else "")
        lines.append(f"{outcome} x{len(seeds)}: {detail}\n    replay: {shown}")
    return "\n".join(lines)


def replay(domain: str, seed: int) -> int:
    """Runs one case in this process, with the full traceback; 0 if ok or a clear error."""
    import faulthandler

    faulthandler.enable()
    run_case = importlib.import_module(module_name(domain)).run_case
    try:
        run_case(seed)
    except BaseException as exc:  # noqa: BLE001
        traceback.print_exc()
        outcome = classify(exc)
    else:
        outcome = "ok"
    print(f"{domain}:{seed}: {outcome}")
    return 0 if outcome in ("ok", "clear") else 1
