"""Postgres snapshot store, for workers on several machines.

Connections come from a ``psycopg_pool.ConnectionPool``. Writes to one
thread are serialized by a transaction-scoped advisory lock on the thread id
(never a table lock), so pruning or deleting a thread is safe while runs
write other threads, and a prune cannot race a run on the same thread.
Multi-statement reads run at ``REPEATABLE READ`` so a record is assembled
from one snapshot even while a prune commits; single-statement reads run
without an explicit transaction (one round trip).

The async twins are native: they drive the same operations as the sync
methods (``_sql.py``) over a ``psycopg_pool.AsyncConnectionPool``; see
:meth:`PostgresSaver._async_pool` for how event loops are handled.

Blob data is stored with ``STORAGE EXTERNAL`` (out of line, uncompressed):
reading the latest checkpoint of a long thread fetches ~1 MB of deltas, and
pglz decompression of those made a cold read about twice as slow.

``schema=`` puts the tables in their own Postgres schema (created when
missing): tests isolate themselves that way, and so can applications sharing
a database.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import threading
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from ..errors import ConfigurationError, StoreError, StoreUnavailableError
from ._codec import dumps
from ._masking import mask_password
from ._sql import Op, SqlSaver, Stmt, Tx, Txn, advance
from .base import CheckpointRecord, PendingWrite, StreamChunk, ThreadInfo

__all__ = ["PostgresSaver"]

#: How long a store call waits for a pooled connection before StoreUnavailableError.
POOL_TIMEOUT_S = 5.0

T = TypeVar("T")

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def _pg_sql(sql: str, _translated: dict[str, str] = {}) -> str:  # noqa: B006 (a cache)
    """``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled), translated once per statement."""
    out = _translated.get(sql)
    if out is None:
        out = _translated[sql] = sql.replace("%", "%%").replace("?", "%s")
    return out


class _PgTx:
    """:class:`~graphcompat.checkpoint._sql.Tx` over a psycopg cursor (``?`` becomes ``%s``).

    ``prepare=True`` makes the server keep each statement's plan from its
    first use (the store's statements are few and fixed); the migration runs
    with psycopg's default instead.
    """

    def __init__(self, cur: psycopg.Cursor[Any], *, prepare: bool | None = None) -> None:
        self._cur = cur
        self._prepare = prepare

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cur.execute(_pg_sql(sql), params, prepare=self._prepare)
        return self._cur.fetchall() if self._cur.description else []

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._cur.execute(_pg_sql(sql), params, prepare=self._prepare)
        return self._cur.rowcount

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cur.executemany(_pg_sql(sql), rows)


async def _adrive(body: Any, cur: psycopg.AsyncCursor[Any]) -> Any:
    """Run a transaction body (``_sql.Body``) over an async cursor: the async twin of ``_sql.drive``."""
    done, out = advance(body, None)
    while not done:
        stmt: Stmt = out
        sql = _pg_sql(stmt.sql)
        if stmt.kind == "many":
            await cur.executemany(sql, stmt.params)
            result: Any = None
        else:
            await cur.execute(sql, stmt.params, prepare=True)
            if stmt.kind == "run":
                result = cur.rowcount
            else:
                result = await cur.fetchall() if cur.description else []
        done, out = advance(body, result)
    return out


class PostgresSaver(SqlSaver):
    """Checkpoints in Postgres (psycopg 3 and a connection pool).

    ``PostgresSaver("postgresql://user:pw@host:5432/db", schema="graphcompat")``;
    ``PostgresSaver.from_conn_string(...)`` also works as a context manager.
    The password never appears in ``repr`` or in error messages.

    The async twins (``aget_checkpoint`` ...) are native asyncio on an
    ``AsyncConnectionPool``; ``aarchive_thread`` and ``arestore_archive``
    (file work) run the sync methods in a thread.
    """

    ddl_types: ClassVar[dict[str, str]] = {"id": 'TEXT COLLATE "C"', "bytes": "BYTEA"}

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str | None = None,
        max_connections: int = 10,
        cache_bytes: int = 64 << 20,
    ) -> None:
        super().__init__(cache_bytes=cache_bytes)
        if schema is not None and not _SCHEMA_NAME.match(schema):
            raise ConfigurationError(
                f"invalid Postgres schema name {schema!r}: use letters, digits and underscores, "
                "starting with a letter or underscore (at most 63 characters)"
            )
        self._conninfo = conninfo
        self._schema = schema
        self._masked = mask_password(conninfo)
        self._max_connections = max_connections
        self._pool: ConnectionPool | None = None
        self._closed = False
        # The async pool and the event loop it belongs to (see _async_pool).
        self._apool_lock = threading.Lock()
        self._apool: AsyncConnectionPool | None = None
        self._apool_loop: asyncio.AbstractEventLoop | None = None
        self._apool_opened = False
        self._apool_closing: asyncio.Task[None] | None = None
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                with conn.transaction():
                    if schema is not None:
                        self._lock_key(conn, f"graphcompat-migrate:{schema}")
                        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                        conn.execute(f'SET LOCAL search_path TO "{schema}"')
                    else:
                        self._lock_key(conn, "graphcompat-migrate")
                    with conn.cursor() as cur:
                        self._migrate(_PgTx(cur))
                        self._tune_storage(cur)
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot open the Postgres store {self._masked}: {mask_password(str(exc)).strip()}; "
                "check that the server is running and the URL (host, port, database, user) is right"
            ) from exc
        self._pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True},
            configure=self._configure,
            open=True,
            name="graphcompat-store",
            # After an outage a pooled connection may be dead: check it before handing it out,
            # and give up waiting for one soon (the caller sees StoreUnavailableError; workers retry).
            check=ConnectionPool.check_connection,
            timeout=POOL_TIMEOUT_S,
        )

    @classmethod
    def from_conn_string(cls, conn_string: str, *, schema: str | None = None) -> PostgresSaver:
        """Open a store from a URL; a plain call or a context manager (closes the pool)."""
        return cls(conn_string, schema=schema)

    @property
    def url(self) -> str:
        """The URL, password included (it must open the store elsewhere); never log it."""
        if self._schema is None:
            return self._conninfo
        parts = urlsplit(self._conninfo)
        query = [*parse_qsl(parts.query), ("schema", self._schema)]
        return urlunsplit(parts._replace(query=urlencode(query)))

    @property
    def schema(self) -> str | None:
        return self._schema

    @property
    def _display_name(self) -> str:
        return self._masked + (f" (schema {self._schema!r})" if self._schema else "")

    def __repr__(self) -> str:
        schema = f", schema={self._schema!r}" if self._schema else ""
        return f"PostgresSaver({self._masked!r}{schema})"

    def __enter__(self) -> PostgresSaver:
        return self

    # -- connections ------------------------------------------------------------------

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        if self._schema is not None:
            conn.execute(f'SET search_path TO "{self._schema}"')

    @staticmethod
    def _tune_storage(cur: psycopg.Cursor[Any]) -> None:
        """Keep blob data out of line and uncompressed (see the module docstring).

        Not a schema migration: it changes how new rows are stored, not what
        the tables hold, so older graphcompat versions still open the store.
        Rows written before keep their compression until rewritten.
        """
        cur.execute(
            "SELECT attstorage FROM pg_attribute WHERE attrelid = 'blobs'::regclass AND attname = 'data'"
        )
        row = cur.fetchone()
        if row is not None and row[0] not in ("e", b"e"):
            cur.execute("ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL")

    def _begin(self, write: bool, thread_id: str | None, snapshot: bool) -> str | None:
        """The statement opening a transaction (one round trip), or None when none is needed.

        Writes on a thread take the thread's advisory lock in the same round
        trip as ``BEGIN``; reads of several statements see one snapshot; a
        single-statement read needs no transaction at all.
        """
        if write:
            if thread_id is None:
                return "BEGIN"
            return f"BEGIN; SELECT pg_advisory_xact_lock({self._thread_key(thread_id)})"
        return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if snapshot else None

    def _thread_key(self, thread_id: str) -> int:
        return _lock_id(f"graphcompat-thread:{self._schema}:{thread_id}")

    def _lock_key(self, conn: psycopg.Connection[Any], name: str) -> None:
        """Take a transaction-scoped advisory lock named by a string."""
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_id(name),))

    def _failure(self, exc: psycopg.OperationalError) -> StoreError:
        return StoreUnavailableError(
            f"the Postgres store {self._masked} failed: {mask_password(str(exc)).strip()}; "
            "check that the server is reachable"
        )

    def _check_open(self) -> None:
        if self._closed or self._pool is None or self._pool.closed:
            raise StoreError(f"{self!r} is closed; open a new saver")

    def _open_txn(self, txn: Txn) -> contextlib.AbstractContextManager[Tx]:
        return self._transaction(write=txn.write, thread_id=txn.thread_id, snapshot=txn.snapshot)

    @contextlib.contextmanager
    def _transaction(self, *, write: bool, thread_id: str | None = None, snapshot: bool = True) -> Iterator[Tx]:
        self._check_open()
        assert self._pool is not None
        begin = self._begin(write, thread_id, snapshot)
        try:
            with self._pool.connection() as conn:
                if begin is not None:
                    conn.execute(begin)  # text protocol: may hold two statements
                try:
                    with conn.cursor(binary=True) as cur:
                        yield _PgTx(cur, prepare=True)
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
        except psycopg.OperationalError as exc:
            raise self._failure(exc) from exc

    # -- async ------------------------------------------------------------------------

    def _async_pool(self) -> AsyncConnectionPool | None:
        """The async pool of the running event loop, or None to run in a thread instead.

        An asyncio connection belongs to the event loop that opened it, and
        this saver is shared by several loops (the runtime's background loop,
        a caller's ``asyncio.run``, test loops). It keeps **one** async pool,
        created lazily by the first async call and bound to that call's loop:

        * calls from that loop use it (native asyncio, no threads);
        * once that loop is closed, the next loop to call takes over: the old
          pool's connections are closed and a new pool is made for the caller;
        * calls from another loop while the owner is still alive run the same
          operation synchronously in a worker thread (``asyncio.to_thread``),
          exactly as the base class's twins do.

        One pool rather than one per loop bounds the saver at
        ``max_connections`` async connections however many loops come and
        go, and never leaves a pool whose loop has stopped holding
        connections. The fallback is always correct, only less efficient.
        """
        loop = asyncio.get_running_loop()
        with self._apool_lock:
            self._check_open()
            if self._apool is not None and self._apool_loop is not loop:
                assert self._apool_loop is not None
                if not self._apool_loop.is_closed():
                    return None
                _discard(self._apool)
                self._apool = None
            if self._apool is None:
                self._apool = AsyncConnectionPool(
                    self._conninfo,
                    min_size=1,
                    max_size=self._max_connections,
                    kwargs={"autocommit": True},
                    configure=self._aconfigure,
                    open=False,
                    name="graphcompat-store-async",
                    check=AsyncConnectionPool.check_connection,
                    timeout=POOL_TIMEOUT_S,
                )
                self._apool_loop = loop
                self._apool_opened = False
            return self._apool

    async def _aconfigure(self, conn: psycopg.AsyncConnection[Any]) -> None:
        if self._schema is not None:
            await conn.execute(f'SET search_path TO "{self._schema}"')

    @contextlib.asynccontextmanager
    async def _atransaction(self, pool: AsyncConnectionPool, txn: Txn) -> AsyncIterator[psycopg.AsyncCursor[Any]]:
        begin = self._begin(txn.write, txn.thread_id, txn.snapshot)
        try:
            async with pool.connection() as conn:
                if begin is not None:
                    await conn.execute(begin)
                try:
                    async with conn.cursor(binary=True) as cur:
                        yield cur
                except BaseException:
                    await conn.rollback()
                    raise
                await conn.commit()
        except psycopg.OperationalError as exc:
            raise self._failure(exc) from exc

    async def _arun(self, op: Op[T]) -> T:
        """Run an operation natively on the loop's async pool (or in a thread, see :meth:`_async_pool`)."""
        pool = self._async_pool()
        if pool is None:
            return await asyncio.to_thread(self._run, op)
        if not self._apool_opened:
            await pool.open()
            self._apool_opened = True
        done, out = advance(op, None)
        while not done:
            async with self._atransaction(pool, out) as cur:
                result = await _adrive(out.body, cur)
            done, out = advance(op, result)
        return out

    # -- async twins ------------------------------------------------------------------

    async def aput_checkpoint(self, record: CheckpointRecord) -> bool:
        return await self._arun(self._put_checkpoint_op(record))

    async def aget_checkpoint(
        self, thread_id: str, checkpoint_ns: str = "", checkpoint_id: str | None = None
    ) -> CheckpointRecord | None:
        return await self._arun(self._get_checkpoint_op(thread_id, checkpoint_ns, checkpoint_id))

    async def alist_checkpoints(
        self,
        thread_id: str,
        checkpoint_ns: str | None = "",
        *,
        filter: Mapping[str, Any] | None = None,
        before: str | None = None,
        limit: int | None = None,
    ) -> list[CheckpointRecord]:
        paging = self._paging(thread_id, checkpoint_ns, filter, before, limit)
        records: list[CheckpointRecord] = []
        while not paging.done:
            records.extend(await self._arun(self._page_op(paging)))
        return records

    async def aput_writes(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str, writes: Sequence[PendingWrite]
    ) -> None:
        await self._arun(self._put_writes_op(thread_id, checkpoint_ns, checkpoint_id, writes))

    async def aget_writes(self, thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> list[PendingWrite]:
        return await self._arun(self._get_writes_op(thread_id, checkpoint_ns, checkpoint_id))

    async def aget_writes_many(
        self, thread_id: str, checkpoint_ns: str, checkpoint_ids: Sequence[str]
    ) -> dict[str, list[PendingWrite]]:
        return await self._arun(self._get_writes_many_op(thread_id, checkpoint_ns, checkpoint_ids))

    async def alist_threads(self) -> list[ThreadInfo]:
        return await self._arun(self._list_threads_op())

    async def adelete_thread(self, thread_id: str) -> int:
        return await self._arun(self._delete_thread_op(thread_id))

    async def aprune_thread(self, thread_id: str, keep_last: int, *, protect: Sequence[str] = ()) -> int:
        return await self._arun(self._prune_thread_op(thread_id, keep_last, protect))

    async def aexpire_threads(self, idle_for: timedelta, *, now: datetime | None = None) -> list[str]:
        return await self._arun(self._expire_threads_op(idle_for, now))

    async def aput_stream_chunks(self, thread_id: str, chunks: Sequence[StreamChunk]) -> None:
        await self._arun(self._put_stream_chunks_op(thread_id, chunks))

    async def aget_stream_chunks(self, thread_id: str, *, after: int = 0, limit: int = 1000) -> list[StreamChunk]:
        return await self._arun(self._get_stream_chunks_op(thread_id, after, limit))

    async def astream_head(self, thread_id: str) -> int:
        return await self._arun(self._stream_head_op(thread_id))

    async def adelete_stream_chunks(self, thread_id: str | None, *, before: datetime) -> int:
        return await self._arun(self._delete_stream_chunks_op(thread_id, before))

    def _blobs_named(self, columns: str, tid: str, ns: str, keys: set[Any]) -> tuple[str, list[Any]]:
        """One primary-key probe per key, whatever the planner's statistics say.

        ``channel IN (...) AND version IN (...)`` let Postgres scan every
        blob of the thread when the statistics were stale (right after a
        long thread was written): a ``LATERAL`` subquery behind ``OFFSET 0``
        cannot be flattened, so each key is an index lookup on the whole key.
        The text does not depend on the number of keys: one prepared statement.
        """
        ordered = sorted(keys)
        sql = (
            f"SELECT {columns} FROM unnest(?::text[], ?::text[]) AS k (k_channel, k_version) "
            "CROSS JOIN LATERAL (SELECT * FROM blobs WHERE thread_id = ? AND checkpoint_ns = ? "
            "AND channel = k.k_channel AND version = k.k_version OFFSET 0) AS b"
        )
        return sql, [[k[0] for k in ordered], [k[1] for k in ordered], tid, ns]

    def _filter_clause(self, key: str, value: Any) -> tuple[str, list[Any]] | None:
        # Containment is equality only for scalars; containers go to Python.
        if isinstance(value, (list, dict)):
            return None
        return "metadata::jsonb @> ?::jsonb", [dumps({key: value})]

    def _stats(self) -> dict[str, int]:
        stats = super()._stats()
        with self._transaction(write=False) as tx:
            stats["relation_bytes"] = int(
                tx.all(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' "
                    "AND n.nspname = current_schema() "
                    "AND c.relname IN ('checkpoints', 'blobs', 'writes', 'threads', 'graphcompat_schema')"
                )[0][0]
            )
        return stats

    def close(self) -> None:
        """Close both pools; the async one from its own event loop when that loop still runs."""
        with self._apool_lock:
            self._closed = True
            apool, loop = self._apool, self._apool_loop
            self._apool = self._apool_loop = None
        if apool is not None and loop is not None:
            self._close_async_pool(apool, loop)
        if self._pool is not None:
            self._pool.close()

    async def aclose(self) -> None:
        """Like :meth:`close`, awaiting the async pool's close when called from its loop."""
        with self._apool_lock:
            apool = self._apool if self._apool_loop is asyncio.get_running_loop() else None
            if apool is not None:
                self._apool = self._apool_loop = None
        if apool is not None:
            await apool.close()
        await asyncio.to_thread(self.close)

    def _close_async_pool(self, pool: AsyncConnectionPool, loop: asyncio.AbstractEventLoop) -> None:
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop.is_closed():
            _discard(pool)  # its loop is gone: nothing can await it any more
        elif running is loop:
            # close() called synchronously from a coroutine of the pool's own
            # loop: it cannot block that loop, so the close runs as a task.
            self._apool_closing = loop.create_task(pool.close())
        elif loop.is_running():
            future = asyncio.run_coroutine_threadsafe(pool.close(), loop)
            try:
                future.result(timeout=10)
            except Exception:  # the loop is stuck or stopping: drop the connections
                future.cancel()
                _discard(pool)
        elif running is None:
            loop.run_until_complete(pool.close())
        else:
            _discard(pool)


def _lock_id(name: str) -> int:
    """A 64-bit advisory lock id named by a string."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def _discard(pool: AsyncConnectionPool) -> None:
    """Close an async pool's idle connections without its event loop (which is closed or busy).

    Closing the libpq connection is synchronous; the pool object is then
    dropped. Its worker tasks belonged to the dead loop.
    """
    for conn in list(getattr(pool, "_pool", ())):
        with contextlib.suppress(Exception):
            conn.pgconn.finish()
