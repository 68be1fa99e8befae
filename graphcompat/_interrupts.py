"""``interrupt()``: pause a node and ask the caller for a value.

The first call inside a node raises :class:`GraphInterrupt`; the run stops and
the thread waits in the store. When the caller answers with
``Command(resume=value)`` the node runs again from its start and that same
``interrupt()`` call returns ``value``. Several ``interrupt()`` calls in one
node are matched to resume values by position.
"""

from __future__ import annotations

import contextvars
import dataclasses
from typing import Any

from graphcompat.errors import GraphInterrupt, OutsideNodeError

__all__ = ["GraphInterrupt", "SubgraphInterrupt", "interrupt"]


class SubgraphInterrupt(GraphInterrupt):
    """A subgraph run by this node stopped at interrupts; they become the node's own.

    ``interrupts`` are stored interrupt rows (``{"id", "value", "index"}``, values
    as JSON) that keep the subgraph's interrupt ids, as LangGraph surfaces them.
    """

    def __init__(self, interrupts: list[dict[str, Any]]) -> None:
        super().__init__([i.get("value") for i in interrupts], 0)
        self.interrupts = interrupts


@dataclasses.dataclass
class _InterruptScope:
    resume_values: list[Any]
    interrupt_id: str
    counter: int = 0


_scope: contextvars.ContextVar[_InterruptScope | None] = contextvars.ContextVar("graphcompat_interrupt_scope", default=None)


def interrupt(value: Any) -> Any:
    """Pause the run, surfacing ``value`` to the caller; return the resume value.

    Must be called from inside a node while the graph runs with a checkpointer.
    """
    scope = _scope.get()
    if scope is None:
        raise OutsideNodeError(
            "interrupt() was called outside a running node; call it from inside a node "
            "function of a graph compiled with a checkpointer."
        )
    index = scope.counter
    scope.counter += 1
    if index < len(scope.resume_values):
        return scope.resume_values[index]
    raise GraphInterrupt(value, index)
