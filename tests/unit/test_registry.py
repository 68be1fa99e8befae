"""The worker's registry: which graph runs a run whose code changed, and how loudly it says so."""

from __future__ import annotations

import logging
from typing import TypedDict

from graphcompat._registry import GraphRegistry
from graphcompat.graph import START, StateGraph


class S(TypedDict):
    n: int


def _graph(step: int):
    b = StateGraph(S)
    b.add_node("a", (lambda s: {"n": s["n"] + 1}) if step == 1 else (lambda s: {"n": s["n"] + 2}))
    b.add_edge(START, "a")
    return b.compile(name="counter")


def test_a_changed_graph_is_found_by_name_and_the_warning_is_logged_once(caplog) -> None:
    registry = GraphRegistry(weak=False)
    new = _graph(2)
    registry.add(new.binding)
    old_key = _graph(1).graph_key
    assert old_key.split("#")[0] != new.graph_key.split("#")[0]  # the code differs
    with caplog.at_level(logging.WARNING, logger="graphcompat.registry"):
        for _ in range(5):  # five activities of that run
            assert registry.find(old_key) is new.binding
    warnings = [r for r in caplog.records if r.name == "graphcompat.registry"]
    assert len(warnings) == 1
    assert "whose code differs" in warnings[0].getMessage() and new.spec.fingerprint in warnings[0].getMessage()


def test_a_subgraph_key_binds_the_subgraph_to_its_root_graphs_store() -> None:
    """``child@@root``: the subgraph's spec on the root's store, found where only the root is served."""
    from graphcompat._subgraph import subgraph_key
    from graphcompat.checkpoint.memory import InMemorySaver

    sub = _graph(1)
    b = StateGraph(S)
    b.add_node("team", sub)
    b.add_edge(START, "team")
    root = b.compile(name="root", checkpointer=InMemorySaver())
    worker = GraphRegistry(weak=False)
    worker.add(root.binding)  # worker.py --graph root: the subgraph is only in the process registry
    found = worker.find(subgraph_key(sub.graph_key, root.graph_key))
    assert found is not None
    assert found.spec is sub.spec and found.store is root.store and found.store is not sub.store
    assert worker.find(subgraph_key(sub.graph_key, root.graph_key)) is found  # one binding per key
    nested = subgraph_key(sub.graph_key, subgraph_key(sub.graph_key, root.graph_key))
    assert worker.find(nested).store is root.store  # a nested subgraph: still the root's store
    assert worker.find(subgraph_key(sub.graph_key, "missing:000000000000#1")) is None
