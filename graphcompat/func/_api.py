"""``@entrypoint`` and ``@task``: LangGraph's functional API, durable on Temporal.

An entrypoint is what LangGraph makes of it: a graph of one node (the
function), whose state is the input, the return value and the value saved
for the next call of the thread (``previous``). Here that graph is an
ordinary :class:`~graphcompat.graph.StateGraph` with a fixed internal state
(``input``, ``output``, ``previous``), so runs, checkpoints, interrupts,
resumes, retries and continue-as-new are the graph machinery's, unchanged.
:class:`EntrypointGraph` only translates at the edge: the caller's value in,
the return value out, snapshots and stream chunks as LangGraph shows an
entrypoint's.

``@task`` calls inside the function are Temporal activities of their own:
see ``graphcompat/_calls.py`` for the replay protocol and
``workflows/graph_run.py::GraphRunWorkflow._run_node`` for the loop.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Generic, TypedDict, TypeVar

from graphcompat import _calls, errors
from graphcompat._constants import START
from graphcompat._node_context import current_writer
from graphcompat.checkpoint.base import BaseCheckpointSaver, CheckpointRecord, PendingWrite
from graphcompat.graph._builder import StateGraph
from graphcompat.graph._compiled import _SKIP, CompiledStateGraph, Config
from graphcompat.types import Command, RetryPolicy, StateSnapshot

__all__ = ["EntrypointGraph", "entrypoint", "task"]

R = TypeVar("R")
S = TypeVar("S")

#: Parameters LangGraph injects into an entrypoint function by name.
_INJECTED = ("config", "previous", "writer", "store", "runtime")


class _EntrypointState(TypedDict, total=False):
    """The internal state of an entrypoint's one-node graph (users never see these keys)."""

    input: Any
    output: Any
    previous: Any


def _not_supported(what: str, how: str) -> errors.ConfigurationError:
    return errors.ConfigurationError(f"{what} is not supported by graphcompat yet; {how}")


def _plan(policy: RetryPolicy | None, timeout: float | None) -> dict[str, Any]:
    """A task's retry policy and timeout as the workflow applies them (``NodePlan`` fields)."""
    return {
        "max_attempts": policy.max_attempts if policy else 1,
        "initial_interval": policy.initial_interval if policy else 0.5,
        "backoff_factor": policy.backoff_factor if policy else 2.0,
        "max_interval": policy.max_interval if policy else 128.0,
        "jitter": policy.jitter if policy else False,
        "timeout_s": timeout,
    }


class _TaskFunction:
    """A ``@task``: calling it submits a call and returns a future (``.result()``, or ``await`` it)."""

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        name: str | None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None,
        cache_policy: Any,
        timeout: float | timedelta | None,
    ) -> None:
        if isinstance(retry_policy, Sequence):
            retry_policy = retry_policy[0] if retry_policy else None
        if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
            raise errors.GraphTypeError(
                f"retry_policy must be a RetryPolicy (from graphcompat.types), got {type(retry_policy).__name__}."
            )
        self.func = func
        self.name = name or getattr(func, "__name__", type(func).__name__)
        self.retry_policy = retry_policy
        #: With a cache on the entrypoint (``@entrypoint(cache=...)``), a call whose key is cached
        #: returns the cached result without running; entries live in the snapshot store, so
        #: every worker shares them (``GraphActivities.run_call``).
        self.cache_policy = cache_policy
        self.timeout = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
        self.plan = _plan(retry_policy, self.timeout)
        self.key = _calls.register_task(self, func)
        functools.update_wrapper(self, func)

    def __call__(self, *args: Any, **kwargs: Any) -> _calls.TaskFuture:
        return _calls.submit(self, self.func, self.key, self.name, args, kwargs)

    def __repr__(self) -> str:
        return f"<task {self.name!r}>"

    def clear_cache(self, cache: Any) -> None:
        """LangGraph's API. Cached task results live in the snapshot store, not in ``cache``: they
        expire with their ``CachePolicy(ttl=...)``; the store's ``clear_cache()`` drops them all."""

    async def aclear_cache(self, cache: Any) -> None:
        """Async twin of :meth:`clear_cache`."""


