"""``graphcompat demo``: the lesson's pipeline on the embedded default.

It fails once at ``analyze``, resumes from the checkpoint (``gather`` does not
run again), prints the checkpoint history and the Web UI address where the
runs can be watched. Snapshots go to a SQLite file under the state directory.
"""

from __future__ import annotations

import uuid
from operator import add
from typing import Annotated, TypedDict

from graphcompat.graph import END, START, StateGraph


class PipelineState(TypedDict):
    query: str
    sources: Annotated[list[str], add]
    analysis: str
    report: str


def main() -> int:
    from graphcompat._devserver import state_dir
    from graphcompat._runtime import get_runtime
    from graphcompat.checkpoint.sqlite import SqliteSaver

    analyze_calls: list[int] = []

    def gather_sources(state: PipelineState) -> dict:
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

    store_path = state_dir() / "demo.db"
    with SqliteSaver.from_conn_string(str(store_path)) as saver:
        graph = builder.compile(checkpointer=saver, name="demo-pipeline")
        thread_id = f"pipeline-{uuid.uuid4().hex[:8]}"
        config = {"configurable": {"thread_id": thread_id}}
        print(f"=== First attempt (thread {thread_id}) ===")
        try:
            graph.invoke({"query": "state management", "sources": [], "analysis": "", "report": ""}, config)
        except ConnectionError as e:
            snapshot = graph.get_state(config)
            print(f"  Failed: {e}")
            print(f"  Saved sources: {snapshot.values.get('sources', [])}")
            print(f"  Next node: {snapshot.next}")
            print(f"  Resume point: checkpoint {snapshot.config['configurable']['checkpoint_id']}")
        print("\n=== Resuming ===")
        result = graph.invoke(None, config)
        print(f"  Final report: {result['report']}")
        print("\n=== Checkpoint History ===")
        for snap in graph.get_state_history(config):
            metadata = snap.metadata or {}
            writes = metadata.get("writes") or {}
            node = list(writes.keys())[0] if writes else "initial"
            print(f"  Step {metadata['step']}: {node:<10} source={metadata['source']:<6} next={snap.next}")
        runtime = get_runtime()
        print(f"\nSnapshots: {store_path}")
        if runtime.ui_url:
            print(f"Temporal Web UI: {runtime.ui_url}  (workflow id graphcompat-thread:{thread_id})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
