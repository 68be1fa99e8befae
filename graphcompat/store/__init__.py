"""``langgraph.store`` counterpart: LangGraph's long-term memory store. Not supported yet.

``from graphcompat.store.memory import InMemoryStore`` and
``from graphcompat.store.base import BaseStore`` import, so a program written for
LangGraph loads; creating a store raises
:class:`~graphcompat.errors.StoreNotSupportedError`, which says what to do instead.
"""
