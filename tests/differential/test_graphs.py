"""Same graph, both libraries: reducers, routing, loops, fan-out/join, Send, Command, messages.

Each test runs a small graph on real LangGraph and on graphcompat (Temporal
time-skipping server) and compares outcome, get_state, get_state_history and
node call counts after every call (see harness.py; allowed differences are
named in harness.ALLOWED).
"""

import operator
from typing import Annotated, Any, TypedDict

import pytest

from .harness import Differential, counted

pytest.importorskip("langgraph")


def keep_max(left: int, right: int) -> int:
    return max(left, right)


def union_sorted(left: list, right: list) -> list:
    return sorted(set(left) | set(right))


class S(TypedDict, total=False):
    items: Annotated[list, operator.add]
    tags: Annotated[list, union_sorted]
    best: Annotated[int, keep_max]
    x: int
    route: Any
    count: int
    results: Annotated[list, operator.add]
    todo: list


def tid(thread: dict) -> str:
    return thread["configurable"]["thread_id"]


def mark(t, name, extra=None):
    def fn(state):
        out = {"items": [name]}
        if extra:
            out.update(extra(state))
        return out

    return counted(t, name, fn)


# -- reducers and overwrite -------------------------------------------------------------


def make_reducers(StateGraph, START, END, t):
    b = StateGraph(S)
    b.add_node("a", counted(t, "a", lambda s: {"items": ["a"], "tags": ["z", "a"], "best": 3, "x": 10}))
    b.add_node("b", counted(t, "b", lambda s: {"items": ["b"], "tags": ["a", "m"], "best": 2, "x": s["x"] + 1}))
    b.add_edge(START, "a")
    b.add_edge("a", "b")
    b.add_edge("b", END)
    return b


def test_operator_add_custom_reducer_and_overwrite(env, thread):
    d = Differential(make_reducers, tid(thread))
    d.invoke({"items": ["in"], "tags": ["q"], "best": 1, "x": 0})
    # A second run on the same thread starts from the previous state: reducers accumulate.
    d.invoke({"items": ["again"], "best": 0})


