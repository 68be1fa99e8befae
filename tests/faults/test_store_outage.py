"""Postgres made unreachable mid-run through a TCP proxy the test owns (the shared server keeps running).

The run waits for the store and completes with nothing lost; a read during
the outage fails fast with a typed error; the first read afterwards succeeds
(pooled connections are checked before use).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from operator import add
from typing import Annotated, TypedDict
from urllib.parse import urlsplit, urlunsplit

import pytest

from graphcompat.errors import StoreUnavailableError
from graphcompat.graph import START, StateGraph

from tests.e2e.replay import replay_thread
from tests.faults.proxy import TcpProxy

PG = os.environ.get("GRAPHCOMPAT_TEST_POSTGRES_URL")
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG, reason="GRAPHCOMPAT_TEST_POSTGRES_URL is not set")]


class Log(TypedDict):
    log: Annotated[list, add]


@pytest.mark.timeout(120)
def test_a_run_waits_out_a_store_outage_and_completes(env, thread) -> None:
    from graphcompat.checkpoint.postgres import PostgresSaver

    parts = urlsplit(PG)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    url = urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}"))
    schema = f"outage_{uuid.uuid4().hex[:8]}"
    store = PostgresSaver(url, schema=schema)
    in_b, release = threading.Event(), threading.Event()

    def b(state: Log) -> dict:
        in_b.set()
        release.wait(30)
        return {"log": ["b"]}

    builder = StateGraph(Log)
    builder.add_node("a", lambda s: {"log": ["a"]})
    builder.add_node("b", b)
    builder.add_node("c", lambda s: {"log": ["c"]})
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", "c")
    graph = builder.compile(checkpointer=store)
    box: dict = {}
    runner = threading.Thread(target=lambda: box.update(result=graph.invoke({"log": []}, thread)), daemon=True)
    try:
        runner.start()
        assert in_b.wait(30)
        proxy.cut()  # connections reset, new ones refused, while b is in flight
        release.set()  # b finishes; its commit meets the outage
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError, match="the Postgres store .* failed"):
            graph.get_state(thread)
        assert time.monotonic() - started < 10  # fails fast, does not hang
        time.sleep(6)
        assert runner.is_alive()  # the run waits for the store instead of failing
        proxy.restore()
        runner.join(60)
        assert box.get("result") == {"log": ["a", "b", "c"]}
        history = list(graph.get_state_history(thread))
        assert [h.metadata["step"] for h in history] == [4, 3, 2, 1, 0]  # nothing lost, nothing twice
        assert replay_thread(env, thread["configurable"]["thread_id"]) == 1
    finally:
        release.set()
        proxy.restore() if proxy._server is None else None
        store.close()
        proxy.close()
        import psycopg

        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_the_first_read_after_an_outage_succeeds() -> None:
    from graphcompat.checkpoint.postgres import PostgresSaver

    parts = urlsplit(PG)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    url = urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}"))
    schema = f"outage_{uuid.uuid4().hex[:8]}"
    store = PostgresSaver(url, schema=schema)
    try:
        assert store.get_checkpoint("nobody") is None  # a pooled connection is open
        proxy.cut()  # the server side of it goes away while it sits in the pool
        proxy.restore()
        assert store.get_checkpoint("nobody") is None  # not the dead pooled connection
        assert list(store.list_threads()) == []
    finally:
        store.close()
        proxy.close()
        import psycopg

        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
