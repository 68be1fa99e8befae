"""``langgraph.store.memory`` counterpart: ``InMemoryStore`` (not supported yet; see :mod:`graphcompat.store`)."""

from graphcompat.store.base import BaseStore

__all__ = ["InMemoryStore"]


class InMemoryStore(BaseStore):
    """LangGraph's in-memory store; creating one raises :class:`~graphcompat.errors.StoreNotSupportedError`."""