def test_bug_reducer_keys_never_written_show_their_empty_default(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("a", counted(t, "a", lambda s: {"x": 5}))
        b.add_edge(START, "a")
        b.add_edge("a", END)
        return b

    d = Differential(make, tid(thread))
    d.workarounds["reducer_defaults_missing"] = False
    d.invoke({"x": 1})


def test_custom_reducer_never_written_before_a_node_reads_it(env, thread):
    """A reducer key absent from the input: what the first write is reduced with."""
    d = Differential(make_reducers, tid(thread))
    d.invoke({"x": 0})


def test_plain_key_overwrite_and_update_with_none_input_key(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("a", counted(t, "a", lambda s: {"x": 5, "todo": ["new"]}))
        b.add_edge(START, "a")
        b.add_edge("a", END)
        return b

    d = Differential(make, tid(thread))
    d.invoke({"x": 1, "todo": ["old", "older"]})


def test_two_parallel_writes_to_a_plain_key_is_invalid_update(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("a", counted(t, "a", lambda s: {"x": 1}))
        b.add_node("b", counted(t, "b", lambda s: {"x": 2}))
        b.add_edge(START, "a")
        b.add_edge(START, "b")
        return b

    d = Differential(make, tid(thread))
    # get_state is not compared here: LangGraph's live get_state re-applies the
    # saved pending writes and raises InvalidUpdateError itself (see
    # test_bug_invalid_update_resume_reruns_nodes_and_get_state_differs).
    outcomes = d.invoke({"x": 0}, check=False)
    assert outcomes["langgraph"].error is not None and outcomes["langgraph"].error.type == "InvalidUpdateError"
    d.check(state=False, calls=True)


def test_bug_invalid_update_resume_reruns_nodes_and_get_state_differs(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("a", counted(t, "a", lambda s: {"x": 1}))
        b.add_node("b", counted(t, "b", lambda s: {"x": 2}))
        b.add_edge(START, "a")
        b.add_edge(START, "b")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"x": 0}, check=False)
    d.invoke(None, check=False)
    d.check(state=False, calls=True)  # a and b ran once on LangGraph
    d.check(state=True, history=False, calls=False)


# -- conditional edges -------------------------------------------------------------------


def make_router(path_map_kind):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("decide", mark(t, "decide"))
        b.add_node("left", mark(t, "left"))
        b.add_node("right", mark(t, "right"))
        b.add_edge(START, "decide")
        if path_map_kind == "names":
            b.add_conditional_edges("decide", lambda s: s["route"])
        elif path_map_kind == "dict":
            b.add_conditional_edges("decide", lambda s: s["route"], {"L": "left", "R": "right", "stop": END})
        elif path_map_kind == "list":
            b.add_conditional_edges("decide", lambda s: s["route"], ["left", "right", END])
        b.add_edge("left", END)
        b.add_edge("right", END)
        return b

    return make


@pytest.mark.parametrize(
    "kind,route",
    [
        ("names", "left"),
        ("names", "right"),
        ("names", "__end__"),
        ("names", ["left", "right"]),
        ("dict", "L"),
        ("dict", "R"),
        ("dict", "stop"),
        ("list", "right"),
        ("list", "__end__"),
    ],
)
def test_conditional_edges(env, thread, kind, route):
    d = Differential(make_router(kind), tid(thread))
    d.invoke({"route": route})


def test_router_reads_the_state_after_its_own_node_wrote(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("decide", counted(t, "decide", lambda s: {"route": "right"}))
        b.add_node("left", mark(t, "left"))
        b.add_node("right", mark(t, "right"))
        b.add_edge(START, "decide")
        b.add_conditional_edges("decide", lambda s: s["route"], ["left", "right"])
        return b

    d = Differential(make, tid(thread))
    d.invoke({"route": "left"})


# -- loops -------------------------------------------------------------------------------


def make_loop(limit):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("loop", counted(t, "loop", lambda s: {"count": s.get("count", 0) + 1, "items": [f"l{s.get('count', 0)}"]}))
        b.add_node("done", mark(t, "done"))
        b.add_edge(START, "loop")
        b.add_conditional_edges("loop", lambda s: "loop" if s["count"] < limit else "done", ["loop", "done"])
        b.add_edge("done", END)
        return b

    return make


def test_loop_with_counter_ended_by_router(env, thread):
    d = Differential(make_loop(4), tid(thread))
    d.invoke({"count": 0})


# -- fan-out, join, waiting edges --------------------------------------------------------


def test_fan_out_then_join_runs_join_once(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        for n in ("a", "b", "c", "join"):
            b.add_node(n, mark(t, n))
        b.add_edge(START, "a")
        b.add_edge("a", "b")
        b.add_edge("a", "c")
        b.add_edge("b", "join")
        b.add_edge("c", "join")
        b.add_edge("join", END)
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})


def test_fan_out_from_start_writes_applied_in_node_name_order(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        # added in reverse name order on purpose
        for n in ("zeta", "beta", "alpha"):
            b.add_node(n, mark(t, n))
            b.add_edge(START, n)
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": ["in"]})


def test_waiting_edge_with_branches_of_different_lengths(env, thread):
    """LANGGRAPH_QUIRKS["barrier_target_in_history_next"]: LangGraph's history entry at step 2 lists ('c2', 'd')
    though d runs only at step 4; its live get_state at that point (interrupt_after=['b']) says ('c2',), and so
    does its own history when the run was interrupted there. graphcompat says ('c2',) in both; that `next` is
    compared separately below."""
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        for n in ("a", "b", "c1", "c2", "d"):
            b.add_node(n, mark(t, n))
        b.add_edge(START, "a")
        b.add_edge("a", "b")
        b.add_edge("a", "c1")
        b.add_edge("c1", "c2")
        b.add_edge(["b", "c2"], "d")
        b.add_edge("d", END)
        return b

    d = Differential(make, tid(thread))
    d.quirks["barrier_target_in_history_next"] = True
    d.invoke({"items": []})
    assert [s.next for s in d.gc.history()][2] == ("c2",)
    # A second run on the same thread: the barrier starts empty again.
    d.invoke({"items": ["second"]})


def test_waiting_edge_interrupted_mid_way_then_resumed(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        for n in ("a", "b", "c1", "c2", "d"):
            b.add_node(n, mark(t, n))
        b.add_edge(START, "a")
        b.add_edge("a", "b")
        b.add_edge("a", "c1")
        b.add_edge("c1", "c2")
        b.add_edge(["b", "c2"], "d")
        b.add_edge("d", END)
        return b

    d = Differential(make, tid(thread), interrupt_after=["b"])
    d.invoke({"items": []})
    d.invoke(None)


def test_plain_edges_with_branches_of_different_lengths_run_target_twice(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        for n in ("a", "b", "c1", "c2", "d"):
            b.add_node(n, mark(t, n))
        b.add_edge(START, "a")
        b.add_edge("a", "b")
        b.add_edge("a", "c1")
        b.add_edge("c1", "c2")
        b.add_edge("b", "d")
        b.add_edge("c2", "d")
        b.add_edge("d", END)
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})


# -- Send map-reduce ---------------------------------------------------------------------


def make_map_reduce(StateGraph, START, END, t):
    b = StateGraph(S)
    b.add_node("plan", counted(t, "plan", lambda s: {"todo": ["x", "yy", "zzz"]}))

    def work(arg):
        t.calls["work"] += 1
        return {"results": [arg["item"] * 2]}

    b.add_node("work", work)
    b.add_node("reduce", counted(t, "reduce", lambda s: {"x": len(s["results"])}))
    b.add_edge(START, "plan")
    b.add_conditional_edges("plan", lambda s: [t.Send("work", {"item": i}) for i in s["todo"]], ["work"])
    b.add_edge("work", "reduce")
    b.add_edge("reduce", END)
    return b


def test_send_map_reduce(env, thread):
    d = Differential(make_map_reduce, tid(thread))
    d.invoke({"results": []})


def test_send_from_start_and_to_a_node_with_plain_edges(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)

        def work(arg):
            t.calls["work"] += 1
            return {"results": [arg]}

        b.add_node("work", work)
        b.add_node("after", mark(t, "after"))
        b.add_conditional_edges(START, lambda s: [t.Send("work", n) for n in (3, 1, 2)], ["work"])
        b.add_edge("work", "after")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"results": [0]})


# -- Command from a node -----------------------------------------------------------------


def test_command_goto_and_update_from_a_node(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)

        def chooser(state):
            t.calls["chooser"] += 1
            return t.Command(update={"items": ["chooser"], "x": 7}, goto="right")

        b.add_node("chooser", chooser)
        b.add_node("left", mark(t, "left"))
        b.add_node("right", mark(t, "right"))
        b.add_edge(START, "chooser")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})


