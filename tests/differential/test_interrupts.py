"""Human in the loop on both libraries: interrupt_before / interrupt_after, interrupt() and Command(resume=...).

BEHAVIOUR.md "Human in the loop": all with LangGraph's semantics. The value
invoke returns on an interrupt is compared with `__interrupt__` split off into
a list of interrupt values (harness.outcome_of_result).
"""

import operator
from typing import Annotated, TypedDict

import pytest

from .harness import Differential, counted

pytest.importorskip("langgraph")


class S(TypedDict, total=False):
    items: Annotated[list, operator.add]
    answers: Annotated[list, operator.add]
    x: int
    note: str


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
    b.add_edge("c", END)
    return b


# -- static interrupts -------------------------------------------------------------------


def test_interrupt_before_then_resume(env, thread):
    d = Differential(make_chain, tid(thread), interrupt_before=["b"])
    d.invoke({"items": []})
    d.invoke(None)
    # a new input on the finished thread stops before b again
    d.invoke({"items": ["again"]})
    d.invoke(None)


def test_interrupt_after_then_resume(env, thread):
    d = Differential(make_chain, tid(thread), interrupt_after=["a"])
    d.invoke({"items": []})
    d.invoke(None)


def test_compile_with_star_inside_a_list_is_refused(env):
    names = ["*"]
    from .harness import graphcompat_lib, langgraph_lib

    def compile_on(lib):
        t = lib.namespace()
        try:
            make_chain(lib.StateGraph, lib.START, lib.END, t).compile(checkpointer=lib.Saver(), interrupt_before=names)
        except ValueError:
            return "ValueError"
        return "compiled"

    assert compile_on(graphcompat_lib()) == compile_on(langgraph_lib())


def test_interrupt_before_and_after_several_nodes(env, thread):
    d = Differential(make_chain, tid(thread), interrupt_before=["a", "c"], interrupt_after=["b"])
    d.invoke({"items": []})
    d.invoke(None)
    d.invoke(None)
    d.invoke(None)
    d.invoke(None)


def test_interrupt_before_star(env, thread):
    d = Differential(make_chain, tid(thread), interrupt_before="*")
    d.invoke({"items": []})
    for _ in range(4):
        d.invoke(None)


def test_interrupt_before_given_to_invoke(env, thread):
    d = Differential(make_chain, tid(thread))
    outcomes = d._call(lambda s: s.graph.invoke({"items": []}, s.cfg(), interrupt_before=["c"]))
    from .harness import _views

    d.transcript.append("invoke({'items': []}, interrupt_before=['c'])")
    d.same("invoke(interrupt_before=['c']) / outcome", _views(outcomes))
    d.check()
    d.invoke(None)


def test_interrupt_before_then_update_state_then_resume(env, thread):
    d = Differential(make_chain, tid(thread), interrupt_before=["b"])
    d.invoke({"items": []})
    d.update_state({"items": ["human"], "note": "approved"})
    d.invoke(None)


def test_interrupt_before_then_update_state_as_node_then_resume(env, thread):
    d = Differential(make_chain, tid(thread), interrupt_before=["c"])
    d.invoke({"items": []})
    d.update_state({"items": ["human"]}, as_node="a")
    d.invoke(None)


def test_interrupt_before_a_parallel_node(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        for n in ("a", "b", "c"):
            b.add_node(n, mark(t, n))
        b.add_edge(START, "a")
        b.add_edge(START, "b")
        b.add_edge("a", "c")
        return b

    d = Differential(make, tid(thread), interrupt_before=["b"])
    d.invoke({"items": []})
    d.invoke(None)


# -- dynamic interrupts ------------------------------------------------------------------


def make_ask(StateGraph, START, END, t):
    b = StateGraph(S)

    def ask(state):
        t.calls["ask"] += 1
        answer = t.interrupt({"question": "ok?", "items": list(state["items"])})
        return {"answers": [answer]}

    b.add_node("a", mark(t, "a"))
    b.add_node("ask", ask)
    b.add_node("c", mark(t, "c"))
    b.add_edge(START, "a")
    b.add_edge("a", "ask")
    b.add_edge("ask", "c")
    return b


def test_interrupt_and_command_resume(env, thread):
    d = Differential(make_ask, tid(thread))
    d.invoke({"items": []})
    d.resume("yes")


def test_interrupt_resume_with_structured_value(env, thread):
    d = Differential(make_ask, tid(thread))
    d.invoke({"items": ["in"]})
    d.resume({"approved": True, "comment": ["a", 1]})


def test_interrupt_invoke_none_reinterrupts(env, thread):
    """invoke(None) on an interrupted thread (no resume value): the node runs again and interrupts again."""
    d = Differential(make_ask, tid(thread))
    d.invoke({"items": []})
    d.invoke(None)
    d.resume("finally")


def test_two_interrupts_in_one_node_resumed_in_sequence(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)

        def ask_twice(state):
            t.calls["ask_twice"] += 1
            first = t.interrupt("first?")
            second = t.interrupt(f"second after {first}?")
            return {"answers": [first, second]}

        b.add_node("ask_twice", ask_twice)
        b.add_node("after", mark(t, "after"))
        b.add_edge(START, "ask_twice")
        b.add_edge("ask_twice", "after")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})
    d.resume("one")
    d.resume("two")


