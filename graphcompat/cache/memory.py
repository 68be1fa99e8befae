"""``InMemoryCache`` (LangGraph's ``langgraph.cache.memory``)."""

from graphcompat.cache.base import BaseCache

__all__ = ["InMemoryCache"]


class InMemoryCache(BaseCache):
    """LangGraph's in-memory cache. In graphcompat, cached results go to the graph's snapshot store
    (in memory with ``InMemorySaver``, a table with ``SqliteSaver``/``PostgresSaver``)."""
