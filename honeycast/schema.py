"""The history's documents as ``build --append`` reads them back: untrusted input, checked field by field.

A published site may be edited, truncated or hostile. Every value is checked for its type and range before it
is used, and the first that is not what honeycast writes is refused with the file and the field it is in
(``days[3].totals.CN``). README, "History", documents every key these checks enforce.
"""

from __future__ import annotations

import decimal
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from .sources import MAX_LINE

MAX_COUNT = 2**53 - 1
"""The largest count kept: every count stays exact as a JavaScript number, so the viewer adds it up exactly."""
MAX_TEXT = MAX_LINE
"""The longest key or name kept (a country code, a bucket, a host's shown name, a digest, a user name): as long as
the longest line read, since a name comes from a line and an attacker chooses the user names it tries (PAM writes
them whole) and a reverse zone's owner the host names."""


class Invalid(ValueError):
    """A value that is not what the history keeps there."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")


def parse(text: str) -> Any:
    """Return a JSON document; numbers with a fraction or exponent are kept as written (``Decimal``), never as a
    float that rounds or overflows to infinity, and ``NaN`` and ``Infinity`` are refused."""

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    return json.loads(text, parse_float=decimal.Decimal, parse_constant=constant)


def at(where: str, key: str) -> str:
    """The name of the field ``key`` of ``where``: a key from the document is shown as data, on one line."""
    shown = key if _PLAIN_KEY.fullmatch(key) else json.dumps(key[:64])
    return f"{where}.{shown}" if where else shown


_PLAIN_KEY = re.compile(r"[\w.:+-]{1,64}")
DIGEST = re.compile(r"[0-9a-f]{16}")
"""A digest of a name or an address as the history keeps it (``tally.digest``)."""


def _shown(value: Any) -> str:
    shown = json.dumps(value, default=str) if not isinstance(value, decimal.Decimal) else str(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def count(value: Any, field: str) -> int:
    """A count: a whole JSON number from 0 to ``MAX_COUNT`` (not a string, boolean, fraction or null)."""
    if type(value) is not int or not 0 <= value <= MAX_COUNT:
        raise Invalid(field, f"expected a count (a whole number from 0 to 2^53 - 1), found {_shown(value)}")
    return value


def seconds(value: Any, field: str) -> float:
    """A length of time in seconds: a JSON number from 0 to ``MAX_COUNT``, whole or with a fraction."""
    if type(value) not in (int, decimal.Decimal) or not 0 <= value <= MAX_COUNT:
        raise Invalid(field, f"expected seconds (a number from 0 to 2^53 - 1), found {_shown(value)}")
    return float(value)


def positive(value: Any, field: str) -> int:
    """A count above zero."""
    found = count(value, field)
    if found == 0:
        raise Invalid(field, "expected a number above 0, found 0")
    return found


def text(value: Any, field: str) -> str:
    """A string of at most ``MAX_TEXT`` characters."""
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise Invalid(field, f"expected a string of at most {MAX_TEXT} characters, found {_shown(value)}")
    return value


def moment(value: Any, field: str) -> datetime:
    """A time with its UTC offset, as ISO 8601 text."""
    try:
        found = datetime.fromisoformat(text(value, field))
    except ValueError:
        found = None
    if found is None or found.utcoffset() is None:
        raise Invalid(field, f"expected a time with its UTC offset (ISO 8601), found {_shown(value)}")
    return found


def flag(value: Any, field: str) -> bool:
    """``true`` or ``false`` (not 0, 1 or a string)."""
    if type(value) is not bool:
        raise Invalid(field, f"expected true or false, found {_shown(value)}")
    return value


MAX_PID = 10**18 - 1
"""The largest process id a line is read with (18 digits, ``headers``): what is kept of a connection is read back."""


def pid(value: Any, field: str) -> int:
    """A process id as a line gave it, 0 to ``MAX_PID`` (a count, beyond what a JavaScript number holds exactly:
    no page reads it)."""
    if type(value) is not int or not 0 <= value <= MAX_PID:
        raise Invalid(field, f"expected a process id (0 to 10^18 - 1), found {_shown(value)}")
    return value


MAX_PORT = 999_999_999
"""The largest port a line is read with (nine digits, as both readers read a number): sshd writes 0 to 65535, but a
connection is kept with the port its line gave, and what is kept must be read back."""


def port(value: Any, field: str) -> int | None:
    """A port as a line gave it, 0 to ``MAX_PORT``, or null."""
    if value is not None and (type(value) is not int or not 0 <= value <= MAX_PORT):
        raise Invalid(field, f"expected a port (0 to {MAX_PORT:,}) or null, found {_shown(value)}")
    return value


def matching(value: Any, field: str, pattern: re.Pattern[str], expected: str) -> str:
    """A string the whole of which ``pattern`` matches (``expected`` says what it is)."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise Invalid(field, f"expected {expected}, found {_shown(value)}")
    return value


def mapping(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(field, f"expected an object, found {_shown(value)}")
    return value


def listing(value: Any, field: str, length: int | None = None) -> list[Any]:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        expected = "a list" if length is None else f"a list of {length} items"
        raise Invalid(field, f"expected {expected}, found {_shown(value)}")
    return value


def counts(value: Any, field: str) -> dict[str, int]:
    """An object of counts by name."""
    return {text(key, f"{field}.{key}"): count(one, f"{field}.{key}") for key, one in mapping(value, field).items()}


def top(value: Any, field: str) -> list[list[Any]]:
    """A top list: pairs of a name and its count."""
    found = []
    for index, pair in enumerate(listing(value, field)):
        name, number = listing(pair, f"{field}[{index}]", 2)
        found.append([text(name, f"{field}[{index}][0]"), count(number, f"{field}[{index}][1]")])
    return found


def field(document: dict[str, Any], key: str, where: str = "") -> Any:
    """The value at ``key``, which must be there."""
    if key not in document:
        raise Invalid(f"{where}{key}", "missing")
    return document[key]


def load(path: Path) -> dict[str, Any]:
    """Return a history document (an object) read from ``path``; ValueError or OSError if it cannot be."""
    document = parse(path.read_text(encoding="utf-8"))
    return mapping(document, "(the document)")
