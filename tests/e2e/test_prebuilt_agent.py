"""create_react_agent on the durable runtime: a scripted tool-calling model and two tools."""

from __future__ import annotations

from typing import Annotated

import pydantic
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.tools import tool

from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.prebuilt import InjectedState, create_react_agent

from ..prebuilt.fake_model import FakeToolCallingModel, calls
from .replay import replay_thread


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool
def weather(city: str, state: Annotated[dict, InjectedState]) -> str:
    """The weather in a city."""
    return f"sunny in {city} ({len(state['messages'])} messages so far)"


def script() -> FakeToolCallingModel:
    return FakeToolCallingModel(
        responses=[
            calls(("add", {"a": 2, "b": 3}, "call-add"), ("weather", {"city": "Oslo"}, "call-weather"), id="ai-1"),
            AIMessage("2 + 3 = 5 and it is sunny in Oslo.", id="ai-2"),
        ]
    )


def kind(message) -> str:
    return message["type"] if isinstance(message, dict) else message.type


def content(message) -> str:
    return message["content"] if isinstance(message, dict) else message.content


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_agent_runs_tools_and_answers(env, thread, version):
    model = script()
    agent = create_react_agent(model, [add, weather], prompt="You are terse.", checkpointer=InMemorySaver(), version=version)
    assert model.bound_tools == ["add", "weather"]
    out = agent.invoke({"messages": [HumanMessage("2+3, and the weather in Oslo?")]}, thread)
    messages = out["messages"]
    assert [kind(m) for m in messages] == ["human", "ai", "tool", "tool", "ai"]
    assert [content(m) for m in messages[2:4]] == ["5", "sunny in Oslo (2 messages so far)"]
    assert content(messages[-1]) == "2 + 3 = 5 and it is sunny in Oslo."
    assert isinstance(model.seen[-1][0], SystemMessage) and model.seen[-1][0].content == "You are terse."
    # v1: one ToolNode task; v2: one Send("tools", ...) task per tool call
    nexts = [s.next for s in agent.get_state_history(thread)]
    assert (("tools", "tools") if version == "v2" else ("tools",)) in nexts
    replay_thread(env, thread["configurable"]["thread_id"])


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_interrupt_before_tools_then_resume(env, thread, version):
    agent = create_react_agent(script(), [add, weather], checkpointer=InMemorySaver(), interrupt_before=["tools"], version=version)
    out = agent.invoke({"messages": [HumanMessage("go")]}, thread)
    assert kind(out["messages"][-1]) == "ai"
    assert set(agent.get_state(thread).next) == {"tools"}
    out = agent.invoke(None, thread)
    assert [kind(m) for m in out["messages"]] == ["human", "ai", "tool", "tool", "ai"]
    replay_thread(env, thread["configurable"]["thread_id"])


def test_remaining_steps_too_low_stops_like_langgraph(env, thread):
    agent = create_react_agent(script(), [add, weather], checkpointer=InMemorySaver())
    out = agent.invoke({"messages": [HumanMessage("go")], "remaining_steps": 1}, thread)
    assert content(out["messages"][-1]) == "Sorry, need more steps to process this request."
    assert len(out["messages"]) == 2


def test_pydantic_state_and_module_imports(env, thread):
    from graphcompat.prebuilt import AgentStatePydantic
    from graphcompat.prebuilt.chat_agent_executor import create_react_agent as from_module
    from graphcompat.prebuilt.tool_node import ToolNode, tools_condition  # noqa: F401

    agent = from_module(script(), [add], state_schema=AgentStatePydantic, checkpointer=InMemorySaver(), version="v1")
    out = agent.invoke({"messages": [HumanMessage("go")]}, thread)
    assert content(out["messages"][-1]) == "2 + 3 = 5 and it is sunny in Oslo."
    # the model asked for weather too, which this agent does not have: LangGraph's error message
    assert "is not a valid tool" in content(out["messages"][3])


class Answer(pydantic.BaseModel):
    total: int


def test_response_format_writes_structured_response(env, thread):
    model = script()
    model.structured = Answer(total=5)
    agent = create_react_agent(model, [add, weather], response_format=Answer, checkpointer=InMemorySaver())
    out = agent.invoke({"messages": [HumanMessage("go")]}, thread)
    assert out["structured_response"] == Answer(total=5)
    replay_thread(env, thread["configurable"]["thread_id"])
