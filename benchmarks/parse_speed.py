"""Lines per second and peak memory of parse + locate + aggregate, beside a bare read loop.

    python benchmarks/parse_speed.py                 # 2 M lines
    python benchmarks/parse_speed.py --lines 10000000 --no-python
    python benchmarks/parse_speed.py --lines 10000000 --days 7 --no-python   # a busy week
    python benchmarks/parse_speed.py --shape churn --no-python               # one connection a line, 5,000 addresses
    python benchmarks/parse_speed.py --shape churn --addresses 0 --no-python # every line another address
    python benchmarks/parse_speed.py --baseline /path/to/other/venv/bin/python  # beside another release

The Python reader (sshd.py alone, as on a machine without a C compiler) is measured in the
same run as the baseline the native scanner is compared with. With --baseline, honeycast's stages are run by that
interpreter too (a venv holding another release), stage by stage and run by run in turns, so both figures come from
the same minutes.

The log is the bundled demo day repeated over consecutive days (or packed into --days days),
each copy's attacker addresses shifted so the address cache sees realistic churn. Memory
grows with what is counted (slices × addresses and user names), not with lines. Every figure is measured in a
fresh process, so peak RSS belongs to that stage alone.
"""

from __future__ import annotations

import argparse
import functools
import ipaddress
import json
import os
import random
import re
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo-auth.log"
CACHE = Path(__file__).resolve().parent / ".cache"
IPV4 = re.compile(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b")


PID = re.compile(r"(sshd(?:-session)?\[)(\d+)\]")


@functools.lru_cache(maxsize=1 << 16)
def _shift_address(found: re.Match[str], variant: int) -> str:
    return shifted(found[1], variant)


def _shift_pid(found: re.Match[str], copy: int) -> str:
    return f"{found[1]}{int(found[2]) + copy * 100_000}]"


def shifted(text: str, variant: int) -> str:
    """Move a public address within its /24, differently for each copy of the day."""
    address = ipaddress.IPv4Address(text)
    if not address.is_global:
        return text
    return str(ipaddress.IPv4Address((int(address) & ~0xFF) | ((int(address) + variant * 7) & 0xFF)))


def make_log(lines: int, days: int | None) -> Path:
    """Write the demo day over and over: one copy a day, or ``days`` days holding all the lines.

    Each copy shifts the attackers' addresses (so the address cache sees churn) and, within a
    day, the sshd pids (so copies are separate connections).
    """
    path = CACHE / (f"auth-{lines}.log" if days is None else f"auth-{lines}-{days}d.log")
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    day_lines = DEMO.read_text(encoding="utf-8").splitlines()
    copies = 1 if days is None else max(1, -(-lines // (days * len(day_lines))))
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        day = 0
        while written < lines:
            stamp = (date(2026, 1, 1) + timedelta(days=day)).strftime("%b %e")
            for line in day_lines:
                for copy in range(copies):
                    if written == lines:
                        break
                    variant = day * copies + copy
                    text = IPV4.sub(functools.partial(_shift_address, variant=variant), line[6:])
                    if copy:
                        text = PID.sub(functools.partial(_shift_pid, copy=copy), text)
                    out.write(stamp + text + "\n")
                    written += 1
            day += 1
    return path


def churn_log(path: Path, lines: int, days: int = 2, addresses: int = 5000, seed: int = 1) -> Path:
    """Write ``lines`` lines over ``days`` days, one connection a line: failures, invalid users, probes,
    disconnects and a few logins (some after an attack: compromises), from ``addresses`` public addresses
    (0: every line from another one)."""
    if path.exists():
        return path
    rng = random.Random(seed)
    pool = [".".join(str(rng.randint(1, 223)) for _ in range(4)) for _ in range(addresses)]
    users = ["root", "admin", "oracle", "test", "ubuntu", "postgres", "git", "user", "ftpuser", "pi"]
    start = datetime(2026, 11, 1)
    step = days * 86400 / lines
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for number in range(lines):
            moment = start + timedelta(seconds=number * step)
            # Distinct addresses count up from 11.0.0.0, all of them public.
            address = rng.choice(pool) if pool else str(ipaddress.IPv4Address((11 << 24) + number))
            user, port, shape = rng.choice(users), rng.randint(1024, 65535), rng.random()
            if shape < 0.6:
                text = f"Failed password for {user} from {address} port {port} ssh2"
            elif shape < 0.7:
                text = f"Invalid user {user}x from {address} port {port}"
            elif shape < 0.85:
                text = f"Connection closed by {address} port {port} [preauth]"
            elif shape < 0.99:
                text = f"Disconnected from authenticating user {user} {address} port {port} [preauth]"
            else:
                text = f"Accepted password for {user} from {address} port {port} ssh2"
            out.write(f"{moment:%b %e %H:%M:%S} web-1 sshd[{100000 + number}]: {text}\n")
    return path


COUNT = "from datetime import UTC\nfrom honeycast.scan import ReadOptions, SilentReporter, tally_logs\n"
STAGES = {
    "read loop (floor)": ("", "for line in open(path, encoding='utf-8', errors='replace'): pass"),
    "Python reader, one process": (
        COUNT,
        "tally_logs(ReadOptions(logs=[path], year=2026, tz=UTC, reader='python'), 600, SilentReporter(), workers=1)",
    ),
    "honeycast, one process": (
        COUNT,
        "tally_logs(ReadOptions(logs=[path], year=2026, tz=UTC), 600, SilentReporter(), workers=1)",
    ),
    "honeycast, all cores": (COUNT, "tally_logs(ReadOptions(logs=[path], year=2026, tz=UTC), 600, SilentReporter())"),
}
"""Per stage: what is imported first (not timed), and what is timed."""


def run_stage(setup: str, code: str, path: Path, python: str = sys.executable) -> tuple[float, int]:
    """Return (seconds, peak RSS in bytes) of ``code`` run in a fresh interpreter (children included), after
    ``setup``: counting is timed, importing honeycast is not."""
    probe = (
        "import resource, time, sys\n"
        f"path = {str(path)!r}\n"
        f"{setup}\n"
        "began = time.perf_counter()\n"
        f"{code}\n"
        "seconds = time.perf_counter() - began\n"
        "peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))\n"
        "print(seconds, peak * 1024)\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}  # as installed
    # Another interpreter runs away from this checkout, so it imports its own installed honeycast.
    result = subprocess.run(
        [python, "-c", probe], capture_output=True, text=True, check=True, env=env,
        cwd=ROOT if python == sys.executable else Path(path).parent,
    )  # fmt: skip
    seconds, peak = result.stdout.split()
    return float(seconds), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--days", type=int, help="spread the lines over this many days (default: the demo day's rate)")
    parser.add_argument("--no-python", action="store_true", help="skip the (slow) Python reader baseline")
    parser.add_argument("--shape", choices=["demo", "churn"], default="demo", help="the demo day, or churn_log")
    parser.add_argument("--addresses", type=int, default=5000, help="churn: distinct addresses (0: one a line)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each stage; the fastest counts (the machine varies)"
    )
    parser.add_argument("--baseline", help="another Python with honeycast installed, measured beside this one")
    args = parser.parse_args()
    began = time.perf_counter()
    if args.shape == "churn":
        path = churn_log(CACHE / f"churn-{args.lines}-{args.addresses}.log", args.lines, addresses=args.addresses)
    else:
        path = make_log(args.lines, args.days)
    size = path.stat().st_size
    print(f"log: {args.lines:,} lines, {size / 1e6:.0f} MB ({path}, made in {time.perf_counter() - began:.1f} s)")
    results = {}
    for name, (setup, code) in STAGES.items():
        if args.no_python and name.startswith("Python"):
            continue
        against = {"": sys.executable}
        if args.baseline and name.startswith("honeycast"):
            against[" (baseline)"] = args.baseline
        # This release and the baseline take turns, run by run: a machine whose speed drifts over a minute favours
        # neither, as it would whichever ran first were each run its repeats in a row.
        runs: dict[str, list[tuple[float, int]]] = {suffix: [] for suffix in against}
        for _ in range(1 if name.startswith("Python") else args.repeat):
            for suffix, python in against.items():
                runs[suffix].append(run_stage(setup, code, path, python))
        for suffix, found in runs.items():
            seconds, peak = min(one[0] for one in found), max(one[1] for one in found)
            label = name + suffix
            results[label] = {"seconds": seconds, "lines_per_second": args.lines / seconds, "peak_rss_mb": peak / 1e6}
            print(f"{label:35s} {args.lines / seconds:>12,.0f} lines/s {seconds:7.2f} s  peak RSS {peak / 1e6:6.0f} MB")
    floor = results["read loop (floor)"]["lines_per_second"]
    best = results["honeycast, all cores"]["lines_per_second"]
    print(f"honeycast runs at {best / floor:.0%} of the bare read loop")
    if "Python reader, one process" in results:
        python = results["Python reader, one process"]["lines_per_second"]
        one = results["honeycast, one process"]["lines_per_second"]
        print(f"native scanner: {one / python:.1f}x the Python reader (one process), {best / python:.1f}x on all cores")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
