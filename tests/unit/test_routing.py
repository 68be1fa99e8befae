"""Conditional edges, waiting edges, loops, Send fan-out and Command."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from engine_driver import CONFIG, new_id, run_to_end
from graphcompat.errors import UnknownNodeError
from graphcompat.graph import END, START, StateGraph
from graphcompat.types import Command, Send


class S(TypedDict, total=False):
    items: Annotated[list, operator.add]
    flag: bool
    count: int
    route: Any
    x: str
    y: str


def mark(name: str):
    def node(state: dict) -> dict:
        return {"items": [name]}

    node.__name__ = name
    return node


def graph(*names: str) -> StateGraph:
    b = StateGraph(S)
    for n in names:
        b.add_node(n, mark(n))
    return b


def ran(run) -> list[str]:
    """Every node that ran, in order, excluding __start__."""
    return [n for step in run.steps[1:] for n in step]


# -- conditional edges ----------------------------------------------------------


async def test_router_returns_a_name() -> None:
    b = graph("decide", "left", "right")
    b.add_edge(START, "decide")
    b.add_conditional_edges("decide", lambda s: s["route"])
    run = await run_to_end(b, {"route": "right"})
    assert run.steps == [["__start__"], ["decide"], ["right"]]
    assert run.values["items"] == ["decide", "right"]


async def test_router_returns_a_list_of_names_runs_them_in_one_step() -> None:
    b = graph("decide", "left", "right", "never")
    b.add_edge(START, "decide")
    b.add_conditional_edges("decide", lambda s: ["right", "left"])
    run = await run_to_end(b, {})
    assert run.steps[2] == ["left", "right"]  # node order, one super-step
    assert "never" not in ran(run)


async def test_router_returns_end_stops_the_run() -> None:
    b = graph("decide", "after")
    b.add_edge(START, "decide")
    b.add_conditional_edges("decide", lambda s: END)
    run = await run_to_end(b, {})
    assert run.steps == [["__start__"], ["decide"]]
    assert run.last.next_tasks == []


async def test_path_map_as_dict() -> None:
    b = graph("decide", "yes_node", "no_node")
    b.add_edge(START, "decide")
    b.add_conditional_edges("decide", lambda s: s["flag"], {True: "yes_node", False: "no_node"})
    assert ran(await run_to_end(b, {"flag": True})) == ["decide", "yes_node"]
    assert ran(await run_to_end(b, {"flag": False})) == ["decide", "no_node"]


async def test_path_map_dict_to_end() -> None:
    b = graph("decide", "more")
    b.add_edge(START, "decide")
    b.add_conditional_edges("decide", lambda s: "stop", {"stop": END, "go": "more"})
    assert ran(await run_to_end(b, {})) == ["decide"]


async def test_path_map_as_list() -> None:
    b = graph("decide", "a", "b")
    b.add_edge(START, "decide")
    b.add_conditional_edges("decide", lambda s: "b", ["a", "b"])
    assert ran(await run_to_end(b, {})) == ["decide", "b"]


async def test_router_sees_the_nodes_own_write() -> None:
    seen: list[Any] = []

    def router(state: dict) -> str:
        seen.append(state["flag"])
        return "yes_node" if state["flag"] else "no_node"

    b = graph("yes_node", "no_node")
    b.add_node("setter", lambda s: {"flag": True})
    b.add_edge(START, "setter")
    b.add_conditional_edges("setter", router)
    run = await run_to_end(b, {"flag": False})
    assert seen == [True]
    assert ran(run) == ["setter", "yes_node"]


async def test_router_sees_reducer_applied_to_own_write() -> None:
    seen: list[Any] = []

    def router(state: dict) -> str:
        seen.append(list(state["items"]))
        return END

    b = graph("adder")
    b.add_edge(START, "adder")
    b.add_conditional_edges("adder", router)
    await run_to_end(b, {"items": ["in"]})
    assert seen == [["in", "adder"]]


async def test_router_does_not_see_a_parallel_nodes_write() -> None:
    seen: list[Any] = []

    def router(state: dict) -> str:
        seen.append((state.get("x"), state.get("y")))
        return END

    b = StateGraph(S)
    b.add_node("a", lambda s: {"x": "from a"})
    b.add_node("b", lambda s: {"y": "from b"})
    b.add_edge(START, "a")
    b.add_edge(START, "b")
    b.add_conditional_edges("b", router)
    run = await run_to_end(b, {"x": "old x"})
    assert seen == [("old x", "from b")]
    assert run.values["x"] == "from a" and run.values["y"] == "from b"


async def test_router_returning_unknown_name_is_an_error() -> None:
    b = graph("decide", "real")
    b.add_edge(START, "decide")
    b.add_conditional_edges("decide", lambda s: "nowhere")
    with pytest.raises(UnknownNodeError, match="'nowhere'") as info:
        await run_to_end(b, {})
    assert "names no node" in str(info.value)
    assert "real" in str(info.value)  # the known nodes are listed
    assert isinstance(info.value, ValueError)


async def test_router_returning_key_missing_from_path_map_is_an_error() -> None:
    b = graph("decide", "a", "b")
    b.add_edge(START, "decide")
    b.add_conditional_edges("decide", lambda s: "maybe", {"yes": "a", "no": "b"})
    with pytest.raises(UnknownNodeError, match=r"'maybe'.*\['yes', 'no'\]"):
        await run_to_end(b, {})


async def test_router_returning_empty_list_ends_that_branch() -> None:
    """As in LangGraph: a map over zero items sends nothing, and that branch ends."""
    b = graph("decide", "a")
    b.add_edge(START, "decide")
    b.add_conditional_edges("decide", lambda s: [])
    assert ran(await run_to_end(b, {})) == ["decide"]


async def test_conditional_entry_point() -> None:
    b = graph("a", "b")
    b.set_conditional_entry_point(lambda s: "b" if s["flag"] else "a")
    assert ran(await run_to_end(b, {"flag": True})) == ["b"]
    assert ran(await run_to_end(b, {"flag": False})) == ["a"]


# -- waiting edges ---------------------------------------------------------------


async def test_waiting_edge_waits_for_both_starts_across_steps() -> None:
    b = graph("a", "b1", "b2", "c")
    b.add_edge(START, "a")
    b.add_edge(START, "b1")
    b.add_edge("b1", "b2")
    b.add_edge(["a", "b2"], "c")
    run = await run_to_end(b, {})
    assert run.steps == [["__start__"], ["a", "b1"], ["b2"], ["c"]]
    assert run.values["items"].count("c") == 1
    # the barrier channel is internal: not part of the user's state
    assert set(run.values) == {"items"}


async def test_waiting_edge_barrier_resets_for_a_loop() -> None:
    rounds = {"n": 0}

    def c(state: dict) -> dict:
        rounds["n"] += 1
        return {"items": ["c"]}

    b = graph("a", "b1", "b2")
    b.add_node("c", c)
    b.add_edge(START, "a")
    b.add_edge(START, "b1")
    b.add_edge("b1", "b2")
    b.add_edge(["a", "b2"], "c")
    b.add_conditional_edges("c", lambda s: ["a", "b1"] if s["items"].count("c") < 2 else END)
    run = await run_to_end(b, {})
    assert rounds["n"] == 2
    # in round two, "a" finishing alone must not fire c: the barrier was reset
    assert run.steps == [
        ["__start__"],
        ["a", "b1"], ["b2"], ["c"],
        ["a", "b1"], ["b2"], ["c"],
    ]


# -- loops and fan-out / fan-in ------------------------------------------------------


async def test_loop_terminates_by_conditional_edge() -> None:
    b = StateGraph(S)
    b.add_node("inc", lambda s: {"count": s["count"] + 1})
    b.add_edge(START, "inc")
    b.add_conditional_edges("inc", lambda s: "inc" if s["count"] < 5 else END)
    run = await run_to_end(b, {"count": 0})
    assert run.values["count"] == 5
    assert ran(run) == ["inc"] * 5


async def test_fan_out_then_fan_in_next_order() -> None:
    b = graph("z", "b", "a", "join")
    b.add_edge(START, "z")
    b.add_edge(START, "b")
    b.add_edge(START, "a")
    b.add_edge(["z", "b", "a"], "join")
    run = await run_to_end(b, {})
    # next lists the fanned-out nodes in the order they were added (as LangGraph shows them)
    assert [t.name for t in run.outcomes[0].next_tasks] == ["z", "b", "a"]
    assert [t.name for t in run.outcomes[1].next_tasks] == ["join"]
    assert run.outcomes[2].next_tasks == []
    assert run.values["items"] == ["a", "b", "z", "join"]


async def test_fan_in_by_plain_edges_runs_the_target_once() -> None:
    b = graph("a", "b", "join")
    b.add_edge(START, "a")
    b.add_edge(START, "b")
    b.add_edge("a", "join")
    b.add_edge("b", "join")
    run = await run_to_end(b, {})
    assert run.steps == [["__start__"], ["a", "b"], ["join"]]


# -- Send -------------------------------------------------------------------------------


async def test_send_map_reduce() -> None:
    received: list[Any] = []

    class MR(TypedDict, total=False):
        subjects: list[str]
        results: Annotated[list, operator.add]

    def worker(arg: dict) -> dict:
        received.append(arg)
        return {"results": [arg["subject"].upper()]}

    b = StateGraph(MR)
    b.add_node("plan", lambda s: None)
    b.add_node("worker", worker)
    b.add_node("reduce", lambda s: {"results": [f"total={len(s['results'])}"]})
    b.add_edge(START, "plan")
    b.add_conditional_edges("plan", lambda s: [Send("worker", {"subject": x}) for x in s["subjects"]])
    b.add_edge("worker", "reduce")
    run = await run_to_end(b, {"subjects": ["cats", "dogs", "ants"]})

    pushes = run.outcomes[1].next_tasks
    assert [(t.name, t.kind, t.index, t.arg) for t in pushes] == [
        ("worker", "push", 0, {"subject": "cats"}),
        ("worker", "push", 1, {"subject": "dogs"}),
        ("worker", "push", 2, {"subject": "ants"}),
    ]
    assert len({t.id for t in pushes}) == 3
    assert sorted(r["subject"] for r in received) == ["ants", "cats", "dogs"]
    assert all(set(r) == {"subject"} for r in received)  # the Send arg, not the state
    assert run.values["results"] == ["CATS", "DOGS", "ANTS", "total=3"]
    assert run.steps[3] == ["reduce"]  # the three workers trigger reduce once
    assert run.outcomes[2].writes_metadata["worker"] == [
        {"results": ["CATS"]}, {"results": ["DOGS"]}, {"results": ["ANTS"]}
    ]


async def test_send_to_unknown_node_is_an_error() -> None:
    b = graph("plan")
    b.add_edge(START, "plan")
    b.add_conditional_edges("plan", lambda s: [Send("ghost", {})])
    with pytest.raises(UnknownNodeError, match="'ghost'"):
        await run_to_end(b, {})


# -- Command ----------------------------------------------------------------------------


async def test_command_update_and_goto() -> None:
    seen: list[Any] = []

    def chooser(state: dict) -> Command:
        return Command(update={"x": "chosen", "items": ["chooser"]}, goto="target")

    def target(state: dict) -> dict:
        seen.append(state["x"])
        return {"items": ["target"]}

    b = graph("other")
    b.add_node("chooser", chooser)
    b.add_node("target", target)
    b.add_edge(START, "chooser")
    run = await run_to_end(b, {"x": "initial"})
    assert ran(run) == ["chooser", "target"]
    assert seen == ["chosen"]
    assert run.values == {"items": ["chooser", "target"], "x": "chosen"}
    assert run.outcomes[1].writes_metadata == {"chooser": {"x": "chosen", "items": ["chooser"]}}


async def test_command_goto_list_send_and_end() -> None:
    def fan(state: dict) -> Command:
        return Command(goto=["a", Send("b", {"items": ["sent"]})])

    b = StateGraph(S)
    b.add_node("fan", fan)
    b.add_node("a", lambda s: Command(update={"items": ["a"]}, goto=END))
    b.add_node("b", lambda s: {"items": s["items"]})
    b.add_edge(START, "fan")
    run = await run_to_end(b, {})
    assert run.steps[2] == ["b", "a"]  # `next` lists the Send task first, as LangGraph does
    assert run.values["items"] == ["a", "sent"]  # writes: pulls by name, then sends
    assert run.last.next_tasks == []


async def test_command_goto_unknown_node_is_an_error() -> None:
    b = StateGraph(S)
    b.add_node("n", lambda s: Command(goto="missing"))
    b.add_edge(START, "n")
    with pytest.raises(UnknownNodeError, match=r"Command\(goto=...\).*'missing'"):
        await run_to_end(b, {})


async def test_task_ids_are_deterministic_per_checkpoint() -> None:
    b = graph("a", "b")
    b.add_edge(START, "a")
    b.add_edge(START, "b")
    engine = b.compile().engine
    cid = new_id()
    task = engine.input_task(cid, {})
    res = await engine.run_task(task, {}, CONFIG)
    nxt = new_id(cid)
    one = engine.commit({}, {}, [task], {task.id: res}, nxt)
    two = engine.commit({}, {}, [task], {task.id: res}, nxt)
    other = engine.commit({}, {}, [task], {task.id: res}, new_id(nxt))
    assert [t.id for t in one.next_tasks] == [t.id for t in two.next_tasks]
    assert {t.id for t in one.next_tasks}.isdisjoint({t.id for t in other.next_tasks})
