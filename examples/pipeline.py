"""The lesson's hands-on exercise, unchanged but for the imports: fails once, resumes, prints its history."""

from typing import Annotated, TypedDict
from operator import add
from graphcompat.graph import StateGraph, START, END
from graphcompat.checkpoint.memory import InMemorySaver

class PipelineState(TypedDict):
    query: str
    sources: Annotated[list[str], add]
    analysis: str
    report: str

# Track invocations outside the graph
analyze_calls = []

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

graph = builder.compile(checkpointer=InMemorySaver())
config = {"configurable": {"thread_id": "pipeline_001"}}

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
