"""Subgraphs on both libraries: LangGraph's "Use subgraphs" examples and their edges.

The examples of docs/oss/use-subgraphs (shared schema, different schema, view
interrupted subgraph state) and use-graph-api ("Navigate to a node in a parent
graph": Command.PARENT), built with each library's classes. With
``subgraphs=True`` every check also compares ``get_state(config, subgraphs=True)``
(each running subgraph's snapshot) and the history of each subgraph namespace.
"""

import operator
from typing import Annotated, TypedDict

import pytest

from .harness import Differential, counted, history_view

pytest.importorskip("langgraph")


def tid(thread: dict) -> str:
    return thread["configurable"]["thread_id"]


# -- use-subgraphs: shared state schemas ----------------------------------------------------


class SubgraphState(TypedDict):
    foo: str  # shared with the parent
    bar: str  # the subgraph's own


class ParentState(TypedDict):
    foo: str


def make_shared(StateGraph, START, END, t):
    def subgraph_node_1(state: SubgraphState):
        t.calls["subgraph_node_1"] += 1
        return {"bar": "bar"}

    def subgraph_node_2(state: SubgraphState):
        t.calls["subgraph_node_2"] += 1
        return {"foo": state["foo"] + state["bar"]}

    subgraph_builder = StateGraph(SubgraphState)
    subgraph_builder.add_node(subgraph_node_1)
    subgraph_builder.add_node(subgraph_node_2)
    subgraph_builder.add_edge(START, "subgraph_node_1")
    subgraph_builder.add_edge("subgraph_node_1", "subgraph_node_2")
    subgraph = subgraph_builder.compile()

    builder = StateGraph(ParentState)
    builder.add_node("node_1", counted(t, "node_1", lambda state: {"foo": "hi! " + state["foo"]}))
    builder.add_node("node_2", subgraph)
    builder.add_edge(START, "node_1")
    builder.add_edge("node_1", "node_2")
    return builder


def test_shared_state_schemas(env, thread):
    d = Differential(make_shared, tid(thread), subgraphs=True)
    outcomes = d.invoke({"foo": "foo"})
    assert outcomes["graphcompat"].raw == {"foo": "hi! foobar"}


# -- use-subgraphs: different state schemas ------------------------------------------------


class OtherState(TypedDict):
    bar: str
    baz: str


def make_different(StateGraph, START, END, t):
    def subgraph_node_1(state: OtherState):
        t.calls["subgraph_node_1"] += 1
        return {"baz": "baz"}

    def subgraph_node_2(state: OtherState):
        t.calls["subgraph_node_2"] += 1
        return {"bar": state["bar"] + state["baz"]}

    subgraph_builder = StateGraph(OtherState)
    subgraph_builder.add_node(subgraph_node_1)
    subgraph_builder.add_node(subgraph_node_2)
    subgraph_builder.add_edge(START, "subgraph_node_1")
    subgraph_builder.add_edge("subgraph_node_1", "subgraph_node_2")
    subgraph = subgraph_builder.compile()

    def node_2(state: ParentState):
        t.calls["node_2"] += 1
        response = subgraph.invoke({"bar": state["foo"]})
        return {"foo": response["bar"]}

    builder = StateGraph(ParentState)
    builder.add_node("node_1", counted(t, "node_1", lambda state: {"foo": "hi! " + state["foo"]}))
    builder.add_node("node_2", node_2)
    builder.add_edge(START, "node_1")
    builder.add_edge("node_1", "node_2")
    return builder


def test_different_state_schemas(env, thread):
    d = Differential(make_different, tid(thread), subgraphs=True)
    outcomes = d.invoke({"foo": "foo"})
    assert outcomes["graphcompat"].raw == {"foo": "hi! foobaz"}


# -- use-subgraphs: view interrupted subgraph state ------------------------------------------


class State(TypedDict):
    foo: str


def make_interrupted(StateGraph, START, END, t):
    def subgraph_node_1(state: State):
        t.calls["subgraph_node_1"] += 1
        value = t.interrupt("Provide value:")
        return {"foo": state["foo"] + value}

    subgraph_builder = StateGraph(State)
    subgraph_builder.add_node(subgraph_node_1)
    subgraph_builder.add_edge(START, "subgraph_node_1")
    subgraph = subgraph_builder.compile()

    builder = StateGraph(State)
    builder.add_node("before", counted(t, "before", lambda state: {"foo": state["foo"] + "<"}))
    builder.add_node("node_1", subgraph)
    builder.add_edge(START, "before")
    builder.add_edge("before", "node_1")
    return builder


