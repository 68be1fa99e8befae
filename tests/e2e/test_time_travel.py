"""Time travel on the durable runtime: replay, update_state, fork, breakpoints, interrupts.

The lesson's time-travel section runs here with the two corrections that
BEHAVIOUR.md lists ("Where the lesson is wrong").
"""

from __future__ import annotations

import threading
from operator import add
from typing import Annotated, TypedDict

import pytest

from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.errors import InvalidUpdateError, ThreadBusyError, UnknownCheckpointError, UnknownNodeError, UnknownStateKeyError
from graphcompat.graph import END, START, MessagesState, StateGraph
from graphcompat.types import Command, interrupt

from .replay import replay_thread


def research_graph(*, accumulate: bool, calls: list[str] | None = None):
    calls = calls if calls is not None else []

    if accumulate:
        class ResearchState(MessagesState):
            query: str
            sources: Annotated[list[str], add]
            summary: str
    else:
        class ResearchState(MessagesState):  # type: ignore[no-redef]
            query: str
            sources: list[str]
            summary: str

    def search_node(state: ResearchState) -> dict:
        calls.append("search")
        return {"sources": ["source_1.pdf", "source_2.pdf"]}

    def analyze_node(state: ResearchState) -> dict:
        calls.append("analyze")
        return {"summary": f"Found {len(state['sources'])} sources"}

    builder = StateGraph(ResearchState)
    builder.add_node("search", search_node)
    builder.add_node("analyze", analyze_node)
    builder.add_edge(START, "search")
    builder.add_edge("search", "analyze")
    builder.add_edge("analyze", END)
    return builder.compile(checkpointer=InMemorySaver())


INPUT = {"messages": [], "query": "state management", "sources": [], "summary": ""}


def _search_checkpoint(graph, config):
    history = list(graph.get_state_history(config))
    for snapshot in history:
        if snapshot.metadata.get("step") == 2:
            return snapshot.config
    raise AssertionError("no step-2 checkpoint")


def test_replay_writes_a_fork_copy_and_reruns_what_followed(env, thread):
    calls: list[str] = []
    graph = research_graph(accumulate=False, calls=calls)
    graph.invoke(INPUT, thread)
    search_checkpoint = _search_checkpoint(graph, thread)
    before = list(graph.get_state_history(thread))

    replay_result = graph.invoke(None, search_checkpoint)
    assert replay_result["summary"] == "Found 2 sources"
    assert calls == ["search", "analyze", "analyze"]  # analyze ran again, search did not

    after = list(graph.get_state_history(thread))
    assert len(after) == len(before) + 2  # the fork copy, then analyze's checkpoint
    fork, rerun = after[1], after[0]
    assert fork.metadata["source"] == "fork"
    assert fork.metadata["step"] == 3
    assert fork.parent_config["configurable"]["checkpoint_id"] == search_checkpoint["configurable"]["checkpoint_id"]
    assert fork.next == ("analyze",)
    assert rerun.metadata["source"] == "loop" and rerun.metadata["step"] == 4
    # history is never rewritten
    old = {s.config["configurable"]["checkpoint_id"]: s for s in before}
    for snap in after:
        if snap.config["configurable"]["checkpoint_id"] in old:
            assert snap.values == old[snap.config["configurable"]["checkpoint_id"]].values
    replay_thread(env, thread["configurable"]["thread_id"])


def test_lesson_fork_without_reducer_prints_two_sources(env, thread):
    """Correction 1 and 2: no reducer overwrites; the fork continues from update_state's config."""
    graph = research_graph(accumulate=False)
    graph.invoke(INPUT, thread)
    search_checkpoint_config = _search_checkpoint(graph, thread)

    forked_config = graph.update_state(
        search_checkpoint_config,
        values={"sources": ["extra_source_3.pdf", "extra_source_4.pdf"]},
        as_node="search",
    )
    forked_result = graph.invoke(None, forked_config)
    assert forked_result["summary"] == "Found 2 sources"
    assert forked_result["sources"] == ["extra_source_3.pdf", "extra_source_4.pdf"]


