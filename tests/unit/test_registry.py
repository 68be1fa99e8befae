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
