"""``get_stream_writer()`` as a node sees it: its run's writer, a no-op when nothing streams, an error outside a node."""

from __future__ import annotations

import asyncio

import pytest

from graphcompat._node_context import writing_to
from graphcompat.config import get_stream_writer
from graphcompat.engine._user_code import call_node


def test_outside_a_node_it_says_where_to_call_it():
    with pytest.raises(RuntimeError, match=r"get_stream_writer\(\) was called outside a running node; call it from inside a node"):
        get_stream_writer()


def test_a_node_whose_run_streams_nothing_gets_a_no_op():
    with writing_to(None):
        assert get_stream_writer()({"anything": 1}) is None


def test_a_node_gets_its_writer_by_call_and_by_parameter():
    got: list = []

    def node(state, writer):  # LangGraph injects `writer` by name; it is not the config
        get_stream_writer()("by call")
        writer("by parameter")
        return {"n": 1}

    async def run():
        with writing_to(got.append):
            return await call_node(node, False, False, {"n": 0}, {}, task_id="t", resume=[])

    assert asyncio.run(run()) == {"n": 1}
    assert got == ["by call", "by parameter"]


def test_a_writer_parameter_is_not_taken_for_the_config():
    from typing import TypedDict

    from graphcompat.graph import START, StateGraph

    class S(TypedDict):
        n: int

    def node(state, writer):
        return {"n": 1}

    graph = StateGraph(S).add_node("node", node).add_edge(START, "node").compile()
    assert graph.spec.nodes["node"].takes_config is False
