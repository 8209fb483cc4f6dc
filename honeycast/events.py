"""The records that flow between honeycast's stages."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class EventKind(StrEnum):
    """The family of an sshd log line. README.md has the table of what each adds to the counts."""

    FAILED = "failed"
    INVALID_USER = "invalid_user"
    ACCEPTED = "accepted"
    NOT_ALLOWED = "not_allowed"
    ROOT_REFUSED = "root_refused"
    PAM_FAILURE = "pam_failure"
    PAM_MORE = "pam_more"
    MAX_ATTEMPTS = "max_attempts"
    TOO_MANY_FAILURES = "too_many_failures"
    ACCOUNT_LOCKED = "account_locked"
    DISCONNECTED = "disconnected"
    RECEIVED_DISCONNECT = "received_disconnect"
    NO_IDENTIFICATION = "no_identification"
    BAD_PROTOCOL = "bad_protocol"
    NEGOTIATION_FAILED = "negotiation_failed"
    TIMEOUT = "timeout"
    REVERSE_MAPPING = "reverse_mapping"
    REFUSED_CONNECT = "refused_connect"
    CONNECTION = "connection"
    LOGOUT = "logout"
    DROPPED = "dropped"
    UNKNOWN = "unknown"


class AuthEvent(NamedTuple):
    """One sshd log line.

    Field names follow pylogsparser's tags where it has one (``source_ip``, ``source_port``,
    ``user``, ``method``, ``program``). A named tuple rather than a dataclass: a busy server
    logs millions of these a day and a tuple is four times cheaper to make.
    """

    time: datetime
    host: str
    program: str
    pid: int | None
    kind: EventKind
    source_ip: str | None
    """A canonical IPv4 or IPv6 address, read from sshd's fixed tail; None if the line names none."""
    source_port: int | None
    user: str | None
    method: str | None
    count: int = 1  # type: ignore[assignment]  # shadows tuple.count, which no one calls on an event
    """1, or N for ``message repeated N times``; 0 for a settlement (PAM failures counted when their
    connection ended without a ``Failed`` line for them), which stands for no line of its own."""
    attempts: int = 0
    """Failed authentications this line adds (README: "What counts as an attempt")."""
    probe: bool = False
    """This line ends a connection that never tried to authenticate."""
    source_host: str | None = None
    """A host name (or malformed address) sshd logged in place of an address; never resolved."""
    covered: bool = False
    """An earlier build counted this line (``--append``): it is read for its connection and counted in nothing."""
    line_key: str = ""
    """Which line of its host at its instant this is (``spans.line_key`` of its own fields); "" for a settlement."""


def event_record(
    event: AuthEvent, country: str | None, network: str | None = None, network_name: str | None = None
) -> dict[str, object]:
    """Return the JSON shape of an event, as ``honeycast parse`` prints it."""
    return {
        "time": event.time.isoformat(),
        "host": event.host,
        "program": event.program,
        "pid": event.pid,
        "kind": event.kind.value,
        "source_ip": event.source_ip,
        "source_host": event.source_host,
        "source_port": event.source_port,
        "user": event.user,
        "method": event.method,
        "count": event.count,
        "attempts": event.attempts,
        "probe": event.probe,
        "country": country,
        "network": network,
        "network_name": network_name,
    }
