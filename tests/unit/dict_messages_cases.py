"""MessagesState and add_messages WITHOUT langchain-core: messages are plain dicts.

Not collected by the suite directly: ``test_messages.py::test_dict_messages_without_langchain``
runs this module in a subprocess in which ``langchain_core`` cannot be imported.
"""

from __future__ import annotations

from typing import Annotated, TypedDict

import pytest

from engine_driver import run_to_end
from graphcompat.graph import START, MessagesState, StateGraph, add_messages


def test_langchain_is_really_unavailable_here() -> None:
    from graphcompat import _messages
    from graphcompat.graph import message

    with pytest.raises(ImportError):
        import langchain_core  # noqa: F401
    assert not _messages.available()
    assert message.AnyMessage == dict[str, object] or message.AnyMessage.__origin__ is dict


def test_append_and_accepted_forms() -> None:
    out = add_messages(
        [{"type": "human", "content": "hi", "id": "1"}],
        ["plain string", ("assistant", "from a tuple"), {"role": "user", "content": "role dict"}],
    )
    assert [(m["type"], m["content"]) for m in out] == [
        ("human", "hi"),
        ("human", "plain string"),
        ("ai", "from a tuple"),
        ("human", "role dict"),
    ]
    assert out[0]["id"] == "1"
    assert all(m["id"] for m in out)
    assert len({m["id"] for m in out}) == 4


def test_single_message_is_appended_not_iterated() -> None:
    assert [m["content"] for m in add_messages([], "hello")] == ["hello"]
    assert [(m["type"], m["content"]) for m in add_messages([], ("user", "hi"))] == [("human", "hi")]
    assert [m["content"] for m in add_messages([], {"type": "ai", "content": "x"})] == ["x"]


def test_replace_by_id_keeps_position() -> None:
    left = [
        {"type": "human", "content": "q", "id": "a"},
        {"type": "ai", "content": "draft", "id": "b"},
        {"type": "human", "content": "next", "id": "c"},
    ]
    out = add_messages(left, [{"type": "ai", "content": "final", "id": "b"}])
    assert [(m["id"], m["content"]) for m in out] == [("a", "q"), ("b", "final"), ("c", "next")]


def test_remove_by_id() -> None:
    left = [{"type": "human", "content": "q", "id": "a"}, {"type": "ai", "content": "x", "id": "b"}]
    assert [m["id"] for m in add_messages(left, [{"type": "remove", "id": "a"}])] == ["b"]
    with pytest.raises(ValueError, match="doesn't exist"):
        add_messages(left, [{"type": "remove", "id": "zzz"}])


def test_ids_are_deterministic() -> None:
    one = add_messages([], ["hi", ("ai", "hello")])
    two = add_messages([], ["hi", ("ai", "hello")])
    assert [m["id"] for m in one] == [m["id"] for m in two]
    # the same text twice in one write gets two messages, not one replaced
    assert len(add_messages([], ["hi", "hi"])) == 2
    # the same text in a later turn is a new message, not a replacement of the first
    later = add_messages(one, ["hi"])
    assert len(later) == 3 and later[2]["id"] != later[0]["id"]


def test_message_objects_with_model_dump_are_converted() -> None:
    class FakeMessage:
        def model_dump(self) -> dict:
            return {"type": "ai", "content": "from object", "id": "obj-1"}

    assert add_messages([], [FakeMessage()]) == [{"type": "ai", "content": "from object", "id": "obj-1"}]


def test_unconvertible_message_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="Cannot turn int into a message"):
        add_messages([], [42])


async def test_messages_state_in_a_graph() -> None:
    def chat(state: dict) -> dict:
        last = state["messages"][-1]
        return {"messages": [{"type": "ai", "content": f"echo: {last['content']}"}]}

    b = StateGraph(MessagesState)
    b.add_node("chat", chat)
    b.add_edge(START, "chat")
    run = await run_to_end(b, {"messages": ["hi"]})
    msgs = run.values["messages"]
    assert [(m["type"], m["content"]) for m in msgs] == [("human", "hi"), ("ai", "echo: hi")]
    assert len({m["id"] for m in msgs}) == 2 and all(m["id"] for m in msgs)
    # A retried task writes the same ids: normalization is deterministic per task.
    normalize = add_messages.normalize  # type: ignore[attr-defined]
    assert normalize([("ai", "x")], "task-1") == normalize([("ai", "x")], "task-1")
    assert normalize([("ai", "x")], "task-1") != normalize([("ai", "x")], "task-2")


async def test_node_replaces_message_by_id_in_a_graph() -> None:
    def fix(state: dict) -> dict:
        first = state["messages"][0]
        return {"messages": [{**first, "content": "edited"}]}

    b = StateGraph(MessagesState)
    b.add_node("fix", fix)
    b.add_edge(START, "fix")
    run = await run_to_end(b, {"messages": [{"type": "human", "content": "orig", "id": "m1"}, "second"]})
    assert [(m["id"], m["content"]) for m in run.values["messages"]][0] == ("m1", "edited")
    assert len(run.values["messages"]) == 2


async def test_tuple_messages_in_a_graph() -> None:
    b = StateGraph(MessagesState)
    b.add_node("chat", lambda s: {"messages": [("ai", "hello")]})
    b.add_edge(START, "chat")
    run = await run_to_end(b, {"messages": [("user", "hi")]})
    assert [(m["type"], m["content"]) for m in run.values["messages"]] == [("human", "hi"), ("ai", "hello")]


async def test_bare_tuple_message_in_a_graph() -> None:
    b = StateGraph(MessagesState)
    b.add_node("chat", lambda s: {"messages": ("ai", "yo")})
    b.add_edge(START, "chat")
    run = await run_to_end(b, {"messages": ("user", "hi")})
    assert [(m["type"], m["content"]) for m in run.values["messages"]] == [("human", "hi"), ("ai", "yo")]


class Custom(TypedDict):
    messages: Annotated[list, add_messages]
    note: str


async def test_add_messages_on_a_custom_schema() -> None:
    b = StateGraph(Custom)
    b.add_node("n", lambda s: {"messages": "from node", "note": "ok"})
    b.add_edge(START, "n")
    run = await run_to_end(b, {"messages": "from input"})
    assert [m["content"] for m in run.values["messages"]] == ["from input", "from node"]
