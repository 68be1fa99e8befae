"""A run terminated from outside (Temporal UI/CLI) stops its node, and a resumed run is not disturbed.

An async node attempt in flight is cancelled through its heartbeat; a sync
node's thread cannot be stopped by Python, so it runs to its end, and what it
returns is dropped: after ``invoke(None, config)`` re-ran the node, the old
attempt finishing writes nothing. Detection times are printed.
"""

from __future__ import annotations

import asyncio
import threading
import time
from operator import add
from typing import Annotated, TypedDict

import pytest

from graphcompat._wire import workflow_id_for
from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.errors import RunTerminatedError
from graphcompat.graph import END, START, StateGraph
from tests.e2e.replay import replay_thread


class Log(TypedDict):
    log: Annotated[list, add]


def _wait(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def _invoke_in_thread(graph, config) -> tuple[threading.Thread, dict]:
    box: dict = {}

    def call() -> None:
        try:
            box["result"] = graph.invoke({"log": []}, config)
        except BaseException as exc:  # noqa: BLE001 - checked by the test
            box["error"] = exc

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    return caller, box


def _terminate(env, thread_id: str) -> None:
    env.run(env.client.get_workflow_handle(workflow_id_for(thread_id)).terminate(reason="stopped by an operator"))


@pytest.mark.timeout(120)
def test_terminating_a_run_cancels_its_async_node_and_a_resume_completes_it(local_env, thread, capsys) -> None:
    events: list[str] = []

    async def slow(state: Log) -> dict:
        events.append("start")
        if events.count("start") == 1:
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                events.append("cancelled")
                raise
        return {"log": ["slow"]}

    builder = StateGraph(Log)
    builder.add_node("slow", slow)
    builder.add_edge(START, "slow")
    builder.add_edge("slow", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    caller, box = _invoke_in_thread(graph, thread)
    _wait(lambda: "start" in events, "the node to start")
    terminated_at = time.monotonic()
    _terminate(local_env, thread["configurable"]["thread_id"])
    _wait(lambda: "cancelled" in events, "the node attempt to be cancelled")
    detected = time.monotonic() - terminated_at
    caller.join(timeout=60)
    assert isinstance(box.get("error"), RunTerminatedError), box
    assert graph.invoke(None, thread) == {"log": ["slow"]}
    assert events == ["start", "cancelled", "start"]
    with capsys.disabled():
        print(f"\n[terminate] async node attempt cancelled {detected:.2f}s after the terminate")
    replay_thread(local_env, thread["configurable"]["thread_id"])


@pytest.mark.timeout(120)
def test_a_sync_node_still_running_after_a_terminate_writes_nothing_when_it_finishes(local_env, thread) -> None:
    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    attempts: list[int] = []

    def slow(state: Log) -> dict:
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            started.set()
            release.wait(60)  # the old attempt, still running after the terminate
            finished.set()
            return {"log": ["old attempt"]}
        return {"log": ["new attempt"]}

    builder = StateGraph(Log)
    builder.add_node("slow", slow)
    builder.add_node("after", lambda s: {"log": ["after"]})
    builder.add_edge(START, "slow")
    builder.add_edge("slow", "after")
    builder.add_edge("after", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    caller, box = _invoke_in_thread(graph, thread)
    assert started.wait(60)
    _terminate(local_env, thread["configurable"]["thread_id"])
    caller.join(timeout=60)
    assert isinstance(box.get("error"), RunTerminatedError), box
    assert graph.invoke(None, thread) == {"log": ["new attempt", "after"]}
    before = [s.config["configurable"]["checkpoint_id"] for s in graph.get_state_history(thread)]
    release.set()
    assert finished.wait(60)
    # The old attempt returned into an activity that was cancelled: nothing of it is stored.
    graph.update_state(thread, None)  # a later run on the thread, after the old attempt's end
    assert graph.get_state(thread).values == {"log": ["new attempt", "after"]}
    assert [s.config["configurable"]["checkpoint_id"] for s in graph.get_state_history(thread)][1:] == before
    assert all(not w.value == ["old attempt"] for s in graph.get_state_history(thread) for w in
               graph.store.get_writes(thread["configurable"]["thread_id"], "", s.config["configurable"]["checkpoint_id"]))
    replay_thread(local_env, thread["configurable"]["thread_id"])
