"""Multi-agent systems from subgraphs: a ReAct agent added as a node of a supervisor graph, on both libraries.

The agent (``create_react_agent``, a compiled graph) runs as a subgraph: its
own workflow and checkpoints in namespace ``weather_agent:<task id>``; its
tool call pauses at an ``interrupt()`` inside the tool, which surfaces on the
supervisor's ``invoke`` and is answered with ``Command(resume=...)`` there.
"""

import pytest

from .harness import Differential

pytest.importorskip("langgraph")
pytest.importorskip("langchain_core")

from langchain_core.messages import AIMessage  # noqa: E402
from langchain_core.tools import tool  # noqa: E402

from tests.prebuilt.fake_model import FakeToolCallingModel, calls  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # LangGraph: create_react_agent moved


def make_supervisor(StateGraph, START, END, t):
    @tool
    def get_weather(city: str) -> str:
        """The weather in a city, once a person confirms the lookup."""
        t.calls["get_weather"] += 1
        answer = t.interrupt(f"look up the weather in {city}?")
        return f"It's always sunny in {city} ({answer})"

    model = FakeToolCallingModel(
        seen=[],
        responses=[
            calls(("get_weather", {"city": "sf"}, "call_w1"), id="ai-1"),
            AIMessage("It's sunny in sf.", id="ai-2"),
        ],
    )
    agent = t.imp("prebuilt").create_react_agent(model, [get_weather], name="weather_agent")

    def intake(state):
        t.calls["intake"] += 1
        return {"messages": [{"role": "user", "content": "weather in sf?", "id": "h-1"}]}

    builder = StateGraph(t.MessagesState)
    builder.add_node("intake", intake)
    builder.add_node("weather_agent", agent)
    builder.add_edge(START, "intake")
    builder.add_edge("intake", "weather_agent")
    return builder


def test_an_agent_subgraph_interrupts_inside_a_tool_and_resumes_from_the_supervisor(env, thread):
    d = Differential(make_supervisor, thread["configurable"]["thread_id"], subgraphs=True)
    outcomes = d.invoke({"messages": []})
    assert outcomes["graphcompat"].interrupts == ["look up the weather in sf?"]
    outcomes = d.resume("confirmed")
    messages = outcomes["graphcompat"].raw["messages"]
    assert [m.type for m in messages] == ["human", "ai", "tool", "ai"]
    assert messages[2].content == "It's always sunny in sf (confirmed)"
    assert d.gc.t.calls["intake"] == 1
