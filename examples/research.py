"""The lesson's first program: a 2-node research graph (search -> analyze)."""

from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.graph import END, START, MessagesState, StateGraph


class ResearchState(MessagesState):
    query: str
    sources: list[str]
    summary: str


def search_node(state: ResearchState) -> dict:
    return {"sources": ["source_1.pdf", "source_2.pdf"]}


def analyze_node(state: ResearchState) -> dict:
    return {"summary": f"Found {len(state['sources'])} sources"}


def build(checkpointer=None):
    builder = StateGraph(ResearchState)
    builder.add_node("search", search_node)
    builder.add_node("analyze", analyze_node)
    builder.add_edge(START, "search")
    builder.add_edge("search", "analyze")
    builder.add_edge("analyze", END)
    return builder.compile(checkpointer=checkpointer or InMemorySaver())


if __name__ == "__main__":
    graph = build()
    config = {"configurable": {"thread_id": "research_001"}}
    result = graph.invoke({"messages": [], "query": "state management", "sources": [], "summary": ""}, config)
    for snap in graph.get_state_history(config):
        print(snap.metadata["step"], snap.metadata["source"], snap.next, snap.values)
