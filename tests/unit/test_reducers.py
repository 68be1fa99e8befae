"""Reducers and the order in which a super-step's writes are applied."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from engine_driver import run_to_end
from graphcompat.errors import InvalidUpdateError
from graphcompat.graph import END, START, StateGraph
from graphcompat.types import Send


class ListState(TypedDict, total=False):
    items: Annotated[list, operator.add]
    text: str


def _append(value: str):
    def node(state: dict) -> dict:
        return {"items": [value]}

    return node


async def test_annotated_add_accumulates_across_steps() -> None:
    b = StateGraph(ListState)
    b.add_node("first", _append("one"))
    b.add_node("second", _append("two"))
    b.add_edge(START, "first")
    b.add_edge("first", "second")
    run = await run_to_end(b, {"items": ["zero"]})
    assert run.values["items"] == ["zero", "one", "two"]


async def test_plain_field_is_overwritten() -> None:
    b = StateGraph(ListState)
    b.add_node("first", lambda s: {"text": "from first"})
    b.add_node("second", lambda s: {"text": "from second"})
    b.add_edge(START, "first")
    b.add_edge("first", "second")
    run = await run_to_end(b, {"text": "input"})
    assert run.values["text"] == "from second"
    # each checkpoint holds only the latest value
    assert [o.values["text"] for o in run.outcomes] == ["input", "from first", "from second"]


async def test_two_parallel_writes_to_plain_field_are_refused() -> None:
    b = StateGraph(ListState)
    b.add_node("a", lambda s: {"text": "a"})
    b.add_node("b", lambda s: {"text": "b"})
    b.add_edge(START, "a")
    b.add_edge(START, "b")
    with pytest.raises(InvalidUpdateError, match="Can receive only one value per step") as info:
        await run_to_end(b, {"text": "x"})
    assert "'text'" in str(info.value)
    assert "a, b" in str(info.value)


async def test_parallel_writes_to_reducer_field_are_both_kept() -> None:
    b = StateGraph(ListState)
    b.add_node("a", _append("a"))
    b.add_node("b", _append("b"))
    b.add_edge(START, "a")
    b.add_edge(START, "b")
    run = await run_to_end(b, {})
    assert sorted(run.values["items"]) == ["a", "b"]


def merge_dicts(left: dict, right: dict) -> dict:
    return {**left, **right}


class CustomState(TypedDict, total=False):
    scores: Annotated[dict, merge_dicts]
    best: Annotated[int, max]
    count: Annotated[int, operator.add]
    log: Annotated[list[str], lambda left, right: left + [f"<{r}>" for r in right]]


async def test_custom_reducer_functions() -> None:
    b = StateGraph(CustomState)
    b.add_node("a", lambda s: {"scores": {"a": 1}, "best": 3, "log": ["a"]})
    b.add_node("b", lambda s: {"scores": {"b": 2, "x": 0}, "best": 7, "log": ["b"]})
    b.add_node("c", lambda s: {"scores": {"x": 9}, "best": 5, "log": ["c"]})
    b.add_edge(START, "a")
    b.add_edge(START, "b")
    b.add_edge(["a", "b"], "c")
    run = await run_to_end(b, {"scores": {"input": 0}, "best": 1})
    assert run.values["scores"] == {"input": 0, "a": 1, "b": 2, "x": 9}
    assert run.values["best"] == 7
    assert run.values["log"] == ["<a>", "<b>", "<c>"]


async def test_reducer_field_starts_from_its_types_empty_value() -> None:
    seen: dict[str, Any] = {}

    def reader(state: dict) -> dict:
        seen["items"] = state.get("items", "missing")
        seen["count"] = state.get("count", "missing")
        return {"count": 5}

    class S(TypedDict, total=False):
        items: Annotated[list, operator.add]
        count: Annotated[int, operator.add]
        text: str

    b = StateGraph(S)
    b.add_node("reader", reader)
    b.add_edge(START, "reader")
    run = await run_to_end(b, {"text": "no reducer keys given"})
    assert seen == {"items": [], "count": 0}
    assert run.values["count"] == 5  # 0 + 5, not 5 "as is" nor an error


async def test_int_reducer_with_input_adds_to_zero() -> None:
    class S(TypedDict, total=False):
        count: Annotated[int, operator.add]

    b = StateGraph(S)
    b.add_node("inc", lambda s: {"count": 1})
    b.add_edge(START, "inc")
    run = await run_to_end(b, {"count": 10})
    assert run.values["count"] == 11


async def test_parallel_pull_writes_applied_by_node_name() -> None:
    b = StateGraph(ListState)
    # added "b" first, and "b" before "a" from START: the order of writes is still by name
    b.add_node("b", _append("b"))
    b.add_node("a", _append("a"))
    b.add_node("c", _append("c"))
    b.add_edge(START, "c")
    b.add_edge(START, "b")
    b.add_edge(START, "a")
    run = await run_to_end(b, {"items": []})
    assert run.values["items"] == ["a", "b", "c"]


async def test_send_writes_applied_in_send_order_after_pulls() -> None:
    def worker(arg: dict) -> dict:
        return {"items": [arg["label"]]}

    b = StateGraph(ListState)
    b.add_node("split", lambda s: None)
    b.add_node("zeta", _append("zeta"))  # pulled: applied first despite its name
    b.add_node("a_worker", worker)
    b.add_edge(START, "split")
    b.add_edge("split", "zeta")
    b.add_conditional_edges(
        "split",
        lambda s: [Send("a_worker", {"label": label}) for label in ("s3", "s1", "s2")],
    )
    run = await run_to_end(b, {"items": []})
    assert run.steps[2] == ["a_worker", "a_worker", "a_worker", "zeta"]  # `next`: Send tasks first, as LangGraph lists them
    assert run.values["items"] == ["zeta", "s3", "s1", "s2"]


async def test_writes_metadata_per_step() -> None:
    b = StateGraph(ListState)
    b.add_node("a", _append("a"))
    b.add_node("b", _append("b"))
    b.add_edge(START, "a")
    b.add_edge("a", "b")
    b.add_edge("b", END)
    run = await run_to_end(b, {"items": ["in"]})
    assert run.writes() == [
        {"__start__": {"items": ["in"]}},
        {"a": {"items": ["a"]}},
        {"b": {"items": ["b"]}},
    ]
