"""LangGraph's ``langgraph.config``: what a node reads about the run it is part of.

``get_stream_writer()`` returns the function that sends a ``custom`` stream
chunk from inside a node (or a tool it calls). The chunk leaves the worker
while the node runs; ``graph.stream(..., stream_mode="custom")`` yields it.
"""

from __future__ import annotations

from graphcompat._node_context import StreamWriter, current_writer

__all__ = ["get_stream_writer"]


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