def test_lesson_fork_with_add_reducer_prints_four_sources(env, thread):
    graph = research_graph(accumulate=True)
    graph.invoke(INPUT, thread)
    search_checkpoint_config = _search_checkpoint(graph, thread)
    forked_config = graph.update_state(
        search_checkpoint_config,
        values={"sources": ["extra_source_3.pdf", "extra_source_4.pdf"]},
        as_node="search",
    )
    assert forked_config["configurable"]["checkpoint_id"] != search_checkpoint_config["configurable"]["checkpoint_id"]
    forked_result = graph.invoke(None, forked_config)
    assert forked_result["summary"] == "Found 4 sources"

    history = list(graph.get_state_history(thread))
    update = next(s for s in history if s.metadata["source"] == "update")
    assert update.parent_config["configurable"]["checkpoint_id"] == search_checkpoint_config["configurable"]["checkpoint_id"]
    assert update.next == ("analyze",)
    assert update.metadata["step"] == 3
    # both branches are in the history: two checkpoints share the step-2 parent
    children = [s for s in history if s.parent_config and s.parent_config["configurable"]["checkpoint_id"] == search_checkpoint_config["configurable"]["checkpoint_id"]]
    assert sorted(s.metadata["source"] for s in children) == ["loop", "update"]
    # invoking with the ORIGINAL config replays the original branch (correction 2)
    replayed = graph.invoke(None, search_checkpoint_config)
    assert replayed["summary"] == "Found 2 sources"
    replay_thread(env, thread["configurable"]["thread_id"])


class Acc(TypedDict):
    items: Annotated[list[str], add]
    status: str


def acc_graph():
    builder = StateGraph(Acc)
    builder.add_node("search", lambda s: {"items": ["searched"]})
    builder.add_node("analyze", lambda s: {"status": "analyzed"})
    builder.add_node("report", lambda s: {"status": "reported"})
    builder.add_edge(START, "search")
    builder.add_edge("search", "analyze")
    builder.add_edge("analyze", "report")
    builder.add_edge("report", END)
    return builder.compile(checkpointer=InMemorySaver(), interrupt_before=["report"])


def test_update_state_goes_through_reducers_and_as_node_decides_next(env, thread):
    graph = acc_graph()
    graph.invoke({"items": [], "status": ""}, thread)
    assert graph.get_state(thread).next == ("report",)  # breakpoint before report

    graph.update_state(thread, values={"items": ["manually_added"]}, as_node="analyze")
    state = graph.get_state(thread)
    assert state.values["items"] == ["searched", "manually_added"]  # appended by the reducer
    assert state.next == ("report",)
    assert state.metadata["source"] == "update"

    graph.update_state(thread, values={"status": "manually_approved"}, as_node="analyze")
    assert graph.get_state(thread).values["status"] == "manually_approved"  # overwritten

    graph.update_state(thread, values={"status": "redo"}, as_node="search")
    assert graph.get_state(thread).next == ("analyze",)  # as the search node: analyze runs next

    final = graph.invoke(None, thread)  # breakpoint again before report
    assert graph.get_state(thread).next == ("report",)
    final = graph.invoke(None, thread)
    assert final["status"] == "reported"
    assert graph.get_state(thread).next == ()
    replay_thread(env, thread["configurable"]["thread_id"])


def test_update_state_errors_change_nothing(env, thread):
    graph = acc_graph()
    graph.invoke({"items": [], "status": ""}, thread)
    count = len(list(graph.get_state_history(thread)))
    with pytest.raises(UnknownNodeError, match="not a node of this graph"):
        graph.update_state(thread, {"status": "x"}, as_node="nope")
    with pytest.raises(UnknownStateKeyError, match="unknown state key.*'bogus'"):
        graph.update_state(thread, {"bogus": 1}, as_node="analyze")
    bad = {"configurable": {**thread["configurable"], "checkpoint_id": "01a00000-0000-7000-8000-000000000000"}}
    with pytest.raises(UnknownCheckpointError, match="does not exist"):
        graph.update_state(bad, {"status": "x"}, as_node="analyze")
    assert len(list(graph.get_state_history(thread))) == count


def test_update_state_seeds_an_empty_thread(env, thread):
    graph = acc_graph()
    config = graph.update_state(thread, {"items": ["seed"], "status": "new"})
    state = graph.get_state(thread)
    assert state.values == {"items": ["seed"], "status": "new"}
    assert state.next == ("search",)
    assert config["configurable"]["checkpoint_id"] == state.config["configurable"]["checkpoint_id"]


