"""Networks (autonomous systems): the shipped table, --asn-db, and the counts by network a build publishes."""

from __future__ import annotations

import bisect
import ipaddress
import json
import re
from collections import Counter
from datetime import UTC
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from files import DEMO
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from examples import examples
from honeycast.build import BuildOptions, build
from honeycast.cli import app
from honeycast.errors import UsageError
from honeycast.geo import BUCKETS, UNKNOWN, Geolocator
from honeycast.networks import Networks, _table
from honeycast.scan import ReadOptions


def networks_of(addresses: list[str], path: Path | None = None) -> list[str]:
    with Geolocator() as geo, Networks(path) as networks:
        return networks.networks(addresses, geo.countries(addresses))


def test_the_shipped_table_knows_the_networks_attacks_come_from() -> None:
    """Each address as the networks' own announcements have it (ipverse/asn-ip): Chinanet's 61.177.0.0/16,
    Cloudflare's 1.0.0.0/24 and 2606:4700::/32, DigitalOcean's 167.99.0.0/16, Hetzner's 5.9.0.0/16."""
    addresses = [
        "61.177.172.19", "1.0.0.1", "2606:4700:4700::1111", "167.99.12.7", "5.9.80.1", "::ffff:61.177.172.19",
        "10.0.0.1", "127.0.0.1", "192.0.2.1", "1.0.2.1",
    ]  # fmt: skip
    with Networks() as networks:
        with Geolocator() as geo:
            found = networks.networks(addresses, geo.countries(addresses))
        assert found == [
            "AS4134", "AS13335", "AS13335", "AS14061", "AS24940", "AS4134",
            "private", "loopback", "documentation", "unknown",
        ]  # fmt: skip
        assert networks.names["AS4134"] == "Chinanet"
        assert networks.names["AS14061"] == "DigitalOcean, LLC"
        assert networks.names["AS24940"] == "Hetzner Online GmbH"
        assert networks.info.credit.startswith("Networks: ip-location-db asn")


def test_the_tables_ranges_are_sorted_and_each_names_a_network() -> None:
    table = _table()
    for starts in (table.v4_starts, table.v6_high):
        assert (np.diff(starts.astype(np.float64)) >= 0).all()
    assert (np.diff(table.v4_starts.astype(np.int64)) > 0).all()  # no empty range
    assert int(table.v4_networks.max()) < len(table.numbers) and int(table.v6_networks.max()) < len(table.numbers)
    assert int(table.v4_starts[0]) == 0 and len(table.name_ends) == len(table.numbers) + 1


ADDRESSES = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
    st.sampled_from(["61.177.172.19", "10.1.2.3", "::ffff:5.9.80.1", "2606:4700::1", "::1", "fe80::1", "not-an-ip"]),
)


@pytest.mark.property
@settings(max_examples=examples(1), deadline=None)
@given(st.lists(ADDRESSES, max_size=40))
def test_many_addresses_at_once_are_each_ones_network(addresses: list[str]) -> None:
    """The batch lookup (one searchsorted for all) against one address at a time, and against a plain bisect
    over the table for IPv4."""
    countries = [Geolocator().country(one) if one != "not-an-ip" else "hostname" for one in addresses]
    with Networks() as many, Networks() as one:
        found = many.networks(addresses, countries)
        assert found == [one.network(address, country) for address, country in zip(addresses, countries, strict=True)]
    table = _table()
    starts = table.v4_starts.tolist()
    for address, country, network in zip(addresses, countries, found, strict=True):
        if ":" in address or address == "not-an-ip" or (country in BUCKETS and country != UNKNOWN):
            continue
        index = int(table.v4_networks[bisect.bisect_right(starts, int(ipaddress.IPv4Address(address))) - 1])
        assert network == (f"AS{int(table.numbers[index])}" if index else UNKNOWN), address


def asn_database(path: Path, database_type: str) -> Path:
    """Write an MMDB in GeoLite2-ASN's layout: each /8 from 1 to 223 is network 64512 + its first number."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type=database_type, ipv4_compatible=True)
    for first in range(1, 224):
        record = {"autonomous_system_number": 64512 + first, "autonomous_system_organization": f"Net {first}"}
        writer.insert_network(IPSet([f"{first}.0.0.0/8"]), record)
    writer.to_db_file(str(path))
    return path


@pytest.mark.parametrize("database_type", ["GeoLite2-ASN", "asn-of-some-layout"])
def test_an_asn_database_of_geolite2s_layout(database_type: str, tmp_path: Path) -> None:
    path = asn_database(tmp_path / "asn.mmdb", database_type)
    with Networks(path) as networks:
        assert (networks._typed is not None) == (database_type == "GeoLite2-ASN")  # geoip2 reads the types it knows
        found = networks.networks(["61.177.172.19", "10.0.0.1", "2001:db8::1", "2a01:4f8::1"],
                                  ["CN", "private", "documentation", "DE"])  # fmt: skip
        assert found == ["AS64573", "private", "documentation", "unknown"]
        assert networks.names == {"AS64573": "Net 61"}
        assert networks.info.database_type == database_type


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("absent.mmdb", None, "network (ASN) database not found"),
        ("bogus.mmdb", b"not an mmdb", "not a readable MMDB network (ASN) database"),
    ],
)
def test_a_bad_asn_database_is_one_line(name: str, content: bytes | None, message: str, tmp_path: Path) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UsageError, match=re.escape(message)):
        Networks(path)
    result = CliRunner().invoke(app, ["build", str(DEMO), str(tmp_path / "site"), "--asn-db", str(path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and str(path) in result.stderr and message in result.stderr
    assert not (tmp_path / "site").exists()


@pytest.fixture(scope="module")
def demo_with_asn_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Any]:
    folder = tmp_path_factory.mktemp("networks")
    read = ReadOptions(logs=[str(DEMO)], year=2026, tz=UTC, asn_db=asn_database(folder / "asn.mmdb", "GeoLite2-ASN"))
    result = build(BuildOptions(read=read, out=folder / "site", frames=False, size=(640, 360)))
    return json.loads((folder / "site" / "data" / "slices.json").read_text(encoding="utf-8")), result.timeline


def test_counts_by_network_are_the_sources_counts_grouped_by_their_networks(
    demo_with_asn_db: tuple[dict[str, Any], Any],
) -> None:
    """A count by hand: each source's attempts (and each address that attempted or probed) grouped by the network
    the test's own database gives it (64512 + its first number), slice by slice and over the day."""
    document, timeline = demo_with_asn_db

    def network(address: str) -> str:
        bucket = str(timeline.country_of[address])
        if bucket in BUCKETS and bucket != UNKNOWN:
            return bucket
        return UNKNOWN if ":" in address else f"AS{64512 + int(address.split('.')[0])}"  # the database is IPv4 only

    for one, published in zip(timeline.slices, document["slices"], strict=True):
        by_hand: Counter[str] = Counter()
        for address, attempts in one.sources.items():
            by_hand[network(address)] += attempts
        assert published["networks"] == dict(by_hand)
        assert sum(published["networks"].values()) == published["attempts"]
    totals: Counter[str] = Counter()
    for address, attempts in timeline.sources.items():
        totals[network(address)] += attempts
    assert document["network_totals"] == dict(totals)
    assert document["network_attackers"] == dict(Counter(network(address) for address in timeline.country_of))
    key, name, attempts, addresses = next(one for one in document["top_networks"] if one[0].startswith("AS"))
    assert (attempts, addresses) == (totals[key], document["network_attackers"][key])
    assert name == f"Net {int(key[2:]) - 64512}"
    assert document["network_db"]["database"] == "GeoLite2-ASN"
