"""update_as_node: the engine side of update_state."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest

from engine_driver import CONFIG, new_id, run_to_end
from graphcompat.errors import UnknownNodeError, UnknownStateKeyError
from graphcompat.graph import END, START, StateGraph


class S(TypedDict, total=False):
    sources: list[str]
    items: Annotated[list[str], operator.add]
    status: str
    approved: bool


def pipeline() -> StateGraph:
    b = StateGraph(S)
    b.add_node("search", lambda s: {"sources": ["a", "b"], "items": ["searched"]})
    b.add_node("analyze", lambda s: {"status": f"found {len(s['sources'])}"})
    b.add_node("report", lambda s: {"items": ["reported"]})
    b.add_edge(START, "search")
    b.add_edge("search", "analyze")
    b.add_edge("analyze", "report")
    return b


async def test_next_follows_as_node_edges() -> None:
    run = await run_to_end(pipeline(), {"items": []})
    engine, after_search = run.engine, run.outcomes[1]

    as_analyze = await engine.update_as_node(
        after_search.values, after_search.versions, "analyze", {"status": "manual"}, CONFIG, new_id()
    )
    assert [t.name for t in as_analyze.next_tasks] == ["report"]
    as_search = await engine.update_as_node(
        after_search.values, after_search.versions, "search", {"status": "manual"}, CONFIG, new_id()
    )
    assert [t.name for t in as_search.next_tasks] == ["analyze"]
    assert as_search.writes_metadata == {"search": {"status": "manual"}}
    assert as_search.updated_channels == ["status"]


async def test_values_go_through_reducers() -> None:
    run = await run_to_end(pipeline(), {"items": []})
    engine, state = run.engine, run.outcomes[1]
    cid = new_id()
    out = await engine.update_as_node(
        state.values, state.versions, "search", {"items": ["manually_added"], "sources": ["c", "d"]}, CONFIG, cid
    )
    values = engine.state_values(out.values)
    assert values["items"] == ["searched", "manually_added"]  # reducer: accumulates
    assert values["sources"] == ["c", "d"]  # no reducer: overwritten (the lesson's "2 sources")
    assert out.versions["items"] == cid and out.versions["sources"] == cid
    # and the fork continues from the updated state
    cont = await run_to_end(engine, {}, values=out.values, versions=out.versions)
    assert cont.values["status"] == "found 2"


async def test_conditional_edges_of_as_node_see_the_updated_state() -> None:
    b = StateGraph(S)
    b.add_node("review", lambda s: {"approved": False})
    b.add_node("publish", lambda s: {"status": "published"})
    b.add_node("revise", lambda s: {"status": "revised"})
    b.add_edge(START, "review")
    b.add_conditional_edges("review", lambda s: "publish" if s["approved"] else "revise")
    run = await run_to_end(b, {"approved": False})
    assert run.values["status"] == "revised"
    engine, state = run.engine, run.outcomes[1]  # after review

    out = await engine.update_as_node(state.values, state.versions, "review", {"approved": True}, CONFIG, new_id())
    assert [t.name for t in out.next_tasks] == ["publish"]
    out = await engine.update_as_node(state.values, state.versions, "review", None, CONFIG, new_id())
    assert [t.name for t in out.next_tasks] == ["revise"]


async def test_as_node_with_edge_to_end_has_no_next() -> None:
    b = pipeline()
    b.add_edge("report", END)
    run = await run_to_end(b, {})
    out = await run.engine.update_as_node(run.last.values, run.last.versions, "report", {"status": "x"}, CONFIG, new_id())
    assert out.next_tasks == []


async def test_as_start_applies_input_and_starts_the_graph() -> None:
    engine = pipeline().compile().engine
    out = await engine.update_as_node({}, {}, START, {"status": "seeded"}, CONFIG, new_id())
    assert engine.state_values(out.values, defaults=False) == {"status": "seeded"}
    assert engine.state_values(out.values) == {"status": "seeded", "items": []}  # reducer key shows []
    assert [t.name for t in out.next_tasks] == ["search"]


async def test_unknown_as_node_is_an_error() -> None:
    engine = pipeline().compile().engine
    with pytest.raises(UnknownNodeError, match="'ghost'") as info:
        await engine.update_as_node({}, {}, "ghost", {"status": "x"}, CONFIG, new_id())
    assert "search" in str(info.value)


async def test_unknown_key_in_update_is_an_error() -> None:
    engine = pipeline().compile().engine
    with pytest.raises(UnknownStateKeyError, match="'bogus'"):
        await engine.update_as_node({}, {}, "search", {"bogus": 1}, CONFIG, new_id())
