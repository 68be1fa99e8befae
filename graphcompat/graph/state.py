"""``langgraph.graph.state`` counterpart."""

from graphcompat.graph._builder import StateGraph
from graphcompat.graph._compiled import CompiledStateGraph

__all__ = ["CompiledStateGraph", "StateGraph"]
