"""What a running node can reach without being passed it: its stream writer.

A node activity sets the writer for the node it runs (``activities`` own the
transport, see ``graphcompat._chunks``); ``get_stream_writer()`` and the
``writer`` node parameter read it here. A context variable, so concurrent
nodes on one worker each see their own, and ``asyncio.to_thread`` (sync
nodes) carries it into the node's thread.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["StreamWriter", "current_writer", "writing_to"]

StreamWriter = Callable[[Any], None]

_writer: contextvars.ContextVar[StreamWriter | None] = contextvars.ContextVar("graphcompat_stream_writer", default=None)
_in_node: contextvars.ContextVar[bool] = contextvars.ContextVar("graphcompat_in_node", default=False)


def _discard(chunk: Any) -> None:
    """The writer of a node that nobody streams: LangGraph's no-op writer."""


def current_writer() -> StreamWriter | None:
    """The running node's writer (a no-op when its run streams nothing); None outside a node."""
    if not _in_node.get():
        return None
    return _writer.get() or _discard


@contextlib.contextmanager
def writing_to(writer: StreamWriter | None) -> Iterator[None]:
    """Run the code inside as a node whose custom chunks go to ``writer`` (None: nowhere)."""
    tokens = (_writer.set(writer), _in_node.set(True))
    try:
        yield
    finally:
        _writer.reset(tokens[0])
        _in_node.reset(tokens[1])
