"""Error types LangGraph code can catch (issue 10, item 4): the same wrong thing on both libraries.

For every situation below, LangGraph raises some exception; graphcompat must raise
its own typed error (a ``GraphCompatError``, with graphcompat's name and message)
that is an instance of every class in the MRO of LangGraph's exception: built-in
classes directly (``except ValueError:``), LangGraph's own classes through the
``graphcompat.errors`` class of the same name (``except InvalidUpdateError:``
after the import swap). The table pins it; the LangGraph side is run, not assumed.
"""

import operator
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

import pytest

import graphcompat.errors

from .harness import graphcompat_lib, langgraph_lib

pytest.importorskip("langgraph")


class S(TypedDict, total=False):
    items: Annotated[list, operator.add]
    x: int


def chain(lib):
    b = lib.StateGraph(S)
    b.add_node("a", lambda s: {"x": 1})
    b.add_edge(lib.START, "a")
    return b


def compiled(lib, b):
    return b.compile(checkpointer=lib.Saver())


def returning(value):
    def make(lib):
        b = lib.StateGraph(S)
        b.add_node("a", lambda s: value(lib) if callable(value) else value)
        b.add_edge(lib.START, "a")
        return compiled(lib, b)

    return make


def parallel(lib, x_or_items):
    b = lib.StateGraph(S)
    b.add_node("a", lambda s: {x_or_items: 1 if x_or_items == "x" else [1]})
    b.add_node("b", lambda s: {x_or_items: 2 if x_or_items == "x" else [2]})
    b.add_edge(lib.START, "a")
    b.add_edge(lib.START, "b")
    return compiled(lib, b)


def routed(lib, result, path_map=None):
    b = lib.StateGraph(S)
    b.add_node("a", lambda s: {"x": 1})
    b.add_node("b", lambda s: {})
    b.add_edge(lib.START, "a")
    b.add_conditional_edges("a", lambda s: result, path_map)
    return compiled(lib, b)


def two_askers(lib, cfg):
    b = lib.StateGraph(S)
    b.add_node("p", lambda s: {"items": [lib.interrupt("p")]})
    b.add_node("q", lambda s: {"items": [lib.interrupt("q")]})
    b.add_edge(lib.START, "p")
    b.add_edge(lib.START, "q")
    g = compiled(lib, b)
    g.invoke({"items": []}, cfg)
    return g


def loop(lib):
    b = lib.StateGraph(S)
    b.add_node("a", lambda s: {"x": 1})
    b.add_edge(lib.START, "a")
    b.add_edge("a", "a")
    return compiled(lib, b)


def after_parallel_step(lib, cfg):
    g = parallel(lib, "items")
    g.invoke({"items": []}, cfg)
    return g


def done_thread(lib, cfg):
    g = compiled(lib, chain(lib))
    g.invoke({"x": 0}, cfg)
    return g


def _dup(lib):
    b = lib.StateGraph(S)
    b.add_node("a", lambda s: {})
    b.add_node("a", lambda s: {})


def _no_entry(lib):
    b = lib.StateGraph(S)
    b.add_node("a", lambda s: {})
    b.compile()


def _edge_to_unknown(lib):
    b = chain(lib)
    b.add_edge("a", "zz")
    b.compile()


def _unknown_checkpoint(cfg):
    return {"configurable": {**cfg["configurable"], "checkpoint_id": "1f0-no-such-checkpoint"}}


