"""Node caching on a real server: ``add_node(..., cache_policy=CachePolicy(...))`` with
``compile(cache=InMemoryCache())``. A hit does not run the node; entries live in the snapshot
store, so another compiled copy of the graph on the same store (a restart, another worker)
shares them. Every test replays its threads' histories."""

import uuid
from typing import Annotated, TypedDict
from operator import add

import pytest

from graphcompat.cache.memory import InMemoryCache
from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.checkpoint.sqlite import SqliteSaver
from graphcompat.errors import GraphTypeError, UnknownNodeError
from graphcompat.graph import END, START, StateGraph
from graphcompat.types import CachePolicy

from .replay import replay_thread


class State(TypedDict, total=False):
    x: int
    result: int
    log: Annotated[list[str], add]


def new_thread() -> dict:
    return {"configurable": {"thread_id": f"cache-{uuid.uuid4().hex[:10]}"}}


def build(calls: list, store, *, cache=True, policy=CachePolicy(), route_calls: list | None = None):
    def expensive(state: State) -> dict:
        calls.append(state["x"])
        return {"result": 10 * state["x"], "log": [f"ran with {state['x']}"]}

    def after(state: State) -> str:
        if route_calls is not None:
            route_calls.append(state["result"])
        return END

    builder = StateGraph(State)
    builder.add_node("expensive", expensive, cache_policy=policy)
    builder.add_edge(START, "expensive")
    builder.add_conditional_edges("expensive", after)
    return builder.compile(checkpointer=store, cache=InMemoryCache() if cache else None)


def test_a_cache_hit_does_not_run_the_node_and_writes_what_it_wrote(env):
    calls: list[int] = []
    routes: list[int] = []
    graph = build(calls, InMemorySaver(), route_calls=routes)
    first, second = new_thread(), new_thread()
    assert graph.invoke({"x": 5}, first) == {"x": 5, "result": 50, "log": ["ran with 5"]}
    # Same input on another thread: LangGraph's cache is keyed by the node's input, not the thread.
    assert graph.invoke({"x": 5}, second) == {"x": 5, "result": 50, "log": ["ran with 5"]}
    assert calls == [5] and routes == [50]  # neither the node nor its router ran again
    assert graph.get_state(second).metadata["writes"]["expensive"] == {"result": 50, "log": ["ran with 5"]}
    assert graph.invoke({"x": 6}, new_thread())["result"] == 60
    assert calls == [5, 6]
    for thread in (first, second):
        replay_thread(env, thread["configurable"]["thread_id"])


def test_cached_results_survive_a_new_graph_on_the_same_store(env, tmp_path):
    path = str(tmp_path / "cache.db")
    calls: list[int] = []
    thread = new_thread()
    build(calls, SqliteSaver(path)).invoke({"x": 2}, thread)
    # A new process (or another worker) compiles the same graph on the same store file.
    again = build(calls, SqliteSaver(path))
    other = new_thread()
    assert again.invoke({"x": 2}, other)["result"] == 20
    assert calls == [2]
    replay_thread(env, other["configurable"]["thread_id"])


def test_key_func_decides_what_counts_as_the_same_input(env):
    calls: list[int] = []
    graph = build(calls, InMemorySaver(), policy=CachePolicy(key_func=lambda state: str(state["x"] % 2)))
    assert graph.invoke({"x": 1}, new_thread())["result"] == 10
    assert graph.invoke({"x": 3}, new_thread())["result"] == 10  # same key: the cached writes
    assert graph.invoke({"x": 2}, new_thread())["result"] == 20
    assert calls == [1, 2]


def test_without_compile_cache_a_cache_policy_changes_nothing(env):
    calls: list[int] = []
    graph = build(calls, InMemorySaver(), cache=False)
    graph.invoke({"x": 1}, new_thread())
    graph.invoke({"x": 1}, new_thread())
    assert calls == [1, 1]


def test_clear_cache_forgets_the_results(env):
    calls: list[int] = []
    graph = build(calls, InMemorySaver())
    graph.invoke({"x": 4}, new_thread())
    graph.clear_cache()
    graph.invoke({"x": 4}, new_thread())
    graph.clear_cache(["expensive"])
    graph.invoke({"x": 4}, new_thread())
    assert calls == [4, 4, 4]
    with pytest.raises(UnknownNodeError, match="clear_cache: node 'nope' is not a node"):
        graph.clear_cache(["nope"])


def test_a_changed_node_does_not_get_the_old_codes_results(env):
    store = InMemorySaver()
    calls: list[int] = []
    build(calls, store).invoke({"x": 7}, new_thread())

    def expensive(state: State) -> dict:  # same name, other code
        return {"result": -state["x"]}

    builder = StateGraph(State)
    builder.add_node("expensive", expensive, cache_policy=CachePolicy())
    builder.add_edge(START, "expensive")
    graph = builder.compile(checkpointer=store, cache=InMemoryCache())
    assert graph.invoke({"x": 7}, new_thread())["result"] == -7


def test_a_cache_that_is_not_graphcompats_is_refused_with_what_to_use():
    builder = StateGraph(State)
    builder.add_node("n", lambda s: {"x": 1}, cache_policy=CachePolicy())
    builder.add_edge(START, "n")
    with pytest.raises(GraphTypeError, match="cache must be a graphcompat cache.*InMemoryCache"):
        builder.compile(cache={"not": "a cache"})


def test_the_updates_stream_marks_cached_writes_as_langgraph_does(env):
    calls: list[int] = []
    graph = build(calls, InMemorySaver())
    first, second = new_thread(), new_thread()
    assert list(graph.stream({"x": 3}, first, stream_mode="updates")) == [
        {"expensive": {"result": 30, "log": ["ran with 3"]}}
    ]
    assert list(graph.stream({"x": 3}, second, stream_mode="updates")) == [
        {"expensive": {"result": 30, "log": ["ran with 3"]}, "__metadata__": {"cached": True}}
    ]
    assert graph.get_state(second).metadata["cached"] == ["expensive"]
    assert "cached" not in graph.get_state(first).metadata
    replay_thread(env, second["configurable"]["thread_id"])
