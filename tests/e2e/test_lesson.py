"""The lesson's first two programs, with only the imports swapped, on a real Temporal server.

Each program is the lesson's code as written (``langgraph`` -> ``graphcompat``);
the assertions are what the lesson prints.
"""

from __future__ import annotations

from operator import add
from typing import Annotated, TypedDict

from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.graph import END, START, MessagesState, StateGraph

from .replay import replay_thread


def build_research_graph():
    class ResearchState(MessagesState):
        query: str
        sources: list[str]
        summary: str

    def search_node(state: ResearchState) -> dict:
        # Super-step 1: search completes → checkpoint saved
        return {"sources": ["source_1.pdf", "source_2.pdf"]}

    def analyze_node(state: ResearchState) -> dict:
        # Super-step 2: analyze completes → checkpoint saved
        return {"summary": f"Found {len(state['sources'])} sources"}

    builder = StateGraph(ResearchState)
    builder.add_node("search", search_node)
    builder.add_node("analyze", analyze_node)
    builder.add_edge(START, "search")
    builder.add_edge("search", "analyze")
    builder.add_edge("analyze", END)
    return builder.compile(checkpointer=InMemorySaver())


def test_two_node_graph_writes_four_checkpoints(env, thread):
    graph = build_research_graph()
    config = thread
    result = graph.invoke({"messages": [], "query": "state management", "sources": [], "summary": ""}, config)
    assert result["summary"] == "Found 2 sources"

    history = list(graph.get_state_history(config))
    assert len(history) == 4  # "Total: 4 checkpoints for a 2-node graph"
    assert [s.metadata["step"] for s in history] == [3, 2, 1, 0]
    assert [s.metadata["source"] for s in history] == ["loop", "loop", "loop", "input"]
    nodes = [list(s.metadata["writes"].keys())[0] if s.metadata["writes"] else "—" for s in history]
    assert nodes == ["analyze", "search", "__start__", "—"]
    assert [s.next for s in history] == [(), ("analyze",), ("search",), ("__start__",)]
    assert history[-1].values == {}
    assert history[2].values == {"messages": [], "query": "state management", "sources": [], "summary": ""}
    assert history[1].values["sources"] == ["source_1.pdf", "source_2.pdf"]
    assert history[1].values["summary"] == ""
    # parents chain back to the input checkpoint
    for newer, older in zip(history, history[1:]):
        assert newer.parent_config["configurable"]["checkpoint_id"] == older.config["configurable"]["checkpoint_id"]
    assert history[-1].parent_config is None

    snapshot = graph.get_state(config)
    assert snapshot.values == {
        "messages": [],
        "query": "state management",
        "sources": ["source_1.pdf", "source_2.pdf"],
        "summary": "Found 2 sources",
    }
    assert snapshot.next == ()
    assert set(snapshot.config["configurable"]) == {"thread_id", "checkpoint_ns", "checkpoint_id"}
    assert snapshot.config["configurable"]["thread_id"] == config["configurable"]["thread_id"]
    assert snapshot.metadata["source"] == "loop"
    assert snapshot.metadata["writes"] == {"analyze": {"summary": "Found 2 sources"}}
    assert snapshot.metadata["step"] == 3
    assert "parents" in snapshot.metadata
    assert snapshot.tasks == ()
    assert snapshot.created_at
    assert replay_thread(env, config["configurable"]["thread_id"]) == 1


def run_exercise(thread_id: str) -> tuple[list, list]:
    """The lesson's hands-on solution, verbatim but for the imports and the thread id."""
    class PipelineState(TypedDict):
        query: str
        sources: Annotated[list[str], add]
        analysis: str
        report: str

    # Track invocations outside the graph
    analyze_calls = []
    gather_calls = []

    def gather_sources(state: PipelineState) -> dict:
        gather_calls.append(1)
        print("  [gather_sources] Running...")
        return {"sources": ["paper_1.pdf", "paper_2.pdf", "paper_3.pdf"]}

    def analyze_sources(state: PipelineState) -> dict:
        analyze_calls.append(1)
        print(f"  [analyze_sources] Attempt {len(analyze_calls)}...")

        if len(analyze_calls) == 1:
            raise ConnectionError("Simulated API failure!")

        return {"analysis": f"Analyzed {len(state['sources'])} sources successfully"}

    def write_report(state: PipelineState) -> dict:
        print("  [write_report] Running...")
        return {"report": f"Report: {state['analysis']}. Based on {len(state['sources'])} sources."}

    builder = StateGraph(PipelineState)
    builder.add_node("gather", gather_sources)
    builder.add_node("analyze", analyze_sources)
    builder.add_node("report", write_report)
    builder.add_edge(START, "gather")
    builder.add_edge("gather", "analyze")
    builder.add_edge("analyze", "report")
    builder.add_edge("report", END)

    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": thread_id}}

    # First attempt — fails at analyze
    print("=== First attempt ===")
    try:
        result = graph.invoke(
            {"query": "state management", "sources": [], "analysis": "", "report": ""},
            config
        )
    except ConnectionError as e:
        print(f"  Failed: {e}")
        snapshot = graph.get_state(config)
        print(f"  Saved sources: {snapshot.values.get('sources', [])}")
        print(f"  Next node: {snapshot.next}")

    # Resume — only analyze and report run
    print("\n=== Resuming ===")
    result = graph.invoke(None, config)
    print(f"  Final report: {result['report']}")

    # Show history
    print("\n=== Checkpoint History ===")
    for snap in graph.get_state_history(config):
        step = snap.metadata.get("step", "?")
        writes = snap.metadata.get("writes", {})
        node = list(writes.keys())[0] if writes else "initial"
        print(f"  Step {step}: {node}")
    return gather_calls, analyze_calls


