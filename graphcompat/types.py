"""LangGraph-shaped value types: ``Send``, ``Command``, ``RetryPolicy``,
``CachePolicy``, ``StateSnapshot``, ``PregelTask``, ``Interrupt``, ``interrupt()``
and the type aliases ``StreamMode``, ``StreamWriter``, ``Durability``.

These mirror ``langgraph.types`` so that code written against LangGraph runs
after the import swap. ``Overwrite`` imports but is not supported yet: creating
one raises :class:`~graphcompat.errors.NotSupportedError`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Generic, Literal, NamedTuple, TypeVar

from graphcompat._interrupts import GraphInterrupt, interrupt
from graphcompat.errors import NotSupportedError

__all__ = [
    "All",
    "CachePolicy",
    "Command",
    "Durability",
    "GraphInterrupt",
    "Interrupt",
    "Overwrite",
    "PregelTask",
    "RetryPolicy",
    "Send",
    "StateSnapshot",
    "StreamMode",
    "StreamWriter",
    "interrupt",
    "default_cache_key",
    "default_retry_on",
]

N = TypeVar("N")

All = Literal["*"]

#: The stream modes of LangGraph's ``stream(stream_mode=...)`` (which ones graphcompat
#: streams is the stream's own business: an unknown or unsupported mode is refused there).
StreamMode = Literal["values", "updates", "checkpoints", "tasks", "debug", "messages", "custom"]

#: What LangGraph injects as ``writer`` (a node's or an ``@entrypoint``'s parameter, what
#: ``get_stream_writer()`` returns): ``writer(chunk)`` streams ``chunk`` in ``custom`` mode.
StreamWriter = Callable[[Any], None]

#: LangGraph's durability modes. On graphcompat every super-step is durable (Temporal
#: records it before the next one starts), which is ``"sync"``; the others are accepted
#: names for the same guarantee.
Durability = Literal["sync", "async", "exit"]

KeyFuncT = TypeVar("KeyFuncT", bound=Callable[..., "str | bytes"])


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


def default_cache_key(*args: Any, **kwargs: Any) -> str:
    """``CachePolicy``'s default key: a hash of the node's input as JSON (LangGraph pickles it).

    JSON, not pickle, so that every worker computes the same key for the same
    state whatever its Python process; values JSON cannot hold are keyed by
    their ``repr``.
    """
    import hashlib
    import json

    from pydantic import TypeAdapter

    try:
        data = TypeAdapter(Any).dump_python([args, kwargs], mode="json", warnings=False)
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=repr)
    except Exception:
        text = repr((args, sorted(kwargs.items())))
    return hashlib.sha256(text.encode()).hexdigest()


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
class CachePolicy(Generic[KeyFuncT]):
    """How a node's results are cached: ``add_node(..., cache_policy=CachePolicy(ttl=120))``.

    ``key_func`` turns the node's input into the cache key; ``ttl`` is the lifetime of
    an entry in seconds (``None``: no expiry). This is the value type only; the cache
    itself is configured at compile time (``compile(cache=...)``).
    """

    key_func: KeyFuncT = default_cache_key  # type: ignore[assignment]
    ttl: int | None = None


class Overwrite:
    """LangGraph's "bypass the reducer" wrapper. Not supported by graphcompat yet.

    Importing it works; creating one raises :class:`~graphcompat.errors.NotSupportedError`,
    so a graph that relies on it fails at once instead of storing the wrapper.
    """

    def __init__(self, value: Any) -> None:
        raise NotSupportedError(
            "Overwrite(...) is not supported by graphcompat yet; to replace a reducer field's "
            "value, declare the field without a reducer, or write the replacement through "
            "update_state from outside the run.",
            feature="Overwrite",
        )


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
    #: Schema of the value expected on resume (LangGraph 1.2's field; graphcompat surfaces none).
    response_schema: Any = None


try:  # with langchain-core, a tool may return a Command (LangGraph's Command is a ToolOutputMixin too)
    from langchain_core.tools.base import ToolOutputMixin as _ToolOutput
except ImportError:  # pragma: no cover - langchain-core is an optional extra

    class _ToolOutput:  # type: ignore[no-redef]
        """Stands in for langchain-core's ToolOutputMixin when it is not installed."""


@dataclasses.dataclass(frozen=True)
class Command(Generic[N], _ToolOutput):
    """Update state and/or choose the next node from inside a node, or resume an interrupt.

    - returned from a node: ``Command(update={...}, goto="next_node")``
    - passed to ``invoke``: ``Command(resume=value)`` answers an ``interrupt()``
      (a dict ``{interrupt_id: value}`` answers several).
    - returned from a tool (langchain-core's ``ToolOutputMixin``, so the tool's
      result is not wrapped in a ToolMessage): ``ToolNode`` applies its update.
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
