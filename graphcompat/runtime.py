"""``Runtime``: what a node (or a router) gets about its run besides the state, as in LangGraph.

A node asks for it by declaring a ``runtime`` parameter
(``def node(state: State, runtime: Runtime[Context])``) or calls
:func:`get_runtime` from inside. ``runtime.context`` is the ``context=``
given to ``invoke``/``stream`` (coerced to the graph's ``context_schema``);
it reaches the worker that runs the node with the node's task, so it must be
plain data (JSON, dataclasses, pydantic models). graphcompat has no
long-term memory store, so ``store`` is always None; ``previous`` belongs to
the functional API.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from graphcompat._node_context import current_runtime, no_op_writer

__all__ = ["ExecutionInfo", "Runtime", "get_runtime"]

ContextT = TypeVar("ContextT")


def _no_op_heartbeat() -> None:
    """Node activities heartbeat on their own; nothing for user code to do."""


@dataclasses.dataclass(frozen=True)
class ExecutionInfo:
    """Where the running node is: its checkpoint, namespace, task and thread (LangGraph's fields)."""

    checkpoint_id: str
    checkpoint_ns: str
    task_id: str
    thread_id: str | None = None
    run_id: str | None = None
    node_attempt: int = 1
    node_first_attempt_time: float | None = None

    def patch(self, **overrides: Any) -> ExecutionInfo:
        return dataclasses.replace(self, **overrides)


@dataclasses.dataclass(frozen=True)
class Runtime(Generic[ContextT]):
    """Run-scoped context and utilities, injected into nodes that declare a ``runtime`` parameter."""

    context: ContextT = None  # type: ignore[assignment]
    store: Any = None
    stream_writer: Callable[[Any], None] = no_op_writer
    heartbeat: Callable[[], None] = _no_op_heartbeat
    previous: Any = None
    execution_info: ExecutionInfo | None = None
    server_info: Any = None
    control: Any = None

    def merge(self, other: Runtime[ContextT]) -> Runtime[ContextT]:
        """``other``'s fields where they are set, this one's elsewhere (LangGraph's rule)."""
        return Runtime(
            context=other.context or self.context,
            store=other.store or self.store,
            stream_writer=other.stream_writer if other.stream_writer is not no_op_writer else self.stream_writer,
            heartbeat=other.heartbeat if other.heartbeat is not _no_op_heartbeat else self.heartbeat,
            previous=self.previous if other.previous is None else other.previous,
            execution_info=other.execution_info or self.execution_info,
            server_info=other.server_info or self.server_info,
            control=other.control or self.control,
        )

    def override(self, **overrides: Any) -> Runtime[ContextT]:
        """A copy with the given fields replaced."""
        return dataclasses.replace(self, **overrides)

    def patch_execution_info(self, **overrides: Any) -> Runtime[ContextT]:
        info = self.execution_info.patch(**overrides) if self.execution_info else None
        return dataclasses.replace(self, execution_info=info)

    def drain_requested(self) -> bool:
        return False

    def drain_reason(self) -> str | None:
        return None


def get_runtime(context_schema: type[ContextT] | None = None) -> Runtime[ContextT]:
    """The ``Runtime`` of the node or router calling this (``context_schema`` is for type checkers only).

    Raises ``RuntimeError`` outside a running node, as LangGraph does.
    """
    runtime = current_runtime()
    if runtime is None:
        raise RuntimeError(
            "get_runtime() was called outside a running node; call it from inside a node or "
            "conditional-edge function while the graph runs."
        )
    return runtime  # type: ignore[no-any-return]
