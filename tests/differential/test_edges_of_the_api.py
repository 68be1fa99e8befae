"""Less travelled paths of the same API, compared on both libraries."""

import operator
from typing import Annotated, Any, TypedDict

import pytest

from .harness import Differential, counted

pytest.importorskip("langgraph")


class S(TypedDict, total=False):
    items: Annotated[list, operator.add]
    answers: Annotated[list, operator.add]
    x: int
    route: Any


def tid(thread: dict) -> str:
    return thread["configurable"]["thread_id"]


def mark(t, name):
    return counted(t, name, lambda s: {"items": [name]})


def make_chain(StateGraph, START, END, t):
    b = StateGraph(S)
    for n in ("a", "b", "c"):
        b.add_node(n, mark(t, n))
    b.add_edge(START, "a")
    b.add_edge("a", "b")
    b.add_edge("b", "c")
    return b


def make_parallel(StateGraph, START, END, t):
    b = StateGraph(S)
    for n in ("a", "b", "after"):
        b.add_node(n, mark(t, n))
    b.add_edge(START, "a")
    b.add_edge(START, "b")
    b.add_edge("a", "after")
    b.add_edge("b", "after")
    return b


def test_async_nodes_under_sync_invoke(env, thread):
    """Not in BEHAVIOUR.md (reported as a spec decision): LangGraph refuses async nodes under sync invoke
    (TypeError 'No synchronous function provided to "a"'); graphcompat runs them (every node is an activity).
    Pinned on both sides so a change on either is noticed."""
    def make(StateGraph, START, END, t):
        b = StateGraph(S)

        async def a(state):
            t.calls["a"] += 1
            return {"items": ["a"], "route": "c"}

        async def route(state):
            return state["route"]

        b.add_node("a", a)
        b.add_node("b", mark(t, "b"))
        b.add_node("c", mark(t, "c"))
        b.add_edge(START, "a")
        b.add_conditional_edges("a", route, ["b", "c"])
        return b

    d = Differential(make, tid(thread))
    out = d._call(lambda s: s.graph.invoke({"items": []}, s.cfg()))
    assert out["langgraph"].error is not None and out["langgraph"].error.type == "builtins.TypeError"
    assert out["graphcompat"].error is None
    assert out["graphcompat"].value == {"items": ["a", "c"], "route": "c", "answers": []}  # never-written reducer key: []


def test_node_returning_none_or_empty_dict(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("none", counted(t, "none", lambda s: None))
        b.add_node("empty", counted(t, "empty", lambda s: {}))
        b.add_edge(START, "none")
        b.add_edge("none", "empty")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": ["in"]})


EXC_REBUILD_BUG = (
    "BUG: a node's exception is rebuilt in the caller as cls(str(exc)) (graphcompat/graph/_compiled.py "
    "rebuild_exception; activities/graph_activities.py _app_error sends only str(exc)), which is only right when "
    "the exception has one string argument. "
)


def test_node_raising_key_error_on_a_missing_key(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("reader", counted(t, "reader", lambda s: {"x": s["x"] + 1}))
        b.add_edge(START, "reader")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})


def test_conditional_edge_from_start(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("left", mark(t, "left"))
        b.add_node("right", mark(t, "right"))
        b.add_conditional_edges(START, lambda s: s["route"], ["left", "right"])
        return b

    d = Differential(make, tid(thread))
    d.invoke({"route": "right"})
    d.invoke({"route": "left"})


def test_update_state_without_as_node_after_a_parallel_step_is_ambiguous(env, thread):
    d = Differential(make_parallel, tid(thread), interrupt_after=["a", "b"])
    d.invoke({"items": []})
    d.update_state({"x": 1})


def test_update_state_as_one_of_two_parallel_nodes(env, thread):
    d = Differential(make_parallel, tid(thread), interrupt_after=["a", "b"])
    d.invoke({"items": []})
    d.update_state({"x": 1}, as_node="a")
    d.invoke(None)


def test_get_state_of_a_named_past_checkpoint(env, thread):
    """get_state with a checkpoint_id is the record of that checkpoint (not the live view)."""
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    for step in (-1, 0, 1, 2, 3):
        ref = d.checkpoint(step=step)
        d.same(f"get_state(step {step})", d.each(lambda s: d.state_view(s, ref[s.name])))


def test_get_state_of_the_failed_checkpoint_by_id_is_the_record(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("a", mark(t, "a"))

        def bad(state):
            t.calls["bad"] += 1
            t.events["a"].wait(0.5)
            raise ValueError("bad")

        b.add_node("bad", bad)
        b.add_edge(START, "a")
        b.add_edge(START, "bad")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})
    ref = d.latest()
    d.same("get_state(failed checkpoint by id)", d.each(lambda s: d.state_view(s, ref[s.name])))


def test_new_input_on_a_past_checkpoint(env, thread):
    """invoke(input, config with checkpoint_id): a new run branching from that checkpoint."""
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    d.invoke({"items": ["branch"]}, at=d.checkpoint(step=1))


def test_interrupt_inside_a_send_task(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)

        def ask(arg):
            t.calls[f"ask:{arg}"] += 1
            return {"answers": [f"{arg}={t.interrupt(arg)}"]}

        b.add_node("ask", ask)
        b.add_conditional_edges(START, lambda s: [t.Send("ask", "only")], ["ask"])
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})
    d.resume("yes")


def test_send_tasks_writing_a_plain_key(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("w", counted(t, "w", lambda arg: {"x": arg}))
        b.add_conditional_edges(START, lambda s: [t.Send("w", 1), t.Send("w", 2)], ["w"])
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []}, check=False)
    d.check(state=False)


def test_node_with_config_argument(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)

        def node(state, config):
            t.calls["node"] += 1
            return {"items": [config["configurable"]["thread_id"] == tid(thread), config["metadata"]["langgraph_node"]]}

        b.add_node("node", node)
        b.add_edge(START, "node")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})


class TwoArgError(Exception):
    def __init__(self, code: int, detail: str) -> None:
        super().__init__(code, detail)
        self.code, self.detail = code, detail

    def __str__(self) -> str:
        return f"[{self.code}] {self.detail}"


def test_node_raising_an_exception_with_two_init_arguments(env, thread):
    def make(StateGraph, START, END, t):
        def node(state):
            t.calls["node"] += 1
            raise TwoArgError(503, "busy")

        b = StateGraph(S)
        b.add_node("node", node)
        b.add_edge(START, "node")
        return b

    d = Differential(make, tid(thread))
    out = d.invoke({"items": []})
    d.same("exception args", {k: o.exc.args for k, o in out.items()})


def test_node_raising_os_error_with_errno(env, thread):
    def make(StateGraph, START, END, t):
        def node(state):
            t.calls["node"] += 1
            raise FileNotFoundError(2, "No such file or directory")

        b = StateGraph(S)
        b.add_node("node", node)
        b.add_edge(START, "node")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})