def test_bug_next_lists_send_tasks_before_edge_tasks(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)
        b.add_node("d", mark(t, "d"))
        b.add_node("left", mark(t, "left"))
        b.add_node("right", counted(t, "right", lambda s: {"items": ["r"]}))
        b.add_edge(START, "d")
        b.add_conditional_edges("d", lambda s: ["left", t.Send("right", {})], ["left", "right"])
        b.add_edge("d", "right")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})


def test_command_goto_list_and_send_and_end(env, thread):
    def make(StateGraph, START, END, t):
        b = StateGraph(S)

        def chooser(state):
            t.calls["chooser"] += 1
            # Send only: the order of push vs pull tasks in `next` is test_bug_next_lists_send_tasks_before_edge_tasks
            return t.Command(update={"items": ["chooser"]}, goto=[t.Send("right", {"items": ["sent"]})])

        def ender(state):
            t.calls["ender"] += 1
            return t.Command(update={"x": 1}, goto=END)

        b.add_node("chooser", chooser)
        b.add_node("left", mark(t, "left"))
        b.add_node("right", counted(t, "right", lambda s: {"items": ["right:" + ",".join(s["items"])]}))
        b.add_node("ender", ender)
        b.add_edge(START, "chooser")
        b.add_edge("right", "left")
        b.add_edge("left", "ender")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})


def test_command_goto_plus_static_edge(env, thread):
    """A node with a static edge that also returns Command(goto=...): both targets run."""

    def make(StateGraph, START, END, t):
        b = StateGraph(S)

        def chooser(state):
            t.calls["chooser"] += 1
            return t.Command(update={"items": ["chooser"]}, goto="right")

        b.add_node("chooser", chooser)
        b.add_node("left", mark(t, "left"))
        b.add_node("right", mark(t, "right"))
        b.add_edge(START, "chooser")
        b.add_edge("chooser", "left")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"items": []})


# -- MessagesState -----------------------------------------------------------------------


def make_chat(StateGraph, START, END, t):
    class Chat(t.MessagesState):
        turns: int

    def bot(state):
        t.calls["bot"] += 1
        last = state["messages"][-1]
        content = last.content if hasattr(last, "content") else last["content"]
        return {"messages": [("ai", f"echo: {content}")], "turns": state.get("turns", 0) + 1}

    b = StateGraph(Chat)
    b.add_node("bot", bot)
    b.add_edge(START, "bot")
    b.add_edge("bot", END)
    return b


def test_messages_state_add_messages(env, thread):
    d = Differential(make_chat, tid(thread))
    d.invoke({"messages": [("human", "hi")], "turns": 0})
    d.invoke({"messages": [("user", "again")]})
    d.invoke({"messages": [{"role": "user", "content": "as dict"}]})


def test_add_messages_in_a_custom_state(env, thread):
    def make(StateGraph, START, END, t):
        class Chat(TypedDict):
            messages: Annotated[list, t.add_messages]
            note: str

        def bot(state):
            t.calls["bot"] += 1
            return {"messages": [("ai", f"{len(state['messages'])} so far")], "note": "ok"}

        b = StateGraph(Chat)
        b.add_node("bot", bot)
        b.add_edge(START, "bot")
        return b

    d = Differential(make, tid(thread))
    d.invoke({"messages": ["plain string"]})
