"""Locate source addresses in their network (autonomous system), offline: the table honeycast ships, or an MMDB.

The shipped table is ip-location-db's (``tools/build_networks.py``): sorted range starts, mapped from the package
rather than read, so a build reads the pages its lookups touch; every distinct address of a build is looked up at
once with ``numpy.searchsorted``. ``--asn-db`` names any MMDB whose records hold ``autonomous_system_number`` and
``autonomous_system_organization`` (MaxMind's GeoLite2-ASN and DB-IP's ASN Lite layouts, read through geoip2).

A network is named by its number (``AS4134``); an address the table has no network for is ``unknown``; an address
that is not on the public internet, or a host name, keeps its country's bucket (``private``, ``hostname``, …).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from .geo import BUCKETS, UNKNOWN, open_mmdb
from .timeline import NetworkMap

DEFAULT_CREDIT = "Networks: ip-location-db asn (sapics), CC BY 4.0, data by RouteViews, DB-IP (db-ip.com) and the NRO"
DEFAULT_BUILT = datetime(2026, 6, 17, tzinfo=UTC)
"""The day the shipped table's data is of (the package's version names it)."""
TYPED = ("GeoLite2-ASN", "GeoIP2-ISP", "DBIP-ASN-Lite", "DBIP-ASN-Lite (compat=GeoLite2-ASN)")
"""The database types geoip2 reads networks from with ``Reader.asn``; others are read as plain records."""


@dataclass(frozen=True, slots=True)
class NetworkDatabaseInfo:
    path: str
    database_type: str
    built: datetime
    credit: str


_KEPT = frozenset(BUCKETS) - {UNKNOWN}
"""The buckets an address keeps as its network (not on the public internet, or a host name): no lookup."""


def key(number: int) -> str:
    """Return the name a network goes by in counts: ``AS`` and its number."""
    return f"AS{number}"


class Networks:
    """Map addresses to their networks, each distinct address once; knows each network's organisation."""

    def __init__(self, path: Path | None = None) -> None:
        self.names: dict[str, str] = {}
        """Each network found so far → the organisation that holds it."""
        self._typed: Any = None
        self._reader: Any = None
        self._one: dict[str, str] = {}
        if path is None:
            self._table = _table()
            self.info = NetworkDatabaseInfo("", "ip-location-db-asn", DEFAULT_BUILT, DEFAULT_CREDIT)
            return
        self._reader = open_mmdb(path, "network (ASN)")
        meta = self._reader.metadata()
        if meta.database_type in TYPED:
            import geoip2.database

            self._reader.close()
            self._reader = None
            self._typed = geoip2.database.Reader(str(path))
        self.info = NetworkDatabaseInfo(
            str(path), meta.database_type, datetime.fromtimestamp(meta.build_epoch, UTC),
            f"Networks: {meta.database_type}",
        )  # fmt: skip

    def network(self, address: str, country: str) -> str:
        """Return the network of one address (``country``: its country or bucket), each address looked up once."""
        found = self._one.get(address)
        if found is None:
            if len(self._one) >= 1 << 16:
                self._one.clear()
            found = self._one[address] = self.networks([address], [country])[0]
        return found

    def networks(self, addresses: list[str], countries: list[str]) -> list[str]:
        """Return the network of each address (``countries``: each one's country or bucket, as geo.py gives it)."""
        if self._reader is None and self._typed is None:
            return self._from_table(addresses, countries)
        return [
            country if country in _KEPT else self._from_database(address)
            for address, country in zip(addresses, countries, strict=True)
        ]

    def _from_table(self, addresses: list[str], countries: list[str]) -> list[str]:
        """Look every address up at once: numbers in arrays, not a Python object per address (millions of them)."""
        table = self._table
        # Each address as its IPv4 number, -1 for an IPv6 address (or a name), -2 for a bucket's (kept as it is).
        pairs = zip(addresses, countries, strict=True)
        fours = np.fromiter(
            (-2 if country in _KEPT else _v4_number(address) for address, country in pairs), np.int64, len(addresses)
        )
        numbers = np.zeros(len(addresses), dtype=np.int64)  # the network's index in the table (0: none)
        is_four = fours >= 0
        at = np.searchsorted(table.v4_starts, fours[is_four].astype(np.uint32), side="right") - 1
        numbers[is_four] = table.v4_networks[at]
        for index in np.flatnonzero(fours == -1).tolist():
            numbers[index] = table.v6_network(addresses[index])
        found, where = np.unique(numbers, return_inverse=True)
        named = np.array([self._named(table, int(number)) for number in found] + [""], dtype=object)
        where[fours == -2] = len(found)  # the bucket's own name, below
        result: list[str] = named[where].tolist()
        for index in np.flatnonzero(fours == -2).tolist():
            result[index] = countries[index]
        return result

    def _named(self, table: _Table, index: int) -> str:
        if not index:
            return UNKNOWN
        name = key(int(table.numbers[index]))
        if name not in self.names:
            self.names[name] = table.name(index)
        return name

    def _from_database(self, address: str) -> str:
        if self._typed is not None:
            import geoip2.errors

            try:
                found = self._typed.asn(address)
            except (geoip2.errors.AddressNotFoundError, ValueError):
                return UNKNOWN
            number, organisation = found.autonomous_system_number, found.autonomous_system_organization
        else:
            try:
                record = self._reader.get(address)
            except ValueError:
                return UNKNOWN
            record = record if isinstance(record, dict) else {}
            number, organisation = record.get("autonomous_system_number"), record.get("autonomous_system_organization")
        if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
            return UNKNOWN
        name = key(number)
        if isinstance(organisation, str) and name not in self.names:
            self.names[name] = organisation
        return name

    def close(self) -> None:
        for reader in (self._typed, self._reader):
            if reader is not None:
                reader.close()

    def __enter__(self) -> Networks:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def network_map(country_of: Mapping[str, str], path: Path | None) -> NetworkMap:
    """Return the network of every address of ``country_of`` (address → country or bucket), and their names."""
    of: dict[str, str] = dict.fromkeys(country_of, UNKNOWN)  # made at its size at once: no map of millions regrown
    pairs = iter(country_of.items())
    with Networks(path) as networks:
        # A block of addresses at a time: the arrays a lookup works in are a few MB, not a few each per million.
        while block := list(islice(pairs, _BLOCK)):
            addresses, countries = [address for address, _ in block], [country for _, country in block]
            of.update(zip(addresses, networks.networks(addresses, countries), strict=True))
        return NetworkMap(of, dict(networks.names))


