"""The runtime: long threads continue as new, sync calls work inside a running event loop."""

from __future__ import annotations

import asyncio
import time
from operator import add
from typing import Annotated, TypedDict

from temporalio.client import WorkflowExecutionStatus

from graphcompat._wire import workflow_id_for
from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.graph import END, START, StateGraph
from workflows.graph_run import STEPS_PER_RUN

from .replay import replay_thread


class Counter(TypedDict):
    n: int
    limit: int


def counting_loop():
    builder = StateGraph(Counter)
    builder.add_node("tick", lambda s: {"n": s["n"] + 1})
    builder.add_edge(START, "tick")
    builder.add_conditional_edges("tick", lambda s: END if s["n"] >= s["limit"] else "tick")
    return builder.compile(checkpointer=InMemorySaver())


def test_long_thread_continues_as_new_and_finishes(env, thread):
    steps = 2 * STEPS_PER_RUN + 100
    graph = counting_loop()
    result = graph.invoke({"n": 0, "limit": steps}, {**thread, "recursion_limit": steps + 10})
    assert result["n"] == steps
    history = list(graph.get_state_history(thread, limit=3))
    assert history[0].metadata["step"] == steps + 1
    assert history[0].next == ()

    client = env.client

    async def first_run_status():
        wid = workflow_id_for(thread["configurable"]["thread_id"])
        _, run_id = env.runtime.started_runs[-1]
        return (await client.get_workflow_handle(wid, run_id=run_id).describe()).status

    assert env.run(first_run_status()) == WorkflowExecutionStatus.CONTINUED_AS_NEW
    replay_thread(env, thread["configurable"]["thread_id"])


async def test_sync_invoke_inside_a_running_event_loop(env, thread):
    """As in a notebook: the sync API blocks this loop but runs on graphcompat's own."""
    asyncio.get_running_loop()
    graph = counting_loop()
    assert graph.invoke({"n": 0, "limit": 3}, thread)["n"] == 3
    assert graph.get_state(thread).values["n"] == 3


async def test_async_twins(env, thread):
    graph = counting_loop()
    assert (await graph.ainvoke({"n": 0, "limit": 2}, thread))["n"] == 2
    state = await graph.aget_state(thread)
    assert state.values == {"n": 2, "limit": 2}
    history = [s async for s in graph.aget_state_history(thread)]
    assert [s.metadata["step"] for s in history] == [3, 2, 1, 0]
    new_config = await graph.aupdate_state(thread, {"limit": 4}, as_node="tick")
    assert (await graph.aget_state(new_config)).next == ("tick",)
    assert (await graph.ainvoke(None, thread))["n"] == 4


def test_async_nodes_and_config(env, thread):
    seen = {}

    async def node(state: Counter, config) -> dict:
        await asyncio.sleep(0)
        seen.update(config["configurable"])
        return {"n": state["n"] + 10}

    builder = StateGraph(Counter)
    builder.add_node(node)
    builder.add_edge(START, "node")
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {**thread["configurable"], "user": "ada"}}
    assert graph.invoke({"n": 1, "limit": 0}, config)["n"] == 11
    assert seen["user"] == "ada" and seen["thread_id"] == thread["configurable"]["thread_id"]
    assert seen["checkpoint_id"]


def test_graph_without_checkpointer_runs(env):
    graph = StateGraph(Counter)
    graph.add_node("tick", lambda s: {"n": s["n"] + 1})
    graph.add_edge(START, "tick")
    assert graph.compile().invoke({"n": 41, "limit": 0})["n"] == 42


class Log(TypedDict):
    log: Annotated[list, add]


def test_without_a_checkpointer_nothing_outlives_the_call(env, thread):
    builder = StateGraph(Log)
    builder.add_node("a", lambda s: {"log": ["a"]})
    builder.add_edge(START, "a")
    graph = builder.compile()
    # LangGraph ignores the thread id without a checkpointer: calls do not accumulate.
    assert graph.invoke({"log": []}, thread) == {"log": ["a"]}
    assert graph.invoke({"log": []}, thread) == {"log": ["a"]}
    assert list(graph.stream({"log": []}, thread, stream_mode="updates")) == [{"a": {"log": ["a"]}}]
    assert list(graph.store.list_threads()) == []


def test_a_run_no_worker_polls_for_is_reported_with_what_to_do(local_env, thread, tmp_path, monkeypatch, caplog):
    # The dev server: the time-skipping test server does not implement DescribeTaskQueue.
    env = local_env
    import logging
    import threading
    import uuid

    from temporalio.client import Client

    from graphcompat._runtime import Runtime, use_runtime
    from graphcompat.checkpoint.sqlite import SqliteSaver
    from graphcompat.errors import RunTerminatedError
    from graphcompat.graph import _compiled
    from graphcompat.plugin import GraphcompatPlugin

    monkeypatch.setattr(_compiled, "NO_WORKER_WARNING_S", 0.5)
    queue = f"nobody-{uuid.uuid4().hex[:8]}"
    service, namespace = env.client.service_client, env.client.namespace

    async def connect():
        return Client(service, namespace=namespace, plugins=[GraphcompatPlugin()]), None

    runtime = Runtime(connect, in_process_worker=False, task_queue=queue, search_attributes=False)
    builder = StateGraph(Counter)
    builder.add_node("tick", lambda s: {"n": s["n"] + 1})
    builder.add_edge(START, "tick")
    graph = builder.compile(checkpointer=SqliteSaver(str(tmp_path / "s.db")))
    box: dict = {}

    def call():
        try:
            with use_runtime(runtime):
                graph.invoke({"n": 0, "limit": 1}, thread)
        except BaseException as exc:  # noqa: BLE001 - checked below
            box["error"] = exc

    caller = threading.Thread(target=call)
    try:
        with caplog.at_level(logging.WARNING, logger="graphcompat"):
            caller.start()
            deadline = time.monotonic() + 20
            while not any("no worker polls task queue" in r.getMessage() for r in caplog.records):
                assert time.monotonic() < deadline, "no warning about the missing worker"
                time.sleep(0.1)
        message = next(r.getMessage() for r in caplog.records if "no worker polls" in r.getMessage())
        assert repr(queue) in message and "python worker.py --graph" in message
    finally:
        wid = workflow_id_for(thread["configurable"]["thread_id"])
        env.run(env.client.get_workflow_handle(wid).terminate("test over"))
        caller.join(30)
        runtime.close()
    assert isinstance(box.get("error"), RunTerminatedError)
