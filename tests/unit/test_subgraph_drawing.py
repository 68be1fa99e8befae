"""get_graph(xray=...) draws subgraph nodes as their own nodes, named as LangGraph names them."""

from __future__ import annotations

from typing import TypedDict

import pytest

from graphcompat.graph import START, StateGraph


class S(TypedDict):
    foo: str


def _chain(*names: str, name: str = "LangGraph", **nodes):
    builder = StateGraph(S)
    previous = START
    for n in names:
        builder.add_node(n, nodes.get(n, lambda s: {}))
        builder.add_edge(previous, n)
        previous = n
    return builder.compile(name=name)


def _nested():
    inner = _chain("deep_1", "deep_2", name="inner")
    middle = _chain("m_1", "m_2", name="middle", m_2=inner)
    return _chain("node_1", "node_2", node_2=middle)


def test_without_xray_a_subgraph_is_one_node():
    graph = _nested()
    assert graph.get_graph().nodes == ["__start__", "node_1", "node_2", "__end__"]
    assert "subgraph" not in graph.get_graph().draw_mermaid()


def test_xray_opens_subgraphs_with_langgraph_node_names():
    graph = _nested()
    assert graph.get_graph(xray=1).nodes == ["__start__", "node_1", "node_2:m_1", "node_2:m_2", "__end__"]
    assert graph.get_graph(xray=True).nodes == [
        "__start__", "node_1", "node_2:m_1", "node_2:m_2:deep_1", "node_2:m_2:deep_2", "__end__",
    ]
    drawing = graph.get_graph(xray=True).draw_mermaid()
    assert "\tnode_1 --> node_2\\3am_1;" in drawing  # into the subgraph: its first node
    assert "\tsubgraph node_2\n\tnode_2\\3am_1(m_1)\n" in drawing
    assert "\tsubgraph node_2:m_2\n\tnode_2\\3am_2\\3adeep_1(deep_1)\n\tnode_2\\3am_2\\3adeep_2(deep_2)\n" in drawing
    assert "\tnode_2\\3am_2\\3adeep_1 --> node_2\\3am_2\\3adeep_2;" in drawing
    assert "\tnode_2\\3am_1 --> node_2\\3am_2\\3adeep_1;" in drawing


def test_xray_matches_langgraphs_node_names():
    pytest.importorskip("langgraph")
    from langgraph.graph import START as LG_START
    from langgraph.graph import StateGraph as LGStateGraph

    def chain(*names, **nodes):
        builder = LGStateGraph(S)
        previous = LG_START
        for n in names:
            builder.add_node(n, nodes.get(n, lambda s: {}))
            builder.add_edge(previous, n)
            previous = n
        return builder.compile()

    lg = chain("node_1", "node_2", node_2=chain("m_1", "m_2", m_2=chain("deep_1", "deep_2")))
    assert sorted(lg.get_graph(xray=True).nodes) == sorted(_nested().get_graph(xray=True).nodes)
    assert sorted(lg.get_graph(xray=1).nodes) == sorted(_nested().get_graph(xray=1).nodes)


def _agent_like(StateGraph, START, END):
    """A subgraph whose router loops and ends: LangGraph keeps its own START and END in xray drawings."""
    sub = StateGraph(S)
    sub.add_node("agent", lambda s: {})
    sub.add_node("tools", lambda s: {})
    sub.add_edge(START, "agent")
    sub.add_conditional_edges("agent", lambda s: END, {"tools": "tools", END: END})
    sub.add_edge("tools", "agent")
    parent = StateGraph(S)
    parent.add_node("weather_agent", sub.compile())
    parent.add_edge(START, "weather_agent")
    return parent.compile()


def test_xray_keeps_a_looping_subgraphs_own_start_and_end_as_langgraph_does():
    pytest.importorskip("langgraph")
    from langgraph.graph import END as LG_END
    from langgraph.graph import START as LG_START
    from langgraph.graph import StateGraph as LGStateGraph

    from graphcompat.graph import END

    ours = _agent_like(StateGraph, START, END).get_graph(xray=True)
    theirs = _agent_like(LGStateGraph, LG_START, LG_END).get_graph(xray=True)
    assert sorted(ours.nodes) == sorted(theirs.nodes)
    assert "weather_agent:__end__" in ours.nodes
    drawing = ours.draw_mermaid()
    assert "\tweather_agent\\3a__end__ --> __end__;" in drawing
    assert "\tweather_agent\\3aagent -.-> weather_agent\\3a__end__;" in drawing
