"""What a published site shows of the owner's own logins, accounts and of attacking addresses."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from honeycast.build import BuildOptions, BuildResult, build
from honeycast.privacy import LOCAL_ACCOUNT, Privacy, truncate
from honeycast.scan import ReadOptions

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


def test_by_default_the_owners_logins_and_accounts_stay_private(tmp_path: Path) -> None:
    site = site_with(tmp_path, Privacy())
    text = published_text(site)
    assert "198.51.100.23" not in text  # the owner's own login
    assert '"deploy"' not in text and "deploy" not in site.timeline.users  # an account on the host, masked
    assert LOCAL_ACCOUNT in site.timeline.users
    assert "Summer2026!" in text  # a name that is no account is shown (and may well be a password)
    # The login after failures is flagged, with its address and account.
    assert [(one.address, one.user) for one in site.timeline.compromises] == [("45.148.10.240", "root")]
    assert '"logins":{"AD":1,"documentation":1}' in text


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
