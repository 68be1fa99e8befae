"""Node failures, pending writes and resume, on both libraries.

BEHAVIOUR.md "Resume after failure": the same exception type and message;
get_state is the live view (values include the writes of nodes that
succeeded, next names only the failed node); invoke(None) resumes and does not
re-run the nodes that succeeded. LangGraph 1.x's live get_state behaves the
same way; every call is compared (harness.py).
"""

import operator
import threading
from typing import Annotated, Any, TypedDict

import pytest

from .harness import Differential, counted

pytest.importorskip("langgraph")


class FlakyError(Exception):
    """A user-defined exception type raised by a node."""


class S(TypedDict, total=False):
    items: Annotated[list, operator.add]
    results: Annotated[list, operator.add]
    x: int
    todo: list


def tid(thread: dict) -> str:
    return thread["configurable"]["thread_id"]


def mark(t, name):
    return counted(t, name, lambda s: {"items": [name]})


def failing_once(t, name, exc: BaseException, *, wait_for: str | None = None, update: Any = None):
    """A node that raises ``exc`` on its first run; with ``wait_for`` it first waits until that node ran."""

    def node(state):
        t.calls[name] += 1
        if wait_for is not None:
            t.events[wait_for].wait(10)
        if t.calls[name] == 1:
            raise exc
        return update if update is not None else {"items": [name]}

    return node


def signalling(t, name, update):
    def node(state):
        t.calls[name] += 1
        out = update(state) if callable(update) else update
        t.events[name].set()
        return out

    return node


def test_chain_failure_then_resume(env, thread):
    """The lesson's exercise: gather -> analyze (fails once) -> report."""

    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("gather", counted(t, "gather", lambda s: {"items": ["p1", "p2", "p3"]}))
        b.add_node("analyze", failing_once(t, "analyze", ConnectionError("Simulated API failure!"), update={"x": 3}))
        b.add_node("report", counted(t, "report", lambda s: {"todo": [f"report on {s['x']}"]}))
        b.add_edge(START, "gather")
        b.add_edge("gather", "analyze")
        b.add_edge("analyze", "report")
        b.add_edge("report", END)
        return b

    d = Differential(make, tid(thread))
    out = d.invoke({"items": []})
    assert out["langgraph"].error.type == "builtins.ConnectionError"
    d.invoke(None)


def test_user_defined_exception_type_and_message(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("a", failing_once(t, "a", FlakyError("flaky: try again")))
        b.add_edge(START, "a")
        return b

    d = Differential(make, tid(thread))
    out = d.invoke({"items": []})
    assert out["langgraph"].error.type.endswith(".FlakyError")
    d.invoke(None)


def make_parallel_failure(StateGraph, START, END, t):
    """a and b run in one super-step; b waits until a finished, then fails (first run only)."""
    b = StateGraph(S)
    b.add_node("a", signalling(t, "a", {"items": ["a"], "x": 1}))
    b.add_node("b", failing_once(t, "b", ConnectionError("b is down"), wait_for="a"))
    b.add_node("after", mark(t, "after"))
    b.add_edge(START, "a")
    b.add_edge(START, "b")
    b.add_edge("a", "after")
    b.add_edge("b", "after")
    return b


def test_failure_in_parallel_super_step_keeps_sibling_writes(env, thread):
    d = Differential(make_parallel_failure, tid(thread))
    d.invoke({"items": []})  # compares get_state (live: a's writes in, next == ('b',)) and history
    snap = d.gc.graph.get_state(d.gc.config)
    assert snap.next == ("b",)
    assert snap.values["items"] == ["a"] and snap.values["x"] == 1
    # resume: only b runs again (a's pending writes were kept)
    d.invoke(None)
    assert d.gc.t.calls == {"a": 1, "b": 2, "after": 1}


def test_failure_in_parallel_super_step_with_longer_sibling_branch(env, thread):
    """a -> a2 and b (fails) in one step: after resume, a2 and b's successors run as in LangGraph."""

    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("a", signalling(t, "a", {"items": ["a"]}))
        b.add_node("a2", mark(t, "a2"))
        b.add_node("b", failing_once(t, "b", RuntimeError("boom"), wait_for="a"))
        b.add_node("b2", mark(t, "b2"))
        b.add_edge(START, "a")
        b.add_edge(START, "b")
        b.add_edge("a", "a2")
        b.add_edge("b", "b2")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})
    d.invoke(None)


def test_failure_in_one_send_task_resumes_only_that_task(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("plan", counted(t, "plan", lambda s: {"todo": ["p", "q", "bad"]}))
        lock = threading.Lock()

        def work(arg):
            with lock:
                t.calls[f"work:{arg}"] += 1
                n = t.calls[f"work:{arg}"]
            if arg == "bad":
                t.events["p"].wait(10)
                t.events["q"].wait(10)
                if n == 1:
                    raise ValueError("bad item")
            else:
                t.events[arg].set()
            return {"results": [arg.upper()]}

        b.add_node("work", work)
        b.add_node("reduce", counted(t, "reduce", lambda s: {"x": len(s["results"])}))
        b.add_edge(START, "plan")
        b.add_conditional_edges("plan", lambda s: [t.Send("work", i) for i in s["todo"]], ["work"])
        b.add_edge("work", "reduce")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"results": []})
    d.invoke(None)


def test_resume_after_failure_without_new_failure_is_idempotent(env, thread):
    """Resuming a finished thread runs nothing and returns the same values."""
    d = Differential(make_parallel_failure, tid(thread))
    d.invoke({"items": []})
    d.invoke(None)
    d.invoke(None)


def test_failed_node_fails_again_on_resume(env, thread):
    def make(StateGraph, START, END, t):
        def always(state):
            t.calls["a"] += 1
            raise ConnectionError(f"down #{t.calls['a']}")

        b = StateGraph(S)
        b.add_node("a", always)
        b.add_edge(START, "a")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})
    d.invoke(None)


def test_bug_task_error_is_the_repr_string_as_in_langgraph(env, thread):
    d = Differential(make_parallel_failure, tid(thread))
    d.invoke({"items": []}, check=False)
    errors = d.each(lambda s: [type(t.error).__name__ for t in s.graph.get_state(s.config).tasks if t.error is not None])
    d.same("type of PregelTask.error", errors)