def test_view_interrupted_subgraph_state_and_resume(env, thread):
    d = Differential(make_interrupted, tid(thread), subgraphs=True)
    outcomes = d.invoke({"foo": ""})
    assert [i.value for i in outcomes["graphcompat"].raw["__interrupt__"]] == ["Provide value:"]
    sub = d.gc.graph.get_state(d.gc.config, subgraphs=True).tasks[0].state
    assert sub.next == ("subgraph_node_1",)
    assert sub.config["configurable"]["checkpoint_ns"].startswith("node_1:")
    outcomes = d.resume("bar")
    assert outcomes["graphcompat"].raw == {"foo": "<bar"}
    assert d.gc.t.calls["before"] == 1  # the parent's node before the subgraph did not run again


def make_invoked_interrupt(StateGraph, START, END, t):
    """interrupt() in a subgraph that a node invokes with its own mapping."""

    def ask(state: OtherState):
        t.calls["ask"] += 1
        answer = t.interrupt({"question": state["bar"]})
        return {"baz": answer}

    sub = StateGraph(OtherState)
    sub.add_node("ask", ask)
    sub.add_node("done", counted(t, "done", lambda s: {"bar": s["bar"] + "/" + s["baz"]}))
    sub.add_edge(START, "ask")
    sub.add_edge("ask", "done")
    subgraph = sub.compile()

    def call(state: ParentState):
        t.calls["call"] += 1
        return {"foo": subgraph.invoke({"bar": state["foo"]})["bar"]}

    builder = StateGraph(ParentState)
    builder.add_node("call", call)
    builder.add_node("after", counted(t, "after", lambda s: {"foo": s["foo"] + "!"}))
    builder.add_edge(START, "call")
    builder.add_edge("call", "after")
    return builder


def test_interrupt_in_a_subgraph_invoked_from_a_node(env, thread):
    d = Differential(make_invoked_interrupt, tid(thread), subgraphs=True)
    d.invoke({"foo": "q"})
    outcomes = d.resume("yes")
    assert outcomes["graphcompat"].raw == {"foo": "q/yes!"}


class Multi(TypedDict, total=False):
    answers: Annotated[list, operator.add]


def make_two_interrupts(StateGraph, START, END, t):
    def first(state: Multi):
        t.calls["first"] += 1
        return {"answers": [t.interrupt("first?")]}

    def second(state: Multi):
        t.calls["second"] += 1
        return {"answers": [t.interrupt("second?")]}

    sub = StateGraph(Multi)
    sub.add_node("first", first)
    sub.add_node("second", second)
    sub.add_edge(START, "first")
    sub.add_edge("first", "second")
    builder = StateGraph(Multi)
    builder.add_node("sub", sub.compile())
    builder.add_edge(START, "sub")
    return builder


def test_two_interrupts_in_a_row_inside_a_subgraph(env, thread):
    d = Differential(make_two_interrupts, tid(thread), subgraphs=True)
    d.invoke({"answers": []})
    d.resume("one")
    outcomes = d.resume("two")
    assert outcomes["graphcompat"].raw == {"answers": ["one", "two"]}
    assert d.gc.t.calls["first"] == 2  # once to interrupt, once resumed; never again after


def make_static(StateGraph, START, END, t):
    sub = StateGraph(SubgraphState)
    sub.add_node("s1", counted(t, "s1", lambda s: {"bar": "bar"}))
    sub.add_node("s2", counted(t, "s2", lambda s: {"foo": s["foo"] + s["bar"]}))
    sub.add_edge(START, "s1")
    sub.add_edge("s1", "s2")
    builder = StateGraph(ParentState)
    builder.add_node("sub", sub.compile(interrupt_before=["s2"]))
    builder.add_edge(START, "sub")
    return builder


def test_update_state_on_an_interrupted_subgraph_then_resume_the_parent(env, thread):
    d = Differential(make_interrupted, tid(thread), subgraphs=True)
    d.invoke({"foo": ""})
    sub = d.each(lambda s: s.graph.get_state(s.config, subgraphs=True).tasks[0].state.config)
    d.update_state({"foo": "edited"}, at=type(d.latest())(sub))
    outcomes = d.resume("!")
    assert outcomes["graphcompat"].raw == {"foo": "edited!"}


def test_breakpoint_inside_a_subgraph_update_its_state_then_resume(env, thread):
    d = Differential(make_static, tid(thread), subgraphs=True)
    d.invoke({"foo": "f"})
    sub = d.each(lambda s: s.graph.get_state(s.config, subgraphs=True).tasks[0].state.config)
    d.update_state({"bar": "BAR"}, at=type(d.latest())(sub))
    outcomes = d.invoke(None)
    assert outcomes["graphcompat"].raw == {"foo": "fBAR"}
    assert d.gc.t.calls == {"s1": 1, "s2": 1}


