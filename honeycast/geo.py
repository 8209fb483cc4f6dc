"""Locate source addresses in a country, offline, from an MMDB file."""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import maxminddb

from .errors import UsageError

if TYPE_CHECKING:
    import geoip2.database

DEFAULT_DB = "geo-whois-asn-country.mmdb"
DEFAULT_CREDIT = "IP geolocation: geo-whois-asn-country (sapics/ip-location-db), CC BY 4.0, data by the NRO and RIRs"

UNKNOWN = "unknown"
"""Public address the database has no country for."""
HOSTNAME = "hostname"
"""sshd logged a host name (or a malformed address) instead of an address; honeycast never resolves names."""

# Buckets for addresses that are not on the public internet, in the order they are tested.
# These markers are lower case so they never collide with an ISO 3166 alpha-2 code.
_SPECIAL_NETWORKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("loopback", ("127.0.0.0/8", "::1/128")),
    ("private", ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")),
    ("link_local", ("169.254.0.0/16", "fe80::/10")),
    ("cgnat", ("100.64.0.0/10",)),
    ("documentation", ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")),
)
BUCKETS = (*tuple(name for name, _ in _SPECIAL_NETWORKS), "reserved", HOSTNAME, UNKNOWN)
"""Every non-country value ``Geolocator.country`` can return."""

_NETWORKS = tuple((name, ipaddress.ip_network(network)) for name, networks in _SPECIAL_NETWORKS for network in networks)


_V4_SPECIAL_OCTETS = frozenset({0, 10, 100, 127, 169, 172, 192, 198, 203, *range(224, 256)})
"""First octets of every IPv4 network above or not global (IANA special-purpose registry); others are public."""


def special_bucket(ip: str) -> str | None:
    """Return the bucket of an address that is not publicly routed, or None for a public one."""
    try:  # the common case, a public IPv4 address, decided without building an ipaddress object
        packed = socket.inet_pton(socket.AF_INET, ip)
    except OSError:
        packed = b""  # IPv6 (or no address: ipaddress says so below)
    if packed and packed[0] not in _V4_SPECIAL_OCTETS:
        return None
    address = ipaddress.ip_address(ip)
    for name, network in _NETWORKS:
        if address.version == network.version and address in network:
            return name
    return None if address.is_global else "reserved"


def country_of(record: Any) -> str | None:
    """Return the alpha-2 code in an MMDB record, in any of the layouts honeycast knows.

    GeoLite2 and DB-IP write ``{"country": {"iso_code": "CN"}}`` (falling back to the
    registered country); ip-location-db writes ``{"country_code": "CN"}``.
    """
    if not isinstance(record, dict):
        return None
    code = record.get("country_code")
    if code is None or len(record) > 1:  # not ip-location-db's one key (the bundled database's): look further
        for key in ("country", "registered_country"):
            nested = record.get(key)
            if isinstance(nested, dict) and isinstance(nested.get("iso_code"), str):
                return str(nested["iso_code"]).upper()
    return code.upper() if isinstance(code, str) and len(code) == 2 else None


@dataclass(frozen=True, slots=True)
class GeoDatabaseInfo:
    path: str
    database_type: str
    built: datetime
    credit: str


def default_database() -> Path:
    """Return the database honeycast ships, or the one named by ``HONEYCAST_GEOIP_DB``."""
    override = os.environ.get("HONEYCAST_GEOIP_DB")
    if override:
        return Path(override)
    return Path(str(resources.files("honeycast") / "data" / DEFAULT_DB))


def typed_layout(database_type: str) -> str | None:
    """Return the geoip2 model (``Country`` or ``City``) that reads a database of this type, or None.

    MaxMind's GeoIP2/GeoLite2 and DB-IP's databases name their layout in their type (``GeoLite2-Country``,
    ``DBIP-City-Lite``); geoip2 reads those into typed records. Other layouts are read as plain records.
    """
    return next((model for model in ("Country", "City") if model in database_type), None)


def open_mmdb(path: Path, kind: str) -> maxminddb.Reader:
    """Open an MMDB file, or say in one line why it cannot be (``kind``: what database it is meant to be)."""
    try:
        return maxminddb.open_database(str(path))
    except FileNotFoundError:
        raise UsageError(f"{path}: {kind} database not found") from None
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as error:
        raise UsageError(f"{path}: not a readable MMDB {kind} database ({error})") from None


class Geolocator:
    """Map addresses to country codes or buckets, looking each distinct address up once."""

    def __init__(self, path: Path | None = None) -> None:
        path = path or default_database()
        self._reader = open_mmdb(path, "GeoIP")
        meta = self._reader.metadata()
        self._typed: geoip2.database.Reader | None = None
        self._model = typed_layout(meta.database_type)
        if self._model is not None:  # read through geoip2's typed reader (it opens the file itself)
            import geoip2.database

            self._reader.close()
            self._typed = geoip2.database.Reader(str(path))
        credit = DEFAULT_CREDIT if path.name == DEFAULT_DB else f"IP geolocation: {meta.database_type}"
        self.info = GeoDatabaseInfo(
            path=str(path),
            database_type=meta.database_type,
            built=datetime.fromtimestamp(meta.build_epoch, UTC),
            credit=credit,
        )
        self._cache: dict[str, str] = {}
        self._codes: dict[str, str] = {}

    CACHE = 1 << 16
    """Addresses whose country is kept for the next time they are asked for: a day's attackers many times over,
    and little memory where millions of addresses come once each."""

    def country(self, ip: str) -> str:
        """Return the alpha-2 code of an address, or one of ``BUCKETS``."""
        found = self._cache.get(ip)
        if found is None:
            found = self._locate(ip)
            if len(self._cache) >= self.CACHE:
                self._cache.clear()
            self._cache[ip] = found
        return found

    def countries(self, addresses: list[str]) -> list[str]:
        """Return ``country`` of each address, in order: the loop over every distinct address a log holds,
        kept lean (the bundled database's records read inline, where ``country`` calls three functions)."""
        if self._typed is not None:
            return [self.country(ip) for ip in addresses]
        cache, get, inet_pton, special = self._cache, self._reader.get, socket.inet_pton, _V4_SPECIAL_OCTETS
        codes: dict[str, str] = {}  # a record's country_code as written: the code it reads as
        found: list[str] = []
        for ip in addresses:
            code = cache.get(ip)
            if code is None:
                try:
                    public = inet_pton(socket.AF_INET, ip)[0] not in special
                except OSError:
                    public = False
                if public:
                    record = get(ip)
                    raw = record.get("country_code") if type(record) is dict and len(record) == 1 else None
                    code = codes.get(raw) if type(raw) is str else None
                    if code is None:
                        code = self._code(country_of(record))
                        if type(raw) is str:  # a record of the one key: its code says it all
                            codes[raw] = code
                else:
                    code = self._locate(ip)
                if len(cache) >= self.CACHE:
                    cache.clear()
                cache[ip] = code
            found.append(code)
        return found

    def _locate(self, ip: str) -> str:
        """Return the bucket or country of an address not in the cache."""
        return special_bucket(ip) or self._lookup(ip) or UNKNOWN

    def _code(self, code: str | None) -> str:
        """Return ``code`` (UNKNOWN for None) as the one object kept for it: millions of addresses share a few."""
        code = code or UNKNOWN
        return self._codes.setdefault(code, code)

    def _lookup(self, ip: str) -> str | None:
        if self._typed is None:
            return self._code(country_of(self._reader.get(ip)))
        import geoip2.errors

        try:
            found = self._typed.country(ip) if self._model == "Country" else self._typed.city(ip)
        except geoip2.errors.AddressNotFoundError:
            return None
        code = found.country.iso_code or found.registered_country.iso_code
        return self._code(code.upper()) if code else None

    def close(self) -> None:
        if self._typed is not None:
            self._typed.close()
        else:
            self._reader.close()

    def __enter__(self) -> Geolocator:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
