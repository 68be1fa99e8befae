"""StateGraph: building, validation, and how nodes are called."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from engine_driver import run_to_end
from graphcompat.errors import GraphValidationError
from graphcompat.graph import END, START, StateGraph


class S(TypedDict, total=False):
    items: Annotated[list[str], operator.add]
    text: str


def noop(state: dict) -> None:
    return None


def fresh(*names: str) -> StateGraph:
    b = StateGraph(S)
    for n in names:
        b.add_node(n, noop)
    return b


# -- validation ------------------------------------------------------------------------


def test_validation_errors_are_value_errors() -> None:
    assert issubclass(GraphValidationError, ValueError)


def test_edge_to_unknown_node_is_refused_at_compile() -> None:
    b = fresh("a")
    b.add_edge(START, "a")
    b.add_edge("a", "ghost")  # accepted while building: the node may be added later
    with pytest.raises(ValueError, match=r"'a' -> 'ghost'.*unknown node 'ghost'.*Known nodes: a"):
        b.compile()


def test_edge_from_unknown_node_is_refused_at_compile() -> None:
    b = fresh("a")
    b.add_edge(START, "a")
    b.add_edge("ghost", "a")
    with pytest.raises(GraphValidationError, match="starts at unknown node 'ghost'"):
        b.compile()


def test_node_added_after_its_edge_is_fine() -> None:
    b = fresh("a")
    b.add_edge(START, "a")
    b.add_edge("a", "later")
    b.add_node("later", noop)
    b.compile()


def test_waiting_edge_and_conditional_targets_are_checked() -> None:
    b = fresh("a", "b")
    b.add_edge(START, "a")
    b.add_edge(["a", "nobody"], "b")
    with pytest.raises(GraphValidationError, match="Waiting edge.*unknown node 'nobody'"):
        b.compile()
    b = fresh("a", "b")
    b.add_edge(START, "a")
    b.add_conditional_edges("a", lambda s: "x", {"x": "b", "y": "nowhere"})
    with pytest.raises(GraphValidationError, match="map to unknown node 'nowhere'"):
        b.compile()
    b = fresh("a")
    b.add_edge(START, "a")
    b.add_conditional_edges("ghost", lambda s: "a")
    with pytest.raises(GraphValidationError, match="Conditional edges from unknown node 'ghost'"):
        b.compile()


def test_no_entry_point_is_refused() -> None:
    b = fresh("a")
    b.add_edge("a", END)
    with pytest.raises(GraphValidationError, match="Graph must have an entrypoint"):
        b.compile()


@pytest.mark.parametrize("name", [START, END, "__interrupt__"])
def test_reserved_node_name_is_refused(name: str) -> None:
    with pytest.raises(GraphValidationError, match=f"Node name '{name}' is reserved"):
        fresh().add_node(name, noop)


@pytest.mark.parametrize("name", ["", "a:b", "a|b"])
def test_node_name_with_separator_is_refused(name: str) -> None:
    with pytest.raises(GraphValidationError, match="is not allowed"):
        fresh().add_node(name, noop)


def test_duplicate_node_is_refused() -> None:
    b = fresh("a")
    with pytest.raises(GraphValidationError, match="Node 'a' is already present"):
        b.add_node("a", noop)


def test_end_as_edge_start_is_refused() -> None:
    with pytest.raises(GraphValidationError, match="END cannot be the start of an edge"):
        fresh("a").add_edge(END, "a")
    with pytest.raises(GraphValidationError, match="START and END cannot be among its starts"):
        fresh("a").add_edge(["a", END], "a")
    with pytest.raises(GraphValidationError, match="END cannot be the source of conditional edges"):
        fresh("a").add_conditional_edges(END, lambda s: "a")


def test_start_as_edge_end_is_refused() -> None:
    with pytest.raises(GraphValidationError, match="START cannot be the end of an edge"):
        fresh("a").add_edge("a", START)


def test_add_node_without_function_is_refused() -> None:
    with pytest.raises(GraphValidationError, match=r"add_node\('lonely'\) needs a function"):
        fresh().add_node("lonely")
    with pytest.raises(GraphValidationError, match="is not callable"):
        fresh().add_node("x", 42)


def test_interrupt_before_unknown_node_is_refused() -> None:
    b = fresh("a")
    b.add_edge(START, "a")
    with pytest.raises(GraphValidationError, match="Interrupt node 'nope'"):
        b.compile(interrupt_before=["nope"])
    with pytest.raises(GraphValidationError, match="Interrupt node 'nope'"):
        b.compile(interrupt_after="nope")
    b.compile(interrupt_before=["a"], interrupt_after="*")


def test_non_saver_checkpointer_is_refused() -> None:
    b = fresh("a")
    b.add_edge(START, "a")
    with pytest.raises(GraphValidationError, match="checkpointer must be a graphcompat saver"):
        b.compile(checkpointer=object())


def test_path_must_be_callable() -> None:
    with pytest.raises(GraphValidationError, match="must be callable"):
        fresh("a").add_conditional_edges("a", "not callable")


# -- building helpers ------------------------------------------------------------------


def _appender(value: str):
    def fn(state: dict) -> dict:
        return {"items": [value]}

    return fn


async def test_add_sequence_chains_nodes_in_order() -> None:
    def step_one(state: dict) -> dict:
        return {"items": ["one"]}

    def step_two(state: dict) -> dict:
        return {"items": ["two"]}

    b = StateGraph(S)
    b.add_sequence([step_one, step_two, ("step_three", _appender("three"))])
    b.add_edge(START, "step_one")
    assert list(b.nodes) == ["step_one", "step_two", "step_three"]
    run = await run_to_end(b, {})
    assert run.steps[1:] == [["step_one"], ["step_two"], ["step_three"]]
    assert run.values["items"] == ["one", "two", "three"]
    with pytest.raises(GraphValidationError, match="at least one node"):
        StateGraph(S).add_sequence([])


async def test_set_entry_and_finish_point() -> None:
    b = StateGraph(S)
    b.add_node("a", _appender("a"))
    b.add_node("b", _appender("b"))
    b.set_entry_point("a")
    b.add_edge("a", "b")
    b.set_finish_point("b")
    assert (START, "a") in b.edges and ("b", END) in b.edges
    run = await run_to_end(b, {})
    assert run.values["items"] == ["a", "b"]
    assert run.last.next_tasks == []


async def test_add_node_named_after_function() -> None:
    def summarize(state: dict) -> dict:
        return {"text": "summary"}

    b = StateGraph(S)
    b.add_node(summarize)
    b.add_edge(START, "summarize")
    assert list(b.nodes) == ["summarize"]
    assert (await run_to_end(b, {})).values["text"] == "summary"


async def test_node_taking_config_receives_thread_id() -> None:
    seen: list[Any] = []

    def node(state: dict, config: dict) -> dict:
        seen.append(config)
        return {"text": config["configurable"]["thread_id"]}

    def router(state: dict, config: dict) -> str:
        seen.append(config)
        return END

    b = StateGraph(S)
    b.add_node("node", node)
    b.add_edge(START, "node")
    b.add_conditional_edges("node", router)
    run = await run_to_end(b, {}, config={"configurable": {"thread_id": "thread-42"}})
    assert run.values["text"] == "thread-42"
    assert seen[0]["metadata"]["langgraph_node"] == "node"
    assert seen[1]["configurable"]["thread_id"] == "thread-42"


async def test_node_with_only_state_is_called_with_state_only() -> None:
    calls: list[int] = []

    def node(state: dict) -> dict:
        calls.append(1)
        return {"text": "ok"}

    b = StateGraph(S)
    b.add_node("node", node)
    b.add_edge(START, "node")
    assert (await run_to_end(b, {})).values["text"] == "ok"
    assert calls == [1]


async def test_node_second_parameter_with_default_is_not_config() -> None:
    def node(state: dict, suffix: str = "!") -> dict:
        return {"text": state["text"] + suffix}

    b = StateGraph(S)
    b.add_node("node", node)
    b.add_edge(START, "node")
    run = await run_to_end(b, {"text": "hi"})
    assert run.values["text"] == "hi!"


def test_compile_does_not_need_temporal() -> None:
    b = fresh("a")
    b.add_edge(START, "a")
    graph = b.compile(name="unit")
    assert graph.builder is b and graph.engine.spec is graph.spec
    assert list(graph.nodes) == ["a"]
