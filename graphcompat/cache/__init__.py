"""Node caching, as LangGraph's ``langgraph.cache``: ``compile(cache=InMemoryCache())`` turns it on.

graphcompat keeps cached node results in the graph's snapshot store (a table
in SQLite and Postgres, a dict in ``InMemorySaver``), whichever cache class is
given: so they survive restarts and every worker of the store shares them.
The class says only that the graph caches; ``CachePolicy`` on a node says
which nodes and for how long.
"""

from graphcompat.cache.base import BaseCache

__all__ = ["BaseCache"]