_BLOCK = 1 << 18
"""Addresses looked up at once by ``network_map``."""


def _v4_number(address: str) -> int:
    """Return an IPv4 address as its number, or -1 for anything else."""
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET, address), "big")
    except OSError:
        return -1


class _Table:
    """The shipped table, its arrays mapped from the package's files."""

    def __init__(self, folder: Path) -> None:
        def mapped(name: str) -> np.ndarray:
            values: np.ndarray = np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            return values

        self.v4_starts, self.v4_networks = mapped("v4_starts"), mapped("v4_networks")
        self.v6_high, self.v6_low, self.v6_networks = mapped("v6_high"), mapped("v6_low"), mapped("v6_networks")
        self.numbers, self.names, self.name_ends = mapped("numbers"), mapped("names"), mapped("name_ends")

    def v6_network(self, address: str) -> int:
        """Return the index of an IPv6 address's network (0: none, or not an address)."""
        try:
            parsed = ipaddress.IPv6Address(address)
        except ValueError:
            return 0
        if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.1, as sshd may log an IPv4 client on an IPv6 socket
            at = int(np.searchsorted(self.v4_starts, np.uint32(int(parsed.ipv4_mapped)), side="right")) - 1
            return int(self.v4_networks[at])
        value = int(parsed)
        high, low = value >> 64, value & (2**64 - 1)
        first = int(np.searchsorted(self.v6_high, np.uint64(high), side="left"))
        last = int(np.searchsorted(self.v6_high, np.uint64(high), side="right"))
        at = first + int(np.searchsorted(self.v6_low[first:last], np.uint64(low), side="right")) - 1
        return int(self.v6_networks[at]) if at >= 0 else 0

    def name(self, index: int) -> str:
        return bytes(self.names[int(self.name_ends[index]) : int(self.name_ends[index + 1])]).decode("utf-8")


@cache
def _table() -> _Table:
    return _Table(Path(str(resources.files("honeycast") / "data" / "networks")))
