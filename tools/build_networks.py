"""Convert ip-location-db's address-to-network table into honeycast's packaged ``honeycast/data/networks/``.

The input is the npm tarball of the same release as the packaged country database, fetched with::

    npm pack @ip-location-db/asn@2.3.2026061719

Run it again only when the source data changes::

    python tools/build_networks.py ip-location-db-asn-2.3.2026061719.tgz

The CSV rows are inclusive ranges of addresses (as numbers) with an autonomous system's number and organisation.
Here neighbouring ranges of one network are joined, the holes between ranges become ranges of no network, and
the table is kept as sorted range starts (IPv4 as 32-bit numbers, IPv6 as two 64-bit halves) with an index into
the list of networks: ``numpy.searchsorted`` then finds the network of every distinct address of a build at once.
Each array is a ``.npy`` file, mapped rather than read: a build reads the few pages its lookups touch.
"""

from __future__ import annotations

import argparse
import csv
import io
import tarfile
from pathlib import Path

import numpy as np

RELEASE = "2.3.2026061719"
SOURCES = {4: "asn-ipv4-num.csv", 6: "asn-ipv6-num.csv"}


def read_rows(tgz: Path, name: str) -> list[tuple[int, int, int, str]]:
    with tarfile.open(tgz) as archive:
        member = archive.extractfile(f"package/{name}")
        if member is None:
            raise SystemExit(f"{tgz}: no package/{name}")
        text = io.TextIOWrapper(member, encoding="utf-8", newline="")
        return [(int(first), int(last), int(asn), name) for first, last, asn, name in csv.reader(text)]


def ranges(rows: list[tuple[int, int, int, str]], networks: dict[tuple[int, str], int]) -> tuple[list[int], list[int]]:
    """Return the starts of the joined ranges and their network indices (0: no network), holes included."""
    starts: list[int] = []
    indices: list[int] = []
    end = -1  # the last address covered so far
    for first, last, asn, organisation in sorted(rows):
        if last <= end:  # inside the range before (no row of this release is): the range before keeps it
            continue
        if first <= end:  # one row of this release overlaps the one before: the later row takes over from its start
            while starts and starts[-1] >= first:
                starts.pop()
                indices.pop()
            end = first - 1
        index = networks.setdefault((asn, organisation), len(networks) + 1)
        if first > end + 1:
            starts.append(end + 1)
            indices.append(0)
        if indices and indices[-1] == index and first == end + 1:
            end = last
            continue
        starts.append(first)
        indices.append(index)
        end = last
    starts.append(end + 1)
    indices.append(0)
    return starts, indices


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tgz", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "honeycast" / "data" / "networks")
    args = parser.parse_args()
    networks: dict[tuple[int, str], int] = {}
    v4_starts, v4_indices = ranges(read_rows(args.tgz, SOURCES[4]), networks)
    v6_starts, v6_indices = ranges(read_rows(args.tgz, SOURCES[6]), networks)
    table = sorted(networks.items(), key=lambda item: item[1])
    encoded = [b"", *(name.encode("utf-8") for (_, name), _ in table)]  # network i's name: names[ends[i]:ends[i + 1]]
    arrays: dict[str, np.ndarray] = {
        "v4_starts": np.array(v4_starts, dtype=np.uint32),
        "v4_networks": np.array(v4_indices, dtype=np.uint32),
        "v6_high": np.array([start >> 64 for start in v6_starts], dtype=np.uint64),
        "v6_low": np.array([start & (2**64 - 1) for start in v6_starts], dtype=np.uint64),
        "v6_networks": np.array(v6_indices, dtype=np.uint32),
        "numbers": np.array([0, *(asn for (asn, _), _ in table)], dtype=np.uint32),
        "names": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        "name_ends": np.cumsum([0, *(len(one) for one in encoded)], dtype=np.uint32),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    for name, values in arrays.items():
        np.save(args.out / f"{name}.npy", values, allow_pickle=False)
    (args.out / "RELEASE").write_text(f"@ip-location-db/asn@{RELEASE}\n", encoding="utf-8")
    size = sum(path.stat().st_size for path in args.out.iterdir())
    print(
        f"{args.out}: {len(v4_starts):,} IPv4 and {len(v6_starts):,} IPv6 ranges, {len(table):,} networks, "
        f"{size / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
