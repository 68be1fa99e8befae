"""``langgraph.store.base`` counterpart: ``BaseStore`` (not supported yet; see :mod:`graphcompat.store`)."""

from __future__ import annotations

from typing import Any

from graphcompat.errors import StoreNotSupportedError

__all__ = ["BaseStore"]


class BaseStore:
    """LangGraph's cross-thread key-value store. Importable for type hints (``store: BaseStore``
    in a node's signature); creating one raises :class:`StoreNotSupportedError`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise StoreNotSupportedError(
            f"{type(self).__name__}: LangGraph's long-term memory store (BaseStore) is not supported by "
            "graphcompat yet. Keep what must outlive a thread in your own database, read from a node.",
            feature="BaseStore",
        )
