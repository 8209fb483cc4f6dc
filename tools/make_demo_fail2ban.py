"""Write examples/demo-fail2ban.log: the fail2ban log of the demo day, as its sshd jail would have written it.

The demo's attacks were not made with a firewall answering them, so the bans are placed where they leave the
day's lines as they are: an address that fails five times within ten minutes is banned one second after the last
failure of that burst (fail2ban's default maxretry and findtime) and unbanned ten minutes later (bantime); an
address that comes back after its ban attacks again and is banned again. The three busiest addresses are banned at
their fifth failure instead, as a ban that misses (another port, another jail) leaves them: their later attempts
show as attempts that got through while they were banned.

    python tools/make_demo_fail2ban.py       # rewrite examples/demo-fail2ban.log from examples/demo-auth.log
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from honeycast.scan import ReadOptions, SilentReporter, read_events

ROOT = Path(__file__).parents[1]
MAX_RETRY = 5
FIND_TIME = timedelta(minutes=10)
BAN_TIME = timedelta(minutes=10)
MISSED = 3
"""How many of the busiest addresses a ban misses."""


def failures(log: Path) -> dict[str, list[datetime]]:
    """Return each address's failed attempts, a time per attempt, in time order."""
    found: dict[str, list[datetime]] = {}
    for event in read_events(ReadOptions(logs=[str(log)], year=2026, tz=UTC), SilentReporter()):
        if event.attempts and event.source_ip:
            found.setdefault(event.source_ip, []).extend([event.time] * event.attempts)
    return found


def bans(times: list[datetime], early: bool) -> list[tuple[datetime, datetime]]:
    """Return (ban, unban) of one address: after each burst of MAX_RETRY failures within FIND_TIME."""
    made: list[tuple[datetime, datetime]] = []
    start = 0
    while start < len(times):
        end = start
        while end + 1 < len(times) and times[end + 1] - times[end] <= FIND_TIME:
            end += 1
        if made and times[start] < made[-1][1]:  # still banned: the ban missed these
            start = end + 1
            continue
        if end - start + 1 >= MAX_RETRY:
            at = times[start + MAX_RETRY - 1] if early else times[end]
            made.append((at + timedelta(seconds=1), at + timedelta(seconds=1) + BAN_TIME))
        start = end + 1
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, default=ROOT / "examples" / "demo-auth.log")
    parser.add_argument("--out", type=Path, default=ROOT / "examples" / "demo-fail2ban.log")
    args = parser.parse_args()
    found = failures(args.log)
    busiest = {address for address, _ in Counter({a: len(t) for a, t in found.items()}).most_common(MISSED)}
    lines = []
    for address, times in found.items():
        for ban, unban in bans(times, address in busiest):
            lines.append((ban, f"NOTICE  [sshd] Ban {address}"))
            lines.append((unban, f"NOTICE  [sshd] Unban {address}"))
    lines.sort()
    text = "".join(
        f"{at:%Y-%m-%d %H:%M:%S},{at.microsecond // 1000:03d} fail2ban.actions        [812]: {message}\n"
        for at, message in lines
    )
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {sum(1 for _, m in lines if ' Ban ' in m)} bans of {len(found)} attacking addresses")


if __name__ == "__main__":
    main()
