"""Lines per second and peak memory of parse + locate + aggregate, beside a bare read loop.

    python benchmarks/parse_speed.py                 # 2 M lines
    python benchmarks/parse_speed.py --lines 10000000 --no-python

The Python reader (sshd.py alone, as on a machine without a C compiler) is measured in the
same run as the baseline the native scanner is compared with.

The log is the bundled demo day repeated over consecutive days, each day's attacker
addresses shifted so the address cache sees realistic churn. Every figure is measured in a
fresh process, so peak RSS belongs to that stage alone.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import re
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo-auth.log"
CACHE = Path(__file__).resolve().parent / ".cache"
IPV4 = re.compile(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b")


def make_log(lines: int) -> Path:
    path = CACHE / f"auth-{lines}.log"
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    day_lines = DEMO.read_text(encoding="utf-8").splitlines()
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        day = 0
        while written < lines:
            stamp = (date(2026, 1, 1) + timedelta(days=day)).strftime("%b %e")

            def shift(found: re.Match[str], day: int = day) -> str:
                address = ipaddress.IPv4Address(found[1])
                if not address.is_global:
                    return found[1]
                return str(ipaddress.IPv4Address((int(address) & ~0xFF) | ((int(address) + day * 7) & 0xFF)))

            for line in day_lines[: lines - written]:
                out.write(stamp + IPV4.sub(shift, line[6:]) + "\n")
            written += min(len(day_lines), lines - written)
            day += 1
    return path


STAGES = {
    "read loop (floor)": "for line in open(path, encoding='utf-8', errors='replace'): pass",
    "Python reader, one process": (
        "from datetime import UTC\n"
        "from honeycast import native\n"
        "from honeycast.scan import ReadOptions, SilentReporter, count\n"
        "native.AVAILABLE = False\n"
        "count(ReadOptions(logs=[path], year=2026, tz=UTC), 600, SilentReporter(), workers=1)"
    ),
    "honeycast, one process": (
        "from datetime import UTC\n"
        "from honeycast.scan import ReadOptions, SilentReporter, count\n"
        "count(ReadOptions(logs=[path], year=2026, tz=UTC), 600, SilentReporter(), workers=1)"
    ),
    "honeycast, all cores": (
        "from datetime import UTC\n"
        "from honeycast.scan import ReadOptions, SilentReporter, count\n"
        "count(ReadOptions(logs=[path], year=2026, tz=UTC), 600, SilentReporter())"
    ),
}


def run_stage(code: str, path: Path) -> tuple[float, int]:
    """Return (seconds, peak RSS in bytes) of ``code`` run in a fresh interpreter (children included)."""
    probe = (
        "import resource, time, sys\n"
        f"path = {str(path)!r}\n"
        "began = time.perf_counter()\n"
        f"{code}\n"
        "seconds = time.perf_counter() - began\n"
        "peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))\n"
        "print(seconds, peak * 1024)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    seconds, peak = result.stdout.split()
    return float(seconds), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--no-python", action="store_true", help="skip the (slow) Python reader baseline")
    args = parser.parse_args()
    began = time.perf_counter()
    path = make_log(args.lines)
    size = path.stat().st_size
    print(f"log: {args.lines:,} lines, {size / 1e6:.0f} MB ({path}, made in {time.perf_counter() - began:.1f} s)")
    results = {}
    for name, code in STAGES.items():
        if args.no_python and name.startswith("Python"):
            continue
        seconds, peak = run_stage(code, path)
        results[name] = {"seconds": seconds, "lines_per_second": args.lines / seconds, "peak_rss_mb": peak / 1e6}
        print(f"{name:24s} {args.lines / seconds:>12,.0f} lines/s  {seconds:7.2f} s  peak RSS {peak / 1e6:6.0f} MB")
    floor = results["read loop (floor)"]["lines_per_second"]
    best = results["honeycast, all cores"]["lines_per_second"]
    print(f"honeycast runs at {best / floor:.0%} of the bare read loop; goal 1,000,000 lines/s")
    if "Python reader, one process" in results:
        python = results["Python reader, one process"]["lines_per_second"]
        one = results["honeycast, one process"]["lines_per_second"]
        print(f"native scanner: {one / python:.1f}x the Python reader (one process), {best / python:.1f}x on all cores")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
