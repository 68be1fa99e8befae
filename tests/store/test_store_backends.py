"""What differs per backend: opening by URL, migrations, moving archives between stores, secrets."""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from graphcompat.checkpoint import saver_from_url
from graphcompat.checkpoint.memory import InMemorySaver, MemorySaver
from graphcompat.checkpoint._sql import SCHEMA_VERSION
from graphcompat.checkpoint.sqlite import SqliteSaver
from graphcompat.errors import ConfigurationError, StoreError
from store_helpers import ThreadWriter, postgres_url


# -- URLs ------------------------------------------------------------------------------


def test_memory_urls_name_the_live_saver_in_this_process():
    saver = MemorySaver()
    assert isinstance(saver, InMemorySaver) and saver.in_process_only
    assert saver_from_url(saver.url) is saver
    assert saver_from_url("memory://") is not saver
    assert saver_from_url("memory://fresh-name").url == "memory://fresh-name"


def test_sqlite_urls_follow_sqlalchemy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    relative = saver_from_url("sqlite:///data/rel.db")
    assert relative.path == str(tmp_path / "data" / "rel.db")
    absolute = saver_from_url(f"sqlite:///{tmp_path}/abs.db")
    assert absolute.path == str(tmp_path / "abs.db")
    assert absolute.url == f"sqlite:///{tmp_path}/abs.db"
    assert saver_from_url(absolute.url).path == absolute.path
    assert saver_from_url("bare.sqlite").path == str(tmp_path / "bare.sqlite")
    assert not absolute.in_process_only
    for saver in (relative, absolute):
        saver.close()


@pytest.mark.parametrize(
    "url, path",
    [
        ("sqlite:///data/rel.db", "data/rel.db"),
        ("sqlite:////abs/x.db", "/abs/x.db"),
        ("SQLite:////abs/x.db?mode=ro", "/abs/x.db"),
        ("bare.sqlite", "bare.sqlite"),
        ("dir/x.SQLITE3", "dir/x.SQLITE3"),
        ("  sqlite:///padded.db ", "padded.db"),
        ("sqlite:///:memory:", None),
        ("sqlite:///?cache=shared", None),
        ("memory://", None),
        ("memory://name", None),
        ("postgresql://u:p@db/x", None),
        ("notes.txt", None),
    ],
)
def test_sqlite_path_is_the_file_saver_from_url_opens(url, path, tmp_path, monkeypatch):
    from pathlib import Path

    from graphcompat.checkpoint._url import sqlite_path

    assert sqlite_path(url) == (None if path is None else Path(path))
    if path is not None and not path.startswith("/"):
        monkeypatch.chdir(tmp_path)
        with saver_from_url(url) as saver:
            assert saver.path == str(tmp_path / path)


def test_sqlite_path_refuses_a_sqlite_url_without_a_path():
    from graphcompat.checkpoint._url import sqlite_path

    for url in ("sqlite://", "sqlite:///", "sqlite://x.db"):
        with pytest.raises(ConfigurationError, match=r"SQLite URL '.*' has no path; write sqlite:///relative.db"):
            sqlite_path(url)
        with pytest.raises(ConfigurationError, match=r"SQLite URL '.*' has no path"):
            saver_from_url(url)


@pytest.mark.parametrize(
    "url, message",
    [
        ("mysql://u:hunter2@db/x", r"unsupported store URL 'mysql://u:\*\*\*@db/x'; use one of: memory://.*sqlite:///.*postgresql://"),
        ("notes.txt", r"unsupported store URL 'notes.txt'; use one of"),
        ("", r"empty store URL"),
        ("sqlite://", r"SQLite URL 'sqlite://' has no path; write sqlite:///relative.db"),
    ],
)
def test_bad_urls_say_what_is_accepted(url, message):
    with pytest.raises(ConfigurationError, match=message):
        saver_from_url(url)


def test_sqlite_from_conn_string_is_a_call_and_a_context_manager(tmp_path):
    saver = SqliteSaver.from_conn_string(str(tmp_path / "a.db"))
    ThreadWriter(saver, "t").write(a=1)
    saver.close()
    with SqliteSaver.from_conn_string(str(tmp_path / "a.db")) as again:
        assert again.get_checkpoint("t").channel_values == {"a": 1}
    with pytest.raises(StoreError, match="is closed; open a new saver"):
        again.get_checkpoint("t")


def test_sqlite_in_memory_and_existing_connections(tmp_path):
    with SqliteSaver(":memory:") as saver:
        assert saver.in_process_only
        ThreadWriter(saver, "t").write(a=1)
        assert saver.get_checkpoint("t").channel_values == {"a": 1}
    conn = sqlite3.connect(tmp_path / "own.db", check_same_thread=False)
    saver = SqliteSaver(conn)
    ThreadWriter(saver, "t").write(a=2)
    assert saver.url == f"sqlite:///{tmp_path / 'own.db'}"
    assert conn.execute("SELECT count(*) FROM checkpoints").fetchone() == (1,)


