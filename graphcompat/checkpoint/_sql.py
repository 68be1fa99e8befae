"""The SQL saver logic, written once for SQLite and Postgres.

A backend supplies a transaction (with its locking), the DDL types and the
metadata-filter clause; everything else (schema, migrations, blob
deduplication and append deltas, history paging, pruning) lives here so the
two databases cannot drift apart.

SQL here uses ``?`` placeholders; the Postgres backend rewrites them.

Sync and async share this logic without a second copy: each operation is a
generator (an :data:`Op`) that yields the transactions it needs
(:class:`Txn`), and each transaction body is a generator that yields the
statements it runs (:class:`Stmt`) and receives their results. Nothing here
does I/O itself; :meth:`SqlSaver._run` drives an operation over the
backend's sync transactions, and an async backend drives the very same
generators over its async connections (see ``postgres.py``).
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
from collections import defaultdict
from collections.abc import Generator, Iterator, Mapping, Sequence
from datetime import timedelta, datetime
from typing import Any, ClassVar, Protocol, TypeVar

from ..errors import StoreError
from ._codec import BlobMeta, BlobRow, CorruptBlobError, ValueCache, decode_all, dumps, encode, json_copy, loads
from ._common import (
    ArchivingSaver,
    check_keep_last,
    check_limit,
    check_versions,
    expiry_cutoff,
    metadata_matches,
    parse_time,
)
from .base import CheckpointRecord, PendingWrite, StreamChunk, ThreadInfo

JSON = Any
Key = tuple[str, str]  # (channel, version)

#: Schema migrations. ``MIGRATIONS[i]`` takes a store from schema version ``i``
#: to ``i + 1``; a store at version ``len(MIGRATIONS)`` is current. Append new
#: entries, never edit old ones. ``{id}`` is a text type that sorts bytewise
#: and ``{bytes}`` a binary type, filled in per database.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE checkpoints (
            thread_id {id} NOT NULL,
            checkpoint_ns {id} NOT NULL DEFAULT '',
            checkpoint_id {id} NOT NULL,
            parent_checkpoint_id {id},
            created_at TEXT NOT NULL,
            step INTEGER NOT NULL,
            source TEXT NOT NULL,
            metadata TEXT NOT NULL,
            channel_versions TEXT NOT NULL,
            next_tasks TEXT NOT NULL,
            format_version INTEGER NOT NULL,
            PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id))""",
        # History across namespaces and "latest of a thread" in id order.
        "CREATE INDEX checkpoints_by_thread_id ON checkpoints (thread_id, checkpoint_id)",
        """CREATE TABLE blobs (
            thread_id {id} NOT NULL,
            checkpoint_ns {id} NOT NULL DEFAULT '',
            channel {id} NOT NULL,
            version {id} NOT NULL,
            encoding TEXT NOT NULL,
            base_version {id},
            depth INTEGER NOT NULL,
            size INTEGER,
            chain TEXT,
            compressed INTEGER NOT NULL DEFAULT 0,
            data {bytes} NOT NULL,
            PRIMARY KEY (thread_id, checkpoint_ns, channel, version))""",
        """CREATE TABLE writes (
            thread_id {id} NOT NULL,
            checkpoint_ns {id} NOT NULL DEFAULT '',
            checkpoint_id {id} NOT NULL,
            task_id {id} NOT NULL,
            idx INTEGER NOT NULL,
            task_name TEXT NOT NULL,
            channel TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx))""",
        # One row per thread, kept up to date by every write: listing and
        # expiring threads read this table, never the whole history.
        """CREATE TABLE threads (
            thread_id {id} PRIMARY KEY,
            checkpoint_count INTEGER NOT NULL,
            latest_checkpoint_id {id} NOT NULL,
            latest_step INTEGER NOT NULL,
            updated_at TEXT NOT NULL)""",
        "CREATE INDEX threads_by_update ON threads (updated_at)",
    ],
    [
        # The live stream of runs (custom and messages chunks), see base.StreamChunk.
        # seq is assigned under the thread's write lock, so it commits in order.
        """CREATE TABLE stream_chunks (
            thread_id {id} NOT NULL,
            seq INTEGER NOT NULL,
            checkpoint_ns {id} NOT NULL DEFAULT '',
            checkpoint_id {id} NOT NULL,
            writer {id} NOT NULL,
            attempt INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (thread_id, seq))""",
        "CREATE UNIQUE INDEX stream_chunks_by_writer ON stream_chunks (thread_id, checkpoint_ns, writer, attempt, idx)",
        "CREATE INDEX stream_chunks_by_time ON stream_chunks (created_at)",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)

