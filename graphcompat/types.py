"""LangGraph-shaped value types: ``Send``, ``Command``, ``RetryPolicy``,
``StateSnapshot``, ``PregelTask``, ``Interrupt`` and ``interrupt()``.

These mirror ``langgraph.types`` so that code written against LangGraph runs
after the import swap.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Generic, Literal, NamedTuple, TypeVar

from graphcompat._interrupts import GraphInterrupt, interrupt

__all__ = [
    "All",
    "Command",
    "GraphInterrupt",
    "Interrupt",
    "PregelTask",
    "RetryPolicy",
    "Send",
    "StateSnapshot",
    "StreamWriter",
    "interrupt",
    "default_retry_on",
]

N = TypeVar("N")

All = Literal["*"]

#: What LangGraph injects as ``writer`` (an ``@entrypoint`` parameter, ``get_stream_writer()``):
#: a callable taking one chunk. Here for the import swap; custom chunks are not streamed yet.
StreamWriter = Callable[[Any], None]


def default_retry_on(exc: Exception) -> bool:
    """LangGraph's default: retry everything except programming errors.

    Programming errors (ValueError, TypeError, ArithmeticError, ImportError,
    LookupError, NameError, SyntaxError, RuntimeError, ReferenceError,
    StopIteration, StopAsyncIteration, OSError) are not retried, with one
    exception: connection-level errors are (the usual reason to retry at all).
    """
    if isinstance(exc, ConnectionError):
        return True
    if isinstance(
        exc,
        (
            ValueError,
            TypeError,
            ArithmeticError,
            ImportError,
            LookupError,
            NameError,
            SyntaxError,
            RuntimeError,
            ReferenceError,
            StopIteration,
            StopAsyncIteration,
            OSError,
        ),
    ):
        return False
    return True


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How often and how fast a node's own exceptions are retried.

    Infrastructure faults (a killed worker, a lost heartbeat, a timeout) are
    always retried by Temporal, whatever this policy says; this policy only
    governs exceptions raised by the node's code. Without a policy, a node's
    exception fails the run at once (LangGraph's default).
    """

    initial_interval: float = 0.5
    backoff_factor: float = 2.0
    max_interval: float = 128.0
    max_attempts: int = 3
    jitter: bool = True
    retry_on: type[Exception] | Sequence[type[Exception]] | Callable[[Exception], bool] = default_retry_on

    def should_retry(self, exc: Exception) -> bool:
        retry_on = self.retry_on
        if isinstance(retry_on, type) and issubclass(retry_on, Exception):
            return isinstance(exc, retry_on)
        if isinstance(retry_on, Sequence):
            return isinstance(exc, tuple(retry_on))
        predicate: Callable[[Exception], bool] = retry_on  # type: ignore[assignment]
        return bool(predicate(exc))


@dataclasses.dataclass(frozen=True)
class Send:
    """Run ``node`` once more in the next super-step with ``arg`` as its input.

    Returned from a conditional edge (map-reduce fan-out): every ``Send`` is a
    separate task, run as its own Temporal activity, in parallel.
    """

    node: str
    arg: Any

    def __repr__(self) -> str:
        return f"Send(node={self.node!r}, arg={self.arg!r})"


@dataclasses.dataclass(frozen=True)
class Interrupt:
    """A value a node passed to :func:`interrupt`, shown to the caller."""

    value: Any
    id: str = ""


@dataclasses.dataclass(frozen=True)
class Command(Generic[N]):
    """Update state and/or choose the next node from inside a node, or resume an interrupt.

    - returned from a node: ``Command(update={...}, goto="next_node")``
    - passed to ``invoke``: ``Command(resume=value)`` answers an ``interrupt()``
      (a dict ``{interrupt_id: value}`` answers several).
    """

    graph: str | None = None
    update: Any | None = None
    resume: Any | None = None
    goto: Send | Sequence[Send | N] | N = ()

    PARENT: ClassVar[Literal["__parent__"]] = "__parent__"


class PregelTask(NamedTuple):
    """A task of a snapshot: what runs (or ran and failed) from that checkpoint."""

    id: str
    name: str
    path: tuple[str | int, ...]
    error: str | Exception | None = None
    interrupts: tuple[Interrupt, ...] = ()
    state: Any = None
    result: Any | None = None


class StateSnapshot(NamedTuple):
    """A checkpoint as the user sees it (LangGraph's ``StateSnapshot``).

    Step numbers follow the lesson: the input checkpoint is step 0.
    """

    values: dict[str, Any]
    next: tuple[str, ...]
    config: dict[str, Any]
    metadata: dict[str, Any] | None
    created_at: str | None
    parent_config: dict[str, Any] | None
    tasks: tuple[PregelTask, ...]
    interrupts: tuple[Interrupt, ...] = ()
