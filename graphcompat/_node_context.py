"""What a running node can reach without being passed it: its config, its runtime, its stream writer.

One small module owns these context variables, so every reader
(``graphcompat.config.get_config``/``get_stream_writer``,
``graphcompat.runtime.get_runtime``, the ``writer`` and ``runtime`` node
parameters) and every writer agree on them: ``engine/_user_code.py`` sets
config and runtime around each call of user code (``node_scope``); a node
activity sets the writer for the node it runs (``writing_to``; the activities
own the transport, see ``graphcompat._chunks``). Context variables, so
concurrent nodes on one worker each see their own, and ``asyncio.to_thread``
(sync nodes) carries them into the node's thread.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "StreamWriter",
    "current_config",
    "current_runtime",
    "current_writer",
    "no_op_writer",
    "node_scope",
    "writing_to",
]

StreamWriter = Callable[[Any], None]

_writer: contextvars.ContextVar[StreamWriter | None] = contextvars.ContextVar("graphcompat_stream_writer", default=None)
_in_node: contextvars.ContextVar[bool] = contextvars.ContextVar("graphcompat_in_node", default=False)
_config: contextvars.ContextVar[Any] = contextvars.ContextVar("graphcompat_node_config", default=None)
_runtime: contextvars.ContextVar[Any] = contextvars.ContextVar("graphcompat_node_runtime", default=None)


def no_op_writer(chunk: Any) -> None:
    """The writer of a node that nobody streams: LangGraph's no-op writer."""


def current_writer() -> StreamWriter | None:
    """The running node's writer (a no-op when its run streams nothing); None outside a node."""
    if not _in_node.get():
        return None
    return _writer.get() or no_op_writer


@contextlib.contextmanager
def writing_to(writer: StreamWriter | None) -> Iterator[None]:
    """Run the code inside as a node whose custom chunks go to ``writer`` (None: nowhere)."""
    tokens = (_writer.set(writer), _in_node.set(True))
    try:
        yield
    finally:
        _writer.reset(tokens[0])
        _in_node.reset(tokens[1])


def current_config() -> Any:
    """The config of the node or router running in this context, or None outside one."""
    return _config.get()


def current_runtime() -> Any:
    """The ``Runtime`` of the node or router running in this context, or None outside one."""
    return _runtime.get()


@contextlib.contextmanager
def node_scope(config: Any, runtime: Any) -> Iterator[None]:
    """Make ``config`` and ``runtime`` what ``get_config()`` and ``get_runtime()`` return inside."""
    config_token, runtime_token = _config.set(config), _runtime.set(runtime)
    try:
        yield
    finally:
        _config.reset(config_token)
        _runtime.reset(runtime_token)
