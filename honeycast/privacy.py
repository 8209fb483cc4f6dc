"""What a published site may show: the owner's own logins and accounts stay private unless asked.

By default:
- successful logins appear only as counts per country, except those flagged as possible compromises
  (a login from an address that had failed before), which show their address and user;
- user names that are accounts on the host (any name with a successful login) are masked in the lists
  of names tried, because people type passwords into the user name field and real account names help
  the next attacker;
- with ``anonymize_ips``, every address is cut to its /24 (IPv4) or /48 (IPv6) network everywhere.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from .timeline import Timeline

LOCAL_ACCOUNT = "(an account on this host)"
HIDDEN = ""


@dataclass(frozen=True, slots=True)
class Privacy:
    publish_accepted: bool = False
    """Show every successful login's address and user."""
    show_all_users: bool = False
    """Do not mask user names that are accounts on the host."""
    anonymize_ips: bool = False
    """Cut addresses to /24 (IPv4) and /48 (IPv6)."""


def truncate(address: str) -> str:
    """Return the /24 or /48 network of an address (a host name stays a host name, unnamed)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "(host name)"
    prefix = 24 if parsed.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def publishable(timeline: Timeline, privacy: Privacy) -> Timeline:
    """Return the timeline as it may be published: the same counts, private names masked."""
    accounts = {login.user for login in timeline.logins}

    def user(name: str) -> str:
        return LOCAL_ACCOUNT if name in accounts and not privacy.show_all_users else name

    def address(value: str) -> str:
        return truncate(value) if privacy.anonymize_ips else value

    def rekey(counts: dict[str, int], change: Callable[[str], str]) -> Counter[str]:
        result: Counter[str] = Counter()
        for key, value in counts.items():
            result[change(key)] += value
        return result

    slices = tuple(
        replace(one, sources=dict(rekey(one.sources, address)), users=dict(rekey(one.users, user)))
        for one in timeline.slices
    )
    logins = tuple(
        replace(login, address=address(login.address))
        if privacy.publish_accepted
        else replace(login, address=HIDDEN, user=HIDDEN)
        for login in timeline.logins
    )
    return replace(
        timeline,
        slices=slices,
        users=rekey(timeline.users, user),
        countries={address(key): value for key, value in timeline.countries.items()},
        compromises=tuple(replace(one, address=address(one.address)) for one in timeline.compromises),
        logins=logins,
    )
