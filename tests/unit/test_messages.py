"""Messages in state as LangChain objects: the stored form, add_messages, the engine.

The dict form (no langchain-core) is tested by ``dict_messages_cases.py``,
run here in a subprocess where ``langchain_core`` cannot be imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Optional, TypedDict

import pytest

pytest.importorskip("langchain_core")

from langchain_core.messages import (  # noqa: E402
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    ChatMessageChunk,
    FunctionMessage,
    FunctionMessageChunk,
    HumanMessage,
    HumanMessageChunk,
    RemoveMessage,
    SystemMessage,
    SystemMessageChunk,
    ToolMessage,
    ToolMessageChunk,
)

from engine_driver import run_to_end  # noqa: E402
from graphcompat import _messages  # noqa: E402
from graphcompat._schema import StateSchema  # noqa: E402
from graphcompat.errors import NotSupportedError, StateSerializationError  # noqa: E402
from graphcompat.graph import START, MessagesState, StateGraph, add_messages  # noqa: E402
from graphcompat.graph.message import REMOVE_ALL_MESSAGES, AnyMessage, UnsupportedMessageFormatError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

EVERY_CLASS = [
    HumanMessage(content="hi", id="h1", name="ann", additional_kwargs={"k": [1, 2]}),
    AIMessage(
        content="",
        id="a1",
        tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "call_1"}],
        response_metadata={"model_name": "fake", "finish_reason": "tool_calls"},
        usage_metadata={"input_tokens": 3, "output_tokens": 4, "total_tokens": 7},
    ),
    AIMessage(content=[{"type": "text", "text": "block"}], id="a2"),
    SystemMessage(content="be brief", id="s1"),
    ToolMessage(content="3", tool_call_id="call_1", status="error", artifact={"raw": 3}, id="t1"),
    ChatMessage(content="c", role="critic", id="c1"),
    FunctionMessage(content="f", name="fn", id="f1"),
    RemoveMessage(id="gone"),
    HumanMessageChunk(content="h", id="hc"),
    AIMessageChunk(content="par", id="ac", tool_call_chunks=[{"name": "add", "args": '{"a"', "id": "c9", "index": 0}]),
    SystemMessageChunk(content="s", id="sc"),
    ToolMessageChunk(content="t", tool_call_id="x", id="tc"),
    ChatMessageChunk(content="c", role="r", id="cc"),
    FunctionMessageChunk(content="f", name="fn", id="fc"),
]


class AllKinds(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    last: AIMessage
    maybe: Optional[BaseMessage]
    chunk: AIMessageChunk
    loose: list
    by_name: dict[str, BaseMessage]


# -- the stored form --------------------------------------------------------------------


@pytest.mark.parametrize("message", EVERY_CLASS, ids=lambda m: type(m).__name__)
def test_every_message_class_round_trips(message: BaseMessage) -> None:
    stored = _messages.to_json(message)
    assert stored["lc_message"] == 1 and stored["type"] == message.type and "type" not in stored["data"]
    import json

    back = _messages.from_json(json.loads(json.dumps(stored)))
    assert type(back) is type(message)
    assert back == message


def test_schema_dump_and_load_keep_messages_in_any_annotation() -> None:
    schema = StateSchema(AllKinds)
    ai = EVERY_CLASS[1]
    values = {
        "messages": [EVERY_CLASS[0], ai, EVERY_CLASS[4]],
        "last": ai,
        "maybe": EVERY_CLASS[3],
        "chunk": EVERY_CLASS[9],
        "loose": [ai, "text", {"nested": ai}],
        "by_name": {"x": EVERY_CLASS[0]},
    }
    dumped = schema.dump_values(values, where="test")
    assert dumped["last"]["lc_message"] == 1
    loaded = schema.load_values(dumped)
    assert loaded == values
    assert type(loaded["chunk"]) is AIMessageChunk  # chunks revive as chunks
    assert loaded["last"].tool_calls == [{"name": "add", "args": {"a": 1, "b": 2}, "id": "call_1", "type": "tool_call"}]
    assert loaded["messages"][2].tool_call_id == "call_1" and loaded["messages"][2].status == "error"
    assert loaded["messages"][1].response_metadata["finish_reason"] == "tool_calls"
    assert loaded["messages"][0].additional_kwargs == {"k": [1, 2]}
    assert schema.load("maybe", None) is None


def test_unknown_tag_is_refused_with_what_is_allowed() -> None:
    schema = StateSchema(AllKinds)
    stored = {"lc_message": 1, "type": "os.system", "data": {"content": "x"}}
    with pytest.raises(StateSerializationError) as err:
        schema.load("messages", [stored])
    text = str(err.value)
    assert "'os.system'" in text and "'human'" in text and "'AIMessageChunk'" in text
    with pytest.raises(StateSerializationError, match="format version 2"):
        _messages.from_json({"lc_message": 2, "type": "human", "data": {"content": "x"}})
    # an older-form dict that claims to be a message of an unknown kind, where messages are expected
    with pytest.raises(StateSerializationError, match="unknown type tag 'wizard'"):
        schema.load("messages", [{"type": "wizard", "content": "x"}])


def test_messages_stored_as_dicts_by_older_versions_load_as_objects() -> None:
    schema = StateSchema(AllKinds)
    old = [
        {"type": "human", "content": "hi", "id": "m1"},
        {"type": "ai", "content": "", "id": "m2", "tool_calls": [{"name": "add", "args": {"a": 1}, "id": "c1"}]},
        {"type": "tool", "content": "1", "tool_call_id": "c1", "id": "m3"},
    ]
    loaded = schema.load("messages", old)
    assert [type(m) for m in loaded] == [HumanMessage, AIMessage, ToolMessage]
    assert loaded[1].tool_calls[0]["args"] == {"a": 1}
    assert schema.load("last", {"type": "ai", "content": "x", "id": "m9"}) == AIMessage(content="x", id="m9")
    # where the type does not say "message", a dict stays a dict
    assert schema.load("loose", [{"type": "human", "content": "hi"}]) == [{"type": "human", "content": "hi"}]


# -- add_messages -------------------------------------------------------------------------


def test_add_messages_accepts_every_input_form_and_returns_objects() -> None:
    out = add_messages(
        [HumanMessage(content="first", id="1")],
        ["plain", ("assistant", "tuple"), {"role": "user", "content": "role dict"}, {"type": "system", "content": "t"},
         AIMessageChunk(content="chunk")],
    )
    assert [(type(m).__name__, m.content) for m in out] == [
        ("HumanMessage", "first"),
        ("HumanMessage", "plain"),
        ("AIMessage", "tuple"),
        ("HumanMessage", "role dict"),
        ("SystemMessage", "t"),
        ("AIMessage", "chunk"),  # chunks become messages, as in LangGraph
    ]
    assert out[0].id == "1" and len({m.id for m in out}) == 6 and all(m.id for m in out)
    assert [m.content for m in add_messages([], "single")] == ["single"]
    assert [m.content for m in add_messages([], ("user", "one tuple"))] == ["one tuple"]
    assert [m.content for m in add_messages(HumanMessage(content="l"), AIMessage(content="r"))] == ["l", "r"]


def test_ids_are_deterministic_and_inputs_not_modified() -> None:
    given = AIMessage(content="hello")
    one = add_messages([], ["hi", given])
    two = add_messages([], ["hi", AIMessage(content="hello")])
    assert [m.id for m in one] == [m.id for m in two]
    assert given.id is None
    assert len(add_messages([], ["hi", "hi"])) == 2
    later = add_messages(one, ["hi"])
    assert len(later) == 3 and later[2].id != later[0].id


def test_replace_and_remove_by_id() -> None:
    left = [HumanMessage(content="q", id="a"), AIMessage(content="draft", id="b"), HumanMessage(content="n", id="c")]
    out = add_messages(left, [AIMessage(content="final", id="b")])
    assert [(m.id, m.content) for m in out] == [("a", "q"), ("b", "final"), ("c", "n")]
    assert [m.id for m in add_messages(left, [RemoveMessage(id="a")])] == ["b", "c"]
    # remove then re-add in the same write keeps the message
    assert [m.content for m in add_messages(left, [RemoveMessage(id="b"), AIMessage(content="back", id="b")])] == [
        "q", "back", "n"]
    with pytest.raises(ValueError, match=r"Attempting to delete a message with an ID that doesn't exist \('zzz'\)"):
        add_messages(left, [RemoveMessage(id="zzz")])


def test_remove_all_messages() -> None:
    assert REMOVE_ALL_MESSAGES == "__remove_all__"
    left = [HumanMessage(content="q", id="a"), AIMessage(content="x", id="b")]
    out = add_messages(left, [AIMessage(content="dropped"), RemoveMessage(id=REMOVE_ALL_MESSAGES), "fresh"])
    assert [(type(m).__name__, m.content) for m in out] == [("HumanMessage", "fresh")]
    assert add_messages(left, RemoveMessage(id=REMOVE_ALL_MESSAGES)) == []


def test_format_option_is_refused_and_bare_call_returns_the_reducer() -> None:
    with pytest.raises(UnsupportedMessageFormatError, match="format='langchain-openai'") as info:
        add_messages(format="langchain-openai")
    assert isinstance(info.value, NotSupportedError) and isinstance(info.value, ValueError)
    assert add_messages() is add_messages
    with pytest.raises(ValueError, match="Only received: 'left'"):
        add_messages([HumanMessage(content="x")], None)


# -- in a graph -----------------------------------------------------------------------------


async def test_nodes_and_routers_see_message_objects() -> None:
    seen: list[list[type]] = []

    def chat(state: dict) -> dict:
        seen.append([type(m) for m in state["messages"]])
        last = state["messages"][-1]
        return {"messages": [AIMessage(content=f"echo: {last.content}")]}

    def route(state: dict) -> str:
        seen.append([type(m) for m in state["messages"]])
        return "__end__"

    b = StateGraph(MessagesState)
    b.add_node("chat", chat)
    b.add_edge(START, "chat")
    b.add_conditional_edges("chat", route)
    run = await run_to_end(b, {"messages": [("user", "hi")]})
    assert seen == [[HumanMessage], [HumanMessage, AIMessage]]
    msgs = run.values["messages"]
    assert [(type(m), m.content) for m in msgs] == [(HumanMessage, "hi"), (AIMessage, "echo: hi")]
    assert len({m.id for m in msgs}) == 2 and all(m.id for m in msgs)
    # what is stored is the documented form
    assert all(m["lc_message"] == 1 for m in run.raw["messages"])
    # A retried task writes the same ids: normalization is deterministic per task.
    normalize = add_messages.normalize  # type: ignore[attr-defined]
    assert normalize([("ai", "x")], "task-1") == normalize([("ai", "x")], "task-1")
    assert normalize([("ai", "x")], "task-1") != normalize([("ai", "x")], "task-2")


async def test_node_removes_and_replaces_messages() -> None:
    def fix(state: dict) -> dict:
        first, second = state["messages"][:2]
        return {"messages": [first.model_copy(update={"content": "edited"}), RemoveMessage(id=second.id)]}

    b = StateGraph(MessagesState)
    b.add_node("fix", fix)
    b.add_edge(START, "fix")
    run = await run_to_end(b, {"messages": [HumanMessage(content="orig", id="m1"), "second", "third"]})
    assert [(m.id, m.content) for m in run.values["messages"]][0] == ("m1", "edited")
    assert [m.content for m in run.values["messages"]] == ["edited", "third"]


async def test_single_message_fields_and_send_args_keep_objects() -> None:
    from graphcompat.types import Send

    class S(TypedDict, total=False):
        last: AIMessage
        got: list

    def fan(state: dict) -> list:
        return [Send("worker", {"msg": state["last"]})]

    def worker(arg: dict) -> dict:
        return {"got": [type(arg["msg"]).__name__]}

    b = StateGraph(S)
    b.add_node("start", lambda s: {"last": AIMessage(content="x", tool_calls=[{"name": "t", "args": {}, "id": "c"}])})
    b.add_node("worker", worker)
    b.add_edge(START, "start")
    b.add_conditional_edges("start", fan)
    run = await run_to_end(b, {})
    assert isinstance(run.values["last"], AIMessage) and run.values["last"].tool_calls[0]["id"] == "c"
    assert run.values["got"] == ["AIMessage"]


# -- both ways: without langchain-core, dicts as before ----------------------------------------


def test_dict_messages_without_langchain() -> None:
    """The dict-form tests, in a process where ``import langchain_core`` fails."""
    code = (
        "import sys; sys.modules['langchain_core'] = None; import pytest; "
        "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '--noconftest', 'tests/unit/dict_messages_cases.py']))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "unit"), str(ROOT)])}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
