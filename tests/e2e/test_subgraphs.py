"""Subgraphs on the durable runtime: each subgraph run is its own workflow, checkpointed by namespace."""

from __future__ import annotations

from operator import add
from typing import Annotated, TypedDict

from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.graph import START, StateGraph
from graphcompat.types import Command, interrupt

from .replay import replay_thread


class Shared(TypedDict):
    foo: str
    trail: Annotated[list[str], add]


class SubState(TypedDict):
    foo: str
    bar: str


def _shared_subgraph():
    def sub_1(state: SubState) -> dict:
        return {"bar": "bar"}

    def sub_2(state: SubState) -> dict:
        return {"foo": state["foo"] + state["bar"]}

    sub = StateGraph(SubState)
    sub.add_node("sub_1", sub_1)
    sub.add_node("sub_2", sub_2)
    sub.add_edge(START, "sub_1")
    sub.add_edge("sub_1", "sub_2")
    return sub.compile()


def test_compiled_graph_as_node_shares_keys(env, thread):
    subgraph = _shared_subgraph()
    builder = StateGraph(Shared)
    builder.add_node("node_1", lambda s: {"foo": "hi! " + s["foo"], "trail": ["node_1"]})
    builder.add_node("node_2", subgraph)
    builder.add_edge(START, "node_1")
    builder.add_edge("node_1", "node_2")
    graph = builder.compile(checkpointer=InMemorySaver())
    result = graph.invoke({"foo": "foo", "trail": []}, thread)
    assert result == {"foo": "hi! foobar", "trail": ["node_1"]}
    last = graph.get_state(thread)
    assert last.metadata["writes"] == {"node_2": {"foo": "hi! foobar"}}
    replay_thread(env, thread["configurable"]["thread_id"], store=graph.store)


class Parent(TypedDict):
    foo: str


class Other(TypedDict):
    bar: str
    baz: str


def test_compiled_graph_invoked_from_a_node_maps_its_schema(env, thread):
    def sub_1(state: Other) -> dict:
        return {"baz": "baz"}

    def sub_2(state: Other) -> dict:
        return {"bar": state["bar"] + state["baz"]}

    sub = StateGraph(Other)
    sub.add_node("sub_1", sub_1)
    sub.add_node("sub_2", sub_2)
    sub.add_edge(START, "sub_1")
    sub.add_edge("sub_1", "sub_2")
    subgraph = sub.compile()

    def call_subgraph(state: Parent) -> dict:
        out = subgraph.invoke({"bar": state["foo"]})
        return {"foo": out["bar"]}

    builder = StateGraph(Parent)
    builder.add_node("node_1", lambda s: {"foo": "hi! " + s["foo"]})
    builder.add_node("node_2", call_subgraph)
    builder.add_edge(START, "node_1")
    builder.add_edge("node_1", "node_2")
    graph = builder.compile(checkpointer=InMemorySaver())
    assert graph.invoke({"foo": "foo"}, thread) == {"foo": "hi! foobaz"}
    replay_thread(env, thread["configurable"]["thread_id"], store=graph.store)
