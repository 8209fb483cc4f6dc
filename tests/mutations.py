"""Mutate sshd lines the way a fuzzer should: the one mutator of the property tests and benchmarks/fuzz_parse.py."""

from __future__ import annotations

import random

FRAGMENTS = [
    b" from 6.6.6.6 port 22 ssh2", b" from ::1", b" from ::ffff:1.2.3.4", b"]", b"[", b": ", b" ", b"  ", b"\t",
    b"\r", b"\x00", b"\xa0", b"\xc2\xa0", b"\xff", b"\xe2\x80", b"\xef\xbf\xbd", b"\xc3\xa9", b"port ", b" port ",
    b" [preauth]", b"invalid user ", b"ruser=", b" rhost=", b"user=", b"::", b"..", b"0", b"999999999999",
    b"error: ", b"message repeated 2 times: [ ", b"message repeated 3 times: [ ", b"Too many authentication failures",
    b" on  port 22", b" on ", b"user ", b" user alice", b"+05:45", b"-03:30", b"Z", b" ssh2: RSA SHA256:x",
    b"sshd[", b"sshd(pam_unix)", b"Failed password for ", b"Accepted password for alice", b"Disconnected from ",
    b"pam_unix(sshd:auth): authentication failure; rhost=", b" port 5341444", b"sshd[16732999999999999]",
    b"x" * 1500,
]  # fmt: skip
"""Pieces of sshd's own text (and of broken bytes) that make a mutated line nearly, but not quite, a real one; and
numbers and names longer than sshd writes, which a reader still reads."""


def mutated(rng: random.Random, line: bytes, times: int) -> bytes:
    """Return ``line`` changed ``times`` times: a fragment inserted or put in place of some bytes, bytes
    deleted, repeated or replaced by random ones, or a character from beyond ASCII put in."""
    for _ in range(times):
        at = rng.randint(0, len(line))
        end = min(len(line), at + rng.randint(0, 12))
        choice = rng.random()
        if choice < 0.3:
            line = line[:at] + rng.choice(FRAGMENTS) + line[at:]
        elif choice < 0.45:
            line = line[:at] + rng.choice(FRAGMENTS) + line[end:]
        elif choice < 0.6:
            line = line[:at] + line[end:]
        elif choice < 0.75:
            line = line[:at] + rng.randbytes(rng.randint(1, 8)) + line[end:]
        elif choice < 0.9:
            line = line[:at] + line[at:end] * rng.randint(2, 4) + line[end:]
        else:
            line = line[:at] + chr(rng.randint(0x80, 0x2FFF)).encode() + line[end:]
    return line.replace(b"\n", b"")
