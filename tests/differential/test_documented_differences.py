"""The differences BEHAVIOUR.md allows, asserted explicitly on both libraries.

Each test pins one named entry of harness.ALLOWED: it fails if either library
stops behaving as described (then the allowance, or the spec, needs a look).
"""

import operator
from typing import Annotated, Any, TypedDict

import pytest

from .harness import ALLOWED, STEP_OFFSET, Differential, counted, norm

pytest.importorskip("langgraph")


class S(TypedDict, total=False):
    items: Annotated[list, operator.add]
    route: Any
    x: int


def tid(thread: dict) -> str:
    return thread["configurable"]["thread_id"]


def make_chain(StateGraph, START, END, t):
    b = StateGraph(S)
    b.add_node("a", counted(t, "a", lambda s: {"items": ["a"]}))
    b.add_node("b", counted(t, "b", lambda s: {"x": 1}))
    b.add_edge(START, "a")
    b.add_edge("a", "b")
    b.add_edge("b", END)
    return b


def test_step_offset(env, thread):
    """ALLOWED["step_offset"]: graphcompat step = LangGraph step + 1 on every checkpoint."""
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    d.update_state({"x": 5}, as_node="b")
    d.invoke(None, at=d.checkpoint(step=1))
    steps = d.each(lambda s: [h.metadata["step"] for h in s.history()])
    # newest first: b re-run (3), fork of step 1 (2), update (3), b (2), a (1), __start__ (0), input (-1)
    assert steps["langgraph"] == [3, 2, 3, 2, 1, 0, -1]
    assert steps["graphcompat"] == [s + ALLOWED["step_offset"] for s in steps["langgraph"]]
    assert STEP_OFFSET["graphcompat"] == 1


def test_metadata_writes_kept_by_graphcompat_dropped_by_langgraph(env, thread):
    """ALLOWED["metadata_writes"]: LangGraph 1.x has no metadata["writes"]; graphcompat always has it."""
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    lg = [h.metadata for h in d.lg.history()]
    gc = [h.metadata for h in d.gc.history()]
    assert all("writes" not in m for m in lg)
    assert [m["writes"] for m in gc] == [{"b": {"x": 1}}, {"a": {"items": ["a"]}}, {"__start__": {"items": []}}, None]


def test_input_checkpoint_values(env, thread):
    """ALLOWED["input_checkpoint_values_empty"]: BEHAVIOUR.md says values {} at step 0; LangGraph shows reducer defaults."""
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    assert d.lg.history()[-1].values == {"items": []}
    assert d.gc.history()[-1].values == {}


def test_message_ids_are_deterministic_in_graphcompat_random_in_langgraph(env, thread):
    """ALLOWED["message_ids"]: the same message objects on both sides; LangGraph's ids are uuid4s,
    graphcompat's are derived from the write (so a retried node writes the same ids)."""
    import uuid

    def make(StateGraph, START, END, t):
        class Chat(t.MessagesState):
            pass

        b = StateGraph(Chat)
        b.add_node("bot", counted(t, "bot", lambda s: {"messages": [("ai", "hello")]}))
        b.add_edge(START, "bot")
        return b

    d = Differential(make, tid(thread))
    out = d.invoke({"messages": [("human", "hi")]})
    lg, gc = out["langgraph"].raw["messages"], out["graphcompat"].raw["messages"]
    assert [type(m) for m in lg] == [type(m) for m in gc]
    assert [type(m).__name__ for m in gc] == ["HumanMessage", "AIMessage"]
    assert all(uuid.UUID(m.id) for m in lg)
    assert all(m.id.startswith("msg-") for m in gc) and len({m.id for m in gc}) == 2
    assert norm(lg) == norm(gc)
    assert [m.content for m in gc] == ["hi", "hello"]


def test_unknown_input_key(env, thread):
    """ALLOWED["strict_bad_input"]: LangGraph drops an unknown input key silently; graphcompat refuses the input."""
    d = Differential(make_chain, tid(thread))
    lg = d.lg.graph.invoke({"items": [], "bogus": 1}, d.lg.cfg())
    assert "bogus" not in lg
    with pytest.raises(ValueError) as info:
        d.gc.graph.invoke({"items": [], "bogus": 1}, d.gc.cfg())
    assert "bogus" in str(info.value)
    # and changes nothing
    assert list(d.gc.history()) == []


def test_router_naming_no_node(env, thread):
    """ALLOWED["strict_bad_input"]: a router result that names no node ends LangGraph's run; graphcompat raises."""

    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("a", counted(t, "a", lambda s: {"items": ["a"]}))
        b.add_node("b", counted(t, "b", lambda s: {"items": ["b"]}))
        b.add_edge(START, "a")
        b.add_conditional_edges("a", lambda s: s["route"])
        return b

    d = Differential(make, tid(thread))
    lg = d.lg.graph.invoke({"route": "nowhere"}, d.lg.cfg())
    assert lg["items"] == ["a"]
    assert d.lg.graph.get_state(d.lg.config).next == ()
    with pytest.raises(ValueError) as info:
        d.gc.graph.invoke({"route": "nowhere"}, d.gc.cfg())
    assert "nowhere" in str(info.value)


def test_history_of_an_unknown_checkpoint_id(env, thread):
    """ALLOWED["strict_bad_input"]: a checkpoint id the thread does not have narrows LangGraph's history
    to nothing; graphcompat says so with UnknownCheckpointError (a KeyError)."""
    from graphcompat.errors import UnknownCheckpointError

    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    missing = {"configurable": {"thread_id": tid(thread), "checkpoint_id": "1f0-not-a-checkpoint"}}
    assert list(d.lg.graph.get_state_history(missing)) == []
    with pytest.raises(UnknownCheckpointError, match="does not exist; list the thread's checkpoints"):
        list(d.gc.graph.get_state_history(missing))


def test_library_errors_compared_by_type_name(env, thread):
    """ALLOWED["library_error_wording"]: InvalidUpdateError on both, each library's own message."""

    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("a", counted(t, "a", lambda s: {"x": 1}))
        b.add_node("b", counted(t, "b", lambda s: {"x": 2}))
        b.add_edge(START, "a")
        b.add_edge(START, "b")
        return b

    d = Differential(make, tid(thread))
    out = d.invoke({"items": []}, check=False)
    assert type(out["langgraph"].exc).__name__ == type(out["graphcompat"].exc).__name__ == "InvalidUpdateError"
    assert "'x'" in str(out["langgraph"].exc) and "'x'" in str(out["graphcompat"].exc)


def test_node_exceptions_keep_type_and_message_and_carry_notes(env, thread):
    """BEHAVIOUR.md "Resume after failure": same type, same str(); graphcompat adds node/thread/checkpoint info."""

    def make(StateGraph, START, END, t):
        def boom(state):
            raise ConnectionError("API timeout during processing")

        b = StateGraph(S)
        b.add_node("boom", boom)
        b.add_edge(START, "boom")
        return b

    d = Differential(make, tid(thread))
    out = d.invoke({"items": []})
    exc = out["graphcompat"].exc
    assert type(exc) is ConnectionError is type(out["langgraph"].exc)
    assert str(exc) == str(out["langgraph"].exc) == "API timeout during processing"
    assert exc.node == "boom" and exc.thread_id == tid(thread) and exc.checkpoint_id
    assert any("boom" in n for n in getattr(exc, "__notes__", []))