def test_interrupt_then_replay_from_before_it_asks_again(env, thread):
    d = Differential(make_ask, tid(thread))
    d.invoke({"items": []})
    d.resume("yes")
    d.invoke(None, at=d.checkpoint(step=1))
    d.resume("second branch")


def test_interrupt_in_a_parallel_super_step_with_a_sibling(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)

        def ask(state):
            t.calls["ask"] += 1
            return {"answers": [t.interrupt("ask?")]}

        b.add_node("ask", ask)
        b.add_node("other", mark(t, "other"))
        b.add_node("join", mark(t, "join"))
        b.add_edge(START, "ask")
        b.add_edge(START, "other")
        b.add_edge(["ask", "other"], "join")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})  # get_state: other's writes in, next == ('ask',)
    d.resume("sure")  # other does not run again


def make_two_askers(StateGraph, START, END, t):
    b = StateGraph(S)

    def asker(name):
        def node(state):
            t.calls[name] += 1
            return {"answers": [f"{name}:{t.interrupt(name + '?')}"]}

        return node

    b.add_node("p", asker("p"))
    b.add_node("q", asker("q"))
    b.add_edge(START, "p")
    b.add_edge(START, "q")
    return b


def test_two_pending_interrupts_resumed_by_id(env, thread):
    d = Differential(make_two_askers, tid(thread))
    d.invoke({"items": []})

    def by_id(side):
        interrupts = side.graph.get_state(side.config).interrupts
        return side.lib.Command(resume={i.id: f"ans-{i.value}" for i in interrupts})

    d.transcript.append("invoke(Command(resume={id: ...} for both))")
    from .harness import _views

    outcomes = d._call(lambda s: s.graph.invoke(by_id(s), s.cfg()))
    d.same("resume by id / outcome", _views(outcomes))
    d.check()


def test_two_pending_interrupts_plain_resume_is_refused(env, thread):
    """Both refuse; graphcompat's error is typed (AmbiguousResumeError) and still a RuntimeError."""
    d = Differential(make_two_askers, tid(thread))
    d.invoke({"items": []})
    out = d._call(lambda s: s.graph.invoke(s.lib.Command(resume="same for both"), s.cfg()))
    lg, gc = out["langgraph"].exc, out["graphcompat"].exc
    assert type(lg) is RuntimeError and isinstance(gc, RuntimeError)
    prefix = "When there are multiple pending interrupts, you must specify the interrupt id when resuming"
    assert str(lg).startswith(prefix) and str(gc).startswith(prefix)
    d.check()  # nothing changed on either side


def test_command_resume_without_pending_interrupt(env, thread):
    d = Differential(make_chain, tid(thread))
    d.invoke({"items": []})
    d.resume("nobody asked")


def _interrupt_values_of(chunk):
    """A stream chunk with its interrupts as their values (ids are each library's own)."""
    mode, data = chunk if isinstance(chunk, tuple) else (None, chunk)
    if isinstance(data, dict) and "__interrupt__" in data:
        data = {**data, "__interrupt__": [i.value for i in data["__interrupt__"]]}
    return (mode, data)


def make_ask_after_a(StateGraph, START, END, t):
    def ask(state):
        return {"note": t.interrupt("ok?")}

    b = StateGraph(S)
    b.add_node("a", mark(t, "a"))
    b.add_node("ask", ask)
    b.add_edge(START, "a")
    b.add_edge("a", "ask")
    b.add_edge("ask", END)
    return b


@pytest.mark.parametrize("modes", [["values", "updates"], ["updates", "values"]])
def test_several_stream_modes_come_in_the_order_things_happen(env, thread, modes):
    # LangGraph: a step's updates, then its values; at an interrupt, updates then values,
    # whatever order the modes were asked in.
    d = Differential(make_ask_after_a, tid(thread))
    chunks = d.each(lambda s: [_interrupt_values_of(c) for c in s.graph.stream({"items": []}, s.cfg(), stream_mode=modes)])
    d.same(f"stream(stream_mode={modes})", chunks)
    d.check("after the interrupted stream")
    resumed = d.each(lambda s: [_interrupt_values_of(c) for c in s.graph.stream(s.lib.Command(resume="fine"), s.cfg(), stream_mode=modes)])
    d.same(f"stream(Command(resume=...), stream_mode={modes})", resumed)
