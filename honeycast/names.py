"""The first user names an address tried, each with the time it was first tried and whether sshd called it invalid
then: kept a few per address (the rule book's ``attack_names``), the same whichever part of a log they came from."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class Named(NamedTuple):
    """A user name an address tried (or that sshd called invalid), first at ``time``."""

    time: datetime
    user: str
    invalid: bool


def noted(kept: tuple[Named, ...], time: datetime, user: str, invalid: bool, limit: int) -> tuple[Named, ...]:
    """Return the first ``limit`` distinct names with ``user`` (tried at ``time``) noted, earliest first.

    A name is kept with the time it was first tried and whether sshd called it invalid then (a later line calling
    it invalid, as on another host, changes nothing: it was not so before that time). Kept lists of parts of a log
    merge into the list of the whole: a name among the first few of the whole is among the first few of the part
    it was first tried in, with its first time. Nothing is made when nothing changes (the common case: a name
    tried again, or a fourth one), as this runs for every failed line.
    """
    for index, known in enumerate(kept):
        if known.user == user:
            if time > known.time or (time == known.time and (known.invalid or not invalid)):
                return kept
            kept = kept[:index] + kept[index + 1 :]  # noted earlier than kept, or called invalid at that very time
            break
    else:
        if len(kept) == limit and (time, user) >= (kept[-1].time, kept[-1].user):
            return kept
    # Earliest first; names tried at one instant in the order of their text, so any part keeps the same ones.
    return tuple(sorted((*kept, Named(time, user, invalid)), key=lambda one: (one.time, one.user))[:limit])


def merged_names(mine: tuple[Named, ...], theirs: tuple[Named, ...], limit: int) -> tuple[Named, ...]:
    """Return two parts' kept names as one: each name as ``noted`` keeps it (its first time; called invalid if it
    was so at that very time), the first ``limit`` of them. The same as noting each of ``theirs`` in ``mine``."""
    if not theirs:
        return mine
    if not mine:
        return theirs
    # Parts of a log in time order: where one list ends before the other begins, the later one's new names follow.
    if mine[-1].time < theirs[0].time or theirs[-1].time < mine[0].time:
        earlier, later = (mine, theirs) if mine[-1].time < theirs[0].time else (theirs, mine)
        if len(earlier) >= limit:
            return earlier
        tried = {one.user for one in earlier}
        return (*earlier, *(one for one in later if one.user not in tried))[:limit]
    first: dict[str, Named] = {}
    for one in (*mine, *theirs):
        known = first.get(one.user)
        if known is None or one.time < known.time or (one.time == known.time and one.invalid and not known.invalid):
            first[one.user] = one
    return tuple(sorted(first.values(), key=lambda one: (one.time, one.user))[:limit])
