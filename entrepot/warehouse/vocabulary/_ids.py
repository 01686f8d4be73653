"""Ids of local concepts, inside the range OMOP reserves for them.

OMOP reserves 2,000,000,000 to 2,147,483,647 for local concepts, and OHDSI's
tools read concept ids as 32-bit integers. A code's id is a hash of its
vocabulary and code into that range; when that slot is taken, the next free
one. Which codes came first decides who moves on a collision, so the bundled
codes are registered in order, once, in `local_ids.txt.gz` (append-only): a code
added later never moves an earlier one. A code the register lacks (an
unbundled code met in a load) gets its hash slot, or the next one no
registered code holds, and is noted in `UNREGISTERED`.
"""

from __future__ import annotations

import gzip
from functools import cache
from hashlib import blake2b
from importlib.resources import files
from pathlib import Path

FIRST = 2_000_000_000
LAST = 2_147_483_647
SLOTS = LAST - FIRST + 1
REGISTER = "local_ids.txt.gz"  # one "vocabulary_id|concept_code" per line, in order

#: Codes asked for that the register lacks (`python -m` this module adds them).
UNREGISTERED: set[tuple[str, str]] = set()


def _home(key: str) -> int:
    return FIRST + int.from_bytes(blake2b(key.encode(), digest_size=8).digest()) % SLOTS


def _free(key: str, taken: set[int] | dict[int, str]) -> int:
    slot = _home(key)
    while slot in taken:
        slot = FIRST + (slot - FIRST + 1) % SLOTS
    return slot


def allocate(keys: list[str], taken: dict[int, str] | None = None) -> dict[str, int]:
    """Ids of `keys` given in order, each the first free slot from its hash."""
    taken = {} if taken is None else taken
    ids = {}
    for key in keys:
        if key not in ids:
            ids[key] = _free(key, taken)
            taken[ids[key]] = key
    return ids


def _register_path():
    return files("entrepot.data.vocabulary").joinpath(REGISTER)


@cache
def registered() -> dict[str, int]:
    """Every registered code's id, by "vocabulary_id|concept_code"."""
    keys = gzip.decompress(_register_path().read_bytes()).decode().splitlines()
    return allocate(keys)


@cache
def _taken() -> frozenset[int]:
    return frozenset(registered().values())


def local_concept_id(vocabulary_id: str, concept_code: str) -> int:
    """The id of a local concept, the same on every machine and every build."""
    key = f"{vocabulary_id}|{concept_code}"
    found = registered().get(key)
    if found is not None:
        return found
    UNREGISTERED.add((vocabulary_id, concept_code))
    return _free(key, _taken())


def register_bundled() -> int:
    """Append the bundled vocabulary's unregistered codes to the register (a
    maintainer's step after adding codes); how many were added."""
    from entrepot.warehouse.vocabulary._bundled import parts

    UNREGISTERED.clear()
    parts()
    new = sorted(f"{v}|{c}" for v, c in UNREGISTERED)
    if new:
        path = Path(str(_register_path()))
        keys = list(registered()) + new
        path.write_bytes(gzip.compress("\n".join(keys).encode() + b"\n", mtime=0))
    return len(new)


if __name__ == "__main__":  # the package's module, not this copy run as __main__
    from entrepot.warehouse.vocabulary import _ids

    print(f"{_ids.register_bundled()} codes registered")
