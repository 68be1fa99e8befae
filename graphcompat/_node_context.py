"""What user code can ask for while it runs: its config, its runtime, its stream writer.

One small module owns the three context variables, so every reader
(``graphcompat.config.get_config``, ``get_stream_writer``,
``graphcompat.runtime.get_runtime``) and every writer (``engine/_user_code.py``
sets config and runtime around each call; the node activity sets the stream
writer when a caller streams custom chunks) agree on them. Context variables,
not globals: nodes of one super-step run concurrently on one worker, each
in its own copy of the context (``asyncio.to_thread`` copies it too).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["current_config", "current_runtime", "current_writer", "no_op_writer", "node_scope", "writer_scope"]


def no_op_writer(_chunk: Any) -> None:
    """The writer outside a stream that asks for custom chunks: drops them, as LangGraph's does."""


_config: contextvars.ContextVar[Any] = contextvars.ContextVar("graphcompat_node_config", default=None)
_runtime: contextvars.ContextVar[Any] = contextvars.ContextVar("graphcompat_node_runtime", default=None)
_writer: contextvars.ContextVar[Callable[[Any], None]] = contextvars.ContextVar(
    "graphcompat_stream_writer", default=no_op_writer
)


def current_config() -> Any:
    """The config of the node or router running in this context, or None outside one."""
    return _config.get()


def current_runtime() -> Any:
    """The ``Runtime`` of the node or router running in this context, or None outside one."""
    return _runtime.get()


def current_writer() -> Callable[[Any], None]:
    """The stream writer of this context (a no-op unless the node activity installed one)."""
    return _writer.get()


@contextlib.contextmanager
def node_scope(config: Any, runtime: Any) -> Iterator[None]:
    """Make ``config`` and ``runtime`` what ``get_config()`` and ``get_runtime()`` return inside."""
    config_token, runtime_token = _config.set(config), _runtime.set(runtime)
    try:
        yield
    finally:
        _config.reset(config_token)
        _runtime.reset(runtime_token)


@contextlib.contextmanager
def writer_scope(writer: Callable[[Any], None]) -> Iterator[None]:
    """Install ``writer`` as the stream writer of the code run inside (the node activity's seam)."""
    token = _writer.set(writer)
    try:
        yield
    finally:
        _writer.reset(token)
