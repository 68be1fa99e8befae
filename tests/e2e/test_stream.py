"""stream / astream yield each super-step as it is committed."""

from __future__ import annotations

import asyncio
from operator import add
from typing import Annotated, TypedDict

import pytest

from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.errors import ConfigurationError
from graphcompat.graph import END, START, StateGraph
from graphcompat.types import interrupt

from .replay import replay_thread


class S(TypedDict):
    log: Annotated[list[str], add]


def chain(interrupting: bool = False):
    def ask(state: S) -> dict:
        return {"log": [interrupt("ok?")]}

    builder = StateGraph(S)
    builder.add_node("a", lambda s: {"log": ["a"]})
    builder.add_node("b", ask if interrupting else (lambda s: {"log": ["b"]}))
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", END)
    return builder.compile(checkpointer=InMemorySaver())


def test_stream_values(env, thread):
    chunks = list(chain().stream({"log": ["in"]}, thread, stream_mode="values"))
    # as LangGraph: the input checkpoint is not streamed; the first chunk has the input applied
    assert chunks == [{"log": ["in"]}, {"log": ["in", "a"]}, {"log": ["in", "a", "b"]}]
    assert replay_thread(env, thread["configurable"]["thread_id"]) == 1


def test_stream_updates_and_several_modes(env, thread):
    assert list(chain().stream({"log": []}, thread, stream_mode="updates")) == [{"a": {"log": ["a"]}}, {"b": {"log": ["b"]}}]
    other = {"configurable": {"thread_id": thread["configurable"]["thread_id"] + "-2"}}
    pairs = list(chain().stream({"log": []}, other, stream_mode=["updates", "values"]))
    assert ("updates", {"a": {"log": ["a"]}}) in pairs
    assert pairs[-1] == ("values", {"log": ["a", "b"]})
    assert replay_thread(env, other["configurable"]["thread_id"]) == 1


async def test_astream_reports_interrupts(env, thread):
    chunks = [c async for c in chain(interrupting=True).astream({"log": []}, thread, stream_mode="updates")]
    assert chunks[0] == {"a": {"log": ["a"]}}
    assert [i.value for i in chunks[-1]["__interrupt__"]] == ["ok?"]
    assert await asyncio.to_thread(replay_thread, env, thread["configurable"]["thread_id"]) == 1


def test_stream_raises_the_node_error_after_the_steps_before_it(env, thread):
    def boom(state: S) -> dict:
        raise KeyError("missing")

    builder = StateGraph(S)
    builder.add_node("a", lambda s: {"log": ["a"]})
    builder.add_node("b", boom)
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    graph = builder.compile(checkpointer=InMemorySaver())
    seen = []
    with pytest.raises(KeyError):
        for chunk in graph.stream({"log": []}, thread, stream_mode="updates"):
            seen.append(chunk)
    assert seen == [{"a": {"log": ["a"]}}]
    assert replay_thread(env, thread["configurable"]["thread_id"]) == 1


def test_unknown_stream_mode(env, thread):
    graph = chain()
    with pytest.raises(ConfigurationError, match="stream_mode 'token' is not a stream mode; use one of 'values', 'updates', 'custom'"):
        list(graph.stream({"log": []}, thread, stream_mode="token"))
    with pytest.raises(ConfigurationError, match="stream_mode is an empty list"):
        list(graph.stream({"log": []}, thread, stream_mode=[]))
    assert graph.store.get_checkpoint(thread["configurable"]["thread_id"]) is None  # nothing ran


def test_astream_events_is_refused_with_what_to_use(env, thread):
    from graphcompat.errors import NotSupportedError

    graph = chain()
    with pytest.raises(NotSupportedError, match=r"astream_events is not supported.*stream_mode=\['updates', 'messages', 'custom'\]"):
        graph.astream_events({"log": []}, thread, version="v2")
    with pytest.raises(NotImplementedError):  # what a LangGraph-era `except` would name
        graph.astream_events({"log": []}, thread)
    assert graph.store.get_checkpoint(thread["configurable"]["thread_id"]) is None  # nothing ran
