"""``langgraph.graph.state`` counterpart: ``StateGraph``, ``CompiledStateGraph``, ``START``, ``END``."""

from graphcompat._constants import END, START
from graphcompat.graph._builder import StateGraph
from graphcompat.graph._compiled import CompiledStateGraph

__all__ = ["END", "START", "CompiledStateGraph", "StateGraph"]