# -- use-graph-api: navigate to a node in a parent graph -------------------------------------


class Foo(TypedDict):
    foo: Annotated[str, operator.add]


def make_parent_command(StateGraph, START, END, t):
    def node_a(state: Foo):
        t.calls["node_a"] += 1
        return t.Command(update={"foo": "a"}, goto="node_c", graph=t.Command.PARENT)

    subgraph = StateGraph(Foo).add_node(node_a).add_edge(START, "node_a").compile()
    builder = StateGraph(Foo)
    builder.add_edge(START, "subgraph")
    builder.add_node("subgraph", subgraph)
    builder.add_node("node_b", counted(t, "node_b", lambda s: {"foo": "b"}))
    builder.add_node("node_c", counted(t, "node_c", lambda s: {"foo": "c"}))
    return builder


def test_command_parent_navigates_the_parent_graph(env, thread):
    d = Differential(make_parent_command, tid(thread))
    outcomes = d.invoke({"foo": ""})
    assert outcomes["graphcompat"].raw == {"foo": "ac"}


class Topics(TypedDict, total=False):
    summaries: Annotated[list, operator.add]


class Topic(TypedDict, total=False):
    topic: str
    summaries: Annotated[list, operator.add]


def make_send_into_subgraph(StateGraph, START, END, t):
    sub = StateGraph(Topic)
    sub.add_node("summarize", counted(t, "summarize", lambda s: {"summaries": ["about " + s["topic"]]}))
    sub.add_edge(START, "summarize")

    builder = StateGraph(Topics)
    builder.add_node("sub", sub.compile())
    builder.add_conditional_edges(START, lambda s: [t.Send("sub", {"topic": x}) for x in ("cats", "dogs")])
    return builder


def test_send_into_a_subgraph_node(env, thread):
    d = Differential(make_send_into_subgraph, tid(thread))
    outcomes = d.invoke({"summaries": []})
    assert outcomes["graphcompat"].raw["summaries"] == ["about cats", "about dogs"]


# -- the how-to's programs with only the imports swapped: same printed lines -------------------

SHARED_PROGRAM = """
from typing_extensions import TypedDict
from {lib}.graph.state import StateGraph, START

class SubgraphState(TypedDict):
    foo: str
    bar: str

def subgraph_node_1(state: SubgraphState):
    return {{"bar": "bar"}}

def subgraph_node_2(state: SubgraphState):
    return {{"foo": state["foo"] + state["bar"]}}

subgraph_builder = StateGraph(SubgraphState)
subgraph_builder.add_node(subgraph_node_1)
subgraph_builder.add_node(subgraph_node_2)
subgraph_builder.add_edge(START, "subgraph_node_1")
subgraph_builder.add_edge("subgraph_node_1", "subgraph_node_2")
subgraph = subgraph_builder.compile()

class ParentState(TypedDict):
    foo: str

def node_1(state: ParentState):
    return {{"foo": "hi! " + state["foo"]}}

builder = StateGraph(ParentState)
builder.add_node("node_1", node_1)
builder.add_node("node_2", subgraph)
builder.add_edge(START, "node_1")
builder.add_edge("node_1", "node_2")
graph = builder.compile()

for chunk in graph.stream({{"foo": "foo"}}, stream_mode="updates"):
    print(chunk)
print(graph.invoke({{"foo": "foo"}}))
print(sorted(graph.get_graph(xray=True).nodes))
"""

DIFFERENT_PROGRAM = """
from typing_extensions import TypedDict
from {lib}.graph.state import StateGraph, START

class SubgraphState(TypedDict):
    bar: str
    baz: str

def subgraph_node_1(state: SubgraphState):
    return {{"baz": "baz"}}

def subgraph_node_2(state: SubgraphState):
    return {{"bar": state["bar"] + state["baz"]}}

subgraph_builder = StateGraph(SubgraphState)
subgraph_builder.add_node(subgraph_node_1)
subgraph_builder.add_node(subgraph_node_2)
subgraph_builder.add_edge(START, "subgraph_node_1")
subgraph_builder.add_edge("subgraph_node_1", "subgraph_node_2")
subgraph = subgraph_builder.compile()

class ParentState(TypedDict):
    foo: str

def node_1(state: ParentState):
    return {{"foo": "hi! " + state["foo"]}}

def node_2(state: ParentState):
    response = subgraph.invoke({{"bar": state["foo"]}})
    return {{"foo": response["bar"]}}

builder = StateGraph(ParentState)
builder.add_node("node_1", node_1)
builder.add_node("node_2", node_2)
builder.add_edge(START, "node_1")
builder.add_edge("node_1", "node_2")
graph = builder.compile()

for chunk in graph.stream({{"foo": "foo"}}, stream_mode="updates"):
    print(chunk)
"""

