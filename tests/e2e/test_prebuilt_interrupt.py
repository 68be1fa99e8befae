"""interrupt() inside a tool of a prebuilt agent, resumed with Command(resume=...)."""

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool

from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.prebuilt import create_react_agent
from graphcompat.types import Command, interrupt

from ..prebuilt.fake_model import FakeToolCallingModel, calls
from .replay import replay_thread


@tool
def book(hotel: str) -> str:
    """Book a hotel after asking the user."""
    answer = interrupt(f"book {hotel}?")
    return f"booked {hotel}" if answer == "yes" else "cancelled"


def test_interrupt_inside_a_tool_then_resume(env, thread):
    model = FakeToolCallingModel(responses=[calls(("book", {"hotel": "Ritz"}, "c1"), id="ai-1"), AIMessage("done", id="ai-2")])
    agent = create_react_agent(model, [book], checkpointer=InMemorySaver())
    out = agent.invoke({"messages": [HumanMessage("book the Ritz")]}, thread)
    assert [i.value for i in out["__interrupt__"]] == ["book Ritz?"]
    out = agent.invoke(Command(resume="yes"), thread)
    assert [m["content"] if isinstance(m, dict) else m.content for m in out["messages"]][2:] == ["booked Ritz", "done"]
    replay_thread(env, thread["configurable"]["thread_id"])
