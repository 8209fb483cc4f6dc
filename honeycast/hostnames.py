"""What a client's host name says of its address: PAM's ``rhost`` is a name where sshd's own lines have the
address (``UseDNS``), and a name may spell out an address of its own."""

from __future__ import annotations

import re

_QUAD = re.compile(r"(?=(?<![0-9])([0-9]{1,3})[.-]([0-9]{1,3})[.-]([0-9]{1,3})[.-]([0-9]{1,3})(?![0-9]))")
"""Four numbers joined by dots or dashes, at every run of digits (overlapping: ``ec2-52-80-34-196`` holds two)."""


def names_another(name: str, address: str) -> bool:
    """Whether a host name spells out an IPv4 address (as ``host-37-47-209-65.example.net`` or, reversed,
    ``65.209.47.37.in-addr.arpa`` do) that is not ``address``: then it names another client."""
    if ":" in address:
        return False
    found = [[int(part) for part in match.groups()] for match in _QUAD.finditer(name)]
    quads = [parts for parts in found if max(parts) <= 255]
    spelled = {".".join(map(str, way)) for parts in quads for way in (parts, parts[::-1])}
    return bool(quads) and address not in spelled