def test_update_state_refuses_a_thread_with_a_run_in_flight(env, thread):
    started, release = threading.Event(), threading.Event()

    def slow(state: Acc) -> dict:
        started.set()
        release.wait(30)
        return {"status": "slow done"}

    builder = StateGraph(Acc)
    builder.add_node("slow", slow)
    builder.add_edge(START, "slow")
    graph = builder.compile(checkpointer=InMemorySaver())
    box: dict = {}
    runner = threading.Thread(target=lambda: box.setdefault("r", graph.invoke({"items": []}, thread)))
    runner.start()
    assert started.wait(30)
    try:
        with pytest.raises(ThreadBusyError, match="already has a run in flight"):
            graph.update_state(thread, {"status": "sneaky"}, as_node="slow")
        with pytest.raises(ThreadBusyError, match="one run per thread"):
            graph.invoke({"items": []}, thread)
    finally:
        release.set()
        runner.join(30)
    assert box["r"]["status"] == "slow done"


def test_ambiguous_update_after_a_parallel_step(env, thread):
    builder = StateGraph(Acc)
    builder.add_node("a", lambda s: {"items": ["a"]})
    builder.add_node("b", lambda s: {"items": ["b"]})
    builder.add_edge(START, "a")
    builder.add_edge(START, "b")
    graph = builder.compile(checkpointer=InMemorySaver())
    graph.invoke({"items": []}, thread)
    with pytest.raises(InvalidUpdateError, match="Ambiguous update"):
        graph.update_state(thread, {"status": "x"})


class Ask(TypedDict):
    question: str
    answers: Annotated[list[str], add]


def test_dynamic_interrupt_and_resume(env, thread):
    runs: list[str] = []

    def ask(state: Ask) -> dict:
        runs.append("ask")
        first = interrupt({"q": state["question"]})
        second = interrupt("and then?")
        return {"answers": [first, second]}

    builder = StateGraph(Ask)
    builder.add_node("ask", ask)
    builder.add_edge(START, "ask")
    graph = builder.compile(checkpointer=InMemorySaver())
    out = graph.invoke({"question": "why?"}, thread)
    assert [i.value for i in out["__interrupt__"]] == [{"q": "why?"}]
    state = graph.get_state(thread)
    assert state.next == ("ask",)
    assert [i.value for i in state.interrupts] == [{"q": "why?"}]
    assert state.tasks[0].interrupts[0].value == {"q": "why?"}

    out = graph.invoke(Command(resume="because"), thread)
    assert [i.value for i in out["__interrupt__"]] == ["and then?"]
    out = graph.invoke(Command(resume="done"), thread)
    assert out["answers"] == ["because", "done"]
    assert runs == ["ask", "ask", "ask"]  # the node re-ran from its start each time
    assert graph.get_state(thread).next == ()
    replay_thread(env, thread["configurable"]["thread_id"])


def test_resume_without_pending_interrupt_just_resumes(env, thread):
    """As in LangGraph: Command(resume=...) with nothing to answer resumes the thread."""
    graph = acc_graph()
    graph.invoke({"items": [], "status": ""}, thread)  # stops before report
    assert graph.invoke(Command(resume="x"), thread)["status"] == "reported"


def test_pictures_of_the_graph_and_of_the_checkpoint_tree(env, thread):
    graph = research_graph(accumulate=True)
    drawing = graph.get_graph().draw_mermaid()
    assert drawing.startswith("graph TD;")
    assert "__start__ --> search;" in drawing and "search --> analyze;" in drawing and "analyze --> __end__;" in drawing
    graph.invoke(INPUT, thread)
    graph.update_state(_search_checkpoint(graph, thread), {"sources": ["x.pdf"]}, as_node="search")
    tree = graph.draw_history_mermaid(thread)
    assert tree.startswith("flowchart")
    # five checkpoints: four solid edges along the run, a dotted one to the update's branch
    assert tree.count(" --> ") == 3 and tree.count(" -.-> ") == 1
    assert "step 3 · update" in tree
