"""Lines per second for one, two and many input files, on this machine's cores and on a Dask cluster, and
what adding up the tallies (the merge) costs per file.

    python benchmarks/fleet_speed.py                       # 8 hosts' logs of 250,000 lines each
    python benchmarks/fleet_speed.py --files 16 --lines-per-file 500000

Each host's log is the demo day repeated (addresses shifted per copy, as parse_speed.py does) under its own
host name. Every stage runs in a fresh process; the first (one file, one process) is the baseline the others
are compared with. The Dask stages start a LocalCluster of two worker processes first and time only the
counting; the cluster's start is reported apart.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from parse_speed import CACHE, ROOT, make_log

COUNT = (
    "from datetime import UTC\n"
    "from honeycast.scan import ReadOptions, SilentReporter, tally_logs\n"
    "read = ReadOptions(logs=paths, year=2026, tz=UTC{dask})\n"
)
STAGES = {
    "1 file, one process": (
        1,
        COUNT.format(dask="") + "timed(lambda: tally_logs(read, 600, SilentReporter(), workers=1))",
    ),
    "2 files, all cores": (2, COUNT.format(dask="") + "timed(lambda: tally_logs(read, 600, SilentReporter()))"),
    "all files, all cores": (0, COUNT.format(dask="") + "timed(lambda: tally_logs(read, 600, SilentReporter()))"),
    "2 files, Dask (2 workers)": (
        2,
        "cluster()\n" + COUNT.format(dask=", dask=address") + "timed(lambda: tally_logs(read, 600, SilentReporter()))",
    ),
    "all files, Dask (2 workers)": (
        0,
        "cluster()\n" + COUNT.format(dask=", dask=address") + "timed(lambda: tally_logs(read, 600, SilentReporter()))",
    ),
}
PROBE = """
import logging, pickle, resource, time
paths = {paths!r}
started = 0.0
def cluster():
    global address, started
    from distributed import LocalCluster
    began = time.perf_counter()
    made = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                        silence_logs=logging.ERROR)
    address = made.scheduler_address
    started = time.perf_counter() - began
def timed(work):
    began = time.perf_counter()
    work()
    seconds = time.perf_counter() - began
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(seconds, peak * 1024, started)
{code}
"""
MERGE = """
import pickle, time
from datetime import UTC
from honeycast.scan import ReadOptions, SilentReporter, tally_logs
from honeycast.tally import Tally
paths = {paths!r}
parts = [tally_logs(ReadOptions(logs=[path], year=2026, tz=UTC), 600, SilentReporter(), workers=1) for path in paths]
sizes = [len(pickle.dumps(part)) for part in parts]
began = time.perf_counter()
total = Tally(600, UTC)
for part in parts:
    total.update(part)
merged = time.perf_counter() - began
print(merged / len(parts), sum(sizes) / len(sizes))
"""


def host_log(lines: int, index: int) -> Path:
    """Return a log of ``lines`` lines written by host ``host-INDEX`` (the demo day, repeated and shifted)."""
    path = CACHE / f"fleet-{lines}-{index}.log"
    if not path.exists():  # line by line: a large parent would show in its children's peak RSS (fork)
        with open(make_log(lines, None), encoding="utf-8") as source, open(path, "w", encoding="utf-8") as out:
            for line in source:
                out.write(line.replace(" bastion sshd", f" host-{index} sshd", 1))
    return path


def run(code: str) -> list[float]:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return [float(value) for value in result.stdout.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--lines-per-file", type=int, default=250_000)
    args = parser.parse_args()
    paths = [str(host_log(args.lines_per_file, index)) for index in range(args.files)]
    size = sum(Path(path).stat().st_size for path in paths)
    print(f"{args.files} logs of {args.lines_per_file:,} lines ({size / 1e6:.0f} MB in all)")
    results = {}
    for name, (files, code) in STAGES.items():
        chosen = paths[: files or len(paths)]
        seconds, peak, started = run(PROBE.format(paths=chosen, code=code))
        lines = args.lines_per_file * len(chosen)
        results[name] = {"files": len(chosen), "lines_per_second": lines / seconds, "seconds": seconds,
                         "peak_rss_mb": peak / 1e6, "cluster_start_seconds": started}  # fmt: skip
        extra = f"  (cluster started in {started:.1f} s)" if started else ""
        print(f"{name:28s} {lines / seconds:>12,.0f} lines/s  {seconds:7.2f} s  peak RSS {peak / 1e6:6.0f} MB{extra}")
    base = results["1 file, one process"]["lines_per_second"]
    for name, found in results.items():
        print(f"{name:28s} {found['lines_per_second'] / base:5.2f}x the baseline")
    merge, pickled = run(MERGE.format(paths=paths))
    print(f"merge: {merge * 1000:.1f} ms per file's tally ({pickled / 1e6:.1f} MB pickled, what a worker sends back)")
    results["merge"] = {"ms_per_file": merge * 1000, "tally_mb": pickled / 1e6}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
