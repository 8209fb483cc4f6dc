"""What a published site may show: the owner's own logins, network and accounts stay private unless asked.

By default:
- addresses that logged in without attacking first are the owner's (``Timeline.owners``): they are in no
  count at all; successful logins appear only as counts per country, except compromises (an address's
  first login after it attacked), which show their address and user;
- addresses of the owner's own network (private, loopback, link-local and carrier-grade NAT ranges) and
  host names that look internal are shown as their network's name, never verbatim;
- user names that are accounts on the host (any name with a successful login) are masked in the lists
  of names tried, because people type passwords into the user name field and real account names help
  the next attacker;
- with ``anonymize_ips``, every address is cut to its /24 (IPv4) or /48 (IPv6) network everywhere.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .geo import HOSTNAME
from .shapes import BUCKET_NAMES
from .tally import digest
from .timeline import Compromise, Login, Timeline

LOCAL_ACCOUNT = "(an account on this host)"
OWNER_ADDRESS = "(the owner's address)"
HIDDEN = ""


@dataclass(frozen=True, slots=True)
class Privacy:
    publish_accepted: bool = False
    """Show every successful login's address and user."""
    show_all_users: bool = False
    """Do not mask user names that are accounts on the host."""
    anonymize_ips: bool = False
    """Cut addresses to /24 (IPv4) and /48 (IPv6)."""
    show_internal: bool = False
    """Show addresses of the owner's network and internal host names verbatim."""
    show_hosts: bool = False
    """Show the servers' host names as logged (else as a digest of each name)."""
    named_hosts: frozenset[str] = frozenset()
    """Host names the user gave (``--host``): shown as given."""

    def host(self, name: str) -> str:
        """Return the name a server is published under."""
        return host_label(name, self.show_hosts or name in self.named_hosts)


INTERNAL_BUCKETS = frozenset({"loopback", "private", "link_local", "cgnat"})
"""Address buckets (``geo.special_bucket``) that are the owner's own network."""
INTERNAL_NAME_SUFFIXES = (
    ".local", ".lan", ".home", ".home.arpa", ".internal", ".intranet", ".corp", ".localdomain", ".localhost",
)  # fmt: skip
"""Endings of host names that name no place on the internet (mDNS, RFC 8375, common private zones)."""
INTERNAL_HOST = "Internal host names"


def host_label(name: str, shown: bool) -> str:
    """Return the name a server is published under: its own with ``show_hosts`` (or ``--host``), else a digest of
    it that is the same in every build (``host-3fa2c1``), so hosts can be told apart without being named."""
    return name if shown else "host-" + digest(name)[:6]


def internal_name(host: str) -> bool:
    """Return whether a host name sshd logged looks like one of the owner's own machines."""
    name = host.lower().rstrip(".")
    return "." not in name or name == "localhost" or name.endswith(INTERNAL_NAME_SUFFIXES)


def truncate(address: str) -> str:
    """Return the /24 or /48 network of an address (a host name stays a host name, unnamed)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "(host name)"
    prefix = 24 if parsed.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def shown_address(value: str, bucket: str | None, privacy: Privacy) -> str:
    """Return an address (of country or bucket ``bucket``) as a site may show it: the owner's network by its
    bucket's name unless ``show_internal``, truncated with ``anonymize_ips``."""
    if not privacy.show_internal:
        if bucket in INTERNAL_BUCKETS:
            return BUCKET_NAMES[bucket]
        if bucket == HOSTNAME and internal_name(value):
            return INTERNAL_HOST
    return truncate(value) if privacy.anonymize_ips else value


def publishable(timeline: Timeline, privacy: Privacy) -> Timeline:
    """Return the timeline as it may be published: the same counts, private names masked."""
    accounts = {login.user for login in timeline.logins}
    owned = None
    if timeline.owners:  # written into user names, an owner's address would show through them
        alternatives = "|".join(map(re.escape, sorted(timeline.owners, key=len, reverse=True)))
        owned = re.compile(rf"(?<![\w.:])(?:{alternatives})(?![\w.:])")

    def user(name: str) -> str:
        if name in accounts and not privacy.show_all_users:
            return LOCAL_ACCOUNT
        return owned.sub(OWNER_ADDRESS, name) if owned is not None else name

    def address(value: str, bucket: str | None = None) -> str:
        return shown_address(value, bucket or timeline.country_of.get(value), privacy)

    # Each name is changed once, not once per slice it appears in; a slice none of whose names change is kept.
    # Without --anonymize-ips only the owner's network and host names can change: millions of others are not asked.
    changeable: Iterable[tuple[str, str]] = timeline.country_of.items()
    if not privacy.anonymize_ips:
        changeable = ((key, bucket) for key, bucket in changeable if bucket in INTERNAL_BUCKETS or bucket == HOSTNAME)
    addresses = {key: changed for key, bucket in changeable if (changed := address(key, bucket)) != key}
    users = {key: changed for key in timeline.users if (changed := user(key)) != key}

    def rekey(counts: dict[str, int], changes: dict[str, str]) -> dict[str, int]:
        changing = changes.keys() & counts.keys()
        if not changing:
            return counts
        result = dict(counts)
        moved = [(changes[key], result.pop(key)) for key in changing]
        for key, value in moved:
            result[key] = result.get(key, 0) + value
        return result

    slices = tuple(
        replace(one, sources=rekey(one.sources, addresses), users=rekey(one.users, users)) for one in timeline.slices
    )
    # One a login (there may be many thousands): made directly, as replace() looks each field up every time.
    logins = tuple(
        Login(login.time, address(login.address, login.country), login.country, login.user)
        if privacy.publish_accepted
        else Login(login.time, HIDDEN, login.country, HIDDEN)
        for login in timeline.logins
    )

    host = privacy.host
    slices = tuple(
        replace(
            one,
            hosts={host(name): counts for name, counts in one.hosts.items()},
            host_probes={host(name): counts for name, counts in one.host_probes.items()},
        )
        for one in slices
    )
    return replace(
        timeline,
        slices=slices,
        hosts=tuple(sorted(map(host, timeline.hosts))),
        users=Counter(rekey(timeline.users, users)),
        country_of={addresses.get(key, key): value for key, value in timeline.country_of.items()}
        if addresses
        else timeline.country_of,  # the same: not a second map of millions of addresses
        compromises=tuple(
            Compromise(one.time, address(one.address, one.country), one.country, one.user, one.failures)
            for one in timeline.compromises
        ),
        logins=logins,
        owners=frozenset(),
    )
