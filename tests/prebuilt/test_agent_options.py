"""create_react_agent passes graphcompat's own compile options (no Temporal needed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from langchain_core.messages import AIMessage
from langchain_core.tools import tool

from graphcompat.graph import StateGraph
from graphcompat.prebuilt import AgentState, create_react_agent

from .fake_model import FakeToolCallingModel


@tool
def echo(text: str) -> str:
    """Echo a text."""
    return text


def model() -> FakeToolCallingModel:
    return FakeToolCallingModel(responses=[AIMessage("done", id="ai-1")])


@pytest.mark.parametrize("tools", [[echo], []], ids=["with-tools", "no-tools"])
def test_graphcompat_compile_options_reach_the_graph(tools) -> None:
    agent = create_react_agent(
        model(), tools, task_queue="agents", node_timeout=timedelta(seconds=30), heartbeat_timeout=timedelta(seconds=1)
    )
    assert agent.spec.task_queue == "agents"
    assert agent.node_timeout == timedelta(seconds=30)
    assert agent.heartbeat_timeout == timedelta(seconds=1)


def test_defaults_are_compiles_defaults() -> None:
    agent = create_react_agent(model(), [echo])
    builder = StateGraph(AgentState)
    builder.add_node("n", lambda state: {})
    builder.set_entry_point("n")
    plain = builder.compile()
    assert (agent.spec.task_queue, agent.node_timeout, agent.heartbeat_timeout) == (
        plain.spec.task_queue,
        plain.node_timeout,
        plain.heartbeat_timeout,
    )


def test_other_unknown_arguments_are_still_refused() -> None:
    with pytest.raises(TypeError, match="unexpected keyword arguments: \\['retry'\\]"):
        create_react_agent(model(), [echo], retry=3)


def test_context_schema_reaches_the_graph_and_config_schema_is_its_deprecated_name() -> None:
    import dataclasses

    @dataclasses.dataclass
    class Ctx:
        user_id: str = "anon"

    assert create_react_agent(model(), [echo], context_schema=Ctx).spec.context_schema is Ctx
    with pytest.warns(DeprecationWarning, match="`config_schema` is deprecated.*context_schema"):
        assert create_react_agent(model(), [echo], config_schema=Ctx).spec.context_schema is Ctx
