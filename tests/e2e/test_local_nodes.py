"""Local nodes (``add_node(..., local=True)``): Temporal local activities on the workflow's worker.

They behave as any node (state, reducers, retries, errors with their own
type); only where they run differs: no activity task goes through the server
(history holds a marker instead of activity events).
"""

from __future__ import annotations

from operator import add
from typing import Annotated, TypedDict

import pytest
from temporalio.api.enums.v1 import EventType

from graphcompat._wire import workflow_id_for
from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.errors import GraphTypeError, GraphValidationError
from graphcompat.graph import END, START, StateGraph
from graphcompat.types import RetryPolicy

from .replay import replay_thread


LOCAL = True


class State(TypedDict):
    ran: Annotated[list[str], add]


def _graph(calls: list[str], *, fail_first: bool = False, retry: bool = True):
    def shout(state: State) -> dict:
        calls.append("shout")
        if fail_first and calls.count("shout") == 1:
            raise ConnectionError("flaky once")
        return {"ran": ["shout"]}

    builder = StateGraph(State)
    builder.add_node("shout", shout, local=LOCAL, retry_policy=RetryPolicy(max_attempts=3, initial_interval=0.01) if retry else None)
    builder.add_node("remote", lambda s: {"ran": ["remote"]})
    builder.add_node("tail", lambda s: {"ran": ["tail"]}, local=True)
    builder.add_edge(START, "shout")
    builder.add_edge("shout", "remote")
    builder.add_edge("remote", "tail")
    builder.add_edge("tail", END)
    return builder.compile(checkpointer=InMemorySaver())


def _events(env, thread_id: str) -> list:
    return env.run(env.client.get_workflow_handle(workflow_id_for(thread_id)).fetch_history()).events


def test_local_nodes_run_without_activity_tasks(env, thread):
    calls: list[str] = []
    graph = _graph(calls)
    assert graph.invoke({"ran": []}, thread) == {"ran": ["shout", "remote", "tail"]}
    thread_id = thread["configurable"]["thread_id"]
    replay_thread(env, thread_id)
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in _events(env, thread_id)
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert len(scheduled) == 1  # only "remote" went through the server's task queue
    history = list(graph.get_state_history(thread))
    assert [s.next for s in history] == [(), ("tail",), ("remote",), ("shout",), ("__start__",)]


def test_a_local_node_follows_its_retry_policy_and_raises_its_own_error(env, thread):
    calls: list[str] = []
    graph = _graph(calls, fail_first=True)
    assert graph.invoke({"ran": []}, thread)["ran"] == ["shout", "remote", "tail"]
    assert calls == ["shout", "shout"]
    replay_thread(env, thread["configurable"]["thread_id"])

    other = {"configurable": {"thread_id": thread["configurable"]["thread_id"] + "-noretry"}}
    failing = _graph([], fail_first=True, retry=False)
    with pytest.raises(ConnectionError, match="flaky once"):
        failing.invoke({"ran": []}, other)
    assert failing.get_state(other).next == ("shout",)
    replay_thread(env, other["configurable"]["thread_id"])


def test_local_options_are_checked():
    builder = StateGraph(State)
    with pytest.raises(GraphTypeError, match=r"Node 'n': local must be True or False, got 'yes'"):
        builder.add_node("n", lambda s: s, local="yes")
    with pytest.raises(GraphValidationError, match=r"Node 'n': a local node runs on the workflow's own worker.*drop local=True"):
        builder.add_node("n", lambda s: s, local=True, task_queue="gpu")
    assert "n" not in builder.nodes
