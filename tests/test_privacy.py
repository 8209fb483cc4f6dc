"""What a published site shows of the owner's own logins, accounts and of attacking addresses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from readers import assert_same_counts, counted

from honeycast.build import BuildOptions, BuildResult, build
from honeycast.names import Named, noted
from honeycast.privacy import INTERNAL_HOST, LOCAL_ACCOUNT, OWNER_ADDRESS, Privacy, truncate
from honeycast.rules import RULES
from honeycast.scan import ReadOptions
from honeycast.timeline import attacked

LOG = Path(__file__).parent / "data" / "privacy-auth.log"


def published_text(site: BuildResult) -> str:
    """Every text file a published site holds."""
    return "\n".join(
        path.read_text(encoding="utf-8")
        for path in sorted(site.out.rglob("*"))
        if path.is_file() and path.suffix in (".html", ".js", ".json", ".css", ".svg")
    )


def site_with(tmp_path: Path, privacy: Privacy) -> BuildResult:
    read = ReadOptions(logs=[str(LOG)], year=2026, tz=UTC)
    return build(BuildOptions(read=read, out=tmp_path / "site", size=(640, 360), frames=False, privacy=privacy))


OWNERS = ("198.51.100.23", "203.0.113.50", "198.51.100.60", "198.51.100.77")
"""In privacy-auth.log: a clean key login, a rejected key a second before an accepted one, one mistyped
password, and a login after an attacker wrote this address into crafted user names."""
INTERNAL = ("192.168.1.20", "100.72.1.9", "backup.lan")


def test_by_default_the_owners_logins_and_accounts_stay_private(tmp_path: Path) -> None:
    site = site_with(tmp_path, Privacy())
    text = published_text(site)
    for address in OWNERS:
        assert address not in text
    assert '"deploy"' not in text and "deploy" not in site.timeline.users  # an account on the host, masked
    assert LOCAL_ACCOUNT in site.timeline.users
    assert "Summer2026!" in text  # a name that is no account is shown (and may well be a password)
    assert OWNER_ADDRESS in text  # where an attacker wrote an owner's address into a user name
    # Logins after an attack are flagged with their address, account and the failures up to the login.
    flagged = [(one.address, one.user, one.failures) for one in site.timeline.compromises]
    assert flagged == [("45.148.10.240", "root", 3), ("91.92.240.10", "root", 5)]
    assert site.timeline.sources["45.148.10.240"] == 5  # two more after the login
    assert '"logins":{"AD":1,"DE":1,"documentation":4}' in text
    # The owner's two mistakes are no attack: in no count.
    assert site.timeline.owner_attempts == 2
    assert dict(site.timeline.totals) == {"AD": 5, "CN": 2, "DE": 9, "cgnat": 1, "hostname": 1, "private": 1}


def test_the_owners_network_is_published_as_its_name(tmp_path: Path) -> None:
    text = published_text(site_with(tmp_path, Privacy()))
    for address in INTERNAL:
        assert address not in text
    assert "Private networks" in text and "Carrier-grade NAT" in text and INTERNAL_HOST in text
    shown = published_text(site_with(tmp_path / "shown", Privacy(show_internal=True)))
    for address in INTERNAL:
        assert address in shown


def test_publish_accepted_shows_every_login(tmp_path: Path) -> None:
    site = site_with(tmp_path, Privacy(publish_accepted=True, show_all_users=True))
    text = published_text(site)
    assert "198.51.100.23" in text
    assert '"deploy"' in text


def test_anonymize_ips_cuts_every_address(tmp_path: Path) -> None:
    site = site_with(tmp_path, Privacy(anonymize_ips=True))
    text = published_text(site)
    for address in ("61.177.172.19", "45.148.10.240", "185.220.101.4", "198.51.100.23"):
        assert address not in text
    assert "61.177.172.0/24" in text and "45.148.10.0/24" in text


def test_both_readers_and_any_cut_of_the_log_flag_the_same_logins(tmp_path: Path) -> None:
    whole = assert_same_counts([str(LOG)])
    assert whole is not None and whole.owners == frozenset(OWNERS)
    lines = LOG.read_text(encoding="utf-8").splitlines(keepends=True)
    for cut in range(1, len(lines)):  # the log in two files, read apart and merged, in either order
        first, second = tmp_path / f"a{cut}.log", tmp_path / f"b{cut}.log"
        first.write_text("".join(lines[:cut]), encoding="utf-8")
        second.write_text("".join(lines[cut:]), encoding="utf-8")
        for logs in ([first, second], [second, first]):
            timeline, _ = counted([str(log) for log in logs], True)
            assert timeline is not None
            assert (timeline.compromises, timeline.owners) == (whole.compromises, whole.owners), cut


@pytest.mark.parametrize(
    ("failures", "names", "expected"),
    [
        (1, [("deploy", False)], False),  # a mistyped password
        (RULES.attack_failures - 1, [("root", False)], False),
        (RULES.attack_failures, [("root", False)], True),  # more than a person types
        (2, [("admin", False), ("root", False)], False),
        (3, [("admin", False), ("root", False), ("oracle", False)], True),  # several names
        (1, [("deplyo", True)], False),  # a mistyped user name
        (2, [("admin", True), ("test", True)], True),  # names that are no account
    ],
)
def test_a_login_follows_an_attack_by_failures_names_or_invalid_names(
    failures: int, names: list[tuple[str, bool]], expected: bool
) -> None:
    login = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    tried = tuple(
        Named(login - timedelta(seconds=10 - index), user, invalid) for index, (user, invalid) in enumerate(names)
    )
    assert attacked(failures, tried, login) is expected
    assert not attacked(0, tried, login - timedelta(minutes=1))  # names tried only after the login do not count


def test_noted_keeps_the_earliest_names_whatever_the_order() -> None:
    start = datetime(2026, 11, 29, tzinfo=UTC)
    names = [Named(start + timedelta(seconds=second), user, invalid) for second, user, invalid in (
        (5, "root", False), (1, "admin", True), (9, "test", True), (3, "root", False), (7, "pi", False),
        (2, "oracle", False), (4, "admin", False),
    )]  # fmt: skip
    expected = (Named(start + timedelta(seconds=1), "admin", True), names[5], names[3])
    for order in (names, names[::-1], names[3:] + names[:3]):
        kept: tuple[Named, ...] = ()
        for one in order:
            kept = noted(kept, *one, RULES.attack_names)
        assert kept == expected


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("61.177.172.19", "61.177.172.0/24"),
        ("2a01:4f8:c17:1a2b::1", "2a01:4f8:c17::/48"),
        ("example.com", "(host name)"),
    ],
)
def test_truncate(address: str, network: str) -> None:
    assert truncate(address) == network
