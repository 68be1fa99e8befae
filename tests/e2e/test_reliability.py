"""The durability invariants under retried activities, node timeouts, sys.exit and mutation.

Activities are run twice for real through the SDK's ``ActivityEnvironment``
(what Temporal does when a workflow task is lost after a local activity
wrote); runs go through the time-skipping server and replay with Replayer.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, TypedDict

import pytest
from temporalio.testing import ActivityEnvironment

from activities.graph_activities import GraphActivities
from graphcompat import _ids
from graphcompat._registry import GraphRegistry
from graphcompat._wire import CommitInput, NodeInput, RunMode, SaveWritesInput, StartInput, TaskRef
from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.errors import NodeExitError, NodeTimeoutError
from graphcompat.graph import END, START, StateGraph
from graphcompat.types import RetryPolicy, interrupt
from workflows.graph_run import STEPS_PER_RUN

from .replay import replay_thread


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _activities(graph: Any) -> GraphActivities:
    registry = GraphRegistry(weak=False)
    registry.add(graph.binding)
    return GraphActivities(registry)


async def _open(acts: GraphActivities, graph: Any, thread_id: str, input: dict, mode: RunMode = RunMode.INPUT, resume: Any = None):
    inp = StartInput(graph.graph_key, thread_id, "", mode, input, None, resume, _ids.checkpoint_id(), _now())
    return await ActivityEnvironment().run(acts.start_run, inp)


class Pick(TypedDict, total=False):
    went: Annotated[list, lambda a, b: a + b]


async def test_a_commit_run_twice_continues_from_what_the_first_attempt_stored() -> None:
    # The START router decides differently on each call, as a non-deterministic router may.
    calls: list[str] = []

    def route(state: Pick) -> str:
        calls.append("left" if not calls else "right")
        return calls[-1]

    b = StateGraph(Pick)
    b.add_node("left", lambda s: {"went": ["left"]})
    b.add_node("right", lambda s: {"went": ["right"]})
    b.add_conditional_edges(START, route, ["left", "right"])
    graph = b.compile(checkpointer=InMemorySaver())
    acts = _activities(graph)
    opened = await _open(acts, graph, "twice", {})
    commit = CommitInput(graph.graph_key, "twice", "", opened.checkpoint_id, _ids.checkpoint_id(after=opened.checkpoint_id), _now(), [], {})
    first = await ActivityEnvironment().run(acts.commit_step, commit)
    acts.cache = type(acts.cache)()  # a cold worker cache, as on another worker
    second = await ActivityEnvironment().run(acts.commit_step, commit)
    assert [t.name for t in first.tasks] == ["left"]
    assert second == first
    stored = graph.store.get_checkpoint("twice")
    assert stored.checkpoint_id == first.checkpoint_id and [t["name"] for t in stored.next_tasks] == ["left"]
    assert len(list(graph.store.list_checkpoints("twice"))) == 2  # input + one step, no sibling


async def test_an_opening_run_twice_writes_one_input_checkpoint() -> None:
    b = StateGraph(Pick)
    b.add_node("left", lambda s: {"went": ["left"]})
    b.add_edge(START, "left")
    graph = b.compile(checkpointer=InMemorySaver())
    acts = _activities(graph)
    inp = StartInput(graph.graph_key, "open2", "", RunMode.INPUT, {}, None, None, _ids.checkpoint_id(), _now())
    first = await ActivityEnvironment().run(acts.start_run, inp)
    second = await ActivityEnvironment().run(acts.start_run, inp)
    assert first == second
    assert len(list(graph.store.list_checkpoints("open2"))) == 1


class Answers(TypedDict, total=False):
    answers: Annotated[list, lambda a, b: a + b]


async def test_a_resume_answer_stored_twice_does_not_answer_the_next_interrupt() -> None:
    def ask(state: Answers) -> dict:
        return {"answers": [interrupt("first?"), interrupt("second?")]}

    b = StateGraph(Answers)
    b.add_node("ask", ask)
    b.add_edge(START, "ask")
    graph = b.compile(checkpointer=InMemorySaver())
    acts, env = _activities(graph), ActivityEnvironment()
    opened = await _open(acts, graph, "resume2", {})
    commit = CommitInput(graph.graph_key, "resume2", "", opened.checkpoint_id, _ids.checkpoint_id(after=opened.checkpoint_id), _now(), [], {})
    step = await env.run(acts.commit_step, commit)
    task = step.tasks[0]

    async def run_ask(resume: bool):
        return await env.run(acts.run_node, NodeInput(graph.graph_key, "resume2", "", step.checkpoint_id, 1, task, {}, resume))

    asked = await run_ask(False)
    assert [i["value"] for i in asked.interrupts] == ["first?"]
    await env.run(acts.save_writes, SaveWritesInput(graph.graph_key, "resume2", "", step.checkpoint_id, [asked], []))
    # Command(resume="a1") opens the run; the opening runs again (a lost workflow task).
    command = StartInput(graph.graph_key, "resume2", "", RunMode.COMMAND, None, None, "a1", _ids.checkpoint_id(), _now())
    await env.run(acts.start_run, command)
    await env.run(acts.start_run, command)
    again = await run_ask(True)
    assert [i["value"] for i in again.interrupts] == ["second?"]  # not answered with "a1" again


class Count(TypedDict):
    n: int
    limit: int


def test_interrupt_before_holds_at_the_continue_as_new_boundary(env, thread) -> None:
    # The gate is due exactly when the workflow continues as new (after STEPS_PER_RUN commits).
    b = StateGraph(Count)
    b.add_node("tick", lambda s: {"n": s["n"] + 1})
    b.add_node("gate", lambda s: {"n": -1})
    b.add_edge(START, "tick")
    b.add_conditional_edges("tick", lambda s: "gate" if s["n"] >= s["limit"] else "tick", ["tick", "gate"])
    b.add_edge("gate", END)
    graph = b.compile(checkpointer=InMemorySaver(), interrupt_before=["gate"])
    limit = STEPS_PER_RUN - 1  # the input step + limit ticks = STEPS_PER_RUN commits
    result = graph.invoke({"n": 0, "limit": limit}, thread)
    assert result == {"n": limit, "limit": limit}
    assert graph.get_state(thread).next == ("gate",)
    assert graph.invoke(None, thread) == {"n": -1, "limit": limit}
    assert replay_thread(env, thread["configurable"]["thread_id"]) >= 2


class Log(TypedDict, total=False):
    data: dict
    seen: list


def test_a_node_mutating_its_input_changes_nothing_others_see(env, thread) -> None:
    attempts: list[list[str]] = []

    def messy(state: Log) -> dict:
        attempts.append(list(state["data"]["items"]))
        state["data"]["items"].append("dirty")  # in place: must not leak into the worker's cache
        if len(attempts) == 1:
            raise ConnectionError("flaky")
        return {}

    b = StateGraph(Log)
    b.add_node("messy", messy, retry_policy=RetryPolicy(max_attempts=2, initial_interval=0.01, jitter=False))
    b.add_node("after", lambda s: {"seen": list(s["data"]["items"])})
    b.add_edge(START, "messy")
    b.add_edge("messy", "after")
    graph = b.compile(checkpointer=InMemorySaver())
    result = graph.invoke({"data": {"items": ["in"]}}, thread)
    assert attempts == [["in"], ["in"]]
    assert result["seen"] == ["in"] and result["data"] == {"items": ["in"]}
    assert replay_thread(env, thread["configurable"]["thread_id"]) == 1


@pytest.mark.timeout(60)
def test_sys_exit_in_a_node_fails_the_node_once(env, thread) -> None:
    calls: list[int] = []

    def quits(state: Count) -> dict:
        calls.append(1)
        sys.exit(3)

    b = StateGraph(Count)
    b.add_node("quits", quits)
    b.add_edge(START, "quits")
    graph = b.compile(checkpointer=InMemorySaver())
    with pytest.raises(NodeExitError, match=r"raised sys.exit\(3\); code inside a graph must not stop the worker") as info:
        graph.invoke({"n": 0, "limit": 0}, thread)
    assert info.value.node == "quits" and calls == [1]
    assert graph.get_state(thread).next == ("quits",)
    assert replay_thread(env, thread["configurable"]["thread_id"]) == 1


@pytest.mark.timeout(60)
def test_a_node_past_its_timeout_follows_its_retry_policy_then_fails_typed(env, thread) -> None:
    calls: list[float] = []

    def slow(state: Count) -> dict:
        calls.append(time.monotonic())
        time.sleep(1.5 if len(calls) == 1 else 0)
        return {"n": len(calls)}

    b = StateGraph(Count)
    b.add_node("slow", slow, timeout=timedelta(seconds=0.5), retry_policy=RetryPolicy(max_attempts=2, retry_on=TimeoutError, initial_interval=0.01, jitter=False))
    b.add_edge(START, "slow")
    assert b.compile(checkpointer=InMemorySaver()).invoke({"n": 0, "limit": 0}, thread)["n"] == 2

    calls.clear()
    b2 = StateGraph(Count)
    b2.add_node("slow", slow, timeout=timedelta(seconds=0.5))  # no retry policy: fails at once
    b2.add_edge(START, "slow")
    other = {"configurable": {"thread_id": thread["configurable"]["thread_id"] + "-b"}}
    with pytest.raises(NodeTimeoutError, match=r"Node 'slow' ran longer than its timeout of 0.5 s") as info:
        b2.compile(checkpointer=InMemorySaver()).invoke({"n": 0, "limit": 0}, other)
    assert isinstance(info.value, TimeoutError) and info.value.node == "slow" and len(calls) == 1
    assert replay_thread(env, thread["configurable"]["thread_id"]) == 1
    assert replay_thread(env, other["configurable"]["thread_id"]) == 1


class Total(TypedDict):
    total: Annotated[int, lambda a, b: a + b]


def test_new_checkpoints_come_after_the_head_even_when_the_clock_is_behind(env, thread) -> None:
    import dataclasses

    b = StateGraph(Total)
    b.add_node("add", lambda s: {"total": 1})
    b.add_edge(START, "add")
    graph = b.compile(checkpointer=InMemorySaver())
    graph.invoke({"total": 10}, thread)
    head = graph.store.get_checkpoint(thread["configurable"]["thread_id"])
    # The thread's head was written under a clock far ahead (another server, a clock stepped back since).
    ahead = _ids.checkpoint_id(int((time.time() + 50 * 365 * 86_400) * 1000))
    graph.store.put_checkpoint(dataclasses.replace(head, checkpoint_id=ahead, parent_checkpoint_id=head.checkpoint_id))
    out = graph.invoke({"total": 100}, thread)
    assert out == {"total": 112}
    latest = graph.get_state(thread)
    assert latest.values == out and latest.config["configurable"]["checkpoint_id"] > ahead
    assert replay_thread(env, thread["configurable"]["thread_id"]) == 2
