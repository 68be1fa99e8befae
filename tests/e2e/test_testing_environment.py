"""``graphcompat.testing`` as a user's test suite uses it: async and sync constructors on real servers.

Each test starts its own server (none of the session ones), runs a graph
through it, and replays the thread's histories.
"""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request
from operator import add
from pathlib import Path
from typing import Annotated, TypedDict

import pytest

from graphcompat._runtime import current_runtime
from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.graph import END, START, StateGraph
from graphcompat.testing import GraphTestEnvironment
from graphcompat.types import RetryPolicy

from .replay import replay_thread


class S(TypedDict):
    log: Annotated[list[str], add]


def retrying_graph(failures: int, back_off: float):
    """One node that fails ``failures`` times, retried after ``back_off`` seconds (doubling)."""
    calls: list[int] = []

    def flaky(state: S) -> dict:
        calls.append(1)
        if len(calls) <= failures:
            raise ConnectionError("temporary outage")
        return {"log": [f"ok after {len(calls)}"]}

    builder = StateGraph(S)
    builder.add_node("flaky", flaky, retry_policy=RetryPolicy(initial_interval=back_off, max_attempts=failures + 1))
    builder.add_edge(START, "flaky")
    builder.add_edge("flaky", END)
    return builder.compile(checkpointer=InMemorySaver())


def runtime_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "graphcompat-runtime" and t.is_alive())


async def test_astart_time_skipping_skips_minutes_of_back_off(thread):
    before = current_runtime()
    async with await GraphTestEnvironment.astart_time_skipping() as env:
        assert current_runtime() is env.runtime
        assert env.kind == "time-skipping"
        assert env.workflow_environment.supports_time_skipping
        graph = retrying_graph(failures=2, back_off=60.0)  # 1 + 2 minutes of back-off
        started = time.monotonic()
        assert await graph.ainvoke({"log": []}, thread) == {"log": ["ok after 3"]}
        assert time.monotonic() - started < 30
        state = await graph.aget_state(thread)
        assert state.values == {"log": ["ok after 3"]} and state.next == ()
        assert replay_thread(env, thread["configurable"]["thread_id"]) == 1
        # the client lives on the environment's loop; arun awaits a call made there
        server_time = await env.arun(env.workflow_environment.get_current_time())
        assert server_time.year >= 2024
    assert current_runtime() is before


async def test_sync_constructor_works_inside_a_running_event_loop(thread):
    """As in a notebook: the sync twin blocks this loop while the environment starts on its own."""
    asyncio.get_running_loop()
    with GraphTestEnvironment.start_time_skipping() as env:
        assert env.kind == "time-skipping"
        graph = retrying_graph(failures=0, back_off=1.0)
        assert graph.invoke({"log": []}, thread) == {"log": ["ok after 1"]}
        assert graph.get_state(thread).values == {"log": ["ok after 1"]}
        replay_thread(env, thread["configurable"]["thread_id"])
        description = env.run(env.client.get_workflow_handle(env.runtime.started_runs[-1][0]).describe())
        assert description.task_queue == env.task_queue


async def test_astart_local_keeps_its_data_in_the_database_file_and_serves_the_ui(tmp_path: Path, thread):
    database = tmp_path / "temporal.db"
    async with await GraphTestEnvironment.astart_local(ui=True, database_file=str(database)) as env:
        assert env.kind == "local"
        assert env.ui_url is not None and env.ui_url.startswith("http://127.0.0.1:")
        graph = retrying_graph(failures=1, back_off=0.1)
        assert (await graph.ainvoke({"log": []}, thread))["log"] == ["ok after 2"]
        assert (await graph.aget_state(thread)).next == ()
        replay_thread(env, thread["configurable"]["thread_id"])
        with urllib.request.urlopen(env.ui_url.rsplit("/namespaces", 1)[0], timeout=30) as response:  # noqa: S310
            assert response.status == 200
        with pytest.raises(RuntimeError, match="start_time_skipping"):
            env.workflow_environment  # noqa: B018
    assert database.stat().st_size > 0


def test_sync_constructor_and_close_restore_the_previous_runtime(thread):
    before = current_runtime()
    env = GraphTestEnvironment.start_time_skipping()
    try:
        assert current_runtime() is env.runtime
        first = env.task_queue
        assert env.fresh_task_queue() != first and env.task_queue != first
        assert retrying_graph(failures=0, back_off=1.0).invoke({"log": []}, thread) == {"log": ["ok after 1"]}
    finally:
        env.close()
    assert current_runtime() is before
    env.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        env.client  # noqa: B018


async def test_a_server_that_does_not_start_leaves_no_thread_behind():
    async def connect(env):
        raise ConnectionRefusedError("no server here")

    before = runtime_threads()
    env = GraphTestEnvironment(connect, kind="broken")
    with pytest.raises(ConnectionRefusedError, match="no server here"):
        await env.astart()
    assert runtime_threads() == before
    assert current_runtime() is not env.runtime
