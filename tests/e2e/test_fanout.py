"""Send fan-out, Command, breakpoints and parallel interrupts on the durable runtime."""

from __future__ import annotations

import threading
from operator import add
from typing import Annotated, TypedDict

from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.graph import END, START, StateGraph
from graphcompat.types import Command, Send, interrupt

from .replay import replay_thread


class MapState(TypedDict):
    topics: list[str]
    summaries: Annotated[list[str], add]


def test_send_runs_each_item_as_its_own_parallel_activity(env, thread):
    inside = threading.Barrier(3, timeout=20)  # all three must be running at once

    def summarize(arg: dict) -> dict:
        inside.wait()
        return {"summaries": [f"summary of {arg['topic']}"]}

    builder = StateGraph(MapState)
    builder.add_node("summarize", summarize)
    builder.add_conditional_edges(START, lambda s: [Send("summarize", {"topic": t}) for t in s["topics"]])
    builder.add_edge("summarize", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    result = graph.invoke({"topics": ["cats", "dogs", "eels"], "summaries": []}, thread)
    # reduced in the order sent
    assert result["summaries"] == ["summary of cats", "summary of dogs", "summary of eels"]
    step = next(s for s in graph.get_state_history(thread) if s.metadata["step"] == 1)
    assert step.next == ("summarize", "summarize", "summarize")
    replay_thread(env, thread["configurable"]["thread_id"])


class Route(TypedDict):
    path: Annotated[list[str], add]


def test_command_goto_and_update(env, thread):
    def decide(state: Route) -> Command:
        return Command(update={"path": ["decide"]}, goto="right")

    builder = StateGraph(Route)
    builder.add_node("decide", decide)
    builder.add_node("left", lambda s: {"path": ["left"]})
    builder.add_node("right", lambda s: {"path": ["right"]})
    builder.add_edge(START, "decide")
    graph = builder.compile(checkpointer=InMemorySaver())
    assert graph.invoke({"path": []}, thread)["path"] == ["decide", "right"]


def test_breakpoints_per_call_and_resume(env, thread):
    builder = StateGraph(Route)
    for name in ("a", "b", "c"):
        builder.add_node(name, lambda s, n=name: {"path": [n]})
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", "c")
    graph = builder.compile(checkpointer=InMemorySaver())
    out = graph.invoke({"path": []}, thread, interrupt_after=["a"])
    assert out["path"] == ["a"]
    assert graph.get_state(thread).next == ("b",)
    out = graph.invoke(None, thread, interrupt_before=["c"])
    assert out["path"] == ["a", "b"]
    assert graph.get_state(thread).next == ("c",)
    assert graph.invoke(None, thread)["path"] == ["a", "b", "c"]


class Votes(TypedDict):
    votes: Annotated[list[str], add]


def test_parallel_interrupts_resumed_by_id(env, thread):
    def voter(name: str):
        def vote(state: Votes) -> dict:
            return {"votes": [f"{name}={interrupt(f'{name}, your vote?')}"]}

        return vote

    builder = StateGraph(Votes)
    builder.add_node("alice", voter("alice"))
    builder.add_node("bob", voter("bob"))
    builder.add_edge(START, "alice")
    builder.add_edge(START, "bob")
    graph = builder.compile(checkpointer=InMemorySaver())
    out = graph.invoke({"votes": []}, thread)
    pending = {i.value: i.id for i in out["__interrupt__"]}
    assert set(pending) == {"alice, your vote?", "bob, your vote?"}

    out = graph.invoke(Command(resume={pending["alice, your vote?"]: "yes"}), thread)
    assert [i.value for i in out["__interrupt__"]] == ["bob, your vote?"]  # alice answered
    assert graph.get_state(thread).next == ("bob",)
    out = graph.invoke(Command(resume={pending["bob, your vote?"]: "no"}), thread)
    assert sorted(out["votes"]) == ["alice=yes", "bob=no"]
    replay_thread(env, thread["configurable"]["thread_id"])
