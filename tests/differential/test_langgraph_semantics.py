"""LangGraph's behaviour where graphcompat used to differ (issue 10, item 3), each against real LangGraph."""

import operator
from typing import Annotated, TypedDict

import pytest

from .harness import Differential, _views, counted

pytest.importorskip("langgraph")


class S(TypedDict, total=False):
    items: Annotated[list, operator.add]
    answers: Annotated[list, operator.add]
    note: str
    fanout: list


def tid(thread):
    return thread["configurable"]["thread_id"]


def test_send_list_over_zero_items_ends_that_branch(env, thread):
    """A map-reduce over zero items: the router returns an empty list of Send; the sibling branch goes on."""

    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("a", counted(t, "a", lambda s: {"items": ["a"]}))
        b.add_node("work", counted(t, "work", lambda s: {"items": [s]}))
        b.add_node("other", counted(t, "other", lambda s: {"items": ["other"]}))
        b.add_edge(START, "a")
        b.add_edge(START, "other")
        b.add_conditional_edges("a", lambda s: [t.Send("work", x) for x in s["fanout"]])
        return b

    d = Differential(make, tid(thread))
    d.invoke({"fanout": []})
    d.invoke({"fanout": ["x", "y"]})
    d.invoke({"fanout": []})


def test_router_returning_none_is_a_value_error_on_both(env, thread):
    """None is no destination: LangGraph raises ValueError, graphcompat a typed ValueError (UnknownNodeError)."""

    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("a", counted(t, "a", lambda s: {"items": ["a"]}))
        b.add_edge(START, "a")
        b.add_conditional_edges("a", lambda s: None)
        return b

    d = Differential(make, tid(thread))
    out = d._call(lambda s: s.graph.invoke({"items": []}, s.cfg()))
    assert type(out["langgraph"].exc) is ValueError
    assert isinstance(out["graphcompat"].exc, ValueError)
    assert "returned None, which names no node" in str(out["graphcompat"].exc)


def test_router_returning_empty_list_ends_that_branch(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("a", counted(t, "a", lambda s: {"items": ["a"]}))
        b.add_node("b", counted(t, "b", lambda s: {"items": ["b"]}))
        b.add_edge(START, "a")
        b.add_conditional_edges("a", lambda s: [], ["b"])
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})


def test_update_state_during_dynamic_interrupt_then_resume(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)

        def ask(state):
            t.calls["ask"] += 1
            answer = t.interrupt("ok?")
            return {"answers": [f"{answer}/{state.get('note')}"]}

        b.add_node("ask", ask)
        b.add_node("after", counted(t, "after", lambda s: {"items": [s.get("note")]}))
        b.add_edge(START, "ask")
        b.add_edge("ask", "after")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})
    d.update_state({"note": "edited"})
    d.resume("yes")


def test_update_state_as_node_during_dynamic_interrupt_then_resume(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)

        def ask(state):
            t.calls["ask"] += 1
            answer = t.interrupt("ok?")
            return {"answers": [f"{answer}/{state.get('note')}"]}

        b.add_node("ask", ask)
        b.add_edge(START, "ask")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})
    d.update_state({"note": "edited"}, as_node="ask")
    d.resume("yes")


def make_three_askers(StateGraph, START, END, t):
    b = StateGraph(S)

    def asker(name):
        def node(state):
            t.calls[name] += 1
            return {"answers": [f"{name}:{t.interrupt(name + '?')}"]}

        return node

    for n in ("zeta", "alpha", "mid"):
        b.add_node(n, asker(n))
        b.add_edge(START, n)
    return b


def test_parallel_interrupts_reported_in_langgraphs_order(env, thread):
    """get_state lists pending interrupts, tasks and next in LangGraph's task order (the order the
    nodes were added). invoke's ``__interrupt__`` in LangGraph is the order its thread pool finished
    the tasks, which is not deterministic; graphcompat reports task order there too, so the two are
    compared as the same collection."""
    d = Differential(make_three_askers, tid(thread))
    out = d._call(lambda s: s.graph.invoke({"items": []}, s.cfg()))
    assert sorted(out["langgraph"].interrupts) == sorted(out["graphcompat"].interrupts) == ["alpha?", "mid?", "zeta?"]
    assert out["graphcompat"].interrupts == ["zeta?", "alpha?", "mid?"]
    d.check()
    d.same("interrupt order", d.each(lambda s: [i.value for i in s.graph.get_state(s.config).interrupts]))
    d.same("task order", d.each(lambda s: [t.name for t in s.graph.get_state(s.config).tasks]))


def test_bare_resume_with_several_pending_raises_as_langgraph(env, thread):
    """LangGraph raises RuntimeError; graphcompat's AmbiguousResumeError is one. Nothing changes on either side."""
    d = Differential(make_three_askers, tid(thread))
    d._call(lambda s: s.graph.invoke({"items": []}, s.cfg()))
    out = d._call(lambda s: s.graph.invoke(s.lib.Command(resume="x"), s.cfg()))
    lg, gc = out["langgraph"].exc, out["graphcompat"].exc
    assert type(lg) is RuntimeError and isinstance(gc, RuntimeError), (lg, gc)
    assert type(gc).__name__ == "AmbiguousResumeError"
    d.check()


def make_chain(StateGraph, START, END, t):
    b = StateGraph(S)
    for n in ("a", "b", "c"):
        b.add_node(n, counted(t, n, lambda s, n=n: {"items": [n]}))
    b.add_edge(START, "a")
    b.add_edge("a", "b")
    b.add_edge("b", "c")
    return b