LESSON_OUTPUT = """\
=== First attempt ===
  [gather_sources] Running...
  [analyze_sources] Attempt 1...
  Failed: Simulated API failure!
  Saved sources: ['paper_1.pdf', 'paper_2.pdf', 'paper_3.pdf']
  Next node: ('analyze',)

=== Resuming ===
  [analyze_sources] Attempt 2...
  [write_report] Running...
  Final report: Report: Analyzed 3 sources successfully. Based on 3 sources.

=== Checkpoint History ===
  Step 4: report
  Step 3: analyze
  Step 2: gather
  Step 1: __start__
  Step 0: initial
"""


def test_exercise_fails_once_resumes_and_prints_the_lessons_output(env, thread, capsys):
    thread_id = thread["configurable"]["thread_id"]
    gather_calls, analyze_calls = run_exercise(thread_id)
    assert capsys.readouterr().out == LESSON_OUTPUT
    assert len(gather_calls) == 1  # gather ran once
    assert len(analyze_calls) == 2  # analyze ran twice: once failed, once succeeded
    assert replay_thread(env, thread_id) == 2


def test_exercise_on_the_dev_server(local_env, thread, capsys):
    run_exercise(thread["configurable"]["thread_id"])
    assert capsys.readouterr().out == LESSON_OUTPUT
    assert replay_thread(local_env, thread["configurable"]["thread_id"]) == 2


def test_lesson_snapshot_and_history_blocks_print_what_the_lesson_prints(env, thread, capsys):
    graph = build_research_graph()
    config = thread
    graph.invoke({"messages": [], "query": "state management", "sources": [], "summary": ""}, config)
    capsys.readouterr()

    # "StateSnapshot — what gets saved"
    snapshot = graph.get_state(config)
    print(f"Values:   {snapshot.values}")
    print(f"Next:     {snapshot.next}")
    print(f"Config:   {snapshot.config}")
    print(f"Metadata: {snapshot.metadata}")
    print(f"Tasks:    {snapshot.tasks}")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "Values:   {'messages': [], 'query': 'state management', 'sources': ['source_1.pdf', 'source_2.pdf'], "
        "'summary': 'Found 2 sources'}"
    )
    assert lines[1] == "Next:     ()"
    assert lines[2].startswith("Config:   {'configurable': {'thread_id': '" + config["configurable"]["thread_id"])
    assert "'checkpoint_id': '" in lines[2]
    assert lines[3].startswith("Metadata: {'source': 'loop', 'step': 3, 'writes': {'analyze': {'summary': 'Found 2 sources'}}")
    assert lines[4] == "Tasks:    ()"

    # "Browsing state history"
    for snapshot in graph.get_state_history(config):
        step = snapshot.metadata.get("step", "?")
        source = snapshot.metadata.get("source", "?")
        writes = snapshot.metadata.get("writes", {})
        node_name = list(writes.keys())[0] if writes else "—"

        print(f"Step {step} | Source: {source} | Node: {node_name}")
        print(f"  State: {snapshot.values}")
        print(f"  Next:  {snapshot.next}")
        print()
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if line.startswith("Step ")] == [
        "Step 3 | Source: loop | Node: analyze",
        "Step 2 | Source: loop | Node: search",
        "Step 1 | Source: loop | Node: __start__",
        "Step 0 | Source: input | Node: —",
    ]
    assert [line for line in out if line.startswith("  Next:")] == [
        "  Next:  ()",
        "  Next:  ('analyze',)",
        "  Next:  ('search',)",
        "  Next:  ('__start__',)",
    ]
    assert out[-3] == "  State: {}"  # the input checkpoint


def test_lesson_resume_block_with_a_random_failure(env, thread, capsys, monkeypatch):
    import random

    draws = iter([0.3, 0.9])  # the first call fails (< 0.5), the retry succeeds
    monkeypatch.setattr(random, "random", lambda: next(draws))

    class FailableState(MessagesState):
        data: list[str]
        processed: list[str]

    def fetch_node(state: FailableState) -> dict:
        """Fetches data — might fail."""
        return {"data": ["item_1", "item_2", "item_3"]}

    def process_node(state: FailableState) -> dict:
        """Processes data — randomly fails to simulate real conditions."""
        if random.random() < 0.5:
            raise ConnectionError("API timeout during processing")
        return {"processed": [f"processed_{d}" for d in state["data"]]}

    builder = StateGraph(FailableState)
    builder.add_node("fetch", fetch_node)
    builder.add_node("process", process_node)
    builder.add_edge(START, "fetch")
    builder.add_edge("fetch", "process")
    builder.add_edge("process", END)

    graph = builder.compile(checkpointer=InMemorySaver())
    config = thread

    # First attempt — might fail at process_node
    try:
        result = graph.invoke(
            {"messages": [], "data": [], "processed": []},
            config
        )
        print("Success:", result["processed"])
    except ConnectionError:
        print("Failed! But fetch_node's work is saved...")

        # Check what was saved
        snapshot = graph.get_state(config)
        print(f"Saved state: data={snapshot.values.get('data', [])}")
        print(f"Next nodes:  {snapshot.next}")

        # Resume — only process_node re-runs, fetch_node is skipped
        result = graph.invoke(None, config)
        print("Resumed successfully:", result["processed"])

    assert capsys.readouterr().out == (
        "Failed! But fetch_node's work is saved...\n"
        "Saved state: data=['item_1', 'item_2', 'item_3']\n"
        "Next nodes:  ('process',)\n"
        "Resumed successfully: ['processed_item_1', 'processed_item_2', 'processed_item_3']\n"
    )
