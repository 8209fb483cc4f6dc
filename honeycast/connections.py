"""Which connection each sshd line belongs to, and what it adds to the counts by the rule book. No I/O.

A connection is an sshd process (host and pid) serving one client address and port. Its lines are grouped so
that each attempt counts once: a ``Failed`` line echoes the PAM failures waiting on its connection, and a PAM
failure no ``Failed`` line echoes counts when its connection is settled (``rules.Action``).

A connection is over, and takes no more lines, when sshd would have ended it: a line that authenticates anew (a
failure, a PAM failure, a login) never joins a connection that ended or logged in, nor one that has been quiet
for ``idle`` (sshd's ``LoginGraceTime``); such a line with the same pid is a new client of a reused pid.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .events import AuthEvent, EventKind
from .hostnames import names_another
from .parts import Carried, HeadKey, goes_on
from .rules import Action as A
from .rules import RuleBook


@dataclass(slots=True)
class _Pending:
    """PAM failures of one line that no ``Failed`` line has echoed yet."""

    time: datetime
    user: str | None
    times: int


@dataclass(slots=True)
class _Connection:
    """One client connection: an sshd process (host and pid) serving one client address and port."""

    seq: int
    host: str
    program: str
    pid: int
    source: str
    ip: str | None
    port: int | None
    tried: bool = False
    """Authentication was attempted (a failure, a PAM failure, or a login)."""
    closed: bool = False
    pending: deque[_Pending] = field(default_factory=deque)
    """PAM failures no ``Failed`` line has echoed yet, oldest first."""
    settled: int = 0
    """PAM failures counted without a ``Failed`` line; a ``Failed`` line that still comes for them adds nothing."""
    last: datetime | None = None
    """The time of its latest line."""
    session: bool = False
    """The client logged in: the connection lasts until it ends, however quiet."""
    head: bool = False
    """Its lines are left to the join (``SshdParser(head=…)``): it may go on a connection an earlier part left open."""
    epoch: int = 0
    """How often its host's log had gone back in time when it began: where that has happened since, it is over."""

    @property
    def open_login(self) -> bool:
        """A login not yet ended: it lasts however quiet it is."""
        return self.session and not self.closed

    ended: tuple[datetime, EventKind] | None = None
    """It ended without having tried to authenticate, at this time by a line of this kind: a probe, decided when it is
    over (a line that tries after its end, as a logout after a session's ``Received disconnect``, makes it none)."""


