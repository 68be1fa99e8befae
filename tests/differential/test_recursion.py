"""recursion_limit on both libraries: where exactly a run of k super-steps passes or fails.

A loop node that runs exactly k times (k super-steps of nodes after the input
step) then routes to END. With config={"recursion_limit": N}, both libraries
must agree for every N whether the run passes or raises GraphRecursionError,
and agree on the checkpoints written before the error.

Measured boundary (LangGraph 1.2.x; graphcompat must match): a run of k node
super-steps passes iff N >= k + 1. LangGraph runs at most N node super-steps
and raises GraphRecursionError after the N-th one *even when that step ended
the graph* (the checkpoint of step N, next=(), is written, then it raises).
graphcompat passes iff N >= k (it raises only when there is more to run).
"""

import operator
from typing import Annotated, TypedDict

import pytest

from .harness import Differential, counted, graphcompat_lib, langgraph_lib

pytest.importorskip("langgraph")


class S(TypedDict, total=False):
    count: int
    items: Annotated[list, operator.add]


def tid(thread: dict) -> str:
    return thread["configurable"]["thread_id"]


def make_loop(k):
    """`loop` runs k times (k super-steps), then END. k=None: never ends."""

    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("loop", counted(t, "loop", lambda s: {"count": s.get("count", 0) + 1}))
        b.add_edge(START, "loop")
        b.add_conditional_edges("loop", lambda s: "loop" if k is None or s["count"] < k else END, ["loop", END])
        return b

    return make


def make_parallel_chain(StateGraph, START, END, t):
    """Two parallel branches of 3 nodes: 3 super-steps with 2 tasks each."""
    b = StateGraph(S)
    for n in ("a1", "a2", "a3", "b1", "b2", "b3"):
        b.add_node(n, counted(t, n, lambda s, n=n: {"items": [n]}))
    b.add_edge(START, "a1")
    b.add_edge(START, "b1")
    for x in "ab":
        b.add_edge(f"{x}1", f"{x}2")
        b.add_edge(f"{x}2", f"{x}3")
    return b




@pytest.mark.parametrize(
    "k,n",
    [
        pytest.param(k, k + delta, id=f"k{k}-N{k + delta}")
        for k in (1, 2, 4)
        for delta in (-1, 0, 1, 2)
        if k + delta >= 1
    ],
)
def test_loop_of_k_steps_at_limit_n(env, thread, k, n):
    d = Differential(make_loop(k), tid(thread))
    outcomes = d.invoke({"count": 0}, recursion_limit=n)
    failed = outcomes["langgraph"].error is not None
    assert failed == (n <= k), f"LangGraph boundary moved: k={k}, N={n}, failed={failed}"


@pytest.mark.parametrize("n", [2, 3, 4])
def test_parallel_steps_count_once_per_super_step(env, thread, n):
    d = Differential(make_parallel_chain, tid(thread))
    d.invoke({"items": []}, recursion_limit=n)


def test_endless_loop_raises_graph_recursion_error(env, thread):
    d = Differential(make_loop(None), tid(thread))
    outcomes = d.invoke({"count": 0}, recursion_limit=5)
    assert outcomes["langgraph"].error.type == "GraphRecursionError"
    assert isinstance(outcomes["graphcompat"].exc, graphcompat_lib().GraphRecursionError)


def test_recursion_error_message(env, thread):
    """GraphRecursionError's first line is the same sentence in both (LangGraph appends a troubleshooting link)."""
    d = Differential(make_loop(None), tid(thread))
    outcomes = d.invoke({"count": 0}, recursion_limit=3)
    first_line = {k: str(o.exc).splitlines()[0] for k, o in outcomes.items()}
    d.same("GraphRecursionError message", first_line)


def test_resume_after_recursion_error_with_a_higher_limit(env, thread):
    d = Differential(make_loop(6), tid(thread))
    d.invoke({"count": 0}, recursion_limit=3)
    d.invoke(None, recursion_limit=10)


def test_default_recursion_limit(env, thread):
    """No recursion_limit in the config: compared on a 26-step loop."""
    d = Differential(make_loop(26), tid(thread))
    d.invoke({"count": 0})


def boundary_table(thread):
    table = {}
    for lib in (langgraph_lib(), graphcompat_lib()):
        row = {}
        for k in (1, 2, 3, 5):
            t = lib.namespace()
            graph = make_loop(k)(lib.StateGraph, lib.START, lib.END, t).compile(checkpointer=lib.Saver())
            for n in range(1, k + 3):
                try:
                    graph.invoke({"count": 0}, {"configurable": {"thread_id": f"{tid(thread)}-{lib.name}-{k}-{n}"}, "recursion_limit": n})
                except lib.GraphRecursionError:
                    continue
                row[k] = n
                break
        table[lib.name] = row
    print("smallest passing recursion_limit per k:", table)
    return table


def test_langgraph_boundary_is_k_plus_one(env, thread):
    """Guards the reference: LangGraph needs recursion_limit >= k + 1 for k node super-steps."""
    assert boundary_table(thread)["langgraph"] == {1: 2, 2: 3, 3: 4, 5: 6}


def test_boundary_table_matches(env, thread):
    """Smallest passing recursion_limit per k (graphcompat today: {1: 1, 2: 2, 3: 3, 5: 5})."""
    table = boundary_table(thread)
    assert table["graphcompat"] == table["langgraph"]
