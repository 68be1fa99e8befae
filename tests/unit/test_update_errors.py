"""Bad updates: unknown keys, non-dict returns, unknown input keys, unserializable values."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from engine_driver import run_to_end
from graphcompat.errors import InvalidUpdateError, StateSerializationError, UnknownStateKeyError
from graphcompat.graph import START, StateGraph
from graphcompat.types import Send


class S(TypedDict, total=False):
    items: Annotated[list, operator.add]
    text: str
    data: Any


def one_node(fn) -> StateGraph:
    b = StateGraph(S)
    b.add_node("writer", fn)
    b.add_edge(START, "writer")
    return b


async def test_unknown_state_key_from_node_names_node_and_key() -> None:
    with pytest.raises(UnknownStateKeyError) as info:
        await run_to_end(one_node(lambda s: {"text": "ok", "bogus": 1}), {})
    msg = str(info.value)
    assert "'writer'" in msg and "'bogus'" in msg
    assert info.value.keys == ["bogus"]
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("bad", ["hello", 42, ["text"], []])
async def test_node_returning_non_dict_is_invalid_update(bad: Any) -> None:
    with pytest.raises(InvalidUpdateError, match=r"Node 'writer' returned .*must return a dict"):
        await run_to_end(one_node(lambda s: bad), {})


async def test_node_returning_none_writes_nothing() -> None:
    run = await run_to_end(one_node(lambda s: None), {"text": "kept"})
    assert run.values == {"text": "kept", "items": []}  # the never-written reducer key shows []
    assert run.outcomes[1].writes_metadata == {"writer": None}


async def test_input_with_unknown_key_is_refused() -> None:
    b = one_node(lambda s: None)
    with pytest.raises(UnknownStateKeyError, match="'nope'") as info:
        await run_to_end(b, {"text": "x", "nope": 1})
    assert "input" in str(info.value).lower()
    engine = b.compile().engine
    with pytest.raises(UnknownStateKeyError):
        engine.dump_input({"nope": 1})


async def test_input_that_is_not_a_dict_is_refused() -> None:
    engine = one_node(lambda s: None).compile().engine
    with pytest.raises(InvalidUpdateError):
        engine.dump_input("just a string")


async def test_unserializable_object_from_node_names_node_and_key() -> None:
    with pytest.raises(StateSerializationError) as info:
        await run_to_end(one_node(lambda s: {"data": object()}), {})
    msg = str(info.value)
    assert "'writer'" in msg and "'data'" in msg
    assert info.value.key == "data"
    assert isinstance(info.value, TypeError)


async def test_open_file_in_state_is_refused(tmp_path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("line1\nline2\n")
    with path.open() as handle:
        with pytest.raises(StateSerializationError, match="'text'"):
            await run_to_end(one_node(lambda s: {"text": handle}), {})
        assert handle.read() == "line1\nline2\n"  # the node's file was not consumed behind its back


async def test_generator_in_state_is_refused() -> None:
    with pytest.raises(StateSerializationError, match="'data'"):
        await run_to_end(one_node(lambda s: {"data": (i for i in range(3))}), {})


async def test_unserializable_input_is_refused() -> None:
    engine = one_node(lambda s: None).compile().engine
    with pytest.raises(StateSerializationError, match="'data'"):
        engine.dump_input({"data": object()})


async def test_unserializable_send_arg_is_refused() -> None:
    b = StateGraph(S)
    b.add_node("plan", lambda s: None)
    b.add_node("worker", lambda a: None)
    b.add_edge(START, "plan")
    b.add_conditional_edges("plan", lambda s: [Send("worker", {"handle": object()})])
    with pytest.raises(StateSerializationError, match="'worker'"):
        await run_to_end(b, {})


async def test_node_exception_propagates_unchanged() -> None:
    def boom(state: dict) -> dict:
        raise ConnectionError("API timeout")

    with pytest.raises(ConnectionError, match="^API timeout$"):
        await run_to_end(one_node(boom), {})
