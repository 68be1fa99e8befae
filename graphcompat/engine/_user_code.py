"""The one place the engine calls user code: nodes, conditional edges, reducers.

Everything else in the engine is rules over data. Keeping the calls here
means one place decides how a function is called (sync functions in a
thread, so a blocking node does not stall the worker's event loop; async
ones awaited), which extra arguments it gets (:func:`injection_of`, read
once from its signature at ``add_node`` time, with LangGraph's rules:
``config``, ``runtime``, ``writer``, ``store``), and what ``interrupt()``,
``get_config()``, ``get_runtime()`` and ``get_stream_writer()`` find while it
runs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graphcompat._calls import CallScope, TaskCallsPending, call_scope
from graphcompat._interrupts import _InterruptScope, _scope
from graphcompat._node_context import current_writer, no_op_writer, node_scope
from graphcompat.errors import NodeExitError, StoreNotSupportedError
from graphcompat.runtime import Runtime

__all__ = ["Injection", "cache_key", "call", "call_node", "call_task", "injection_of", "reduce"]

_EMPTY = inspect.Parameter.empty
_KEYWORD_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)

#: LangGraph's ``KWARGS_CONFIG_KEYS``: a parameter of this name is injected when its
#: annotation is one of these (``None`` in the set: any annotation). Annotations are
#: compared by name too, for modules with ``from __future__ import annotations``.
_INJECTED: dict[str, frozenset[Any] | None] = {
    "config": frozenset({_EMPTY, "RunnableConfig", "Optional[RunnableConfig]", "RunnableConfig | None"}),
    "writer": frozenset({_EMPTY, "StreamWriter"}),
    "store": frozenset({_EMPTY, "BaseStore", "Optional[BaseStore]", "BaseStore | None"}),
    "runtime": None,
}


@dataclasses.dataclass(frozen=True)
class Injection:
    """Which arguments besides the state a node or router takes, decided once from its signature.

    ``config_positional``: a second required positional parameter (``def
    node(state, cfg)``) gets the config, as LangChain's runnables allow.
    ``keywords``: parameters injected by name. ``optional_store``: the
    ``store`` parameter accepts None (``BaseStore | None``).
    """

    config_positional: bool = False
    keywords: tuple[str, ...] = ()
    optional_store: bool = False

    @property
    def takes_config(self) -> bool:
        return self.config_positional or "config" in self.keywords


def _annotation_names(annotation: Any) -> set[Any]:
    """The annotation and the names it may be written under (``RunnableConfig``, ``"RunnableConfig"``)."""
    if annotation is _EMPTY:
        return {_EMPTY}
    if isinstance(annotation, str):
        return {annotation.replace("typing.", "")}
    names: set[Any] = set()
    name = getattr(annotation, "__name__", None)
    if name:
        names.add(name)
    args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    if len(args) == 1 and type(None) in getattr(annotation, "__args__", ()):
        inner = getattr(args[0], "__name__", None)
        if inner:
            names |= {f"Optional[{inner}]", f"{inner} | None"}
    return names


def _is_writer_type(annotation: Any) -> bool:
    """``StreamWriter`` is an alias of ``Callable[[Any], None]``: the alias has no name of its own."""
    import collections.abc
    import typing

    try:
        return bool(annotation == typing.Callable[[Any], None] or annotation == collections.abc.Callable[[Any], None])
    except Exception:
        return False


def injection_of(fn: Callable[..., Any]) -> Injection:
    """Read ``fn``'s signature: which of ``config``, ``runtime``, ``writer``, ``store`` it takes.

    A parameter is injected when it has the name and an annotation LangGraph
    accepts for it (``config: RunnableConfig``, ``writer: StreamWriter``, any
    annotation for ``runtime``); ``config: dict`` is the user's own, as in
    LangGraph. A second required positional parameter gets the config too;
    one with a default (``def node(state, suffix="!")``) is left alone.
    """
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return Injection()
    keywords: list[str] = []
    optional_store = False
    for param in params[1:]:
        accepted = _INJECTED.get(param.name, frozenset())
        if param.kind not in _KEYWORD_KINDS or param.name not in _INJECTED:
            continue
        names = _annotation_names(param.annotation)
        if accepted is None or names & accepted or (param.name == "writer" and _is_writer_type(param.annotation)):
            keywords.append(param.name)
            optional_store = optional_store or (param.name == "store" and any("None" in str(n) or "Optional" in str(n) for n in names))
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    config_positional = (
        "config" not in keywords
        and len(positional) >= 2
        and positional[1].default is _EMPTY
        and positional[1].name not in keywords
    )
    return Injection(config_positional, tuple(keywords), optional_store)


def _arguments(fn: Callable[..., Any], injection: Injection, config: Any, runtime: Runtime[Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    args: tuple[Any, ...] = (config,) if injection.config_positional else ()
    kwargs: dict[str, Any] = {}
    for name in injection.keywords:
        if name == "config":
            kwargs[name] = config
        elif name == "runtime":
            kwargs[name] = runtime
        elif name == "writer":
            kwargs[name] = runtime.stream_writer
        elif name == "store":
            if runtime.store is None and not injection.optional_store:
                raise StoreNotSupportedError(
                    f"{getattr(fn, '__qualname__', fn)!r} takes a `store` parameter, but graphcompat has no "
                    "long-term memory store (LangGraph's BaseStore) yet. Annotate it `store: BaseStore | None = None` "
                    "to run without one, or keep such data in your own database.",
                )
            kwargs[name] = runtime.store
    return args, kwargs


async def call(
    fn: Callable[..., Any],
    is_async: bool,
    injection: Injection,
    arg: Any,
    config: Any,
    runtime: Runtime[Any] | None = None,
) -> Any:
    """Call a node or a router with its input and the arguments it asked for.

    Inside, ``get_config()`` returns ``config`` and ``get_runtime()`` the
    runtime. ``sys.exit()`` and ``KeyboardInterrupt`` from user code become a
    :class:`NodeExitError`: left alone they would stop the worker, and
    Temporal would run the node again and again.
    """
    runtime = runtime if runtime is not None else Runtime(stream_writer=current_writer() or no_op_writer)
    extra, kwargs = _arguments(fn, injection, config, runtime)
    args = (arg, *extra)
    try:
        with node_scope(config, runtime):
            if is_async:
                return await fn(*args, **kwargs)
            # to_thread copies the context, so interrupt() and get_config() find their scope.
            out = await asyncio.to_thread(fn, *args, **kwargs)
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
    injection: Injection,
    arg: Any,
    config: Any,
    *,
    task_id: str,
    resume: Sequence[Any],
    runtime: Runtime[Any] | None = None,
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
    ``writer`` parameter gets the stream writer of the node it runs as
    (``runtime.stream_writer``).
    """
    token = _scope.set(_InterruptScope(list(resume), task_id))
    calls = CallScope(task_id, dict(saved_calls or {}), failed=dict(failed_calls or {}))
    call_token = call_scope().set(calls)
    try:
        out = await call(fn, is_async, injection, arg, config, runtime)
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
            return await call(run, True, Injection(), None, None)
        bound.__qualname__ = getattr(fn, "__qualname__", "task")
        return await call(bound, False, Injection(), None, None)
    finally:
        call_scope().reset(call_token)
        _scope.reset(token)


def cache_key(key_func: Callable[..., Any], node_input: Any) -> str:
    """A ``CachePolicy``'s key for a node's input, as text (bytes and long keys are hashed)."""
    return _key_text(key_func(node_input))


def _key_text(key: Any) -> str:
    if isinstance(key, bytes):
        return hashlib.sha256(key).hexdigest()
    text = key if isinstance(key, str) else repr(key)
    return text if len(text) <= 200 else hashlib.sha256(text.encode()).hexdigest()


def task_cache_key(key_func: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    """A ``CachePolicy``'s key for a ``@task`` call: LangGraph calls ``key_func(*args, **kwargs)``."""
    return _key_text(key_func(*args, **kwargs))


def reduce(reducer: Callable[[Any, Any], Any], current: Any, value: Any) -> Any:
    """Fold one write into a key's value."""
    return reducer(current, value)