def task(
    __func_or_none__: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
    cache_policy: Any = None,
    timeout: float | timedelta | None = None,
    **kwargs: Any,
) -> Any:
    """Make a function a task: each call runs as its own Temporal activity, and its result is saved.

    ``@task`` or ``@task(name=..., retry_policy=RetryPolicy(...))``. Call it
    from an ``@entrypoint`` (or a graph node): ``add_one(1).result()``, or
    ``await add_one(1)`` in async code; several calls before the first
    ``.result()`` run in parallel. A finished call is not run again when the
    entrypoint resumes (after an interrupt, a failure or a lost worker).
    Arguments and results must be serializable (JSON, pydantic, messages).
    """
    if "retry" in kwargs and retry_policy is None:  # LangGraph's deprecated spelling
        retry_policy = kwargs.pop("retry")
    if kwargs:
        raise errors.ConfigurationError(
            f"@task got unknown option(s) {', '.join(map(repr, kwargs))}; it accepts name, retry_policy, cache_policy, timeout."
        )

    def decorator(func: Callable[..., Any]) -> _TaskFunction:
        if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
            raise errors.GraphTypeError(
                f"Task {getattr(func, '__name__', func)!r} is a generator; tasks must return their result "
                "(collect the items into a list and return it)."
            )
        if not callable(func):
            raise errors.GraphTypeError(f"@task needs a function, got {type(func).__name__}.")
        return _TaskFunction(func, name=name, retry_policy=retry_policy, cache_policy=cache_policy, timeout=timeout)

    if __func_or_none__ is not None:
        return decorator(__func_or_none__)
    return decorator


