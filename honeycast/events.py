"""The records that flow between honeycast's stages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class EventKind(StrEnum):
    """What an sshd line says happened."""

    FAILED = "failed"
    """A failed authentication: one attempt, or N for ``message repeated N times``."""
    INVALID_USER = "invalid_user"
    """A connection naming a user the server does not have; counts no attempt by itself."""
    ACCEPTED = "accepted"
    """A successful login."""


@dataclass(frozen=True, slots=True)
class AuthEvent:
    """One sshd log line that names a source address.

    Field names follow pylogsparser's tags where it has one (``source_ip``,
    ``source_port``, ``user``, ``method``, ``program``).
    """

    time: datetime
    host: str
    program: str
    pid: int | None
    kind: EventKind
    source_ip: str
    source_port: int | None
    user: str
    method: str | None
    count: int = 1

    @property
    def attempts(self) -> int:
        """Return how many failed authentications this event stands for."""
        return self.count if self.kind is EventKind.FAILED else 0


def event_record(event: AuthEvent, country: str) -> dict[str, object]:
    """Return the JSON shape of an event, as ``honeycast parse`` prints it."""
    return {
        "time": event.time.isoformat(),
        "host": event.host,
        "program": event.program,
        "pid": event.pid,
        "kind": event.kind.value,
        "source_ip": event.source_ip,
        "source_port": event.source_port,
        "user": event.user,
        "method": event.method,
        "count": event.count,
        "country": country,
    }
