"""honeycast against fail2ban's own sshd test corpus.

Debian's fail2ban package carries ``tests/files/logs/sshd``: real sshd lines (and crafted
injection attempts), each annotated with what fail2ban's filter must find. The package is
GPL, so it is downloaded and unpacked at test time and never stored here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from readers import assert_same_tallies, tallied

from honeycast.events import AuthEvent
from honeycast.sshd import SshdParser, normalize_ip

CACHE = Path(__file__).parent / ".cache"
CORPUS = "usr/lib/python3/dist-packages/fail2ban/tests/files/logs"


@pytest.fixture(scope="module")
def corpus() -> Path:
    logs = CACHE / "fail2ban" / CORPUS
    if not (logs / "sshd").exists():
        CACHE.mkdir(exist_ok=True)
        for stale in CACHE.glob("fail2ban_*.deb"):
            stale.unlink()
        subprocess.run(["apt-get", "download", "fail2ban"], cwd=CACHE, check=True, capture_output=True)
        package = next(CACHE.glob("fail2ban_*.deb"))
        shutil.rmtree(CACHE / "fail2ban", ignore_errors=True)
        subprocess.run(["dpkg-deb", "-x", str(package), str(CACHE / "fail2ban")], check=True)
    return logs


def annotated(path: Path) -> list[tuple[dict[str, object], str]]:
    """Return (annotation, line) for every log line that follows a ``# failJSON`` comment."""
    pairs = []
    annotation: dict[str, object] | None = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("# failJSON:"):
            annotation = json.loads(line.removeprefix("# failJSON:"))
        elif line.strip() and not line.startswith("#"):
            if annotation is not None:
                pairs.append((annotation, line))
            annotation = None
    return pairs


def expected_host(annotation: dict[str, object]) -> str | None:
    if not annotation.get("match"):
        return None
    host = annotation.get("host") or annotation.get("ip4") or annotation.get("ip6")
    return str(host) if host else None


def names_host(event: AuthEvent | None, host: str) -> bool:
    if event is None:
        return False
    return event.source_ip == (normalize_ip(host) or host) or event.source_host == host


# Where fail2ban's annotation reads a line in a way OpenSSH cannot have written it: the line and the host
# honeycast names instead. auth.c writes ": INFO" after "ssh2" only for key methods, so a password
# failure ends at its last "from IP port N ssh2", and everything before it is the user name.
GRAMMAR_DIFFERS = {
    "Failed password for invalid user test from 127.0.0.1 port 58946 ssh2: from 10.10.1.2 port 55555 ssh2": "10.10.1.2",
}


def missed_hosts(found: list[tuple[AuthEvent | None, str | None, str]]) -> tuple[int, list[str]]:
    """Return how many (event, host fail2ban expects, line) were checked and the lines whose host differs."""
    checked, missed, differs = 0, [], 0
    for event, host, line in found:
        ours = next((ip for text, ip in GRAMMAR_DIFFERS.items() if line.endswith(text)), None)
        if ours is not None:
            differs += 1
            assert names_host(event, ours), line
        elif host is not None:
            checked += 1
            if not names_host(event, host):
                missed.append(line)
    assert differs == len(GRAMMAR_DIFFERS)
    return checked, missed


def test_every_failure_fail2ban_finds_names_the_same_host(corpus: Path) -> None:
    parser = SshdParser(UTC, reference=datetime(2006, 1, 1, tzinfo=UTC))
    found = [(parser.parse(line), expected_host(annotation), line) for annotation, line in annotated(corpus / "sshd")]
    checked, missed = missed_hosts(found)
    assert checked > 90
    assert missed == []


def journal_record(line: str, index: int) -> str:
    """Return a ``host sshd[pid]: message`` line as the record ``journalctl -o json`` writes for it."""
    host, _, rest = line.partition(" ")
    program, _, message = rest.partition(": ")
    name, _, pid = program.rstrip("]").partition("[")
    record = {
        "__REALTIME_TIMESTAMP": str(1_700_000_000_000_000 + index * 1_000_000),
        "_HOSTNAME": host,
        "SYSLOG_IDENTIFIER": name,
        "_PID": pid,
        "MESSAGE": message,
    }
    return json.dumps(record)


def test_the_journal_corpus_read_as_journald_json(corpus: Path) -> None:
    """fail2ban's journal corpus holds ``host sshd[pid]: message`` lines; feed them as ``journalctl -o json``."""
    parser = SshdParser(UTC)
    found = [
        (parser.parse(journal_record(line, index)), expected_host(annotation), line)
        for index, (annotation, line) in enumerate(annotated(corpus / "sshd-journal"))
        if line.partition(" ")[2].partition("[")[0] == "sshd"
    ]
    checked, missed = missed_hosts(found)
    assert checked > 60
    assert missed == []


@pytest.mark.parametrize("name", ["sshd", "sshd-journal"])
def test_the_native_scanner_counts_the_corpus_as_the_python_reader_does(
    corpus: Path, name: str, tmp_path: Path
) -> None:
    log = corpus / name
    if name == "sshd-journal":
        lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
        log = tmp_path / "journal.json"
        log.write_text("\n".join(journal_record(line, index) for index, line in enumerate(lines)), encoding="utf-8")
    assert_same_tallies([str(log)])
    tally, _ = tallied([str(log)], True)
    assert sum(tally.kinds.values()) > 100
