"""Large writes travel as references: workflow history does not grow with them (invariant 3)."""

from __future__ import annotations

from operator import add
from typing import Annotated, TypedDict

import pytest

from graphcompat.checkpoint._layout import INLINE_WRITE_LIMIT
from graphcompat._wire import workflow_id_for
from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.graph import END, START, StateGraph

from .replay import replay_thread


class Docs(TypedDict):
    pages: Annotated[list[str], add]
    title: str


def _history_bytes(env, thread_id: str) -> int:
    client = env.client
    wid, run_id = [r for r in env.runtime.started_runs if r[0] == workflow_id_for(thread_id)][-1]

    async def size() -> int:
        history = await client.get_workflow_handle(wid, run_id=run_id).fetch_history()
        return sum(e.ByteSize() for e in history.events)

    return env.run(size())


def test_a_large_write_is_stored_once_and_referenced(env, thread):
    big = "x" * (4 * INLINE_WRITE_LIMIT)

    builder = StateGraph(Docs)
    builder.add_node("fetch", lambda s: {"pages": [big, big[:10]], "title": "t"})
    builder.add_node("count", lambda s: {"title": f"{len(s['pages'])} pages, {sum(map(len, s['pages']))} chars"})
    builder.add_edge(START, "fetch")
    builder.add_edge("fetch", "count")
    builder.add_edge("count", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    result = graph.invoke({"pages": []}, thread)
    assert result["title"] == f"2 pages, {len(big) + 10} chars"
    assert result["pages"] == [big, big[:10]]
    fetch_step = next(s for s in graph.get_state_history(thread) if s.metadata["step"] == 2)
    assert fetch_step.metadata["writes"]["fetch"]["pages"] == [big, big[:10]]  # the record holds the value itself
    assert _history_bytes(env, thread["configurable"]["thread_id"]) < len(big)  # history holds only a hash
    replay_thread(env, thread["configurable"]["thread_id"])


def test_large_write_of_a_failed_parallel_step_is_kept(env, thread):
    big = "y" * (2 * INLINE_WRITE_LIMIT)
    calls = {"boom": 0}

    def boom(state: Docs) -> dict:
        calls["boom"] += 1
        if calls["boom"] == 1:
            raise ConnectionError("flaky")
        return {"title": "ok"}

    builder = StateGraph(Docs)
    builder.add_node("fetch", lambda s: {"pages": [big]})
    builder.add_node("boom", boom)
    builder.add_edge(START, "fetch")
    builder.add_edge(START, "boom")
    graph = builder.compile(checkpointer=InMemorySaver())
    with pytest.raises(ConnectionError):
        graph.invoke({"pages": []}, thread)
    assert graph.get_state(thread).values["pages"] == [big]  # live view resolves the reference
    assert graph.invoke(None, thread)["pages"] == [big]


Wide = TypedDict("Wide", {f"k{i}": str for i in range(30)}, total=False)  # type: ignore[misc]


def test_many_medium_writes_go_to_the_store_instead_of_failing_the_step(env, thread):
    # 30 writes of 60 KB: each is under the per-value limit, together over Temporal's payload limit.
    value = "y" * 60_000
    assert len(value) < INLINE_WRITE_LIMIT

    builder = StateGraph(Wide)
    builder.add_node("wide", lambda s: {f"k{i}": value for i in range(30)})
    builder.add_edge(START, "wide")
    graph = builder.compile(checkpointer=InMemorySaver())
    result = graph.invoke({}, thread)
    assert result == {f"k{i}": value for i in range(30)}
    assert _history_bytes(env, thread["configurable"]["thread_id"]) < 400_000  # not 30 x 60 KB (x2)
    replay_thread(env, thread["configurable"]["thread_id"])
