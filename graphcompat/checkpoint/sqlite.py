"""SQLite snapshot store: the embedded default for real persistence.

A worker process and a client process open the same file, and each process
uses the saver from several threads. So each thread gets its own connection
(SQLite connections must not be shared between concurrent threads), the
database runs in WAL mode (readers never block the writer), writers take the
write lock up front with ``BEGIN IMMEDIATE`` (so a transaction never fails
half-way on a lock upgrade) and wait up to ``busy_timeout`` for it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..errors import ConfigurationError, StoreError
from ._sql import SqlSaver, Tx

__all__ = ["SqliteSaver"]

_BUSY_TIMEOUT_S = 30.0


class _SqliteTx:
    """:class:`~graphcompat.checkpoint._sql.Tx` over a sqlite3 connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)


class SqliteSaver(SqlSaver):
    """Checkpoints in a SQLite file, shared safely by threads and processes.

    ``SqliteSaver("state/graph.db")`` opens (and creates, with its parent
    directories) the file; ``":memory:"`` keeps the store in this process.
    An existing ``sqlite3.Connection`` is accepted too; it is then shared
    under a lock and switched to autocommit so that the saver controls its
    transactions.
    """

    ddl_types: ClassVar[dict[str, str]] = {"id": "TEXT", "bytes": "BLOB"}

    def __init__(self, path_or_conn: str | os.PathLike[str] | sqlite3.Connection, *, cache_bytes: int = 64 << 20) -> None:
        super().__init__(cache_bytes=cache_bytes)
        self._lock = threading.RLock()
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._pid = os.getpid()
        self._closed = False
        self._shared: sqlite3.Connection | None = None
        if isinstance(path_or_conn, sqlite3.Connection):
            self._shared = path_or_conn
            self._shared.isolation_level = None
            self._path = _connection_path(path_or_conn)
        elif str(path_or_conn) in ("", ":memory:"):
            self._path = ":memory:"
            self._shared = self._connect()
        else:
            path = Path(path_or_conn).expanduser().resolve()
            if path.is_dir():
                raise ConfigurationError(
                    f"SQLite store path {str(path)!r} is a directory; pass a file path such as "
                    f"{str(path / 'graphcompat.db')!r}"
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the directory for SQLite store {str(path)!r}: {exc}") from exc
            if not path.exists():
                # The store holds users' state (conversations, credentials in it): owner-only,
                # and SQLite gives its -wal and -shm files the same mode.
                try:
                    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
                except OSError as exc:
                    raise StoreError(f"cannot create SQLite store {str(path)!r}: {exc}") from exc
            self._path = str(path)
        self.in_process_only = self._path == ":memory:"
        with self._transaction(write=True) as tx:
            self._migrate(tx)

    @classmethod
    def from_conn_string(cls, conn_string: str) -> SqliteSaver:
        """Open a store from a path (or ``:memory:``).

        Works as a plain call and, like LangGraph's, as a context manager:
        ``with SqliteSaver.from_conn_string("graph.db") as saver: ...``
        closes the saver at the end of the block.
        """
        return cls(conn_string)

    @property
    def url(self) -> str:
        return f"sqlite:///{self._path}"

    @property
    def path(self) -> str:
        """Absolute path of the database file (``":memory:"`` for an in-memory store)."""
        return self._path

    @property
    def _display_name(self) -> str:
        return repr(self._path)

    def __repr__(self) -> str:
        return f"SqliteSaver({self._path!r})"

    def __enter__(self) -> SqliteSaver:
        return self

    # -- connections ------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            if self._path != ":memory:":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite store {self._path!r}: {exc}; check the path and its permissions") from exc
        with self._lock:
            self._opened.append(conn)
        return conn

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"{self!r} is closed; open a new saver")
        if self._shared is not None:
            return self._shared
        if os.getpid() != self._pid:  # forked: the parent's connections are not ours
            self._pid = os.getpid()
            self._local = threading.local()
            self._opened = []
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    @contextlib.contextmanager
    def _transaction(self, *, write: bool, thread_id: str | None = None) -> Iterator[Tx]:
        conn = self._connection()
        # A shared connection serves one transaction at a time.
        guard = self._lock if self._shared is not None else contextlib.nullcontext()
        with guard:
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.OperationalError as exc:
                raise StoreError(
                    f"SQLite store {self._path!r} stayed locked for {_BUSY_TIMEOUT_S:.0f}s ({exc}); "
                    "another process holds a long write transaction"
                ) from exc
            try:
                yield _SqliteTx(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _filter_clause(self, key: str, value: Any) -> tuple[str, list[Any]] | None:
        # json_extract maps JSON null and a missing key both to NULL, and
        # containers to text: leave those to Python.
        if value is None or isinstance(value, (list, dict)):
            return None
        path = '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return "json_extract(metadata, ?) = ?", [path, value]

    def _stats(self) -> dict[str, int]:
        stats = super()._stats()
        if self._path != ":memory:":
            with self._transaction(write=False) as tx:
                pages = tx.all("PRAGMA page_count")[0][0] * tx.all("PRAGMA page_size")[0][0]
            stats["file_bytes"] = pages
        return stats

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for conn in self._opened:
                conn.close()
            self._opened = []


def _connection_path(conn: sqlite3.Connection) -> str:
    for _, name, file in conn.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return file or ":memory:"
    return ":memory:"
