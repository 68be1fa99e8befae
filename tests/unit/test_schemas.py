"""State schema kinds: TypedDict, dataclass, pydantic model."""

from __future__ import annotations

import dataclasses
import json
import operator
from typing import Annotated, Any, Optional, TypedDict

import pytest
from pydantic import BaseModel

from engine_driver import run_to_end
from graphcompat.errors import GraphValidationError, InvalidUpdateError
from graphcompat.graph import START, StateGraph


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Tag(BaseModel):
    name: str
    weight: float = 1.0


class TDState(TypedDict, total=False):
    text: str
    point: Point
    items: Annotated[list[str], operator.add]


@dataclasses.dataclass
class DCState:
    text: str = "default text"
    count: int = 0
    point: Optional[Point] = None
    items: Annotated[list[str], operator.add] = dataclasses.field(default_factory=list)


class PMState(BaseModel):
    text: str = ""
    count: int = 0
    tag: Optional[Tag] = None
    items: Annotated[list[str], operator.add] = []


def chain(schema: type, first, second) -> StateGraph:
    b = StateGraph(schema)
    b.add_node("first", first)
    b.add_node("second", second)
    b.add_edge(START, "first")
    b.add_edge("first", "second")
    return b


async def test_typeddict_node_receives_dict_and_values_round_trip() -> None:
    seen: list[Any] = []

    def first(state):
        seen.append(state)
        return {"point": Point(1, 2), "items": ["first"]}

    def second(state):
        seen.append(state)
        return {"text": f"{state['point'].x},{state['point'].y}"}

    run = await run_to_end(chain(TDState, first, second), {"text": "in"})
    assert type(seen[0]) is dict and seen[0] == {"text": "in", "items": []}
    assert isinstance(seen[1]["point"], Point)  # validated back into the declared type
    assert run.values == {"text": "1,2", "point": Point(1, 2), "items": ["first"]}
    # what a checkpoint holds is JSON
    assert json.loads(json.dumps(run.raw)) == run.raw
    assert run.raw["point"] == {"x": 1, "y": 2}


async def test_dataclass_node_receives_instance_with_defaults() -> None:
    seen: list[Any] = []

    def first(state: DCState):
        seen.append(state)
        return {"count": state.count + 1, "point": Point(3, 4), "items": ["first"]}

    def second(state: DCState):
        seen.append(state)
        return {"text": f"{state.text}/{state.point.x}/{state.count}"}

    run = await run_to_end(chain(DCState, first, second), {})
    assert isinstance(seen[0], DCState)
    assert seen[0] == DCState(text="default text", count=0, point=None, items=[])
    assert isinstance(seen[1].point, Point)
    assert seen[1].items == ["first"]
    assert run.values == {"count": 1, "point": Point(3, 4), "items": ["first"], "text": "default text/3/1"}
    assert json.loads(json.dumps(run.raw)) == run.raw


async def test_dataclass_input_may_be_an_instance() -> None:
    run = await run_to_end(chain(DCState, lambda s: None, lambda s: {"count": s.count * 2}), DCState(count=21))
    assert run.values["count"] == 42


async def test_dataclass_missing_required_field_is_a_clear_error() -> None:
    @dataclasses.dataclass
    class Needs:
        required: str
        other: int = 0

    b = StateGraph(Needs)
    b.add_node("n", lambda s: None)
    b.add_edge(START, "n")
    with pytest.raises(InvalidUpdateError, match="required"):
        await run_to_end(b, {"other": 1})


async def test_pydantic_node_receives_model_instance() -> None:
    seen: list[Any] = []

    def first(state: PMState):
        seen.append(state)
        return {"tag": Tag(name="urgent", weight=2.5), "count": state.count + 1, "items": ["first"]}

    def second(state: PMState):
        seen.append(state)
        return {"text": f"{state.tag.name}:{state.tag.weight}:{state.items}"}

    run = await run_to_end(chain(PMState, first, second), {"text": "in"})
    assert isinstance(seen[0], PMState)
    assert (seen[0].text, seen[0].count, seen[0].tag, seen[0].items) == ("in", 0, None, [])
    assert isinstance(seen[1].tag, Tag)
    assert run.values["text"] == "urgent:2.5:['first']"
    assert run.values["tag"] == Tag(name="urgent", weight=2.5)
    assert json.loads(json.dumps(run.raw)) == run.raw


async def test_pydantic_node_may_return_a_model_with_set_fields() -> None:
    run = await run_to_end(
        chain(PMState, lambda s: PMState(count=7), lambda s: {"text": str(s.count)}), {"text": "keep"}
    )
    assert run.values["count"] == 7
    assert run.values["text"] == "7"


def test_unsupported_schema_is_refused() -> None:
    class Plain:
        x: int

    with pytest.raises(GraphValidationError, match="TypedDict, a dataclass or a pydantic model"):
        StateGraph(Plain)


def test_schema_without_fields_is_refused() -> None:
    class Empty(TypedDict):
        pass

    with pytest.raises(GraphValidationError, match="no fields"):
        StateGraph(Empty)


async def test_pydantic_input_is_validated() -> None:
    seen: list[Any] = []
    b = StateGraph(PMState)
    b.add_node("n", lambda s: seen.append(s.count))
    b.add_edge(START, "n")
    with pytest.raises(ValueError, match="count"):
        await run_to_end(b, {"count": "abc"})
    assert seen == []


async def test_pydantic_input_is_coerced_to_declared_type() -> None:
    seen: list[Any] = []
    b = StateGraph(PMState)
    b.add_node("n", lambda s: seen.append(s.count))
    b.add_edge(START, "n")
    await run_to_end(b, {"count": "5"})
    assert seen == [5]
