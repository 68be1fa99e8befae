"""ToolNode, tools_condition and InjectedState called directly, with langchain message objects."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Annotated

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from graphcompat import END
from graphcompat.errors import GraphCompatError, StoreNotSupportedError
from graphcompat.prebuilt import InjectedState, InjectedStore, InjectedToolCallId, ToolNode, tools_condition


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool
def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


@tool
def fail(reason: str) -> str:
    """Always fails."""
    raise ValueError(reason)


def ai(*calls: tuple[str, dict, str]) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": n, "args": a, "id": i} for n, a, i in calls])


def test_runs_each_call_and_formats_content_like_langgraph():
    out = ToolNode([add, shout]).invoke({"messages": [HumanMessage("hi"), ai(("add", {"a": 1, "b": 2}, "c1"), ("shout", {"text": "x"}, "c2"))]})
    first, second = out["messages"]
    assert isinstance(first, ToolMessage)
    assert (first.content, first.tool_call_id, first.name, first.status) == ("3", "c1", "add", "success")
    assert (second.content, second.tool_call_id, second.name) == ("X", "c2", "shout")


def test_non_string_results_are_json():
    def lookup(city: str) -> dict:
        """Weather of a city."""
        return {"city": city, "temp": 21}

    (msg,) = ToolNode([lookup]).invoke([ai(("lookup", {"city": "Zürich"}, "c1"))])
    assert json.loads(msg.content) == {"city": "Zürich", "temp": 21}
    assert "Zürich" in msg.content  # ensure_ascii=False, as in LangGraph


def test_list_input_answers_with_a_list():
    out = ToolNode([add]).invoke([HumanMessage("hi"), ai(("add", {"a": 2, "b": 2}, "c1"))])
    assert isinstance(out, list) and out[0].content == "4"


def test_plain_functions_become_tools():
    def greet(name: str) -> str:
        """Greet someone."""
        return f"hello {name}"

    node = ToolNode([greet])
    assert list(node.tools_by_name) == ["greet"]
    assert node.invoke([ai(("greet", {"name": "ada"}, "c"))])[0].content == "hello ada"


def test_invalid_tool_name():
    (msg,) = ToolNode([add, shout]).invoke([ai(("nope", {}, "c1"))])
    assert msg.content == "Error: nope is not a valid tool, try one of [add, shout]."
    assert msg.status == "error" and msg.tool_call_id == "c1"


def test_default_raises_tool_errors_and_answers_bad_arguments_like_langgraph():
    # LangGraph 1.x's default handle_tool_errors: a tool's own exception fails the node ...
    with pytest.raises(ValueError, match="boom"):
        ToolNode([fail]).invoke([ai(("fail", {"reason": "boom"}, "c1"))])
    # ... and arguments that do not validate go back to the model as a message
    (msg,) = ToolNode([add]).invoke([ai(("add", {"a": 1}, "c1"))])
    assert msg.content == (
        "Error invoking tool 'add' with kwargs {'a': 1} with error:\n b: Field required\n Please fix the error and try again."
    )
    assert msg.status == "error"


def test_true_handles_every_error_with_langgraph_template():
    (msg,) = ToolNode([fail], handle_tool_errors=True).invoke([ai(("fail", {"reason": "boom"}, "c1"))])
    assert msg.content == f"Error: {ValueError('boom')!r}\n Please fix your mistakes."
    assert msg.status == "error"


def test_error_as_string_and_callable():
    (msg,) = ToolNode([fail], handle_tool_errors="try again").invoke([ai(("fail", {"reason": "x"}, "c"))])
    assert msg.content == "try again"

    def handler(e: ValueError) -> str:
        return f"handled {e}"

    (msg,) = ToolNode([fail], handle_tool_errors=handler).invoke([ai(("fail", {"reason": "x"}, "c"))])
    assert msg.content == "handled x" and msg.status == "error"


def test_callable_handles_only_its_annotated_types():
    def handler(e: KeyError) -> str:
        return "never"

    with pytest.raises(ValueError, match="boom"):
        ToolNode([fail], handle_tool_errors=handler).invoke([ai(("fail", {"reason": "boom"}, "c"))])


def test_exception_types_and_tuples():
    (msg,) = ToolNode([fail], handle_tool_errors=ValueError).invoke([ai(("fail", {"reason": "x"}, "c"))])
    assert msg.status == "error"
    (msg,) = ToolNode([fail], handle_tool_errors=(KeyError, ValueError)).invoke([ai(("fail", {"reason": "x"}, "c"))])
    assert msg.status == "error"
    with pytest.raises(ValueError):
        ToolNode([fail], handle_tool_errors=(KeyError,)).invoke([ai(("fail", {"reason": "x"}, "c"))])


def test_false_raises():
    with pytest.raises(ValueError, match="boom"):
        ToolNode([fail], handle_tool_errors=False).invoke([ai(("fail", {"reason": "boom"}, "c"))])


def test_no_ai_message_is_refused():
    with pytest.raises(ValueError, match="No AIMessage"):
        ToolNode([add]).invoke({"messages": [HumanMessage("hi")]})


def test_per_tool_call_inputs():
    node = ToolNode([add])
    call = {"name": "add", "args": {"a": 1, "b": 1}, "id": "c9", "type": "tool_call"}
    assert node.invoke([call])["messages"][0].content == "2"
    assert node.invoke(call)["messages"][0].tool_call_id == "c9"
    payload = {"__type": "tool_call_with_context", "tool_call": call, "state": {"messages": []}}
    assert node.invoke(payload)["messages"][0].content == "2"


def test_dict_messages_are_accepted():
    stored = ai(("add", {"a": 5, "b": 5}, "c1")).model_dump()
    out = ToolNode([add]).invoke({"messages": [{"type": "human", "content": "hi", "id": "h"}, stored]})
    assert out["messages"][0].content == "10"


def test_injected_state_is_hidden_from_the_model_and_filled_in():
    @tool
    def count(prefix: str, state: Annotated[dict, InjectedState], msgs: Annotated[list, InjectedState("messages")]) -> str:
        """Count the messages."""
        assert all(not isinstance(m, dict) for m in msgs)  # objects, also when stored as dicts
        return f"{prefix}{len(state['messages'])}:{state['user']}"

    assert set(count.tool_call_schema.model_json_schema()["properties"]) == {"prefix"}
    state = {"messages": [HumanMessage("a").model_dump(), ai(("count", {"prefix": "n=", "state": "forged"}, "c"))], "user": "ada"}
    assert ToolNode([count]).invoke(state)["messages"][0].content == "n=2:ada"


def test_injected_state_from_the_send_payload():
    @tool
    def who(state: Annotated[dict, InjectedState]) -> str:
        """Who asks."""
        return state["user"]

    call = {"name": "who", "args": {}, "id": "c", "type": "tool_call"}
    payload = {"__type": "tool_call_with_context", "tool_call": call, "state": {"messages": [], "user": "bob"}}
    assert ToolNode([who]).invoke(payload)["messages"][0].content == "bob"


def test_injected_tool_call_id():
    @tool
    def echo_id(tool_call_id: Annotated[str, InjectedToolCallId]) -> str:
        """Echo the call id."""
        return tool_call_id

    assert "tool_call_id" not in echo_id.tool_call_schema.model_json_schema().get("properties", {})
    assert ToolNode([echo_id]).invoke([ai(("echo_id", {}, "abc"))])[0].content == "abc"


def test_injected_store_is_refused_with_a_typed_error():
    @tool
    def remember(key: str, store: Annotated[object, InjectedStore()]) -> str:
        """Remember something."""
        return key

    with pytest.raises(StoreNotSupportedError, match="does not support LangGraph stores") as info:
        ToolNode([remember])
    assert isinstance(info.value, GraphCompatError) and isinstance(info.value, NotImplementedError)


def test_parallel_calls_run_concurrently_sync_and_async():
    barrier = threading.Barrier(2, timeout=5)

    @tool
    def wait(x: int) -> int:
        """Waits for the other call."""
        barrier.wait()
        return x

    msg = ai(("wait", {"x": 1}, "a"), ("wait", {"x": 2}, "b"))
    assert [m.content for m in ToolNode([wait]).invoke([msg])] == ["1", "2"]
    assert [m.content for m in asyncio.run(ToolNode([wait]).ainvoke([msg]))] == ["1", "2"]


def test_async_tools_are_awaited():
    started = 0

    @tool
    async def slow(x: int) -> int:
        """Async tool."""
        nonlocal started
        started += 1
        await asyncio.sleep(0.05)
        assert started == 2  # both calls are in flight together
        return x * 10

    out = asyncio.run(ToolNode([slow])([ai(("slow", {"x": 1}, "a"), ("slow", {"x": 2}, "b"))]))
    assert [m.content for m in out] == ["10", "20"]


def test_tools_condition():
    assert tools_condition({"messages": [ai(("add", {}, "c"))]}) == "tools"
    assert tools_condition([AIMessage("done")]) == END
    assert tools_condition({"messages": [ai(("add", {}, "c")).model_dump()]}) == "tools"
    assert tools_condition({"chat": [AIMessage("x")]}, messages_key="chat") == END
    with pytest.raises(ValueError):
        tools_condition({"messages": []})
