"""Wall time and peak memory of whole `honeycast build` runs, each beside its baseline in the same run.

    python benchmarks/build_speed.py                          # every case
    python benchmarks/build_speed.py --cases small demo       # some of them
    python benchmarks/build_speed.py --baseline /path/to/other/venv/bin/python
    python benchmarks/build_speed.py --repeat 5              # the fastest of five builds of each case

Each build is the command a user types (`python -m honeycast build LOG OUT`), timed from outside in a
fresh process with its peak memory (the frame workers and ffmpeg included), and with `-v`'s own
account of where the time went. With --baseline, every case is built by that interpreter too (a venv
holding another release of honeycast), the two taking turns build by build, so both figures come from the same
minutes.

Cases:
  small     the first three lines of the demo day: what every build and every night costs at least
  demo      the demo day: 144 ten-minute maps, MP4, site, history
  marginal  a log of one connection per line over 5,000 addresses, 1 M lines minus 10 k lines over the
            same two days in 1 h slices: what a line costs, the fixed cost left out
  month     30 days of three demo days each (2.6 M lines, about one a second), --slice auto
  nights    30 nightly --append builds over a month of two rotated logs: night 30 against night 1, each
            without its own reading and counting
  distinct  2 M lines of one connection each from 2 M distinct addresses, --slice 1h --no-frames: the memory
            a build needs per address (its peak RSS) and what the history of millions of attackers costs
The map cache is warm (a first build fills it) unless --cold, which gives each build an empty one. Each
build but the nights' is run --repeat times and the fastest counts: the machine varies by a fifth from run to
run, and a marginal rate is the difference of two builds.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from parse_speed import churn_log, make_log

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo-auth.log"
CACHE = Path(__file__).resolve().parent / ".cache"
DEMO_DAY = len(DEMO.read_text(encoding="utf-8").splitlines())
"""Lines in the demo day: make_log packs whole copies of it into each day."""
TIMED = (
    "import resource, subprocess, sys, time\n"
    "began = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "seconds = time.perf_counter() - began\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024\n"
    "print(seconds, peak, done.returncode)\n"
    "sys.stderr.write(done.stderr)\n"
)


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    stages: dict[str, float]
    """Seconds per stage, as ``build -v`` tells them (empty where a baseline does not)."""

    @property
    def beyond_counting(self) -> float:
        return self.seconds - self.stages.get("read", 0.0) - self.stages.get("count", 0.0)

    def text(self) -> str:
        where = " · ".join(f"{stage} {seconds:.2f}" for stage, seconds in self.stages.items())
        return f"{self.seconds:6.2f} s wall, peak RSS {self.peak_mb:4.0f} MB  ({where})"


def build(python: str, logs: list[Path], out: Path, *options: str, cache: Path) -> Run:
    """Run one build in a fresh process; return its wall seconds, peak RSS and stages (where -v tells them)."""
    command = [python, "-m", "honeycast", "build", *map(str, logs), str(out), "-v", *options]
    # Compiled modules kept, as an installed honeycast has them (pip compiles at install).
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "HONEYCAST_CACHE": str(cache)}
    # Run from OUT's folder, not this checkout: `-m honeycast` must find the interpreter's installed honeycast.
    result = subprocess.run(
        [sys.executable, "-c", TIMED, *command], capture_output=True, text=True, env=env, cwd=out.parent
    )
    seconds, peak, code = result.stdout.split()
    if code != "0":
        raise SystemExit(f"build failed ({code}): {' '.join(command)}\n{result.stderr}")
    found = re.search(r"^time: (.*)$", result.stderr, re.MULTILINE)
    stages = {}
    for part in found[1].split(" · ") if found else ():
        name, value, _ = part.split()
        stages[name] = float(value)
    return Run(float(seconds), int(peak) / 1e6, stages)


def nights(folder: Path, days: int = 30) -> list[list[Path]]:
    """Write a month of two hosts' demo-shaped logs cut as logrotate cuts them; return each night's inputs
    (auth.log.1 of the day before and the live auth.log of each host)."""
    month = make_log(DEMO_DAY * days, days)  # the demo day, every day
    stamped = []
    for line in month.read_text(encoding="utf-8").splitlines():
        stamped.append((datetime.strptime(f"2026 {line[:15]}", "%Y %b %d %H:%M:%S"), line))
    first = datetime(2026, 1, 1)
    inputs = []
    for night in range(1, days + 1):
        rotated, now = first + timedelta(days=night - 1, hours=6), first + timedelta(days=night, minutes=15)
        place = folder / f"night-{night:02}"
        place.mkdir(parents=True, exist_ok=True)
        found = []
        for host in ("web-1", "db-1"):
            for name, low, high in (("auth.log.1", rotated - timedelta(days=1), rotated), ("auth.log", rotated, now)):
                path = place / f"{host}-{name}"
                kept = (text.replace(" bastion ", f" {host} ", 1) for at, text in stamped if low <= at < high)
                path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
                found.append(path)
        inputs.append(found)
    return inputs


def measure(name: str, python: str, work: Path, cache: Path) -> list[Run]:
    """Build one case once; return its builds (the marginal case: the 10 k-line one, then the 1 M-line one; the
    nights: each night's)."""
    work.mkdir(parents=True, exist_ok=True)
    out = work / f"site-{name}"
    year = ("--year", "2026", "--tz", "UTC")
    if name == "small":
        log = work / "three.log"
        log.write_text("".join(DEMO.read_text(encoding="utf-8").splitlines(keepends=True)[:3]), encoding="utf-8")
        return [build(python, [log], out, *year, cache=cache)]
    if name == "demo":
        return [build(python, [DEMO], out, *year, cache=cache)]
    if name == "marginal":
        few = churn_log(CACHE / "churn-10k.log", 10_000)
        many = churn_log(CACHE / "churn-1m.log", 1_000_000)
        return [
            build(python, [few], out, *year, "--slice", "1h", cache=cache),
            build(python, [many], work / "site-1m", *year, "--slice", "1h", cache=cache),
        ]
    if name == "distinct":
        log = churn_log(CACHE / "churn-2000000-0.log", 2_000_000, addresses=0)
        return [build(python, [log], out, *year, "--slice", "1h", "--no-frames", cache=cache)]
    if name == "month":
        month = make_log(DEMO_DAY * 3 * 30, 30)  # about a line a second
        return [build(python, [month], out, *year, cache=cache)]
    if name == "nights":
        return [
            build(python, inputs, out, *year, "--append", "--no-frames", cache=cache)
            for inputs in nights(CACHE / "nights")
        ]
    raise SystemExit(f"unknown case {name}")


def described(name: str, rounds: list[list[Run]]) -> str:
    """Return what a case's rounds measured, as a line: the fastest of each build."""
    fastest: list[Run] = [min(builds, key=lambda run: run.seconds) for builds in zip(*rounds, strict=True)]
    if name == "marginal":
        small, large = fastest
        rate = (1_000_000 - 10_000) / (large.seconds - small.seconds)
        return (
            f"{rate:>12,.0f} lines/s marginal (1 M lines {large.seconds:.2f} s, 10 k lines {small.seconds:.2f} s), "
            f"peak RSS {large.peak_mb:.0f} MB; 1 M: {large.text()}"
        )
    if name == "nights":
        runs = rounds[0]
        first, last = runs[0], runs[-1]
        return (
            f"night 1 {first.seconds:.2f} s, night 30 {last.seconds:.2f} s; beyond reading and counting: night 1 "
            f"{first.beyond_counting:.2f} s, night 30 {last.beyond_counting:.2f} s "
            f"({last.beyond_counting / first.beyond_counting - 1:+.0%}); "
            f"peak RSS {max(run.peak_mb for run in runs):.0f} MB\n"
            f"          each night beyond reading and counting: "
            + " ".join(f"{run.beyond_counting:.2f}" for run in runs)
            + "\n          each night's history stage: "
            + " ".join(f"{run.stages.get('history', 0.0):.2f}" for run in runs)
        )
    (run,) = fastest
    return run.text()


CASES = ("small", "demo", "marginal", "month", "nights", "distinct")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--baseline", help="another Python with honeycast installed, built beside this one")
    parser.add_argument("--cold", action="store_true", help="an empty map cache for every build")
    parser.add_argument("--repeat", type=int, default=3, help="builds of each case; the fastest counts")
    args = parser.parse_args()
    pythons = {"this": sys.executable, **({"baseline": args.baseline} if args.baseline else {})}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for name in args.cases:
            rounds: dict[str, list[list[Run]]] = {label: [] for label in pythons}
            # The two take turns, build by build: a machine whose speed drifts favours neither.
            for _ in range(1 if name == "nights" else args.repeat):
                for label, python in pythons.items():
                    cache = work / f"cache-{label}-{time.monotonic_ns()}" if args.cold else work / f"cache-{label}"
                    if not args.cold and not cache.exists():
                        measure("small", python, work / f"warm-{label}", cache)  # fills the map cache
                    rounds[label].append(measure(name, python, work / f"{name}-{label}", cache))
            for label, found in rounds.items():
                print(f"{name:9s} {label:9s} {described(name, found)}", flush=True)


if __name__ == "__main__":
    main()
