"""``BaseCache``: what ``compile(cache=...)`` takes (LangGraph's ``langgraph.cache.base``)."""

from __future__ import annotations

from typing import Any

__all__ = ["BaseCache"]


class BaseCache:
    """Turns node caching on for a compiled graph; the entries live in the graph's snapshot store.

    Constructor arguments LangGraph's caches take (a serializer, a path) are
    accepted and unused: the snapshot store decides where entries are kept.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
