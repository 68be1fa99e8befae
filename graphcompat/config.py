"""LangGraph's ``langgraph.config``: what a node reads about the run it is part of.

``get_config()`` returns the running node's config; ``get_stream_writer()``
the function that sends a ``custom`` stream chunk from inside a node (or a
tool it calls): the chunk leaves the worker while the node runs, and
``graph.stream(..., stream_mode="custom")`` yields it. Both read the context
of the running node (``graphcompat._node_context``), so they work in sync and
async nodes and in conditional-edge functions alike.
"""

from __future__ import annotations

from typing import Any

from graphcompat._node_context import StreamWriter, current_config, current_writer
from graphcompat.errors import StoreNotSupportedError

__all__ = ["get_config", "get_store", "get_stream_writer"]


def get_config() -> dict[str, Any]:
    """The running node's config (``configurable`` holds the caller's keys plus ``thread_id`` ...).

    Raises ``RuntimeError`` outside a running node, as LangGraph does.
    """
    config = current_config()
    if config is None:
        raise RuntimeError(
            "get_config() was called outside a running node; call it from inside a node or "
            "conditional-edge function while the graph runs."
        )
    return config  # type: ignore[no-any-return]


def get_stream_writer() -> StreamWriter:
    """The running node's writer: ``writer(chunk)`` streams ``chunk`` in ``custom`` mode.

    A no-op when the run streams nothing (as in LangGraph). Outside a node
    there is no run to write to: a RuntimeError says so.
    """
    writer = current_writer()
    if writer is None:
        raise RuntimeError(
            "get_stream_writer() was called outside a running node; call it from inside a node (or a "
            "function a node calls) while the graph runs, e.g. graph.stream(..., stream_mode='custom')."
        )
    return writer


def get_store() -> Any:
    """LangGraph's long-term memory store: graphcompat has none yet, so this raises a typed error."""
    raise StoreNotSupportedError(
        "get_store(): graphcompat has no long-term memory store (LangGraph's BaseStore) yet. Keep such data "
        "in your own database and open it from the node, or in the graph state."
    )