INTERRUPTED_PROGRAM = """
from {lib}.graph import START, StateGraph
from {lib}.checkpoint.memory import MemorySaver
from {lib}.types import interrupt, Command
from typing_extensions import TypedDict

class State(TypedDict):
    foo: str

def subgraph_node_1(state: State):
    value = interrupt("Provide value:")
    return {{"foo": state["foo"] + value}}

subgraph_builder = StateGraph(State)
subgraph_builder.add_node(subgraph_node_1)
subgraph_builder.add_edge(START, "subgraph_node_1")
subgraph = subgraph_builder.compile()

builder = StateGraph(State)
builder.add_node("node_1", subgraph)
builder.add_edge(START, "node_1")
checkpointer = MemorySaver()
graph = builder.compile(checkpointer=checkpointer)

config = {{"configurable": {{"thread_id": "{thread}"}}}}
print([i.value for i in graph.invoke({{"foo": ""}}, config)["__interrupt__"]])
parent_state = graph.get_state(config)
print(parent_state.next, parent_state.tasks[0].state["configurable"]["checkpoint_ns"].split(":")[0])
subgraph_state = graph.get_state(config, subgraphs=True).tasks[0].state
print(subgraph_state.values, subgraph_state.next, [i.value for i in subgraph_state.interrupts])
print(graph.invoke(Command(resume="bar"), config))
print(graph.get_state(config, subgraphs=True).tasks)
"""

PARENT_PROGRAM = """
import operator
from typing_extensions import Annotated, TypedDict
from {lib}.graph import START, StateGraph
from {lib}.types import Command

class State(TypedDict):
    foo: Annotated[str, operator.add]

def node_a(state: State):
    print("Called A")
    value = "b"
    goto = "node_b" if value == "a" else "node_c"
    return Command(update={{"foo": value}}, goto=goto, graph=Command.PARENT)

subgraph = StateGraph(State).add_node(node_a).add_edge(START, "node_a").compile()

def node_b(state: State):
    print("Called B")
    return {{"foo": "b"}}

def node_c(state: State):
    print("Called C")
    return {{"foo": "c"}}

builder = StateGraph(State)
builder.add_edge(START, "subgraph")
builder.add_node("subgraph", subgraph)
builder.add_node(node_b)
builder.add_node(node_c)
graph = builder.compile()
print(graph.invoke({{"foo": ""}}))
"""


def _printed(program: str, lib: str, thread: str, capsys) -> list[str]:
    capsys.readouterr()
    exec(compile(program.format(lib=lib, thread=f"{lib}-{thread}"), f"<{lib} program>", "exec"), {"__name__": f"prog_{lib}"})
    return capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("program", [SHARED_PROGRAM, DIFFERENT_PROGRAM, INTERRUPTED_PROGRAM, PARENT_PROGRAM], ids=["shared", "different", "interrupted", "parent"])
def test_the_how_to_programs_print_what_langgraph_prints(env, thread, capsys, program):
    expected = _printed(program, "langgraph", tid(thread), capsys)
    assert _printed(program, "graphcompat", tid(thread), capsys) == expected
    assert expected  # the program printed something


# -- time travel across a subgraph ---------------------------------------------------------------


def test_replay_from_the_parent_checkpoint_where_the_subgraph_waited(env, thread):
    d = Differential(make_interrupted, tid(thread), subgraphs=True)
    d.invoke({"foo": ""})
    d.resume("bar")
    waiting = d.checkpoint(step=1)  # after `before`, while node_1 (the subgraph) was next
    d.invoke(None, at=waiting)  # replay: the subgraph starts again and interrupts again
    outcomes = d.resume("baz")
    assert outcomes["graphcompat"].raw == {"foo": "<baz"}


def test_fork_the_parent_before_the_subgraph(env, thread):
    d = Differential(make_interrupted, tid(thread), subgraphs=True)
    d.invoke({"foo": ""})
    d.resume("bar")
    fork = d.update_state({"foo": "forked"}, at=d.checkpoint(step=1))
    d.invoke(None, at=fork)
    outcomes = d.resume("!")
    assert outcomes["graphcompat"].raw == {"foo": "forked!"}


# -- a subgraph with its own memory: compile(checkpointer=True) ---------------------------------


