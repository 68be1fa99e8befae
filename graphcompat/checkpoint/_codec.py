"""How channel values are encoded in blob rows, shared by the SQL savers.

Why deltas: an agent's message list (or log) gains a little at every step
while the rest of the state stays put. Storing the full list at every
checkpoint makes a thread of *n* steps cost O(n²) bytes; LangGraph's own
savers do exactly that. Here a value that extends the value of the channel's
previous version (a JSON list with items appended, or a string with text
appended) is stored as the appended part only.

Why *skip* deltas: a plain chain of deltas makes reading step *n* follow *n*
rows. Instead the *n*-th append since the last full copy is stored relative
to the append numbered ``n & (n - 1)`` (``n`` with its lowest set bit
cleared), the scheme Subversion uses for its skip-deltas. Every ancestor
in that chain is a prefix of the new value, so the delta is just
``value[size_of_base:]``; the chain from the full copy to any version has at
most ``log2(n) + 1`` rows, and the row stores that chain so a reader fetches
all of it with one query. Decoding concatenates root and deltas, so a read
touches each item of the value exactly once. Total bytes grow as
O(n log n) item copies instead of O(n²). After :data:`MAX_DEPTH` appends a
full copy starts a new chain, which bounds the chain at 11 rows.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

JSON = Any

#: Appends after a full copy before the next full copy; keeps chains ≤ 11 rows.
MAX_DEPTH = 1023

#: Blobs at least this long are zlib-compressed when that saves ≥ 10 %;
#: None (the default) never compresses. Measured on the benchmark thread
#: (1,000 steps of ~1 KB text items, bench/store.py): compression saved 35 %
#: of the value bytes (3.1 MB instead of 5.1 MB, against LangGraph's 507 MB)
#: but made a cold read of the latest checkpoint 3.5x slower (3.0 ms instead
#: of 0.9 ms), so it is off. Compressed rows are still read.
COMPRESS_MIN_BYTES: int | None = None

#: The most a compressed blob may inflate to. Larger values are stored
#: uncompressed (``pack``), so a row that inflates past it was not written by
#: graphcompat (a zlib bomb): reading it must not take the memory it asks for.
MAX_INFLATED_BYTES = 64 * 1024 * 1024

#: The longest delta chain a reader follows: skip deltas keep real chains at
#: 11 rows (``MAX_DEPTH``); anything longer, or a loop, is a damaged store.
MAX_CHAIN_ROWS = 64


class CorruptBlobError(Exception):
    """A stored blob graphcompat cannot have written: ``key`` is ``(channel, version)``."""

    def __init__(self, key: tuple[str, str], reason: str) -> None:
        super().__init__(key, reason)
        self.key, self.reason = key, reason


def dumps(value: JSON) -> str:
    """Compact JSON, the one encoding every backend uses for stored values."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | bytes) -> JSON:
    return json.loads(text)


def json_copy(value: JSON) -> JSON:
    """Copy a JSON value; much faster than ``copy.deepcopy`` for JSON data.

    Cached values are shared between records, so every value handed to a
    caller is a fresh copy: a caller mutating its state must not corrupt the
    cache or another record.
    """
    if isinstance(value, list):
        # A list of scalars (a log of strings, a list of ids) is copied at C speed:
        # the item-by-item copy below cost 0.5 ms per 1,000 items on every read.
        if _SCALARS.issuperset(map(type, value)):
            return value.copy()
        return [json_copy(v) if isinstance(v, (list, dict)) else v for v in value]
    if isinstance(value, dict):
        if _SCALARS.issuperset(map(type, value.values())):
            return value.copy()
        return {k: json_copy(v) if isinstance(v, (list, dict)) else v for k, v in value.items()}
    return value


#: Immutable JSON scalar types (exact types: anything else takes the item-by-item copy).
_SCALARS = frozenset((str, int, float, bool, type(None)))


def pack(text: str) -> tuple[bytes, bool]:
    """UTF-8 bytes of a blob, compressed when large and worth it."""
    raw = text.encode("utf-8")
    if COMPRESS_MIN_BYTES is not None and COMPRESS_MIN_BYTES <= len(raw) <= MAX_INFLATED_BYTES:
        packed = zlib.compress(raw, 1)
        if len(packed) < 0.9 * len(raw):
            return packed, True
    return raw, False


def unpack(data: bytes | memoryview, compressed: bool) -> JSON:
    """A blob's value; ``ValueError`` when a compressed one inflates past ``MAX_INFLATED_BYTES``."""
    raw = bytes(data)
    if not compressed:
        return loads(raw)
    inflater = zlib.decompressobj()
    parts: list[bytes] = []
    size, pending = 0, raw
    while not inflater.eof:  # in 1 MiB steps: a bomb is stopped at the limit, not after
        part = inflater.decompress(pending, 1 << 20)
        pending = inflater.unconsumed_tail
        if not part and not pending:
            break  # the input ended before the stream did
        size += len(part)
        if size > MAX_INFLATED_BYTES:
            raise ValueError(f"it inflates past {MAX_INFLATED_BYTES:,} bytes, the most graphcompat compresses")
        parts.append(part)
    if not inflater.eof:
        raise ValueError("its compressed data is truncated")
    text = b"".join(parts)
    return loads(text)


@dataclass(frozen=True)
class ChainLink:
    """One row of a delta chain: its version, append count and value length."""

    version: str
    depth: int
    size: int