class Connections:
    """The connections of one input's lines, as they are read."""

    def __init__(self, rules: RuleBook) -> None:
        self.rules = rules
        self.settled: list[AuthEvent] = []
        """Attempts counted for earlier lines (PAM failures whose connection ended): take them after each line."""
        self._by_pid: dict[tuple[str, int], _Connection] = {}
        self._endpoints: dict[tuple[str, str, int], _Connection] = {}
        self._sessions: dict[tuple[str, str], _Connection] = {}
        """The latest login from each address on each host."""
        self._open: dict[int, _Connection] = {}
        """Every connection remembered, by sequence number (oldest first)."""
        self._waiting: dict[int, _Connection] = {}
        """Connections that may hold pending PAM failures."""
        self._seq = 0
        self._swept: datetime | None = None
        self.clocks: dict[str, datetime] = {}
        """Per host, the log's clock: the latest time read of its lines. A connection is quiet for as long as its
        host's log has gone on since its last line, so a log that goes back in time (a file read twice, a clock set
        back) joins no old connection; and the logs of several hosts may be read in any order."""
        self._hints: dict[str, datetime | None] = {}
        self._epochs: dict[str, int] = {}
        """Per host, how often its log has gone back in time (``_restart``)."""
        self._base: dict[str, datetime] = {}

    def finish(self, carry: bool = False) -> list[Carried]:
        """End of input: every connection is over, so its pending PAM failures count; with ``carry`` those a later
        part of the log may go on (quiet for less than ``idle`` and a minute by their host's clock, or logged in
        and open) are returned instead, as they are."""
        carried = []
        for connection in self._open.values() if carry else ():
            assert connection.last is not None
            if connection.head or self._gone(connection):  # its lines were left to the join, which keeps it; or over
                continue
            if goes_on(connection.open_login, connection.last, self.clocks[connection.host], self.rules):
                carried.append(self._carried(connection))
                self._waiting.pop(connection.seq, None)
        for connection in self._waiting.values():
            self._over(connection)
        self._waiting.clear()
        return carried

    def head_keys(self) -> list[HeadKey]:
        """Return who the connections of a part's head are (``HeadKey``)."""
        return [
            HeadKey(one.host, one.pid, one.source, one.port, one.last, one.open_login)  # type: ignore[arg-type]
            for one in self._open.values()
            if one.head
        ]

    def _carried(self, connection: _Connection) -> Carried:
        assert connection.last is not None
        return Carried(
            connection.host, connection.program, connection.pid, connection.source, connection.ip, connection.port,
            connection.tried, connection.closed, connection.session,
            self._sessions.get((connection.host, connection.source)) is connection, connection.ended, connection.last,
            tuple((one.time, one.user, one.times) for one in connection.pending), connection.settled,
        )  # fmt: skip

    def seed(self, carried: Iterable[Carried], clocks: dict[str, datetime] | None = None) -> None:
        """Take over connections an earlier part of the log left open, oldest first, as if its lines were read
        (``clocks``: each host's clock where the parts before ended)."""
        self.clocks = dict(clocks or {})
        self._base = dict(self.clocks)
        for one in carried:
            fresh = _Connection(self._seq, one.host, one.program, one.pid, one.source, one.ip, one.port)
            fresh.tried, fresh.closed, fresh.session, fresh.last = one.tried, one.closed, one.session, one.last
            fresh.pending = deque(_Pending(time, user, times) for time, user, times in one.pending)
            fresh.settled, fresh.ended = one.settled, one.ended
            self._seq += 1
            self._open[fresh.seq] = fresh
            self._by_pid[(one.host, one.pid)] = fresh
            if one.port is not None:
                self._endpoints[(one.host, one.source, one.port)] = fresh
            if one.session_key:
                self._sessions[(one.host, one.source)] = fresh
            if fresh.pending or fresh.ended:
                self._waiting[fresh.seq] = fresh

    def follow(self, time: datetime, kind: EventKind, connection: _Connection) -> None:
        """A line left to the join: it moves its connection along (its time, its end, its login), counting nothing."""
        actions = self.rules.of(kind)
        connection.head = True
        connection.last = time
        if actions & A.SESSION:
            self._sessions[(connection.host, connection.source)] = connection
            connection.session = True
        if actions & A.ENDS:
            connection.closed = True

    def _takes(self, connection: _Connection, time: datetime, actions: A) -> bool:
        """Whether a line at ``time`` doing ``actions`` may belong to ``connection``: no new authentication after
        it ended or logged in, and no line at all once it has been quiet for ``idle`` by its host's clock (unless
        it is an open login), nor after its host's log went back in time."""
        if self._gone(connection) or (actions & _AUTHENTICATES and (connection.closed or connection.session)):
            return False
        quiet = self.clocks[connection.host] - connection.last if connection.last is not None else None
        return connection.open_login or quiet is None or quiet <= self.rules.idle

    def _adopted(
        self, known: _Connection | None, host: str, pid: int, time: datetime, actions: A
    ) -> _Connection | None:
        """Return a connection a line names by another key than its pid (its address and port, or its address's
        open login) if it is open and takes the line; the line's pid joins it."""
        if known is None or known.closed or not self._takes(known, time, actions):
            return None
        self._by_pid[(host, pid)] = known
        return known

    def find(
        self,
        host: str,
        program: str,
        pid: int,
        source: str | None,
        ip: str | None,
        port: int | None,
        time: datetime,
        kind: EventKind,
    ) -> _Connection | None:
        """Return the connection a line belongs to, making it if it is new.

        A connection is its client's address and port as well as its process: a line naming the address
        and port of a connection not yet closed belongs to it whatever its pid (a session's logout is
        written by a child process, a login timeout by the listener), and that pid joins it.
        """
        actions = self.rules.of(kind)
        if source is not None and port is not None:
            adopted = self._adopted(self._endpoints.get((host, source, port)), host, pid, time, actions)
            if adopted is not None:
                return adopted
        known = self._by_pid.get((host, pid))
        if known is not None and not self._takes(known, time, actions):
            self._over(known)  # whatever comes now is another client of a reused pid
            known = None
        if source is None:
            return known
        if known is None and port is None:
            # Older sshd writes a session's end without the port, from the session's own process:
            # "Received disconnect from A: 11: disconnected by user". It ends the open login from A.
            adopted = self._adopted(self._sessions.get((host, source)), host, pid, time, actions)
            if adopted is not None:
                return adopted
        if known is not None and (known.ip is None) != (ip is None):
            # A host name and an address for one process are one client: with UseDNS, PAM's rhost is the
            # client's name where sshd's own lines have its address. The address names it from then on;
            # a name that spells out another address is another client.
            name, address = (source, known.ip) if ip is None else (known.source, ip)
            if not names_another(name, address):  # type: ignore[arg-type]
                if ip is not None:
                    known.source, known.ip = source, ip
                source, ip = known.source, known.ip
        if known is not None and known.source == source and (known.port is None or port in (None, known.port)):
            if port is not None and known.port is None:
                known.port = port
                self._endpoints[(host, source, port)] = known
            return known
        if known is not None:  # the pid serves another client now: the old connection is over
            self._over(known)
        if len(self._open) >= self.rules.max_connections:
            self._forget_older_half()
        fresh = _Connection(self._seq, host, program, pid, source, ip, port)
        fresh.epoch = self._epochs.get(host, 0)
        self._seq += 1
        self._open[fresh.seq] = fresh
        self._by_pid[(host, pid)] = fresh
        if port is not None:
            self._endpoints[(host, source, port)] = fresh
        return fresh

    def _forget_older_half(self) -> None:
        """Forget the older half of the connections (those that never logged their end), settling them."""
        older = list(self._open.values())[: self.rules.max_connections // 2]
        for connection in older:
            self._over(connection)
            del self._open[connection.seq]
            self._waiting.pop(connection.seq, None)
        kept = older[-1].seq + 1
        self._by_pid = {key: one for key, one in self._by_pid.items() if one.seq >= kept}
        self._endpoints = {key: one for key, one in self._endpoints.items() if one.seq >= kept}
        self._sessions = {key: one for key, one in self._sessions.items() if one.seq >= kept}

    def hint(self, host: str, clock: datetime | None) -> None:
        """Set a host's clock before a line to where the reader of its part had it (``clock``: it read lines the
        join does not), never behind where the parts before left it (unless that reader began again)."""
        if clock is None:
            return
        previous = self._hints.get(host)
        if previous is not None and previous - clock > self.rules.backwards:
            self._base.pop(host, None)  # the part's reader began again here: its log went back in time
        self._hints[host] = clock
        base = self._base.get(host)
        self.clocks[host] = clock if base is None or clock > base else base

    def sweep(self, time: datetime, host: str) -> None:
        """Move ``host``'s clock to ``time``; settle connections whose last PAM failure is over ``idle`` old, and
        decide the probes of ended connections quiet that long (over: no later line joins them), by their hosts'
        clocks; looked at every ``sweep`` of log time, to free memory (the counts are the same whenever it looks)."""
        now = self.clocks.get(host)
        if now is not None and now - time > self.rules.backwards:
            self._restart(host)  # the host's log went back in time (a file read twice, a clock set back)
            self.clocks[host] = time
        elif now is None or time > now:
            self.clocks[host] = time
        if self._swept is None:
            self._swept = time
            return
        if time - self._swept < self.rules.sweep:
            return
        self._swept = time
        idle = self.rules.idle
        for seq, connection in list(self._waiting.items()):
            assert connection.last is not None
            now = self.clocks[connection.host]
            if connection.pending and now - connection.pending[-1].time > idle:
                self._settle(connection)
            if connection.ended is not None and now - connection.last > idle:
                self._over(connection)
            if not connection.pending and connection.ended is None:
                del self._waiting[seq]

    def _restart(self, host: str) -> None:
        """Every connection of ``host`` is over: where its log steps back further than ``backwards``, none goes on.
        They stay where they are, gone: a line that finds one takes it for over."""
        self._epochs[host] = self._epochs.get(host, 0) + 1
        for seq, connection in list(self._waiting.items()):  # the others have nothing left to count
            if connection.host == host:
                self._over(connection)
                del self._waiting[seq]

    def _gone(self, connection: _Connection) -> bool:
        """Whether its host's log has gone back in time since it began: it is over, and nothing joins it."""
        return connection.epoch != self._epochs.get(connection.host, 0)

    def _over(self, connection: _Connection) -> None:
        """A connection no later line joins: its pending PAM failures count, and so does its probe if it ended
        without ever trying to authenticate."""
        self._settle(connection)
        if connection.ended is not None and not connection.tried:
            at, kind = connection.ended
            source_host = None if connection.ip else connection.source
            event = AuthEvent(
                at, connection.host, connection.program, connection.pid, kind, connection.ip, connection.port,
                None, None, 0, 0, True, source_host,
            )  # fmt: skip
            self.settled.append(event)
        connection.ended = None

    def _settle(self, connection: _Connection) -> None:
        """Count a connection's pending PAM failures, each at its own time: no Failed line will echo them now."""
        source_host = None if connection.ip else connection.source
        for one in connection.pending:
            self.settled.append(
                AuthEvent(
                    one.time,
                    connection.host,
                    connection.program,
                    connection.pid,
                    EventKind.PAM_FAILURE,
                    connection.ip,
                    connection.port,
                    one.user,
                    None,
                    0,
                    one.times,
                    False,
                    source_host,
                )
            )
            connection.settled += one.times
        connection.pending.clear()

    def count(
        self,
        time: datetime,
        kind: EventKind,
        count: int,
        user: str | None,
        connection: _Connection | None,
        covered: bool,
    ) -> tuple[int, bool]:
        """Return the attempts a line adds and whether it is a probe: a line of no connection that ends one (a
        connection's probe is decided when it is over, and comes among ``settled``).

        A PAM failure an earlier build counted (``covered``) waits for nothing: a ``Failed`` line echoing it adds
        nothing for it.
        """
        actions = self.rules.of(kind)
        if connection is None:
            return (count if actions & A.ATTEMPT else 0), bool(actions & A.ENDS and not actions & A.TRIES)
        connection.last = time
        pending = connection.pending
        if pending and self.clocks[connection.host] - pending[-1].time > self.rules.idle:
            self._settle(connection)  # waited longer than sshd waits: counted, whenever a sweep would come
        attempts = 0
        if actions & A.TRIES:
            connection.tried = True
            connection.ended = None  # it tried after all: no probe
        if actions & A.ATTEMPT:
            echoed = count
            pending = connection.pending
            while echoed and pending:  # the PAM failures this line echoes
                first = pending[0]
                taken = min(echoed, first.times)
                echoed -= taken
                first.times -= taken
                if not first.times:
                    pending.popleft()
                    # The same PAM line again, waiting right behind the one echoed, is a copy of it (a log
                    # forwarded twice): sshd writes its Failed line before the next attempt's PAM line.
                    while pending and pending[0].time == first.time and pending[0].user == first.user:
                        pending.popleft()
            already = min(echoed, connection.settled)
            connection.settled -= already
            attempts = count - already
        if actions & A.WAITS and covered:
            connection.settled += count  # counted by an earlier build: a Failed line echoing it adds nothing
        elif actions & A.WAITS:
            if not connection.pending:
                self._waiting[connection.seq] = connection
            connection.pending.append(_Pending(time, user, count))
            if len(connection.pending) >= self.rules.max_pending:
                self._settle(connection)
        if actions & A.KEEPS_OWN:
            connection.pending = deque(one for one in connection.pending if one.user != user)
        if actions & A.SETTLES:
            self._settle(connection)
        if actions & A.SESSION:
            self._sessions[(connection.host, connection.source)] = connection
            connection.session = True
        if actions & A.ENDS:
            if not connection.tried and not connection.closed and not covered:
                connection.ended = (time, kind)  # a probe, once it is over and has still not tried
                self._waiting[connection.seq] = connection
            connection.closed = True
        return attempts, False


_AUTHENTICATES = A.ATTEMPT | A.WAITS | A.LOGIN
"""Actions of a line that authenticates anew: it never joins a connection that ended or logged in."""
