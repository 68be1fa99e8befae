"""Fixtures of the store conformance suite: one suite, every backend.

``saver`` is a fresh store of each backend: memory, SQLite (a new file
under ``tmp_path``) and Postgres (a new schema, dropped afterwards; the
server comes from ``GRAPHCOMPAT_TEST_POSTGRES_URL``).
``open_store`` opens another saver on the same store, as a second process would.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graphcompat.checkpoint import BaseCheckpointSaver
from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.checkpoint.sqlite import SqliteSaver

from store_helpers import postgres_url

OpenStore = Callable[[], BaseCheckpointSaver]


@pytest.fixture
def postgres_schema() -> Iterator[tuple[str, str]]:
    """A fresh Postgres schema name and the server URL; the schema is dropped afterwards."""
    import psycopg

    url = postgres_url()
    schema = f"gc_test_{uuid.uuid4().hex[:12]}"
    yield url, schema
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _opener(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> OpenStore:
    if backend == "memory":
        shared = InMemorySaver()
        return lambda: shared
    if backend == "sqlite":
        path = tmp_path / "store" / "checkpoints.db"
        return lambda: SqliteSaver(path)
    from graphcompat.checkpoint.postgres import PostgresSaver

    url, schema = request.getfixturevalue("postgres_schema")
    return lambda: PostgresSaver(url, schema=schema)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStore]:
    """Open (another saver on) the test's store; every saver opened is closed at the end."""
    make = _opener(backend, request, tmp_path)
    opened: list[BaseCheckpointSaver] = []

    def open_one() -> BaseCheckpointSaver:
        saver = make()
        opened.append(saver)
        return saver

    yield open_one
    for saver in opened:
        saver.close()


@pytest.fixture
def saver(open_store: OpenStore) -> BaseCheckpointSaver:
    return open_store()


@pytest.fixture
def sql_only(backend: str) -> None:
    if backend == "memory":
        pytest.skip("the in-memory store keeps values as objects: no encodings or files")
