"""``get_config()`` and ``get_stream_writer()``: LangGraph's ``langgraph.config``, for code inside a node.

Both read the context that the engine sets around each call of user code
(``graphcompat._node_context``), so they work in sync and async nodes and in
conditional-edge functions alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphcompat._node_context import current_config, current_writer
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


def get_stream_writer() -> Callable[[Any], None]:
    """The writer of ``stream_mode="custom"`` chunks for the running node.

    Outside a stream that asks for custom chunks (and outside a node) it is a
    no-op writer, as in LangGraph: calling it is always safe.
    """
    return current_writer()


def get_store() -> Any:
    """LangGraph's long-term memory store: graphcompat has none yet, so this raises a typed error."""
    raise StoreNotSupportedError(
        "get_store(): graphcompat has no long-term memory store (LangGraph's BaseStore) yet. Keep such data "
        "in your own database and open it from the node, or in the graph state."
    )