def test_get_state_history_with_a_checkpoint_id_in_the_config(env, thread):
    from .harness import history_view

    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    ref = d.checkpoint(step=1)
    d.same(
        "history from a checkpoint id",
        d.each(lambda s: history_view(list(s.graph.get_state_history(s.cfg(ref))), s.name)),
    )
    d.same(
        "history from a checkpoint id, limit",
        d.each(lambda s: history_view(list(s.graph.get_state_history(s.cfg(ref), limit=1)), s.name)),
    )


# -- resuming after GraphRecursionError ---------------------------------------------------


def make_loop(k):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("loop", counted(t, "loop", lambda s: {"items": ["x"]}))
        b.add_edge(START, "loop")
        b.add_conditional_edges("loop", lambda s: "loop" if len(s["items"]) < k else END, ["loop", END])
        return b

    return make


@pytest.mark.parametrize("limit", [2, 4])
def test_resume_after_recursion_error_numbers_checkpoints_as_langgraph(env, thread, limit):
    """The history after the error, then after invoke(None) (default limit), is compared
    checkpoint by checkpoint: steps (BEHAVIOUR.md's 0-based offset aside), sources, parents."""
    d = Differential(make_loop(7), tid(thread))
    d.invoke({"items": []}, recursion_limit=limit)
    d.invoke(None, recursion_limit=limit)
    d.invoke(None)


def test_new_input_after_recursion_error(env, thread):
    d = Differential(make_loop(5), tid(thread))
    d.invoke({"items": []}, recursion_limit=3)
    d.invoke({"items": ["fresh"]})


# -- get_state_history with a checkpoint id -----------------------------------------------


def test_get_state_history_with_a_checkpoint_id_and_filter_or_before(env, thread):
    from .harness import history_view

    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    d.update_state({"note": "n"})
    ref = d.checkpoint(step=2)
    later = d.latest()
    for label, kwargs in [
        ("matching filter", lambda s: {"filter": {"source": "loop"}}),
        ("filter excluding it", lambda s: {"filter": {"source": "update"}}),
        ("before a later one", lambda s: {"before": later[s.name]}),
        ("before itself", lambda s: {"before": ref[s.name]}),
        ("limit 0", lambda s: {"limit": 0}),
    ]:
        d.same(
            f"history from a checkpoint id, {label}",
            d.each(lambda s: history_view(list(s.graph.get_state_history(s.cfg(ref), **kwargs(s))), s.name)),
        )


def test_replay_and_fork_count_recursion_as_langgraph(env, thread):
    """A replay spends one step of its budget on the fork copy; a fork made by update_state
    and continued from its config resumes it (the whole budget goes to nodes)."""
    d = Differential(make_loop(100), tid(thread))
    d.invoke({"items": []}, recursion_limit=3)
    past = d.checkpoint(step=1)
    d.invoke(None, at=past, recursion_limit=2)
    fork = d.update_state({"items": ["u"]}, at=past)
    d.invoke(None, at=fork, recursion_limit=2)


def make_asking_loop(StateGraph, START, END, t):
    b = StateGraph(S)

    def loop(state):
        t.calls["loop"] += 1
        if len(state["items"]) == 1:
            t.interrupt("go on?")
        return {"items": ["x"]}

    b.add_node("loop", loop)
    b.add_edge(START, "loop")
    b.add_conditional_edges("loop", lambda s: "loop" if len(s["items"]) < 100 else END, ["loop", END])
    return b


def test_command_resume_counts_recursion_as_langgraph(env, thread):
    d = Differential(make_asking_loop, tid(thread))
    d.invoke({"items": []})
    d.transcript.append("resume('yes', recursion_limit=2)")
    out = d._call(lambda s: s.graph.invoke(s.lib.Command(resume="yes"), s.cfg(recursion_limit=2)))
    d.same("resume / outcome", _views(out))
    d.check()


# -- Command(resume=..., update=...) given to invoke ---------------------------------------


def make_two_questions(StateGraph, START, END, t):
    b = StateGraph(S)

    def ask(state):
        t.calls["ask"] += 1
        first = t.interrupt("first?") if not state.get("note") else "skipped"
        second = t.interrupt("second?")
        return {"answers": [f"{first}/{second}/{state.get('note')}"]}

    b.add_node("ask", ask)
    b.add_node("after", counted(t, "after", lambda s: {"items": [s.get("note")]}))
    b.add_edge(START, "ask")
    b.add_edge("ask", "after")
    return b


def command(d, label, **kwargs):
    d.transcript.append(label)
    out = d._call(lambda s: s.graph.invoke(s.lib.Command(**kwargs), s.cfg()))
    d.same(f"{label} / outcome", _views(out))
    d.check(label)
    return out


def test_command_resume_with_update_applies_the_update_before_the_node_runs(env, thread):
    d = Differential(make_two_questions, tid(thread))
    d.invoke({"items": []})
    command(d, "Command(resume='A', update={'note': 'n'})", resume="A", update={"note": "n"})
    d.resume("B")


def test_command_update_alone_then_resume(env, thread):
    """Command(update=...) without resume: the node asks again, now seeing the update (get_state's live view too)."""
    d = Differential(make_two_questions, tid(thread))
    d.invoke({"items": []})
    command(d, "Command(update={'note': 'n'})", update={"note": "n"})
    d.resume("B")


def test_command_update_at_a_static_breakpoint(env, thread):
    d = Differential(make_chain, tid(thread), interrupt_before=["b"])
    d.invoke({"items": []})
    command(d, "Command(update={'items': ['u']})", update={"items": ["u"]})
