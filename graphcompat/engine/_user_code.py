"""The one place the engine calls user code: nodes, conditional edges, reducers.

Everything else in the engine is rules over data. Keeping the calls here
means one place decides how a function is called (sync functions in a
thread, so a blocking node does not stall the worker's event loop; async
ones awaited; ``config`` passed when the function asks for it) and how
``interrupt()`` finds the task it was called from.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graphcompat._calls import CallScope, TaskCallsPending, call_scope
from graphcompat._interrupts import _InterruptScope, _scope
from graphcompat._node_context import current_writer
from graphcompat.errors import NodeExitError

__all__ = ["call", "call_node", "call_task", "reduce"]


@functools.lru_cache(maxsize=1024)
def _takes_writer(fn: Callable[..., Any]) -> bool:
    """True when ``fn`` has a parameter named ``writer`` (LangGraph injects the stream writer by name)."""
    try:
        return "writer" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _wants_writer(fn: Callable[..., Any]) -> bool:
    try:
        return _takes_writer(fn)
    except TypeError:  # an unhashable callable: not cached
        return _takes_writer.__wrapped__(fn)


async def call(
    fn: Callable[..., Any], is_async: bool, takes_config: bool, arg: Any, config: Any, **inject: Any
) -> Any:
    """Call a node or a router with its input (and its config when it takes one).

    ``sys.exit()`` and ``KeyboardInterrupt`` from user code become a
    :class:`NodeExitError`: left alone they would stop the worker, and
    Temporal would run the node again and again.
    """
    args = (arg, config) if takes_config else (arg,)
    try:
        if is_async:
            return await fn(*args, **inject)
        # to_thread copies the context, so interrupt() and the stream writer find their node.
        out = await asyncio.to_thread(fn, *args, **inject)
        if asyncio.iscoroutine(out):
            out = await out
        return out
    except (SystemExit, KeyboardInterrupt) as exc:
        what = f"sys.exit({exc.code!r})" if isinstance(exc, SystemExit) else "KeyboardInterrupt"
        name = getattr(fn, "__qualname__", type(fn).__name__)
        raise NodeExitError(
            f"{name} raised {what}; code inside a graph must not stop the worker. Raise an exception "
            "(or return a value) instead.",
            exit_code=exc.code if isinstance(exc, SystemExit) else None,
        ) from None


async def call_node(
    fn: Callable[..., Any],
    is_async: bool,
    takes_config: bool,
    arg: Any,
    config: Any,
    *,
    task_id: str,
    resume: Sequence[Any],
    saved_calls: Mapping[str, Any] | None = None,
    failed_calls: Mapping[str, BaseException] | None = None,
) -> Any:
    """Call a node inside its interrupt scope and its call scope.

    ``interrupt()`` returns ``resume`` values by position; a ``@task`` call
    gets its result from ``saved_calls`` (``{call_id: JSON}``), raises its
    error from ``failed_calls`` (``{call_id: exception}``), or is submitted.
    A node that returns, is interrupted or raises while calls it submitted
    have not run raises :class:`TaskCallsPending` instead: LangGraph runs a
    node's submitted tasks whatever the node does next. A node with a
    ``writer`` parameter gets the stream writer of the node it runs as.
    """
    inject: dict[str, Any] = {}
    if _wants_writer(fn):
        inject["writer"] = current_writer() or (lambda chunk: None)
    token = _scope.set(_InterruptScope(list(resume), task_id))
    calls = CallScope(task_id, dict(saved_calls or {}), failed=dict(failed_calls or {}))
    call_token = call_scope().set(calls)
    try:
        out = await call(fn, is_async, takes_config, arg, config, **inject)
    except TaskCallsPending:
        raise
    except Exception as exc:
        # Submitted tasks run even when the node then stops (an interrupt, an error), as
        # in LangGraph: run them first; the node, run again, stops the same way after them.
        if calls.unfinished():
            raise TaskCallsPending(calls.unfinished()) from exc
        raise
    finally:
        call_scope().reset(call_token)
        _scope.reset(token)
    if calls.unfinished():
        raise TaskCallsPending(calls.unfinished())
    return out


async def call_task(
    fn: Callable[..., Any],
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    *,
    call_id: str,
    resume: Sequence[Any],
) -> Any:
    """Call a ``@task`` function: its own interrupt scope (keyed by the call), tasks it calls run inline."""
    is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))

    def bound(_: Any) -> Any:
        return fn(*args, **kwargs)

    token = _scope.set(_InterruptScope(list(resume), call_id))
    call_token = call_scope().set(CallScope(call_id, {}, inline=True))
    try:
        if is_async:
            async def run(_: Any) -> Any:
                return await fn(*args, **kwargs)

            run.__qualname__ = getattr(fn, "__qualname__", "task")
            return await call(run, True, False, None, None)
        bound.__qualname__ = getattr(fn, "__qualname__", "task")
        return await call(bound, False, False, None, None)
    finally:
        call_scope().reset(call_token)
        _scope.reset(token)


def reduce(reducer: Callable[[Any, Any], Any], current: Any, value: Any) -> Any:
    """Fold one write into a key's value."""
    return reducer(current, value)