#: situation -> (what is done on each library). ``cfg`` holds a fresh thread id per library.
CASES: dict[str, Callable[[Any, dict], Any]] = {
    "add_node twice": lambda lib, cfg: _dup(lib),
    "add_node with a reserved name": lambda lib, cfg: lib.StateGraph(S).add_node("__start__", lambda s: {}),
    "add_node with a node that is not callable": lambda lib, cfg: lib.StateGraph(S).add_node("a", 3),
    "add_edge from END": lambda lib, cfg: chain(lib).add_edge(lib.END, "a"),
    "add_edge to START": lambda lib, cfg: chain(lib).add_edge("a", lib.START),
    "compile with an edge to an unknown node": lambda lib, cfg: _edge_to_unknown(lib),
    "compile without an entry point": lambda lib, cfg: _no_entry(lib),
    "compile with interrupt_before naming no node": lambda lib, cfg: chain(lib).compile(interrupt_before=["zz"]),
    "compile with a checkpointer that is not one": lambda lib, cfg: chain(lib).compile(checkpointer=5),
    "get_state without a checkpointer": lambda lib, cfg: chain(lib).compile().get_state(cfg),
    "get_state with an empty config": lambda lib, cfg: compiled(lib, chain(lib)).get_state({}),
    "invoke without a thread id": lambda lib, cfg: compiled(lib, chain(lib)).invoke({"x": 1}, {"configurable": {}}),
    "invoke(None) on an empty thread": lambda lib, cfg: compiled(lib, chain(lib)).invoke(None, cfg),
    "invoke(None) at an unknown checkpoint id": lambda lib, cfg: done_thread(lib, cfg).invoke(None, _unknown_checkpoint(cfg)),
    "invoke with a non-dict input": lambda lib, cfg: compiled(lib, chain(lib)).invoke(5, cfg),
    "recursion_limit of the wrong type": lambda lib, cfg: compiled(lib, chain(lib)).invoke({"x": 1}, {**cfg, "recursion_limit": "abc"}),
    "recursion_limit below 1": lambda lib, cfg: compiled(lib, chain(lib)).invoke({"x": 1}, {**cfg, "recursion_limit": 0}),
    "recursion limit reached": lambda lib, cfg: loop(lib).invoke({"x": 1}, {**cfg, "recursion_limit": 3}),
    "node returning a non-dict": lambda lib, cfg: returning(5)(lib).invoke({"x": 1}, cfg),
    "two writes to a plain key in one step": lambda lib, cfg: parallel(lib, "x").invoke({"x": 1}, cfg),
    "router result missing from its path_map": lambda lib, cfg: routed(lib, "maybe", {"yes": "b"}).invoke({"x": 1}, cfg),
    "router returning None": lambda lib, cfg: routed(lib, None).invoke({"x": 1}, cfg),
    "update_state as an unknown node": lambda lib, cfg: done_thread(lib, cfg).update_state(cfg, {"x": 1}, as_node="zz"),
    "update_state without as_node after a parallel step": lambda lib, cfg: after_parallel_step(lib, cfg).update_state(cfg, {"items": [3]}),
    "plain resume with several interrupts pending": lambda lib, cfg: two_askers(lib, cfg).invoke(lib.Command(resume=1), cfg),
    "interrupt() outside a node": lambda lib, cfg: lib.interrupt("x"),
    "compile with interrupt_after naming no node": lambda lib, cfg: chain(lib).compile(interrupt_after=["zz"]),
    "compile with a conditional edge from an unknown node": lambda lib, cfg: _router_from_unknown(lib),
    "compile with an edge from an unknown node": lambda lib, cfg: _edge_from_unknown(lib),
    "a waiting edge on an unknown node (LangGraph refuses it at add_edge, graphcompat at compile)": (
        lambda lib, cfg: _waiting_on_unknown(lib)
    ),
    "compile with an entry point naming no node": lambda lib, cfg: _entry_unknown(lib),
    "update_state as END": lambda lib, cfg: done_thread(lib, cfg).update_state(cfg, {"x": 2}, as_node=lib.END),
    "get_state_history without a checkpointer": lambda lib, cfg: list(chain(lib).compile().get_state_history(cfg)),
    "update_state without a checkpointer": lambda lib, cfg: chain(lib).compile().update_state(cfg, {"x": 1}),
    "add_node with '|' in its name": lambda lib, cfg: lib.StateGraph(S).add_node("a|b", lambda s: {}),
    "add_node named END": lambda lib, cfg: lib.StateGraph(S).add_node(lib.END, lambda s: {}),
}


def _router_from_unknown(lib):
    b = chain(lib)
    b.add_conditional_edges("zz", lambda s: lib.END)
    b.compile()


def _waiting_on_unknown(lib):
    b = chain(lib)
    b.add_edge(["a", "zz"], lib.END)
    b.compile()


def _edge_from_unknown(lib):
    b = chain(lib)
    b.add_edge("zz", "a")
    b.compile()


def _entry_unknown(lib):
    b = lib.StateGraph(S)
    b.set_entry_point("zz")
    b.compile()

_SKIP_BASES = (object, BaseException, Exception)


def raised(lib, name: str, thread: str) -> BaseException:
    cfg = {"configurable": {"thread_id": f"{thread}-{lib.name}"}}
    with pytest.raises(Exception) as info:
        CASES[name](lib, cfg)
    return info.value


@pytest.mark.parametrize("situation", list(CASES))
def test_graphcompat_error_is_an_instance_of_what_langgraph_raises(env, thread, situation):
    tid = thread["configurable"]["thread_id"]
    lg = raised(langgraph_lib(), situation, tid)
    gc = raised(graphcompat_lib(), situation, tid)
    assert isinstance(gc, graphcompat.errors.GraphCompatError), f"{situation}: {type(gc)} is not graphcompat's own error"
    for cls in type(lg).__mro__:
        if cls in _SKIP_BASES:
            continue
        if cls.__module__ == "builtins":
            expected = cls
        else:
            assert cls.__module__.startswith("langgraph"), cls
            expected = getattr(graphcompat.errors, cls.__name__, None)
            assert expected is not None, f"graphcompat.errors has no {cls.__name__} (LangGraph raises it: {situation})"
        assert isinstance(gc, expected), (
            f"{situation}: LangGraph raises {type(lg).__module__}.{type(lg).__qualname__} ({lg}); "
            f"graphcompat's {type(gc).__name__} ({gc}) is not a {expected.__module__}.{expected.__qualname__}"
        )
    assert str(gc), "graphcompat's error says what was wrong"
