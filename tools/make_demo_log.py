"""Write examples/demo-auth.log: one synthetic day of an internet-facing sshd's auth.log.

Deterministic for a given seed and GeoIP database: attacker addresses are drawn at
random and kept only where the bundled database places them in the wanted country,
so the demo map lights up the countries it is meant to.

    python tools/make_demo_log.py            # rewrite examples/demo-auth.log
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from honeycast.geo import Geolocator

DAY = datetime(2026, 11, 29)
HOST = "bastion"

# Relative share of attack campaigns by origin, roughly as honeypot reports show them.
ORIGINS = {
    "CN": 30,
    "US": 12,
    "RU": 8,
    "IN": 6,
    "BR": 6,
    "VN": 5,
    "KR": 4,
    "DE": 4,
    "NL": 4,
    "SG": 4,
    "HK": 4,
    "ID": 3,
    "FR": 3,
    "GB": 3,
    "TW": 2,
    "IR": 2,
    "TR": 2,
    "UA": 2,
    "AR": 2,
    "MX": 2,
    "ZA": 1,
    "EG": 1,
    "TH": 1,
    "PK": 1,
    "BD": 1,
    "CO": 1,
    "JP": 1,
    "CA": 1,
    "IT": 1,
    "PL": 1,
    "RO": 1,
    "BG": 1,
    "KZ": 1,
    "NG": 0.5,
    "MA": 0.5,
    "CL": 0.5,
    "PH": 0.5,
    "AU": 0.5,
    "SE": 0.5,
    "MT": 0.3,
    "BH": 0.3,
    "LT": 0.3,
}
USERS = (
    "admin",
    "ubuntu",
    "test",
    "user",
    "oracle",
    "postgres",
    "git",
    "pi",
    "ftpuser",
    "guest",
    "support",
    "debian",
    "centos",
    "hadoop",
    "mysql",
    "www-data",
    "jenkins",
    "minecraft",
    "steam",
    "ansible",
    "user1",
    "Administrator",
    "sol",
    "solana",
    "validator",
    "docker",
    "elastic",
    "odoo",
    "teamspeak",
    "123456",
)
V6_BLOCKS = ("2400::/12", "2600::/12", "2a00::/12", "2800::/12")


@dataclass
class Line:
    time: datetime
    pid: int
    program: str
    message: str

    def render(self) -> str:
        return (
            f"{self.time:%b} {self.time.day:2d} {self.time:%H:%M:%S} {HOST} {self.program}[{self.pid}]: {self.message}"
        )


def address_pools(rng: random.Random, geo: Geolocator, per_country: int) -> dict[str, list[str]]:
    pools: dict[str, list[str]] = {code: [] for code in ORIGINS}
    for _ in range(600_000):
        ip = str(ipaddress.IPv4Address(rng.randrange(1 << 24, 224 << 24)))
        code = geo.country(ip)
        if code in pools and len(pools[code]) < per_country:
            pools[code].append(ip)
    for _ in range(20_000):
        block = ipaddress.ip_network(rng.choice(V6_BLOCKS))
        ip = str(block[rng.randrange(block.num_addresses)])
        code = geo.country(ip)
        if code in pools and len(pools[code]) < per_country + 2:
            pools[code].append(ip)
    return {code: ips for code, ips in pools.items() if ips}


def rhythm(hour: float) -> float:
    """Relative campaign rate over the day: a night peak, an afternoon peak, never zero."""
    return 1.0 + 0.8 * math.exp(-((hour - 3.5) ** 2) / 4) + 1.2 * math.exp(-((hour - 15) ** 2) / 6)


class Day:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lines: list[Line] = []
        self.pid = 40000

    def new_pid(self) -> int:
        self.pid += self.rng.randint(1, 40)
        return self.pid

    def add(self, time: datetime, message: str, pid: int, program: str = "sshd") -> None:
        self.lines.append(Line(time, pid, program, message))

    def campaign(self, ip: str, start: datetime) -> None:
        rng = self.rng
        connections = max(1, int(rng.paretovariate(1.3) * 3))
        time = start
        for _ in range(min(connections, 120)):
            time += timedelta(seconds=rng.expovariate(1 / 25))
            self.connection(ip, time)

    def connection(self, ip: str, time: datetime) -> None:
        rng = self.rng
        pid = self.new_pid()
        port = rng.randint(1024, 65535)
        kind = rng.random()
        if kind < 0.12:  # a scanner that never authenticates
            message = rng.choice(
                (
                    f"Connection closed by {ip} port {port} [preauth]",
                    f"Did not receive identification string from {ip} port {port}",
                    f"Connection reset by {ip} port {port} [preauth]",
                )
            )
            self.add(time, message, pid)
            return
        root = kind < 0.5
        user = "root" if root else rng.choice(USERS)
        if not root:
            self.add(time, f"Invalid user {user} from {ip} port {port}", pid)
            time += timedelta(seconds=rng.uniform(0.1, 1))
            if rng.random() < 0.15:  # gave up before trying a password: a probe
                self.add(time, f"Connection closed by invalid user {user} {ip} port {port} [preauth]", pid)
                return
        who = "root" if root else "invalid user " + user
        state = "authenticating user" if root else "invalid user"
        tries = rng.choice((1, 1, 1, 2, 3, 6))
        for n in range(tries):
            if root:
                self.add(
                    time,
                    "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
                    f"ruser= rhost={ip}  user=root",
                    pid,
                )
            time += timedelta(seconds=rng.uniform(1, 3))
            repeated = n > 0 and rng.random() < 0.3
            failed = f"Failed password for {who} from {ip} port {port} ssh2"
            self.add(time, f"message repeated 2 times: [ {failed}]" if repeated else failed, pid)
        if tries >= 6:
            self.add(
                time,
                f"error: maximum authentication attempts exceeded for {who} from {ip} port {port} ssh2 [preauth]",
                pid,
            )
            self.add(
                time, f"Disconnecting {state} {user} {ip} port {port}: Too many authentication failures [preauth]", pid
            )
        else:
            time += timedelta(seconds=rng.uniform(0.1, 1))
            self.add(time, f"Received disconnect from {ip} port {port}:11: Bye Bye [preauth]", pid)
            self.add(time, f"Disconnected from {state} {user} {ip} port {port} [preauth]", pid)

    def owner_login(self, time: datetime, ip: str) -> None:
        pid = self.new_pid()
        port = self.rng.randint(40000, 60000)
        key = "".join(
            self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(43)
        )
        self.add(time, f"Accepted publickey for deploy from {ip} port {port} ssh2: ED25519 SHA256:{key}", pid)
        self.add(time, "pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)", pid)
        self.add(time, f"New session {pid % 900} of user deploy.", pid % 900 + 400, "systemd-logind")
        end = time + timedelta(minutes=self.rng.randint(2, 50))
        self.add(end, f"Received disconnect from {ip} port {port}:11: disconnected by user", pid)
        self.add(end, "pam_unix(sshd:session): session closed for user deploy", pid)

    def cron(self) -> None:
        for minute in range(17, 24 * 60, 60):
            time = DAY + timedelta(minutes=minute)
            pid = self.new_pid()
            self.add(time, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)", pid, "CRON")
            self.add(time + timedelta(seconds=1), "pam_unix(cron:session): session closed for user root", pid, "CRON")


def generate(seed: int, campaigns: int) -> list[str]:
    rng = random.Random(seed)
    with Geolocator() as geo:
        pools = address_pools(rng, geo, per_country=12)
    codes = list(pools)
    weights = [ORIGINS[code] for code in codes]
    day = Day(rng)
    hours = [h / 10 for h in range(240)]
    hour_weights = [rhythm(h) for h in hours]
    for _ in range(campaigns):
        ip = rng.choice(pools[rng.choices(codes, weights)[0]])
        hour = rng.choices(hours, hour_weights)[0] + rng.random() / 10
        day.campaign(ip, DAY + timedelta(hours=hour))
    for hour in (8.2, 9.1, 13.4, 17.8, 22.5):  # the owner, from the office and home
        day.owner_login(
            DAY + timedelta(hours=hour, seconds=rng.randint(0, 600)), rng.choice(("198.51.100.23", "203.0.113.7"))
        )
    day.cron()
    end = DAY + timedelta(days=1)
    lines = sorted((line for line in day.lines if line.time < end), key=lambda line: (line.time, line.pid))
    # Hand out process ids in time order, as a real kernel would.
    renumbered: dict[int, int] = {}
    next_pid = 2000
    for line in lines:
        if line.pid not in renumbered:
            next_pid += rng.randint(1, 30)
            renumbered[line.pid] = next_pid
        line.pid = renumbered[line.pid]
    return [line.render() for line in lines]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--campaigns", type=int, default=600)
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "examples" / "demo-auth.log")
    args = parser.parse_args()
    lines = generate(args.seed, args.campaigns)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} lines to {args.out}")


if __name__ == "__main__":
    main()