_CHECKPOINT_COLUMNS = (
    "thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, created_at, "
    "metadata, channel_versions, next_tasks, format_version"
)
_THREAD_UPSERT = """INSERT INTO threads
    (thread_id, checkpoint_count, latest_checkpoint_id, latest_step, updated_at)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (thread_id) DO UPDATE SET
        checkpoint_count = {count},
        latest_step = CASE WHEN {newer} THEN excluded.latest_step ELSE threads.latest_step END,
        updated_at = CASE WHEN {newer} THEN excluded.updated_at ELSE threads.updated_at END,
        latest_checkpoint_id = CASE WHEN {newer}
            THEN excluded.latest_checkpoint_id ELSE threads.latest_checkpoint_id END"""
#: A new checkpoint adds one to the count and moves "latest" forward.
_THREAD_ADD = _THREAD_UPSERT.format(
    count="threads.checkpoint_count + 1",
    newer="excluded.latest_checkpoint_id > threads.latest_checkpoint_id",
)
#: After a deletion the summary is recomputed and replaces the old one.
_THREAD_SET = _THREAD_UPSERT.format(count="excluded.checkpoint_count", newer="1 = 1")

_PAGE = 64


class Tx(Protocol):
    """The little a transaction must offer: run SQL with ``?`` placeholders."""

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def run(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...


T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Stmt:
    """One statement a transaction body wants run; ``kind`` names the :class:`Tx` method."""

    kind: str  # "all" (rows), "run" (rowcount) or "many" (executemany, None)
    sql: str
    params: Sequence[Any] = ()


#: A transaction body: yields statements, is sent each one's result, returns a value.
Body = Generator[Stmt, Any, T]


@dataclasses.dataclass(frozen=True)
class Txn:
    """One transaction an operation wants run.

    ``write`` transactions on ``thread_id`` exclude other writers of that
    thread. A read with ``snapshot=False`` runs a single statement, which
    needs no explicit transaction: a backend may skip ``BEGIN``/``COMMIT``.
    """

    body: Body[Any]
    write: bool = False
    thread_id: str | None = None
    snapshot: bool = True


#: An operation: yields transactions, is sent each one's result, returns the answer.
Op = Generator[Txn, Any, T]


def advance(gen: Generator[Any, Any, Any], value: Any) -> tuple[bool, Any]:
    """Send ``value`` into a generator: ``(False, what it yields)`` or ``(True, what it returned)``."""
    try:
        return False, gen.send(value)
    except StopIteration as stop:
        return True, stop.value


def drive(body: Body[T], tx: Tx) -> T:
    """Run a transaction body over a sync :class:`Tx`."""
    done, out = advance(body, None)
    while not done:
        done, out = advance(body, getattr(tx, out.kind)(out.sql, out.params))
    return out


def _rows(sql: str, params: Sequence[Any] = ()) -> Body[list[tuple[Any, ...]]]:
    """A body (or part of one) returning the rows of one query."""
    return (yield Stmt("all", sql, params))


def _exec(sql: str, params: Sequence[Any] = ()) -> Body[int]:
    """A body (or part of one) returning the row count of one statement."""
    return (yield Stmt("run", sql, params))


def _exec_many(sql: str, rows: Sequence[Sequence[Any]]) -> Body[None]:
    yield Stmt("many", sql, rows)


@dataclasses.dataclass
class _Paging:
    """Where a history listing is: the next page starts below ``before``."""

    where: str
    params: list[Any]
    in_python: dict[str, JSON]
    before: str | None
    remaining: int | None
    done: bool = False


def _marks(count: int) -> str:
    return ", ".join("?" * count)


class SqlSaver(ArchivingSaver, abc.ABC):
    """Shared implementation of the contract over a SQL database."""

    #: DDL type names substituted into :data:`MIGRATIONS`.
    ddl_types: ClassVar[Mapping[str, str]]

    def __init__(self, *, cache_bytes: int = 64 * 1024 * 1024) -> None:
        self._cache = ValueCache(cache_bytes)

    # -- what a backend provides ---------------------------------------------

    @abc.abstractmethod
    def _transaction(
        self, *, write: bool, thread_id: str | None = None
    ) -> contextlib.AbstractContextManager[Tx]:
        """A transaction; a write transaction on ``thread_id`` excludes other writers of that thread."""

    @abc.abstractmethod
    def _filter_clause(self, key: str, value: JSON) -> tuple[str, list[Any]] | None:
        """SQL matching ``metadata[key] == value`` exactly, or None to filter in Python."""

    def _blobs_named(self, columns: str, tid: str, ns: str, keys: set[Key]) -> tuple[str, list[Any]]:
        """A query for the blobs of ``keys`` (``(channel, version)`` pairs) of a thread; may return extra rows."""
        channels = sorted({k[0] for k in keys})
        versions = sorted({k[1] for k in keys})
        sql = (
            f"SELECT {columns} FROM blobs WHERE thread_id = ? AND checkpoint_ns = ? "
            f"AND channel IN ({_marks(len(channels))}) AND version IN ({_marks(len(versions))})"
        )
        return sql, [tid, ns, *channels, *versions]

    @property
    @abc.abstractmethod
    def _display_name(self) -> str:
        """The store as error messages name it (no password)."""

    # -- schema ----------------------------------------------------------------

    def _migrate(self, tx: Tx) -> None:
        """Bring the schema to :data:`SCHEMA_VERSION` inside the caller's transaction."""
        tx.run("CREATE TABLE IF NOT EXISTS graphcompat_schema (version INTEGER NOT NULL)")
        rows = tx.all("SELECT version FROM graphcompat_schema")
        current = max((r[0] for r in rows), default=0)
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"the store {self._display_name} has schema version {current}, but this graphcompat "
                f"knows versions up to {SCHEMA_VERSION}: it was written by a newer graphcompat; "
                "upgrade graphcompat (pip install -U graphcompat) to open it",
                found_version=current,
                supported_version=SCHEMA_VERSION,
            )
        for script in MIGRATIONS[current:]:
            for statement in script:
                tx.run(statement.format(**self.ddl_types))
        if current != SCHEMA_VERSION:
            tx.run("DELETE FROM graphcompat_schema")
            tx.run("INSERT INTO graphcompat_schema (version) VALUES (?)", (SCHEMA_VERSION,))

    # -- driving operations ------------------------------------------------------------

    def _run(self, op: Op[T]) -> T:
        """Run an operation synchronously, each :class:`Txn` in a backend transaction."""
        done, out = advance(op, None)
        while not done:
            with self._open_txn(out) as tx:
                result = drive(out.body, tx)
            done, out = advance(op, result)
        return out

    def _open_txn(self, txn: Txn) -> contextlib.AbstractContextManager[Tx]:
        """The backend transaction for ``txn``; a backend may override to honour ``snapshot``."""
        return self._transaction(write=txn.write, thread_id=txn.thread_id)

    # -- checkpoints -------------------------------------------------------------

    def put_checkpoint(self, record: CheckpointRecord) -> bool:
        return self._run(self._put_checkpoint_op(record))

    def _put_checkpoint_op(self, record: CheckpointRecord) -> Op[bool]:
        check_versions(record)
        fresh: list[tuple[tuple[str, str, str, str], JSON, int]] = []
        stored = yield Txn(self._put_checkpoint_body(record, fresh), write=True, thread_id=record.thread_id)
        for key, value, cost in fresh:  # only once committed
            self._cache.put(key, value, cost)
        return bool(stored)

    def _put_checkpoint_body(
        self, record: CheckpointRecord, fresh: list[tuple[tuple[str, str, str, str], JSON, int]]
    ) -> Body[bool]:
        tid, ns, cid = record.thread_id, record.checkpoint_ns, record.checkpoint_id
        if (yield from _rows(
            "SELECT 1 FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
            (tid, ns, cid),
        )):
            return False  # checkpoints are immutable: a retried write changes nothing
        wanted = {ch: record.channel_versions[ch] for ch in record.channel_values}
        previous = yield from self._parent_versions(record, wanted)
        metas = yield from self._blob_metas(tid, ns, set(wanted.items()) | set(previous.items()))
        rows = []
        for channel, version in wanted.items():
            if (channel, version) in metas:
                continue  # unchanged channel: stored once per version
            value = record.channel_values[channel]
            prior = None
            prev_version = previous.get(channel)
            if prev_version is not None and (channel, prev_version) in metas:
                prev_meta = metas[(channel, prev_version)]
                if prev_meta.size is not None and isinstance(value, (list, str)):
                    found = yield from self._values(tid, ns, [(channel, prev_version)])
                    prev_value, prev_cost = found[(channel, prev_version)]
                    prior = (prev_version, prev_meta, prev_value)
            blob = encode(value, prior)
            cost = len(blob.data) + (prev_cost if blob.encoding == "append" else 0)
            fresh.append(((tid, ns, channel, version), json_copy(value), cost))
            rows.append(
                (tid, ns, channel, version, blob.encoding, blob.base_version, blob.meta.depth,
                 blob.meta.size, blob.chain_json, int(blob.compressed), blob.data)
            )
        if rows:
            yield from _exec_many(
                "INSERT INTO blobs (thread_id, checkpoint_ns, channel, version, encoding, base_version, "
                f"depth, size, chain, compressed, data) VALUES ({_marks(11)}) ON CONFLICT DO NOTHING",
                rows,
            )
        inserted = yield from _exec(
            f"INSERT INTO checkpoints ({_CHECKPOINT_COLUMNS}, step, source) VALUES ({_marks(11)}) "
            "ON CONFLICT DO NOTHING",
            (tid, ns, cid, record.parent_checkpoint_id, record.created_at, dumps(record.metadata),
             dumps(record.channel_versions), dumps(record.next_tasks), record.format_version,
             record.step, record.source),
        )
        if inserted:
            yield from _exec(_THREAD_ADD, (tid, 1, cid, record.step, record.created_at))
        return bool(inserted)

    def _parent_versions(self, record: CheckpointRecord, wanted: Mapping[str, str]) -> Body[dict[str, str]]:
        """Versions of changed channels in the parent checkpoint: candidate delta bases."""
        if record.parent_checkpoint_id is None:
            return {}
        rows = yield from _rows(
            "SELECT channel_versions FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? "
            "AND checkpoint_id = ?",
            (record.thread_id, record.checkpoint_ns, record.parent_checkpoint_id),
        )
        if not rows:
            return {}
        parent = loads(rows[0][0])
        return {ch: parent[ch] for ch, v in wanted.items() if ch in parent and parent[ch] != v}

    def _blob_metas(self, tid: str, ns: str, keys: set[Key]) -> Body[dict[Key, BlobMeta]]:
        if not keys:
            return {}
        found = yield from _rows(*self._blobs_named("channel, version, depth, size, chain", tid, ns, keys))
        return {(c, v): BlobMeta.from_row(d, s, chain) for c, v, d, s, chain in found if (c, v) in keys}

    def _blob_rows(self, tid: str, ns: str, keys: set[Key]) -> Body[dict[Key, BlobRow]]:
        found = yield from _rows(*self._blobs_named(
            "channel, version, encoding, base_version, depth, size, chain, compressed, data", tid, ns, keys
        ))
        return {
            (c, v): BlobRow(enc, base, BlobMeta.from_row(d, s, chain), bytes(data), bool(z))
            for c, v, enc, base, d, s, chain, z, data in found
            if (c, v) in keys
        }

    def _values(
        self, tid: str, ns: str, keys: Sequence[Key], *, required: bool = True
    ) -> Body[dict[Key, tuple[JSON, int]]]:
        """Decoded values (shared, not copied) and their costs, from the cache or the store.

        With ``required=False`` a key without a blob is left out (a channel
        that has a version but no value); otherwise that is an error.
        """
        known: dict[Key, tuple[JSON, int]] = {}
        missing: set[Key] = set()
        for key in keys:
            hit = self._cache.get((tid, ns, *key))
            if hit is None:
                missing.add(key)
            else:
                known[key] = hit
        if not missing:
            return known
        rows = yield from self._blob_rows(tid, ns, missing)
        bases: set[Key] = set()
        for key in list(missing):
            row = rows.get(key)
            if row is None:
                if required:
                    raise self._damaged(tid, ns, key)
                missing.discard(key)
                continue
            for link in row.meta.chain:
                base = (key[0], link.version)
                if base in rows or base in known:
                    continue
                hit = self._cache.get((tid, ns, *base))
                if hit is None:
                    bases.add(base)
                else:
                    known[base] = hit
        if bases:
            rows.update((yield from self._blob_rows(tid, ns, bases)))
        try:
            decoded = decode_all([k for k in keys if k in known or k in missing], rows, known)
        except KeyError as exc:
            raise self._damaged(tid, ns, exc.args[0]) from None
        except CorruptBlobError as exc:
            raise StoreError(
                f"the store {self._display_name} holds a value of channel {exc.key[0]!r} version {exc.key[1]!r} "
                f"in thread {tid!r} (namespace {ns!r}) that graphcompat cannot have written: {exc.reason}; the "
                "store was modified outside graphcompat; restore the thread from an archive or delete it",
                thread_id=tid,
                checkpoint_ns=ns,
            ) from None
        for key in rows:
            if key in decoded:
                self._cache.put((tid, ns, *key), *decoded[key])
        return decoded

    def _damaged(self, tid: str, ns: str, key: Key) -> StoreError:
        return StoreError(
            f"the store {self._display_name} is missing the value of channel {key[0]!r} version "
            f"{key[1]!r} in thread {tid!r} (namespace {ns!r}); the store was modified outside "
            "graphcompat; restore the thread from an archive or delete it",
            thread_id=tid,
        )

    def _records(self, rows: Sequence[tuple[Any, ...]]) -> Body[list[CheckpointRecord]]:
        """Build records from checkpoint rows, decoding each needed blob once."""
        parsed = [(row, loads(row[6])) for row in rows]
        wanted: dict[tuple[str, str], set[Key]] = defaultdict(set)
        for row, versions in parsed:
            wanted[(row[0], row[1])].update(versions.items())
        values: dict[tuple[str, str], dict[Key, tuple[JSON, int]]] = {}
        for (tid, ns), keys in wanted.items():
            values[(tid, ns)] = yield from self._values(tid, ns, sorted(keys), required=False)
        records = []
        for row, versions in parsed:
            found = values[(row[0], row[1])]
            channel_values = {
                ch: json_copy(found[(ch, v)][0]) for ch, v in versions.items() if (ch, v) in found
            }
            records.append(
                CheckpointRecord(
                    thread_id=row[0],
                    checkpoint_ns=row[1],
                    checkpoint_id=row[2],
                    parent_checkpoint_id=row[3],
                    created_at=row[4],
                    metadata=loads(row[5]),
                    channel_values=channel_values,
                    channel_versions=versions,
                    next_tasks=loads(row[7]),
                    format_version=row[8],
                )
            )
        return records

    def get_checkpoint(
        self, thread_id: str, checkpoint_ns: str = "", checkpoint_id: str | None = None
    ) -> CheckpointRecord | None:
        return self._run(self._get_checkpoint_op(thread_id, checkpoint_ns, checkpoint_id))

    def _get_checkpoint_op(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str | None
    ) -> Op[CheckpointRecord | None]:
        return (yield Txn(self._get_checkpoint_body(thread_id, checkpoint_ns, checkpoint_id)))

    def _get_checkpoint_body(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str | None
    ) -> Body[CheckpointRecord | None]:
        sql = f"SELECT {_CHECKPOINT_COLUMNS} FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? "
        if checkpoint_id is None:
            rows = yield from _rows(sql + "ORDER BY checkpoint_id DESC LIMIT 1", (thread_id, checkpoint_ns))
        else:
            rows = yield from _rows(sql + "AND checkpoint_id = ?", (thread_id, checkpoint_ns, checkpoint_id))
        return (yield from self._records(rows))[0] if rows else None

    def list_checkpoints(
        self,
        thread_id: str,
        checkpoint_ns: str | None = "",
        *,
        filter: Mapping[str, JSON] | None = None,
        before: str | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointRecord]:
        return self._pages(self._paging(thread_id, checkpoint_ns, filter, before, limit))

    def _paging(
        self,
        thread_id: str,
        checkpoint_ns: str | None,
        filter: Mapping[str, JSON] | None,
        before: str | None,
        limit: int | None,
    ) -> _Paging:
        """Check a history query and say where its first page starts."""
        check_limit(limit)
        where = ["thread_id = ?"]
        params: list[Any] = [thread_id]
        if checkpoint_ns is not None:
            where.append("checkpoint_ns = ?")
            params.append(checkpoint_ns)
        in_python: dict[str, JSON] = {}
        for key, value in (filter or {}).items():
            clause = self._filter_clause(key, value)
            if clause is None:
                in_python[key] = value
            else:
                where.append(clause[0])
                params.extend(clause[1])
        return _Paging(" AND ".join(where), params, in_python, before, limit)

    def _pages(self, paging: _Paging) -> Iterator[CheckpointRecord]:
        """Read history a page at a time: only the records returned are decoded."""
        while not paging.done:
            yield from self._run(self._page_op(paging))

    def _page_op(self, paging: _Paging) -> Op[list[CheckpointRecord]]:
        """One page of history, in its own transaction; moves ``paging`` on."""
        remaining = paging.remaining
        if remaining is not None and remaining <= 0:
            paging.done = True
            return []
        size = _PAGE if remaining is None or paging.in_python else min(_PAGE, remaining)
        sql = f"SELECT {_CHECKPOINT_COLUMNS} FROM checkpoints WHERE {paging.where}"
        page_params = list(paging.params)
        if paging.before is not None:
            sql += " AND checkpoint_id < ?"
            page_params.append(paging.before)
        sql += " ORDER BY checkpoint_id DESC LIMIT ?"
        page_params.append(size)
        rows, records = yield Txn(self._page_body(sql, page_params, paging.in_python, remaining))
        if rows:
            paging.before = rows[-1][2]
        if remaining is not None:
            paging.remaining = remaining - len(records)
        paging.done = len(rows) < size
        return records

    def _page_body(
        self, sql: str, params: list[Any], in_python: dict[str, JSON], remaining: int | None
    ) -> Body[tuple[list[tuple[Any, ...]], list[CheckpointRecord]]]:
        rows = yield from _rows(sql, params)
        if not rows:
            return rows, []
        matched = [r for r in rows if metadata_matches(loads(r[5]), in_python)] if in_python else rows
        if remaining is not None:
            matched = matched[:remaining]
        return rows, (yield from self._records(matched))

    # -- pending writes ------------------------------------------------------------

    def put_writes(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str, writes: Sequence[PendingWrite]
    ) -> None:
        self._run(self._put_writes_op(thread_id, checkpoint_ns, checkpoint_id, writes))

    def _put_writes_op(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str, writes: Sequence[PendingWrite]
    ) -> Op[None]:
        if not writes:
            return
        rows = [
            (thread_id, checkpoint_ns, checkpoint_id, w.task_id, w.idx, w.task_name, w.channel, dumps(w.value))
            for w in writes
        ]
        sql = (
            "INSERT INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, task_name, "
            f"channel, value) VALUES ({_marks(8)}) ON CONFLICT DO NOTHING"
        )
        yield Txn(_exec_many(sql, rows), write=True, thread_id=thread_id)

    def get_writes(self, thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> list[PendingWrite]:
        return self._run(self._get_writes_op(thread_id, checkpoint_ns, checkpoint_id))

    def _get_writes_op(self, thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> Op[list[PendingWrite]]:
        rows = yield Txn(
            _rows(
                "SELECT task_id, task_name, idx, channel, value FROM writes WHERE thread_id = ? "
                "AND checkpoint_ns = ? AND checkpoint_id = ? ORDER BY task_id, idx",
                (thread_id, checkpoint_ns, checkpoint_id),
            ),
            snapshot=False,
        )
        return [PendingWrite(t, n, i, c, loads(v)) for t, n, i, c, v in rows]

    # -- stream chunks -------------------------------------------------------------

    def put_stream_chunks(self, thread_id: str, chunks: Sequence[StreamChunk]) -> None:
        self._run(self._put_stream_chunks_op(thread_id, chunks))

    def _put_stream_chunks_op(self, thread_id: str, chunks: Sequence[StreamChunk]) -> Op[None]:
        if chunks:
            yield Txn(self._put_stream_chunks_body(thread_id, chunks), write=True, thread_id=thread_id)

    @staticmethod
    def _put_stream_chunks_body(thread_id: str, chunks: Sequence[StreamChunk]) -> Body[None]:
        # Under the thread's write lock: positions are taken and committed in order,
        # so a reader that has seen seq n never later finds a smaller one appear.
        rows = yield from _rows("SELECT COALESCE(MAX(seq), 0) FROM stream_chunks WHERE thread_id = ?", (thread_id,))
        base = int(rows[0][0] or 0)
        values = [
            (thread_id, base + i + 1, c.checkpoint_ns, c.checkpoint_id, c.writer, c.attempt, c.idx, c.created_at, dumps(c.value))
            for i, c in enumerate(chunks)
        ]
        yield from _exec_many(
            "INSERT INTO stream_chunks (thread_id, seq, checkpoint_ns, checkpoint_id, writer, attempt, idx, "
            f"created_at, value) VALUES ({_marks(9)}) ON CONFLICT DO NOTHING",
            values,
        )

    def get_stream_chunks(self, thread_id: str, *, after: int = 0, limit: int = 1000) -> list[StreamChunk]:
        return self._run(self._get_stream_chunks_op(thread_id, after, limit))

    def _get_stream_chunks_op(self, thread_id: str, after: int, limit: int) -> Op[list[StreamChunk]]:
        rows = yield Txn(
            _rows(
                "SELECT seq, checkpoint_ns, checkpoint_id, writer, attempt, idx, created_at, value FROM stream_chunks "
                "WHERE thread_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (thread_id, after, limit),
            ),
            snapshot=False,
        )
        return [StreamChunk(int(q), n, c, t, int(a), int(i), at, loads(v)) for q, n, c, t, a, i, at, v in rows]

    def stream_head(self, thread_id: str) -> int:
        return self._run(self._stream_head_op(thread_id))

    def _stream_head_op(self, thread_id: str) -> Op[int]:
        rows = yield Txn(_rows("SELECT COALESCE(MAX(seq), 0) FROM stream_chunks WHERE thread_id = ?", (thread_id,)), snapshot=False)
        return int(rows[0][0] or 0)

    def delete_stream_chunks(self, thread_id: str | None, *, before: datetime) -> int:
        return self._run(self._delete_stream_chunks_op(thread_id, before))

    def _delete_stream_chunks_op(self, thread_id: str | None, before: datetime) -> Op[int]:
        if thread_id is None:
            sql, params = "DELETE FROM stream_chunks WHERE created_at < ?", (before.isoformat(),)
        else:
            sql, params = "DELETE FROM stream_chunks WHERE thread_id = ? AND created_at < ?", (thread_id, before.isoformat())
        return (yield Txn(_exec(sql, params), write=True, thread_id=thread_id))
    def get_writes_many(
        self, thread_id: str, checkpoint_ns: str, checkpoint_ids: Sequence[str]
    ) -> dict[str, list[PendingWrite]]:
        return self._run(self._get_writes_many_op(thread_id, checkpoint_ns, checkpoint_ids))

    def _get_writes_many_op(
        self, thread_id: str, checkpoint_ns: str, checkpoint_ids: Sequence[str]
    ) -> Op[dict[str, list[PendingWrite]]]:
        found: dict[str, list[PendingWrite]] = {cid: [] for cid in checkpoint_ids}
        if not found:
            return found
        rows = yield Txn(
            _rows(
                "SELECT checkpoint_id, task_id, task_name, idx, channel, value FROM writes WHERE thread_id = ? "
                f"AND checkpoint_ns = ? AND checkpoint_id IN ({_marks(len(found))}) ORDER BY checkpoint_id, task_id, idx",
                (thread_id, checkpoint_ns, *found),
            ),
            snapshot=False,
        )
        for cid, t, n, i, c, v in rows:
            found[cid].append(PendingWrite(t, n, i, c, loads(v)))
        return found

    # -- threads and cleanup ---------------------------------------------------------

    def list_threads(self) -> list[ThreadInfo]:
        return self._run(self._list_threads_op())

    def _list_threads_op(self) -> Op[list[ThreadInfo]]:
        rows = yield Txn(
            _rows(
                "SELECT thread_id, checkpoint_count, latest_checkpoint_id, latest_step, updated_at "
                "FROM threads ORDER BY updated_at DESC, thread_id"
            ),
            snapshot=False,
        )
        return [ThreadInfo(*row) for row in rows]

    def delete_thread(self, thread_id: str) -> int:
        return self._run(self._delete_thread_op(thread_id))

    def _delete_thread_op(self, thread_id: str) -> Op[int]:
        deleted = yield Txn(self._delete_thread_in(thread_id), write=True, thread_id=thread_id)
        self._cache.forget_thread(thread_id)
        return deleted

    def _delete_thread_in(self, thread_id: str) -> Body[int]:
        deleted = yield from _exec("DELETE FROM checkpoints WHERE thread_id = ?", (thread_id,))
        for table in ("writes", "blobs", "threads", "stream_chunks"):
            yield from _exec(f"DELETE FROM {table} WHERE thread_id = ?", (thread_id,))
        return deleted

    def prune_thread(self, thread_id: str, keep_last: int, *, protect: Sequence[str] = ()) -> int:
        return self._run(self._prune_thread_op(thread_id, keep_last, protect))

    def _prune_thread_op(self, thread_id: str, keep_last: int, protect: Sequence[str]) -> Op[int]:
        check_keep_last(keep_last)
        return (yield Txn(self._prune_body(thread_id, keep_last, set(protect)), write=True, thread_id=thread_id))

    def _prune_body(self, thread_id: str, keep_last: int, protected: set[str]) -> Body[int]:
        rows = yield from _rows(
            "SELECT checkpoint_ns, checkpoint_id FROM checkpoints WHERE thread_id = ? "
            "ORDER BY checkpoint_ns, checkpoint_id DESC",
            (thread_id,),
        )
        by_ns: dict[str, list[str]] = defaultdict(list)
        for ns, cid in rows:
            by_ns[ns].append(cid)
        doomed = [(ns, cid) for ns, ids in by_ns.items() for cid in ids[keep_last:] if cid not in protected]
        return (yield from self._delete_in(thread_id, doomed)) if doomed else 0

    def _delete_checkpoints(self, thread_id: str, keys: Sequence[tuple[str, str]]) -> int:
        return self._run(self._delete_checkpoints_op(thread_id, keys))

    def _delete_checkpoints_op(self, thread_id: str, keys: Sequence[tuple[str, str]]) -> Op[int]:
        return (yield Txn(self._delete_named(thread_id, keys), write=True, thread_id=thread_id))

    def _delete_named(self, thread_id: str, keys: Sequence[tuple[str, str]]) -> Body[int]:
        existing = set(
            (yield from _rows("SELECT checkpoint_ns, checkpoint_id FROM checkpoints WHERE thread_id = ?", (thread_id,)))
        )
        return (yield from self._delete_in(thread_id, [k for k in keys if k in existing]))

    def _delete_in(self, thread_id: str, keys: Sequence[tuple[str, str]]) -> Body[int]:
        """Delete checkpoints and their writes, then what no kept checkpoint needs."""
        rows = [(thread_id, ns, cid) for ns, cid in keys]
        for table in ("checkpoints", "writes"):
            yield from _exec_many(
                f"DELETE FROM {table} WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?", rows
            )
        # A kept checkpoint whose parent is gone starts the history now.
        yield from _exec(
            "UPDATE checkpoints SET parent_checkpoint_id = NULL WHERE thread_id = ? "
            "AND parent_checkpoint_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM checkpoints AS p "
            "WHERE p.thread_id = checkpoints.thread_id AND p.checkpoint_ns = checkpoints.checkpoint_ns "
            "AND p.checkpoint_id = checkpoints.parent_checkpoint_id)",
            (thread_id,),
        )
        yield from self._collect_blobs(thread_id)
        yield from self._refresh_thread(thread_id)
        return len(rows)

    def _collect_blobs(self, thread_id: str) -> Body[None]:
        """Delete blobs that no remaining checkpoint names, directly or as a delta base."""
        needed: set[tuple[str, str, str]] = set()
        for ns, versions in (yield from _rows(
            "SELECT checkpoint_ns, channel_versions FROM checkpoints WHERE thread_id = ?", (thread_id,)
        )):
            needed.update((ns, ch, v) for ch, v in loads(versions).items())
        blobs = yield from _rows(
            "SELECT checkpoint_ns, channel, version, chain FROM blobs WHERE thread_id = ?", (thread_id,)
        )
        for ns, channel, version, chain in blobs:
            if chain and (ns, channel, version) in needed:
                needed.update((ns, channel, link[0]) for link in loads(chain))
        doomed = [(thread_id, ns, ch, v) for ns, ch, v, _ in blobs if (ns, ch, v) not in needed]
        if doomed:
            yield from _exec_many(
                "DELETE FROM blobs WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? AND version = ?",
                doomed,
            )

    def _refresh_thread(self, thread_id: str) -> Body[None]:
        count = (yield from _rows("SELECT count(*) FROM checkpoints WHERE thread_id = ?", (thread_id,)))[0][0]
        if not count:
            yield from _exec("DELETE FROM threads WHERE thread_id = ?", (thread_id,))
            return
        cid, step, created_at = (yield from _rows(
            "SELECT checkpoint_id, step, created_at FROM checkpoints WHERE thread_id = ? "
            "ORDER BY checkpoint_id DESC LIMIT 1",
            (thread_id,),
        ))[0]
        yield from _exec(_THREAD_SET, (thread_id, count, cid, step, created_at))

    def expire_threads(self, idle_for: timedelta, *, now: datetime | None = None) -> list[str]:
        return self._run(self._expire_threads_op(idle_for, now))

    def _expire_threads_op(self, idle_for: timedelta, now: datetime | None) -> Op[list[str]]:
        cutoff = expiry_cutoff(idle_for, now)
        rows = yield Txn(_rows("SELECT thread_id, updated_at FROM threads"), snapshot=False)
        expired = []
        for thread_id, updated_at in rows:
            if parse_time(updated_at) >= cutoff:
                continue
            if (yield Txn(self._expire_body(thread_id, cutoff), write=True, thread_id=thread_id)):
                self._cache.forget_thread(thread_id)
                expired.append(thread_id)
        return expired

    def _expire_body(self, thread_id: str, cutoff: datetime) -> Body[bool]:
        # Look again under the lock: a run may have written since.
        now_rows = yield from _rows("SELECT updated_at FROM threads WHERE thread_id = ?", (thread_id,))
        if not now_rows or parse_time(now_rows[0][0]) >= cutoff:
            return False
        yield from self._delete_thread_in(thread_id)
        return True

    # -- diagnostics -------------------------------------------------------------------

    def _stats(self) -> dict[str, int]:
        """Row counts and stored value bytes, for tests and the benchmark."""
        with self._transaction(write=False) as tx:
            counts = {
                table: tx.all(f"SELECT count(*) FROM {table}")[0][0]
                for table in ("checkpoints", "blobs", "writes", "threads")
            }
            for encoding in ("full", "append"):
                counts[f"{encoding}_blobs"] = tx.all("SELECT count(*) FROM blobs WHERE encoding = ?", (encoding,))[0][0]
            counts["blob_bytes"] = int(tx.all("SELECT coalesce(sum(length(data)), 0) FROM blobs")[0][0])
        return counts