def test_sqlite_path_that_is_a_directory_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="is a directory; pass a file path"):
        SqliteSaver(tmp_path)


# -- passwords -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, shown",
    [
        # URL form: user:password@host, whatever the password holds
        ("postgresql://app:s3cret@db:5432/x?schema=s", "postgresql://app:***@db:5432/x?schema=s"),
        ("postgresql://app:pa/ss:w?rd@db/x", "postgresql://app:***@db/x"),
        ("postgres://u:@db/x", "postgres://u:***@db/x"),
        ("mysql://u:hunter2@db/x", "mysql://u:***@db/x"),
        ("postgresql://db/x?password=s3cret", "postgresql://db/x?password=***"),
        # keyword conninfo: password=..., bare or quoted, any case
        ("host=db user=app password=s3cret dbname=x", "host=db user=app password=*** dbname=x"),
        ("host=db password = 'se cr\\'et' dbname=x", "host=db password = *** dbname=x"),
        ("PASSWORD=s3cret host=db", "PASSWORD=*** host=db"),
        # nothing to hide
        ("postgresql://app@db:5432/x", "postgresql://app@db:5432/x"),
        ("postgresql://db:5432/x", "postgresql://db:5432/x"),
        ("sqlite:////tmp/a.db", "sqlite:////tmp/a.db"),
        ("memory://name", "memory://name"),
    ],
)
def test_mask_password_hides_url_and_keyword_passwords(given, shown):
    from graphcompat.checkpoint._masking import mask_password

    assert mask_password(given) == shown


@pytest.mark.parametrize(
    "given, kept",
    [
        ("postgresql://app:s3cret@db:5432/x?schema=a", "postgresql://app@db:5432/x?schema=a"),
        ("postgresql://:s3cret@db/x", "postgresql://db/x"),
        ("postgresql://db/x?password=s3cret&schema=s", "postgresql://db/x?schema=s"),
        ("postgresql://db/x?schema=s&password=s3cret", "postgresql://db/x?schema=s"),
        ("postgresql://app@db/x", "postgresql://app@db/x"),
        ("sqlite:////abs/path.db", "sqlite:////abs/path.db"),
    ],
)
def test_strip_password_keeps_everything_but_the_password(given, kept, monkeypatch):
    from activities.cleanup import worker_store_url
    from graphcompat.checkpoint._masking import strip_password

    assert strip_password(given) == kept
    # The cleanup worker completes a stripped URL from its own GRAPHCOMPAT_STORE, for that store only.
    monkeypatch.setenv("GRAPHCOMPAT_STORE", given)
    assert worker_store_url(kept) == given
    assert worker_store_url("postgresql://other@db/y") == "postgresql://other@db/y"


@pytest.mark.parametrize(
    "url, shown",
    [
        ("postgresql://app:pa/ss@db/x", "postgresql://app:***@db/x"),
        ("host=db user=app password=s3cret", "host=db user=app password=***"),
    ],
)
def test_display_url_masks_both_forms(url, shown):
    class Named(InMemorySaver):
        @property
        def url(self) -> str:
            return url

    assert Named().display_url == shown


# -- migrations ------------------------------------------------------------------------


def test_sqlite_store_written_by_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "s.db"
    SqliteSaver(path).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM graphcompat_schema").fetchall() == [(SCHEMA_VERSION,)]
        conn.execute("UPDATE graphcompat_schema SET version = 42")
    with pytest.raises(StoreError, match=rf"schema version 42, but this graphcompat knows versions up to {SCHEMA_VERSION}.*upgrade graphcompat"):
        SqliteSaver(path)


def test_sqlite_store_at_an_older_version_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # a store created before any table existed
        conn.execute("CREATE TABLE graphcompat_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO graphcompat_schema VALUES (0)")
    with SqliteSaver(path) as saver:
        ThreadWriter(saver, "t").write(a=1)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM graphcompat_schema").fetchall() == [(SCHEMA_VERSION,)]


@pytest.mark.postgres
def test_postgres_store_written_by_a_newer_version_is_refused(postgres_schema):
    from graphcompat.checkpoint.postgres import PostgresSaver
    import psycopg

    url, schema = postgres_schema
    PostgresSaver(url, schema=schema).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'UPDATE "{schema}".graphcompat_schema SET version = {SCHEMA_VERSION + 2}')
    with pytest.raises(StoreError, match=rf"schema version {SCHEMA_VERSION + 2}, but this graphcompat knows versions up to {SCHEMA_VERSION}"):
        PostgresSaver(url, schema=schema)


# -- Postgres specifics ------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_url_round_trip_and_password_masking(postgres_schema):
    from graphcompat.checkpoint.postgres import PostgresSaver

    url, schema = postgres_schema
    with_password = url.replace("://", "://postgres:s3cret-pw@", 1) if "@" not in url else url.replace("@", ":s3cret-pw@", 1)
    with PostgresSaver.from_conn_string(with_password, schema=schema) as saver:
        assert "s3cret-pw" not in repr(saver)
        assert "***" in repr(saver)
        ThreadWriter(saver, "t").write(a=1)
        assert "schema=" + schema in saver.url
        with saver_from_url(saver.url) as other:
            assert other.get_checkpoint("t").channel_values == {"a": 1}
            assert other.schema == schema


