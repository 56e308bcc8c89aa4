"""python -m neuralviz.fuzz [--minutes M | --cases N] [--domains a,b] [--seed S] [--timeout SEC]"""

from __future__ import annotations

import argparse
import secrets
import sys

from . import DOMAINS, runner


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m neuralviz.fuzz",
        description="Throw random bad input at the engine; each case runs in a worker process, so "
        "crashes and hangs are observed, not fatal. Exit status 1 if any case crashed or hung.",
    )
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, help="run for this long (default: 1 minute)")
    budget.add_argument("--cases", type=int, help="run this many cases per domain")
    p.add_argument("--domains", default=",".join(DOMAINS), help="comma-separated (default: %(default)s)")
    p.add_argument("--seed", type=int, help="seed of the first case of each domain (default: random)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per case before it is a hang")
    p.add_argument("--replay", metavar="DOMAIN:SEED", help="run one case here, with its full traceback")
    p.add_argument("--worker", metavar="DOMAINS", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.worker is not None:
        runner.worker(args.worker.split(","))
        return 0
    if args.replay:
        domain, _, seed = args.replay.rpartition(":")
        if not domain or not seed.lstrip("-").isdigit():
            p.error(f"--replay wants DOMAIN:SEED, got {args.replay!r}")
        return runner.replay(domain, int(seed))
    if args.cases is not None and args.cases < 0 or args.minutes is not None and args.minutes < 0:
        p.error("--cases and --minutes must be >= 0")
    if args.timeout <= 0:
        p.error("--timeout must be > 0")
    domains = [d.strip() for d in args.domains.split(",") if d.strip()]
    seed = secrets.randbelow(2**31) if args.seed is None else args.seed
    minutes = 1.0 if args.minutes is None and args.cases is None else args.minutes
    budget_text = f"{args.cases} cases per domain" if args.cases is not None else f"{minutes:g} minutes"
    print(f"fuzzing {', '.join(domains)} for {budget_text}, seed {seed}, timeout {args.timeout:g} s", flush=True)
    report = runner.run(
        domains, cases=args.cases, minutes=minutes, seed=seed, timeout=args.timeout, log=lambda t: print(t, flush=True)
    )
    print(runner.summary(report))
    return 1 if report.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