class entrypoint(Generic[R]):  # noqa: N801 - LangGraph's name
    """Make a function a durable workflow: ``@entrypoint(checkpointer=InMemorySaver())``.

    The function takes one input (any serializable value) and may ask for
    ``previous`` (what the thread's last call returned or saved), ``config``
    and ``writer`` by name. The result is an :class:`EntrypointGraph` with
    ``invoke``/``ainvoke``, ``stream``/``astream``, ``get_state`` and
    ``get_state_history``, like a compiled graph.
    """

    def __init__(
        self,
        checkpointer: BaseCheckpointSaver | str | None = None,
        store: Any = None,
        cache: Any = None,
        context_schema: type[Any] | None = None,
        cache_policy: Any = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        timeout: float | timedelta | None = None,
        **kwargs: Any,
    ) -> None:
        if store is not None:
            raise errors.StoreNotSupportedError(
                "@entrypoint(store=...) is not supported by graphcompat yet: LangGraph's long-term memory store "
                "does not run on Temporal here. Keep long-term data in your own database and read it in a task."
            )
        if "retry" in kwargs and retry_policy is None:
            retry_policy = kwargs.pop("retry")
        if "config_schema" in kwargs and context_schema is None:
            context_schema = kwargs.pop("config_schema")
        if kwargs:
            raise errors.ConfigurationError(
                f"@entrypoint got unknown option(s) {', '.join(map(repr, kwargs))}; it accepts checkpointer, store, "
                "cache, context_schema, cache_policy, retry_policy, timeout."
            )
        if isinstance(retry_policy, Sequence):
            retry_policy = retry_policy[0] if retry_policy else None
        self.checkpointer = checkpointer
        self.store = store
        #: Accepted as LangGraph accepts them; not used to skip runs yet (see the README).
        self.cache = cache
        self.cache_policy = cache_policy
        self.context_schema = context_schema
        self.retry_policy = retry_policy
        self.timeout = timeout if isinstance(timeout, timedelta) or timeout is None else timedelta(seconds=timeout)

    @dataclasses.dataclass
    class final(Generic[R, S]):  # noqa: N801 - LangGraph's name
        """Return ``value`` to the caller and save ``save`` as the next call's ``previous``."""

        value: Any
        save: Any

    def __call__(self, func: Callable[..., Any]) -> EntrypointGraph:
        if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
            raise NotImplementedError("Generators are not supported in the Functional API.")
        try:
            params = inspect.signature(func).parameters
        except (TypeError, ValueError):
            raise errors.GraphTypeError(f"@entrypoint needs a function, got {type(func).__name__}.") from None
        if not params:
            raise errors.GraphValidationError("Entrypoint function must have at least one parameter")
        first = next(iter(params.values()))
        if "runtime" in params:
            raise _not_supported(
                f"Entrypoint {func.__name__!r} asks for `runtime`, which",
                "take what you need from `config` (config['configurable']) instead.",
            )
        hints = _calls.annotations_of(func)
        input_annotation = hints.get(first.name, Any)
        output_type, save_type = _result_types(hints.get("return", Any))
        wants = {name for name in _INJECTED if name in params and name != first.name}
        is_async = inspect.iscoroutinefunction(func)

        def arguments(state: Mapping[str, Any], config: Any) -> tuple[Any, dict[str, Any]]:
            kwargs: dict[str, Any] = {}
            if "previous" in wants:
                kwargs["previous"] = _calls.load_value(state.get("previous"), save_type)
            if "config" in wants:
                kwargs["config"] = config
            if "writer" in wants:  # the stream writer of the node the entrypoint runs as
                kwargs["writer"] = current_writer() or _no_writer
            if "store" in wants:
                kwargs["store"] = None
            return _calls.load_value(state.get("input"), input_annotation), kwargs

        node: Callable[..., Any]
        if is_async:

            async def async_node(state: Mapping[str, Any], config: Any) -> dict[str, Any]:
                value, kwargs = arguments(state, config)
                return _split(await func(value, **kwargs))

            node = async_node
        else:

            def sync_node(state: Mapping[str, Any], config: Any) -> dict[str, Any]:
                value, kwargs = arguments(state, config)
                return _split(func(value, **kwargs))

            node = sync_node
        own = inspect.signature(node)
        functools.update_wrapper(node, func)  # the graph's fingerprint follows the user's code
        node.__signature__ = own  # type: ignore[attr-defined]  # but it is called as a node: (state, config)
        builder = StateGraph(_EntrypointState)
        builder.add_node(func.__name__, node, retry_policy=self.retry_policy, timeout=self.timeout)
        builder.add_edge(START, func.__name__)
        compiled = builder.compile(checkpointer=self.checkpointer, cache=self.cache, name=func.__name__)
        return EntrypointGraph(compiled, func, output_type)


def _result_types(annotation: Any) -> tuple[Any, Any]:
    """The types of the return value and of the saved value: ``-> T`` or ``-> entrypoint.final[T, S]``."""
    if annotation is entrypoint.final:
        return Any, Any
    if typing.get_origin(annotation) is entrypoint.final:
        args = typing.get_args(annotation)
        if len(args) != 2:
            raise errors.GraphTypeError(
                "Annotate both the returned and the saved value: `-> entrypoint.final[int, str]` returns an int "
                "and saves a str."
            )
        return args[0], args[1]
    return annotation, annotation


def _no_writer(chunk: Any) -> None:
    """The ``writer`` of an entrypoint called where nothing streams."""


def _split(returned: Any) -> dict[str, Any]:
    if isinstance(returned, entrypoint.final):
        return {"output": returned.value, "previous": returned.save}
    return {"output": returned, "previous": returned}