@pytest.mark.postgres
def test_postgres_connection_errors_hide_the_password():
    postgres_url()
    with pytest.raises(StoreError, match=r"cannot open the Postgres store postgresql://u:\*\*\*@127.0.0.1:1/x") as info:
        saver_from_url("postgres://u:topsecret@127.0.0.1:1/x?connect_timeout=2")
    assert "topsecret" not in str(info.value)


@pytest.mark.postgres
def test_postgres_schema_names_are_checked():
    from graphcompat.checkpoint.postgres import PostgresSaver

    with pytest.raises(ConfigurationError, match="invalid Postgres schema name 'bad; drop'"):
        PostgresSaver(postgres_url(), schema="bad; drop")


# -- archives across backends --------------------------------------------------------------


def _stores(kind: str, tmp_path, request):
    if kind == "memory":
        return InMemorySaver()
    if kind == "sqlite":
        return SqliteSaver(tmp_path / f"{uuid.uuid4().hex}.db")
    from graphcompat.checkpoint.postgres import PostgresSaver

    url, schema = request.getfixturevalue("postgres_schema")
    return PostgresSaver(url, schema=schema)


@pytest.mark.parametrize(
    "source, target",
    [("sqlite", "memory"), ("memory", "sqlite"), pytest.param("sqlite", "postgres", marks=pytest.mark.postgres),
     pytest.param("postgres", "sqlite", marks=pytest.mark.postgres)],
)
def test_an_archive_restores_into_another_backend(source, target, tmp_path, request):
    if "postgres" in (source, target):
        postgres_url()
    src = _stores(source, tmp_path, request)
    w = ThreadWriter(src, "moved")
    log: list[str] = []
    for i in range(50):
        log = log + [f"m{i}"]
        w.write(log=log, fixed={"k": "v"}, text="t" * i)
    fork = w.fork(w.written[20])
    fork.write(log=["other"])
    expected = list(src.list_checkpoints("moved"))
    assert src.archive_thread("moved", tmp_path / "moved.jsonl") == 51
    dst = _stores(target, tmp_path, request)
    assert dst.restore_archive(tmp_path / "moved.jsonl") == 51
    assert list(dst.list_checkpoints("moved")) == expected
    src.close()
    dst.close()


def test_a_new_sqlite_store_file_is_readable_by_its_owner_only(tmp_path) -> None:
    import stat

    from graphcompat.checkpoint.sqlite import SqliteSaver

    path = tmp_path / "private.db"
    saver = SqliteSaver(str(path))
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        saver.close()


def _thread_with_an_append_chain(path) -> str:
    """A SQLite store whose thread has a list channel stored as a delta chain; returns the thread id."""
    from tests.store.store_helpers import ThreadWriter

    with SqliteSaver(path) as saver:
        writer = ThreadWriter(saver, "damaged")
        items: list[str] = []
        for i in range(4):
            items = [*items, f"item {i}"]
            writer.write(log=items)
    return "damaged"


def test_a_delta_chain_that_loops_is_a_store_error_not_a_recursion_error(tmp_path):
    import sqlite3

    from graphcompat.errors import StoreError

    path = tmp_path / "s.db"
    thread = _thread_with_an_append_chain(path)
    with sqlite3.connect(path) as conn:
        changed = conn.execute("UPDATE blobs SET base_version = version WHERE encoding = 'append'").rowcount
    assert changed >= 1
    with SqliteSaver(path) as saver, pytest.raises(StoreError) as refused:
        saver.get_checkpoint(thread)
    message = str(refused.value)
    assert "that graphcompat cannot have written: its delta chain loops back to version" in message
    assert "restore the thread from an archive or delete it" in message
    assert not isinstance(refused.value, RecursionError)


def test_a_zlib_bomb_in_the_store_is_refused_without_inflating_it(tmp_path):
    import sqlite3
    import tracemalloc
    import zlib

    from graphcompat.errors import StoreError

    path = tmp_path / "s.db"
    thread = _thread_with_an_append_chain(path)
    packer = zlib.compressobj(9)
    chunk = b" " * 1_000_000
    bomb = b"".join(packer.compress(chunk) for _ in range(400)) + packer.flush()  # 400 MB of blanks
    assert len(bomb) < 1_000_000
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE blobs SET data = ?, compressed = 1 WHERE encoding = 'full'", (bomb,))
    with SqliteSaver(path) as saver:
        tracemalloc.start()
        try:
            with pytest.raises(StoreError, match="inflates past 67,108,864 bytes, the most graphcompat compresses"):
                saver.get_checkpoint(thread)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 100_000_000, f"reading the bomb took {peak:,} bytes"