@dataclass(frozen=True)
class BlobMeta:
    """What the writer needs to know about a stored blob to append to it.

    ``size`` is the length of the decoded list or string (None for other
    values, which cannot be appended to); ``chain`` lists the rows from the
    full copy up to this blob's delta base (empty for a full copy).
    """

    depth: int
    size: int | None
    chain: tuple[ChainLink, ...]

    @classmethod
    def from_row(cls, depth: int, size: int | None, chain: str | None) -> BlobMeta:
        links = tuple(ChainLink(*link) for link in loads(chain)) if chain else ()
        return cls(depth, size, links)


@dataclass(frozen=True)
class EncodedBlob:
    """A blob row ready to insert."""

    encoding: str  # "full" or "append"
    base_version: str | None
    meta: BlobMeta
    data: bytes
    compressed: bool

    @property
    def chain_json(self) -> str | None:
        if not self.meta.chain:
            return None
        return dumps([[link.version, link.depth, link.size] for link in self.meta.chain])


def _extends(value: JSON, previous: JSON) -> bool:
    if isinstance(value, list) and isinstance(previous, list):
        return len(value) >= len(previous) and value[: len(previous)] == previous
    if isinstance(value, str) and isinstance(previous, str):
        return value.startswith(previous)
    return False


def encode(
    value: JSON,
    previous: tuple[str, BlobMeta, JSON] | None,
) -> EncodedBlob:
    """Encode ``value`` as a full copy or as an append to ``previous``.

    ``previous`` is ``(version, meta, decoded value)`` of the channel's
    version in the parent checkpoint, or None.
    """
    size = len(value) if isinstance(value, (list, str)) else None
    if previous is not None and size is not None:
        prev_version, prev_meta, prev_value = previous
        depth = prev_meta.depth + 1
        if prev_meta.size is not None and depth <= MAX_DEPTH and _extends(value, prev_value):
            lineage = (*prev_meta.chain, ChainLink(prev_version, prev_meta.depth, prev_meta.size))
            base_depth = depth & (depth - 1)
            cut = next(i for i, link in enumerate(lineage) if link.depth == base_depth)
            base = lineage[cut]
            data, compressed = pack(dumps(value[base.size :]))
            return EncodedBlob("append", base.version, BlobMeta(depth, size, lineage[: cut + 1]), data, compressed)
    data, compressed = pack(dumps(value))
    return EncodedBlob("full", None, BlobMeta(0, size, ()), data, compressed)


@dataclass(frozen=True)
class BlobRow:
    """A stored blob as read back: enough to decode it given its base."""

    encoding: str
    base_version: str | None
    meta: BlobMeta
    data: bytes
    compressed: bool


class ValueCache:
    """A small LRU of decoded blob values, bounded by their encoded size.

    Keys are ``(thread_id, ns, channel, version)``; a version names one value
    forever, so entries never go stale. The writer finds the previous value of
    an append-only channel here instead of decoding it again from the store.
    Values in the cache are never handed out: callers get copies.
    """

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[Hashable, tuple[JSON, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[JSON, int] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, value: JSON, cost: int) -> None:
        if cost > self._max_bytes // 4:
            return  # one huge value would flush everything else
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, cost)
            self._bytes += cost
            while self._bytes > self._max_bytes and self._entries:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted

    def forget_thread(self, thread_id: str) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == thread_id]:  # type: ignore[index]
                self._bytes -= self._entries.pop(key)[1]


def decode_all(
    wanted: list[tuple[str, str]],
    rows: dict[tuple[str, str], BlobRow],
    cached: dict[tuple[str, str], tuple[JSON, int]],
) -> dict[tuple[str, str], tuple[JSON, int]]:
    """Decode ``(channel, version)`` keys from rows and already-decoded values.

    Returns ``key -> (value, cost)`` for every wanted key and every chain
    row decoded on the way (the caller caches them). Values are shared, not
    copied. Raises KeyError naming a missing row.
    """
    memo: dict[tuple[str, str], tuple[JSON, int]] = dict(cached)

    def value_of(key: tuple[str, str]) -> tuple[JSON, int]:
        # Walk down to a decoded value or a full copy, then apply deltas back up:
        # iterative, so a damaged chain is an error, never a RecursionError.
        chain: list[tuple[tuple[str, str], BlobRow]] = []
        seen: set[tuple[str, str]] = set()
        at = key
        while at not in memo:
            if at in seen:
                raise CorruptBlobError(key, f"its delta chain loops back to version {at[1]!r}")
            if len(chain) >= MAX_CHAIN_ROWS:
                raise CorruptBlobError(key, f"its delta chain is longer than {MAX_CHAIN_ROWS} rows")
            seen.add(at)
            row = rows[at]
            chain.append((at, row))
            if row.encoding == "full":
                break
            if row.base_version is None:
                raise CorruptBlobError(key, f"delta version {at[1]!r} names no base")
            at = (at[0], row.base_version)
        for at, row in reversed(chain):
            try:
                delta = unpack(row.data, row.compressed)
            except (ValueError, zlib.error) as exc:
                raise CorruptBlobError(at, str(exc)) from None
            if row.encoding == "full":
                memo[at] = (delta, len(row.data))
                continue
            base_value, base_cost = memo[(at[0], row.base_version)]  # type: ignore[index]
            if not (isinstance(base_value, (list, str)) and type(delta) is type(base_value)):
                raise CorruptBlobError(at, "a delta that does not extend its base")
            memo[at] = (base_value + delta, base_cost + len(row.data))
        return memo[key]

    for key in wanted:
        value_of(key)
    return memo
