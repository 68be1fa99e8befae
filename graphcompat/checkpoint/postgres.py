"""Postgres snapshot store, for workers on several machines.

Connections come from a ``psycopg_pool.ConnectionPool``. Writes to one
thread are serialized by a transaction-scoped advisory lock on the thread id
(never a table lock), so pruning or deleting a thread is safe while runs
write other threads, and a prune cannot race a run on the same thread.
Multi-statement reads run at ``REPEATABLE READ`` so a record is assembled
from one snapshot even while a prune commits.

``schema=`` puts the tables in their own Postgres schema (created when
missing): tests isolate themselves that way, and so can applications sharing
a database.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg_pool import ConnectionPool

from ..errors import ConfigurationError, StoreError
from ._codec import dumps
from ._sql import SqlSaver, Tx

__all__ = ["PostgresSaver"]

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)([^@]*)(@)")
_PASSWORD_IN_KV = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def mask_password(conninfo: str) -> str:
    """The connection string with any password replaced by ``***``."""
    masked = _PASSWORD_IN_URL.sub(r"\1***\3", conninfo)
    return _PASSWORD_IN_KV.sub(r"\1***", masked)


class _PgTx:
    """:class:`~graphcompat.checkpoint._sql.Tx` over a psycopg cursor (``?`` becomes ``%s``)."""

    _translated: ClassVar[dict[str, str]] = {}

    def __init__(self, cur: psycopg.Cursor[Any]) -> None:
        self._cur = cur

    @classmethod
    def _sql(cls, sql: str) -> str:
        out = cls._translated.get(sql)
        if out is None:
            out = cls._translated[sql] = sql.replace("%", "%%").replace("?", "%s")
        return out

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cur.execute(self._sql(sql), params)
        return self._cur.fetchall() if self._cur.description else []

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._cur.execute(self._sql(sql), params)
        return self._cur.rowcount

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cur.executemany(self._sql(sql), rows)


class PostgresSaver(SqlSaver):
    """Checkpoints in Postgres (psycopg 3 and a connection pool).

    ``PostgresSaver("postgresql://user:pw@host:5432/db", schema="graphcompat")``;
    ``PostgresSaver.from_conn_string(...)`` also works as a context manager.
    The password never appears in ``repr`` or in error messages.

    The async twins run the sync methods in a thread (the base class's), each
    on its own pooled connection.
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
        self._pool: ConnectionPool | None = None
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

    def _lock_key(self, conn: psycopg.Connection[Any], name: str) -> None:
        """Take a transaction-scoped advisory lock named by a string."""
        key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (key,))

    @contextlib.contextmanager
    def _transaction(self, *, write: bool, thread_id: str | None = None) -> Iterator[Tx]:
        if self._pool is None or self._pool.closed:
            raise StoreError(f"{self!r} is closed; open a new saver")
        try:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor(binary=True) as cur:
                if write:
                    if thread_id is not None:
                        self._lock_key(conn, f"graphcompat-thread:{self._schema}:{thread_id}")
                else:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                yield _PgTx(cur)
        except psycopg.OperationalError as exc:
            raise StoreError(
                f"the Postgres store {self._masked} failed: {mask_password(str(exc)).strip()}; "
                "check that the server is reachable"
            ) from exc

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
        if self._pool is not None:
            self._pool.close()
