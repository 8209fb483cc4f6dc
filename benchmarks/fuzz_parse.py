"""Feed mutated real sshd lines through the parser and count crashes (the goal is none).

    python benchmarks/fuzz_parse.py                  # 1,000,000 lines
    python benchmarks/fuzz_parse.py --lines 5000000 --seed 7

The seed lines are the bundled demo day, the test fixtures and, when it can be had, fail2ban's
sshd test corpus (downloaded with `apt-get download fail2ban`, never stored). Each line gets up to
four mutations by the tests' own mutator (tests/mutations.py): bytes inserted, deleted, replaced or
duplicated, sshd fragments spliced in (" from 6.6.6.6 port 22 ssh2", "message repeated 3 times: [ "),
random bytes, characters beyond ASCII; the line is then decoded as UTF-8, as a log is read.
Every event must also name only an address that its line holds, and every chunk of mutated
lines must count the same with the native scanner as with the Python reader.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC
from pathlib import Path

from honeycast import native
from honeycast.scan import ReadOptions, SilentReporter, tally_logs
from honeycast.sshd import SshdParser, normalize_ip

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the tests' mutator and tally comparison, shared
from mutations import mutated  # noqa: E402
from readers import contents  # noqa: E402

ADDRESS_LIKE = re.compile(r"[0-9A-Fa-f:.]+")


def seed_lines() -> list[str]:
    lines = (ROOT / "examples" / "demo-auth.log").read_text(encoding="utf-8").splitlines()[:5000]
    lines += (ROOT / "examples" / "demo-fail2ban.log").read_text(encoding="utf-8").splitlines()[:300]  # bans too
    for path in (ROOT / "tests" / "data").rglob("*.log"):
        lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
    with tempfile.TemporaryDirectory() as folder:
        try:
            subprocess.run(["apt-get", "download", "fail2ban"], cwd=folder, check=True, capture_output=True)
            package = next(Path(folder).glob("fail2ban_*.deb"))
            subprocess.run(["dpkg-deb", "-x", str(package), folder], check=True)
            for name in ("sshd", "recidive"):  # sshd's lines, and fail2ban's own (its bans)
                corpus = next(Path(folder).rglob(f"tests/files/logs/{name}"))
                lines += [line for line in corpus.read_text(errors="replace").splitlines() if not line.startswith("#")]
        except (OSError, subprocess.CalledProcessError, StopIteration):
            print("fail2ban's corpus could not be had; fuzzing the bundled lines only")
    return [line for line in lines if line.strip()]


def readers_differ(lines: list[str], folder: Path) -> bool:
    """Count the lines with the native scanner and with the Python reader; return whether they differ."""
    log = folder / "chunk.log"
    log.write_bytes("\n".join(lines).encode("utf-8", "surrogateescape") + b"\n")
    results = []
    for reader in ("native", "python"):
        reporter = SilentReporter()
        tally = tally_logs(ReadOptions(logs=[str(log)], year=None, tz=UTC, reader=reader), 600, reporter, workers=1)
        results.append((contents(tally), reporter.warnings))
    return results[0] != results[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--chunk", type=int, default=5000, help="lines per native-against-Python comparison")
    args = parser.parse_args()
    if not native.AVAILABLE:
        parser.error("the native scanner is not built (pip install -e . with a C compiler)")
    scratch = tempfile.TemporaryDirectory()
    chunk: list[str] = []
    differences = 0
    rng = random.Random(args.seed)
    seeds = seed_lines()
    sshd = SshdParser(UTC, year=2026)
    crashes = wrong = events = 0
    began = time.perf_counter()
    for number in range(1, args.lines + 1):
        if number % 250_000 == 0:
            elapsed = time.perf_counter() - began
            print(f"{number:,} lines, {crashes} crashes, {differences} differences, {elapsed:.0f} s")
        line = mutated(rng, rng.choice(seeds).encode(), rng.randint(1, 4)).decode("utf-8", "replace")
        chunk.append(line.replace("\n", " "))
        if len(chunk) == args.chunk or number == args.lines:
            try:
                differ = readers_differ(chunk, Path(scratch.name))
            except Exception:
                crashes += 1
                differ = True
                print(f"counting a chunk failed:\n{traceback.format_exc()}")
            if differ:
                differences += 1
                if differences <= 3:
                    kept = Path(f"fuzz-difference-{differences}.log")
                    kept.write_bytes((Path(scratch.name) / "chunk.log").read_bytes())
                    print(f"the readers differ on a chunk: kept as {kept}")
            chunk = []
        try:
            event = sshd.parse(line)
        except Exception:
            crashes += 1
            if crashes <= 5:
                print(f"crash on {line!r}:\n{traceback.format_exc()}")
            continue
        if event is None:
            continue
        events += 1
        own = event.source_ip is not None and any(
            event.source_ip in (normalize_ip(token), normalize_ip(token.rstrip(":.")))
            for token in ADDRESS_LIKE.findall(line)
        )
        # An event without an address of its own may carry its connection's (same host and pid).
        if event.source_ip is not None and not own and event.pid is None:
            wrong += 1
            if wrong <= 5:
                print(f"address {event.source_ip} not in {line!r}")
    seconds = time.perf_counter() - began
    print(
        f"seed lines: {len(seeds):,}; mutated lines: {args.lines:,} in {seconds:.1f} s ({args.lines / seconds:,.0f}/s)"
    )
    print(f"events: {events:,}; crashes: {crashes}; addresses not in their line: {wrong}")
    print(f"chunks of {args.chunk:,} lines where the native scanner and the Python reader differ: {differences}")
    if crashes or wrong or differences:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
