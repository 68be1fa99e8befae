"""A compiled graph added as a node: what the spec records and how the node is scheduled."""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from graphcompat.engine import DEFAULT_NODE_TIMEOUT, SUBGRAPH_NODE_TIMEOUT, node_plans
from graphcompat.graph import START, StateGraph


class S(TypedDict):
    foo: str


def _sub(name: str = "team", step: str = "x"):
    b = StateGraph(S)
    b.add_node("s", lambda s: {"foo": s["foo"] + step})
    b.add_edge(START, "s")
    return b.compile(name=name)


def test_a_subgraph_node_waits_for_the_whole_subgraph_run_unless_told_otherwise():
    sub = _sub()
    b = StateGraph(S)
    b.add_node("team", sub)
    b.add_node("short", sub, timeout=timedelta(minutes=3))
    b.add_node("plain", lambda s: {})
    b.add_edge(START, "team")
    graph = b.compile()
    plans = node_plans(graph.spec)
    assert plans["team"].timeout_s == SUBGRAPH_NODE_TIMEOUT.total_seconds() > DEFAULT_NODE_TIMEOUT.total_seconds()
    assert plans["short"].timeout_s == 180
    assert plans["plain"].timeout_s is None  # the graph's node_timeout applies
    assert graph.spec.nodes["team"].subgraph is sub and graph.spec.nodes["team"].subgraph_spec is sub.spec


def test_the_parents_fingerprint_changes_with_the_subgraphs_code():
    def parent(sub):
        b = StateGraph(S)
        b.add_node("team", sub)
        b.add_edge(START, "team")
        return b.compile(name="parent")

    assert parent(_sub()).spec.fingerprint == parent(_sub()).spec.fingerprint
    other = StateGraph(S)
    other.add_node("s", lambda s: {"foo": "changed"})
    other.add_node("t", lambda s: {})
    other.add_edge(START, "s")
    assert parent(_sub()).spec.fingerprint != parent(other.compile(name="team")).spec.fingerprint
