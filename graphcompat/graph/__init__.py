"""Graph building: ``StateGraph``, ``START``, ``END``, ``MessagesState``, ``add_messages``.

Mirrors ``langgraph.graph``: swap the import and the same code builds the
same graph, which then runs durably on Temporal.
"""

from graphcompat._constants import END, START
from graphcompat.graph._builder import StateGraph
from graphcompat.graph._compiled import CompiledStateGraph
from graphcompat.graph.message import MessageGraph, MessagesState, add_messages

__all__ = ["END", "START", "CompiledStateGraph", "MessageGraph", "MessagesState", "StateGraph", "add_messages"]
