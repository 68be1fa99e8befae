"""Replay, update_state (every kind of as_node), fork and history filters, on both libraries.

BEHAVIOUR.md "Time travel": replay writes a `fork` checkpoint first (as
LangGraph 1.x does); update_state writes an `update` checkpoint whose parent is
the named checkpoint; fork = update_state on a past checkpoint, then
invoke(None, returned_config). Step numbers are compared on LangGraph's scale
(harness ALLOWED["step_offset"]).
"""

import operator
from typing import Annotated, Any, TypedDict

import pytest

from .harness import Differential, counted

pytest.importorskip("langgraph")


class S(TypedDict, total=False):
    items: Annotated[list, operator.add]
    x: int
    route: Any
    note: str


def tid(thread: dict) -> str:
    return thread["configurable"]["thread_id"]


def mark(t, name):
    return counted(t, name, lambda s: {"items": [name]})


def make_chain(StateGraph, START, END, t):
    """a -> b -> c, each appends its name; c also sets x to the number of items it saw."""
    b = StateGraph(S)
    b.add_node("a", mark(t, "a"))
    b.add_node("b", mark(t, "b"))
    b.add_node("c", counted(t, "c", lambda s: {"items": ["c"], "x": len(s["items"])}))
    b.add_edge(START, "a")
    b.add_edge("a", "b")
    b.add_edge("b", "c")
    b.add_edge("c", END)
    return b


def make_router(StateGraph, START, END, t):
    """a -> decide -(route)-> left | right | END."""
    b = StateGraph(S)
    b.add_node("a", mark(t, "a"))
    b.add_node("decide", mark(t, "decide"))
    b.add_node("left", mark(t, "left"))
    b.add_node("right", mark(t, "right"))
    b.add_edge(START, "a")
    b.add_edge("a", "decide")
    b.add_conditional_edges("decide", lambda s: s.get("route") or END, ["left", "right", END])
    return b



# -- replay --------------------------------------------------------------------------------


@pytest.mark.parametrize("step", [-1, 0, 1, 2])
def test_replay_from_a_past_checkpoint(env, thread, step):
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    d.invoke(None, at=d.checkpoint(step=step))
    # replaying again from the same checkpoint makes one more branch
    d.invoke(None, at=d.checkpoint(step=step, source="loop" if step >= 0 else "input"))


def test_replay_from_the_final_checkpoint(env, thread):
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    d.invoke(None, at=d.checkpoint(step=3))


def test_resume_latest_after_replay_continues_the_new_branch(env, thread):
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    d.invoke(None, at=d.checkpoint(step=1))
    d.invoke(None)
    d.invoke({"items": ["more"]})


def test_replay_with_a_router(env, thread):
    d = Differential(make_router, tid(thread))
    d.invoke({"items": [], "route": "left"})
    d.invoke(None, at=d.checkpoint(step=1))


# -- update_state ------------------------------------------------------------------------


def test_update_state_as_the_node_that_ran_last(env, thread):
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    d.update_state({"items": ["manual"], "note": "edited"}, as_node="c")
    d.invoke(None)


def test_update_state_as_an_earlier_node_reruns_what_follows(env, thread):
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    d.update_state({"items": ["manual"]}, as_node="a")
    d.invoke(None)


def test_update_state_as_node_omitted_uses_the_last_writer(env, thread):
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    d.update_state({"note": "no as_node"})
    d.invoke(None)


def test_update_state_as_a_node_with_conditional_edges(env, thread):
    d = Differential(make_router, tid(thread))
    d.invoke({"items": [], "route": None})
    # the router runs on the updated state: route=right -> next is right
    d.update_state({"route": "right"}, as_node="decide")
    d.invoke(None)
    d.update_state({"route": "left"}, as_node="decide")
    d.invoke(None)


def test_update_state_as_start(env, thread):
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    d.update_state({"items": ["restart"]}, as_node="__start__")
    d.invoke(None)


def test_update_state_values_none_as_node(env, thread):
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    d.update_state(None, as_node="a")
    d.invoke(None)




def test_update_state_on_an_empty_thread_seeds_it(env, thread):
    d = Differential(make_chain, tid(thread))
    d.update_state({"items": ["seed"], "x": 1}, as_node="a")
    d.invoke(None)


def test_update_state_on_an_empty_thread_without_as_node(env, thread):
    d = Differential(make_chain, tid(thread))
    d.update_state({"items": ["seed"]})
    d.invoke(None)


def test_update_state_unknown_as_node_is_an_error(env, thread):
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    d.update_state({"items": ["x"]}, as_node="nope")


def test_two_updates_in_a_row(env, thread):
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    d.update_state({"items": ["one"]}, as_node="b")
    d.update_state({"items": ["two"], "x": 9}, as_node="b")
    d.invoke(None)


# -- fork ----------------------------------------------------------------------------------


def test_fork_from_a_past_checkpoint(env, thread):
    """The lesson's fork, done right (BEHAVIOUR.md "Where the lesson is wrong" 2): invoke the returned config."""
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    forked = d.update_state({"items": ["extra"]}, as_node="a", at=d.checkpoint(step=1))
    d.invoke(None, at=forked)
    # history shows both branches (harness compares parent indices)
    assert len(d.gc.history()) == 5 + 1 + 2


def test_fork_then_invoke_the_original_checkpoint_replays_the_original_branch(env, thread):
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    original = d.checkpoint(step=1)
    d.update_state({"items": ["extra"]}, as_node="a", at=original)
    d.invoke(None, at=original)


def test_invoke_on_the_latest_update_checkpoint_by_id(env, thread):
    """update_state on the latest checkpoint, then invoke(None, returned config): no fork in LangGraph."""
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    updated = d.update_state({"items": ["manual"]}, as_node="b")
    d.invoke(None, at=updated)


def test_invoke_on_a_superseded_update_checkpoint_forks(env, thread):
    """update_state, run on, then invoke the update checkpoint again: LangGraph forks (thread moved past it)."""
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    updated = d.update_state({"items": ["manual"]}, as_node="a")
    d.invoke(None)
    d.invoke(None, at=updated)


def test_fork_twice_from_the_same_checkpoint(env, thread):
    d = Differential(make_router, tid(thread))
    d.invoke({"items": [], "route": "left"})
    at = d.checkpoint(step=2)  # after decide
    first = d.update_state({"route": "right"}, as_node="decide", at=at)
    second = d.update_state({"route": None}, as_node="decide", at=at)
    d.invoke(None, at=first)
    d.invoke(None, at=second)


def test_fork_from_the_input_checkpoint(env, thread):
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    forked = d.update_state({"items": ["other input"]}, as_node="__start__", at=d.checkpoint(step=-1))
    d.invoke(None, at=forked)


# -- history filters -----------------------------------------------------------------------


def test_history_filters_limit_and_before(env, thread):
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    d.update_state({"note": "u"}, as_node="c")
    d.invoke(None, at=d.checkpoint(step=1))
    d.history(filter={"source": "loop"})
    d.history(filter={"source": "update"})
    d.history(filter={"source": "fork"})
    d.history(filter={"source": "input"})
    d.history(limit=2)
    d.history(limit=0)
    d.history(before=d.checkpoint(step=2))
    d.history(before=d.checkpoint(step=2), limit=1)
    d.history(filter={"source": "loop"}, limit=3)
    d.history(filter={"source": "loop"}, before=d.checkpoint(step=2, source="loop"))