class Seen(TypedDict, total=False):
    seen: Annotated[list, operator.add]
    last: str


class Last(TypedDict):
    last: str


def make_own_memory(StateGraph, START, END, t):
    sub = StateGraph(Seen)
    def remember(s):
        return {"seen": [s["last"]], "last": ",".join(s.get("seen", []) + [s["last"]])}

    sub.add_node("remember", counted(t, "remember", remember))
    sub.add_edge(START, "remember")
    builder = StateGraph(Last)
    builder.add_node("agent", sub.compile(checkpointer=True))
    builder.add_edge(START, "agent")
    return builder


def test_a_subgraph_compiled_with_checkpointer_true_keeps_its_state_across_calls(env, thread):
    d = Differential(make_own_memory, tid(thread), subgraphs=True)
    d.invoke({"last": "a"})
    outcomes = d.invoke({"last": "b"})
    assert outcomes["graphcompat"].raw == {"last": "a,b"}
    agent = {"configurable": {"thread_id": tid(thread), "checkpoint_ns": "agent"}}
    # the subgraph's one namespace ("agent") holds both calls, on both libraries
    d.same("history of namespace 'agent'", d.each(lambda s: history_view(list(s.graph.get_state_history(agent)), s.name)))


# -- a failing subgraph node -----------------------------------------------------------------------


def make_failing(StateGraph, START, END, t):
    def flaky(state: SubgraphState):
        t.calls["flaky"] += 1
        if t.calls["flaky"] == 1:
            raise ConnectionError("Simulated API failure!")
        return {"foo": state["foo"] + state["bar"]}

    sub = StateGraph(SubgraphState)
    sub.add_node("prepare", counted(t, "prepare", lambda s: {"bar": "+"}))
    sub.add_node("flaky", flaky)
    sub.add_edge(START, "prepare")
    sub.add_edge("prepare", "flaky")
    builder = StateGraph(ParentState)
    builder.add_node("before", counted(t, "before", lambda s: {"foo": s["foo"] + "<"}))
    builder.add_node("team", sub.compile())
    builder.add_edge(START, "before")
    builder.add_edge("before", "team")
    return builder


def test_a_failing_subgraph_node_fails_the_parent_with_its_own_error_then_resumes(env, thread):
    d = Differential(make_failing, tid(thread), subgraphs=True)
    outcomes = d.invoke({"foo": "x"})
    assert type(outcomes["graphcompat"].exc) is ConnectionError
    assert str(outcomes["graphcompat"].exc) == "Simulated API failure!"
    outcomes = d.invoke(None)
    assert outcomes["graphcompat"].raw == {"foo": "x<+"}
    assert d.gc.t.calls["before"] == 1


# -- parallel subgraphs waiting at once: answered by interrupt id -------------------------------------


class Asked(TypedDict, total=False):
    topic: str
    answers: Annotated[list, operator.add]


def make_parallel_asks(StateGraph, START, END, t):
    def ask(state: Asked):
        t.calls["ask"] += 1
        return {"answers": [state["topic"] + "=" + t.interrupt(f"about {state['topic']}?")]}

    sub = StateGraph(Asked)
    sub.add_node("ask", ask)
    sub.add_edge(START, "ask")
    builder = StateGraph(Multi)
    builder.add_node("sub", sub.compile())
    builder.add_conditional_edges(START, lambda s: [t.Send("sub", {"topic": x}) for x in ("cats", "dogs")])
    return builder


def test_parallel_subgraph_interrupts_are_answered_by_id(env, thread):
    d = Differential(make_parallel_asks, tid(thread), subgraphs=True)
    d.transcript.append("invoke({'answers': []})")
    outcomes = d._call(lambda s: s.graph.invoke({"answers": []}, s.cfg()))
    # LangGraph lists parallel subgraphs' interrupts in the order they happened to stop (threads): as a set
    d.same("invoke / interrupts", {k: sorted(o.interrupts) for k, o in outcomes.items()})
    assert sorted(outcomes["graphcompat"].interrupts) == ["about cats?", "about dogs?"]
    d.check()

    def answer_all(side):
        pending = side.graph.get_state(side.config).interrupts
        return side.graph.invoke(side.lib.Command(resume={i.id: i.value.split()[1].rstrip("?") + "!" for i in pending}), side.cfg())

    d.transcript.append("resume({id: answer, ...})")
    results = d._call(answer_all)
    assert results["graphcompat"].raw == {"answers": ["cats=cats!", "dogs=dogs!"]}
    d.same("resume by id / outcome", {k: v.view() for k, v in results.items()})
    d.check()
