"""``SqliteCache`` (LangGraph's ``langgraph.cache.sqlite``)."""

from graphcompat.cache.base import BaseCache

__all__ = ["SqliteCache"]


class SqliteCache(BaseCache):
    """LangGraph's SQLite cache. In graphcompat, cached results go to the graph's snapshot store
    (its ``node_cache`` table with ``SqliteSaver``/``PostgresSaver``); the ``path`` is not used."""