class EntrypointGraph(CompiledStateGraph):
    """An ``@entrypoint``: a one-node graph that shows the function's input and return value.

    ``invoke(value, config)`` returns what the function returned;
    ``get_state(config).values`` is the last return value (``None`` before
    the first); ``stream`` defaults to ``"updates"`` as in LangGraph, with a
    ``{task_name: result}`` chunk per finished task and ``{function_name:
    return value}`` at the end; ``update_state(config, value)`` writes
    ``value`` as if the function had returned it.
    """

    def __init__(self, compiled: CompiledStateGraph, func: Callable[..., Any], output_type: Any = Any) -> None:
        # Same binding (registered by compile) and builder: this object is the graph's client.
        self.__dict__.update(compiled.__dict__)
        self.func = func
        self._output_type = output_type
        self._node = func.__name__
        functools.update_wrapper(self, func, updated=())

    def __repr__(self) -> str:
        return f"<EntrypointGraph {self._node!r} store={self.store.display_url}>"

    # -- in ----------------------------------------------------------------------------

    def _run_input(
        self, input: Any, config: Config | None, interrupt_before: Any, interrupt_after: Any, context: Any = None
    ) -> Any:
        wrapped = input if input is None or isinstance(input, Command) else {"input": input}
        return super()._run_input(wrapped, config, interrupt_before, interrupt_after, context)

    def stream(self, input: Any, config: Config | None = None, *, stream_mode: Any = "updates", **kwargs: Any) -> Any:
        """As :meth:`CompiledStateGraph.stream`; LangGraph's default mode for an entrypoint is ``"updates"``."""
        return super().stream(input, config, stream_mode=stream_mode, **kwargs)

    def astream(self, input: Any, config: Config | None = None, *, stream_mode: Any = "updates", **kwargs: Any) -> Any:
        """Async twin of :meth:`stream`."""
        return super().astream(input, config, stream_mode=stream_mode, **kwargs)

    async def _aupdate(self, runtime: Any, config: Config, values: Any, as_node: str | None) -> dict[str, Any]:
        # As in LangGraph: the value is written as if the function had returned it
        # (the return value and ``previous``; ``entrypoint.final`` splits them).
        wrapped = None if values is None else _split(values)
        return await super()._aupdate(runtime, config, wrapped, self._node if as_node is None else as_node)

    # -- out ---------------------------------------------------------------------------

    def _output_of(self, values: Mapping[str, Any]) -> Any:
        """The return value, back in the function's return type (JSON in the store)."""
        return _calls.load_value(values["output"], self._output_type) if "output" in values else None

    def _interrupted_values(self, snapshot: Any) -> Any:
        # The entrypoint's snapshot already shows its own value; no output schema to apply.
        return snapshot.values

    def _final_values(self, record: CheckpointRecord) -> Any:
        return self._output_of(record.channel_values)

    def _stream_values(self, record: CheckpointRecord) -> Any:
        return self._output_of(record.channel_values)

    def _ran(self, record: CheckpointRecord) -> bool:
        writes = record.metadata.get("writes") or {}
        return record.source == "loop" and isinstance(writes, Mapping) and self._node in writes

    def _values_chunk(self, record: CheckpointRecord) -> Any:
        # LangGraph streams the return value once, when the function has returned.
        return self._stream_values(record) if self._ran(record) else _SKIP

    def _node_updates(self, record: CheckpointRecord, parent: CheckpointRecord | None) -> list[Any]:
        # {function_name: return value}, once the function has returned (not the __start__ step)
        return [{self._node: self._output_of(record.channel_values)}] if self._ran(record) else []

    async def _updates_in_step(self, record: CheckpointRecord, seen: set[str]) -> list[Any]:
        # live: each task's result as soon as it is saved, while the entrypoint still runs
        return await self._task_chunks(record, record.checkpoint_id, seen)

    def _snapshot_of(self, record: CheckpointRecord, writes: Sequence[PendingWrite], *, live: bool) -> StateSnapshot:
        snap = super()._snapshot_of(record, writes, live=live)
        values = snap.values if isinstance(snap.values, Mapping) else {}
        tasks = tuple(
            t._replace(result=self._output_of(t.result)) if isinstance(t.result, Mapping) else t
            for t in snap.tasks
            if t.name != START
        )
        next_ = tuple(n for n in snap.next if n != START) or (
            (self._node,) if any(t.name == START for t in snap.tasks) else ()
        )
        shown = None if record.source == "input" and "output" not in values else self._output_of(values)
        return snap._replace(values=shown, tasks=tasks, next=next_)
