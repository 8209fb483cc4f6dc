from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from examples import examples
from honeycast.errors import UsageError
from honeycast.geo import BUCKETS, Geolocator, country_of, special_bucket, typed_layout


@pytest.mark.parametrize(
    ("record", "code"),
    [
        ({"country_code": "CN"}, "CN"),  # ip-location-db
        ({"country": {"iso_code": "DE", "names": {"en": "Germany"}}}, "DE"),  # GeoLite2-Country / City, DB-IP
        ({"registered_country": {"iso_code": "NL"}}, "NL"),  # GeoLite2 entry with no physical country
        ({"continent": {"code": "EU"}}, None),
        (None, None),
        ("CN", None),
    ],
)
def test_country_of_reads_every_layout(record: object, code: str | None) -> None:
    assert country_of(record) == code


@pytest.mark.parametrize(
    ("ip", "bucket"),
    [
        ("10.1.2.3", "private"),
        ("192.168.0.9", "private"),
        ("fd00::5", "private"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.1.1", "link_local"),
        ("fe80::1", "link_local"),
        ("100.64.0.1", "cgnat"),
        ("192.0.2.10", "documentation"),
        ("2001:db8::1", "documentation"),
        ("240.0.0.1", "reserved"),
        ("8.8.8.8", None),
        ("2a01:4f8::1", None),
    ],
)
def test_special_buckets(ip: str, bucket: str | None) -> None:
    assert special_bucket(ip) == bucket
    assert bucket is None or bucket in BUCKETS


def test_bundled_database_locates_ipv4_and_ipv6() -> None:
    with Geolocator() as geo:
        assert geo.country("8.8.8.8") == "US"
        assert geo.country("2a01:4f8:c17:1a2b::1") == "DE"
        assert geo.country("192.168.1.1") == "private"
        assert geo.info.built.year == 2026
        assert "CC BY 4.0" in geo.info.credit


def test_environment_variable_names_the_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HONEYCAST_GEOIP_DB", str(tmp_path / "absent.mmdb"))
    with pytest.raises(UsageError, match=r"absent\.mmdb: GeoIP database not found"):
        Geolocator()


def test_a_file_that_is_not_an_mmdb_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.mmdb"
    bogus.write_bytes(b"not a database" * 100)
    with pytest.raises(UsageError, match=r"bogus\.mmdb: not a readable MMDB"):
        Geolocator(bogus)


LAYOUTS = {
    # GeoLite2-Country and DB-IP lite country
    "GeoLite2-Country": {"country": {"iso_code": "NL", "names": {"en": "Netherlands"}}, "continent": {"code": "EU"}},
    # GeoLite2-City: the country sits beside the city
    "GeoLite2-City": {
        "city": {"names": {"en": "Amsterdam"}},
        "country": {"iso_code": "NL"},
        "location": {"latitude": 52.37},
    },
    "DBIP-Country-Lite": {"country": {"iso_code": "NL", "names": {"en": "Netherlands"}}},
    # ip-location-db, the bundled layout
    "country": {"country_code": "NL"},
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_real_mmdb_files_of_every_layout(layout: str, tmp_path: Path) -> None:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type=layout, ipv4_compatible=True)
    writer.insert_network(IPSet(["185.220.101.0/24", "2a01:4f8::/32"]), cast(dict[str, Any], LAYOUTS[layout]))
    path = tmp_path / f"{layout}.mmdb"
    writer.to_db_file(str(path))
    with Geolocator(path) as geo:
        assert geo.country("185.220.101.4") == "NL"
        assert geo.country("2a01:4f8:c17:1a2b::1") == "NL"
        assert geo.country("8.8.8.8") == "unknown"
        assert geo.country("10.0.0.1") == "private"
        assert geo.info.database_type == layout
        assert (geo._typed is not None) == (layout != "country")  # MaxMind and DB-IP layouts: geoip2's reader


@pytest.mark.parametrize(
    ("database_type", "model"),
    [
        ("GeoLite2-Country", "Country"),
        ("GeoIP2-Country", "Country"),
        ("DBIP-Country-Lite", "Country"),
        ("GeoLite2-City", "City"),
        ("DBIP-City-Lite", "City"),
        ("geo-whois-asn-country", None),  # the bundled database: plain records
        ("GeoLite2-ASN", None),
    ],
)
def test_typed_layouts_are_read_through_geoip2(database_type: str, model: str | None) -> None:
    assert typed_layout(database_type) == model


ADDRESSES = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
    st.sampled_from(["10.1.2.3", "127.0.0.1", "100.64.0.1", "240.0.0.1", "::1", "fe80::1", "185.220.101.4"]),
)


@pytest.mark.property
@settings(max_examples=examples(1))
@given(st.lists(ADDRESSES, max_size=40))
def test_countries_of_many_addresses_are_each_ones_country(addresses: list[str]) -> None:
    with Geolocator() as one, Geolocator() as many:
        assert many.countries(addresses) == [one.country(address) for address in addresses]


@pytest.mark.parametrize(
    "record",
    [{"country_code": "nl"}, {"country_code": "NLD"}, {"country_code": 7}, {"country_code": "NL", "extra": 1}, {}],
)
def test_countries_read_odd_records_as_country_does(record: dict[str, Any], tmp_path: Path) -> None:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type="odd", ipv4_compatible=True)
    writer.insert_network(IPSet(["185.220.101.0/24"]), record)
    path = tmp_path / "odd.mmdb"
    writer.to_db_file(str(path))
    addresses = ["185.220.101.4", "8.8.8.8", "10.0.0.1", "2a01:4f8::1"]
    with Geolocator(path) as one, Geolocator(path) as many:
        assert many.countries(addresses) == [one.country(address) for address in addresses]
