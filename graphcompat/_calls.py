"""``@task`` calls: futures, the call scope of a running node, and the task registry.

LangGraph runs a ``@task`` in its own thread and saves its result as a pending
write of the calling node's checkpoint; a node (an ``@entrypoint``) that runs
again after an interrupt or a failure gets the saved results instead of
running the tasks again. graphcompat keeps that contract and makes each task
call a Temporal activity of its own:

1. A node runs in its activity inside a :class:`CallScope` that holds the
   results already saved for it. Calling a task whose result is saved gives a
   finished :class:`TaskFuture`; calling one whose result is not saved only
   *submits* it (nothing runs yet).
2. Waiting on an unfinished future (``.result()``, ``await``), or returning
   while some are unfinished, raises :class:`TaskCallsPending` with every
   submitted, unfinished call. The engine turns that into a result carrying
   ``calls``; the workflow runs them as activities in parallel, saves their
   results, and runs the node again, which then gets further.

So the node function is replayed against saved results, as LangGraph replays
it, and it must be deterministic in the order it calls tasks (LangGraph's
rule too). Task ids derive from the node's task id and the call's position,
so the same call in a re-run has the same id.

Leaf module: the engine imports it (like ``_interrupts``); it imports nothing
that runs.
"""

from __future__ import annotations

import collections.abc
import contextvars
import io
import json
import types
import dataclasses
import hashlib
import inspect
import itertools
import threading
import typing
import uuid
import weakref
from collections.abc import Callable, Generator, Mapping
from typing import Any

from pydantic import TypeAdapter

from graphcompat import _messages
from graphcompat.errors import ConfigurationError, StateSerializationError

__all__ = [
    "CallScope",
    "TaskCallsPending",
    "TaskFuture",
    "annotations_of",
    "call_arguments",
    "call_id",
    "call_scope",
    "dump_value",
    "find_task",
    "load_value",
    "register_task",
    "submit",
]


_CALL_NS = uuid.UUID("0d5c8e36-1f0a-4b7e-8a59-3c3f5a8e2b61")
_ANY: TypeAdapter[Any] = TypeAdapter(Any)


def call_id(node_task_id: str, name: str, index: int) -> str:
    """The id of the ``index``-th task call of a node's run: the same call in a re-run, the same id."""
    return str(uuid.uuid5(_CALL_NS, f"{node_task_id}|{name}|{index}"))


# -- values ------------------------------------------------------------------------------


def _one_shot(value: Any, depth: int = 0) -> Any:
    """A file, generator or other iterator inside ``value`` (pydantic would drain it into a list)."""
    if isinstance(value, (str, bytes, int, float, bool, type(None))):
        return None
    if isinstance(value, (io.IOBase, types.GeneratorType, types.AsyncGeneratorType, collections.abc.Iterator)):
        return value
    if depth < 8 and isinstance(value, (dict, list, tuple, set, frozenset)):
        items = value.values() if isinstance(value, dict) else value
        return next((found for item in items if (found := _one_shot(item, depth + 1)) is not None), None)
    return None


def dump_value(value: Any, *, where: str) -> Any:
    """A task argument or result as JSON (messages in their stored form)."""
    if (stream := _one_shot(value)) is not None:
        raise StateSerializationError(
            f"{where} ({type(stream).__name__}) cannot be serialized: it can be read only once. Tasks run as "
            "Temporal activities, so pass plain data (e.g. list(...) or file.read()) or a path instead."
        )
    try:
        return _ANY.dump_python(_messages.dump_tree(value) if _messages.available() else value, mode="json", warnings=False)
    except Exception as exc:
        raise StateSerializationError(
            f"{where} ({type(value).__name__}) cannot be serialized to JSON ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else exc!r}). Tasks run as Temporal activities, so their "
            "arguments and results must be plain data (str, numbers, lists, dicts, dataclasses, pydantic models, messages)."
        ) from exc


def load_value(data: Any, annotation: Any = Any) -> Any:
    """JSON back into ``annotation`` (messages revived; dataclasses, models, tuples rebuilt).

    Only a faithful rebuild is taken: when the typed value dumps back to the
    same JSON. A value that does not fit its annotation (a function annotated
    ``-> int`` that returned ``"5"``) comes back as it was, not coerced,
    because LangGraph hands back what the function returned.
    """
    if data is None:
        return None
    if _messages.available():
        data = _messages.load_tree(annotation, data)
    if annotation is Any or annotation is inspect.Parameter.empty:
        return data
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        value = adapter.validate_python(data)
        same = _canonical(adapter.dump_python(value, mode="json", warnings=False)) == _canonical(data)
    except Exception:
        return data
    return value if same else data


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)


# -- the registry of task functions -------------------------------------------------------

_registry: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
_registry_lock = threading.Lock()
_counter = itertools.count(1)


def _code_key(fn: Callable[..., Any]) -> str:
    target = inspect.unwrap(getattr(fn, "__func__", fn))
    code = getattr(target, "__code__", None)
    digest = hashlib.sha1(code.co_code + repr(code.co_consts).encode()).hexdigest()[:10] if code is not None else ""
    qualname = getattr(target, "__qualname__", type(target).__name__)
    return f"{getattr(target, '__module__', '')}|{qualname}|{digest}"


def register_task(task: Any, fn: Callable[..., Any]) -> str:
    """Register a ``@task`` object; returns its key ``module|qualname|codehash#n``."""
    key = f"{_code_key(fn)}#{next(_counter)}"
    with _registry_lock:
        _registry[key] = task
    return key


def find_task(key: str) -> Any | None:
    """The task a call names, as the graph registry finds graphs.

    The same object in the process that submitted the call; else (a worker in
    another process, which imported the task's module) the latest task with
    the same module and code; the same name and code in another module (a
    script runs as ``__main__``, its worker imports it by name); the same
    module and name whose code changed since the run started.
    """
    with _registry_lock:
        tasks = dict(_registry.items())
    if key in tasks:
        return tasks[key]
    module, qualname, digest = (key.split("#", 1)[0].split("|") + ["", "", ""])[:3]
    parsed = [(k.split("#", 1)[0].split("|"), t) for k, t in tasks.items()]
    for match in (
        lambda m, q, d: (m, q, d) == (module, qualname, digest),
        lambda m, q, d: (q, d) == (qualname, digest),
        lambda m, q, d: (m, q) == (module, qualname),
    ):
        found = [t for parts, t in parsed if len(parts) == 3 and match(*parts)]
        if found:
            return found[-1]
    return None


# -- futures and the scope ----------------------------------------------------------------


class TaskCallsPending(BaseException):
    """A node waits on task calls that have not run yet (not an error: the workflow runs them).

    A ``BaseException`` so that a node's ``except Exception:`` does not swallow it.
    """

    def __init__(self, calls: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(calls)} task call(s) to run")
        self.calls = calls


@dataclasses.dataclass
class CallScope:
    """The task calls of one run of one node: what is saved, what was submitted."""

    node_task_id: str
    #: ``{call_id: result JSON}`` of calls finished in earlier runs of the node
    saved: Mapping[str, Any]
    #: inline: calls run at once, in this thread (a task called from inside a task)
    inline: bool = False
    #: ``{call_id: exception}`` of calls that failed in this run (after their retries):
    #: ``.result()`` raises it, so the node may catch it, as in LangGraph
    failed: Mapping[str, BaseException] = dataclasses.field(default_factory=dict)
    counter: int = 0
    submitted: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def unfinished(self) -> list[dict[str, Any]]:
        return [c for cid, c in self.submitted.items() if cid not in self.saved and cid not in self.failed]


_scope: contextvars.ContextVar[CallScope | None] = contextvars.ContextVar("graphcompat_call_scope", default=None)


def call_scope() -> contextvars.ContextVar[CallScope | None]:
    return _scope


class TaskFuture:
    """What calling a ``@task`` returns: ``.result()`` (or ``await`` it in async code)."""

    def __init__(self, scope: CallScope | None, cid: str, annotation: Any, value: Any = None, *, ready: bool) -> None:
        self._scope = scope
        self._id = cid
        self._annotation = annotation
        self._value = value
        self._ready = ready

    def done(self) -> bool:
        scope = self._scope
        return self._ready or (scope is not None and (self._id in scope.saved or self._id in scope.failed))

    def result(self, timeout: float | None = None) -> Any:
        if self._ready:
            return self._value
        scope = self._scope
        if scope is not None and self._id in scope.failed:
            raise scope.failed[self._id]
        if scope is not None and self._id in scope.saved:
            self._value, self._ready = load_value(scope.saved[self._id], self._annotation), True
            return self._value
        raise TaskCallsPending(scope.unfinished() if scope is not None else [])

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The call's exception, None when it succeeded (waits like :meth:`result`)."""
        try:
            self.result()
        except TaskCallsPending:
            raise
        except BaseException as exc:  # noqa: BLE001 - handed back, as concurrent.futures does
            return exc
        return None

    def cancel(self) -> bool:
        """A submitted call cannot be cancelled (it runs as its own activity): False, as for a running future."""
        return False

    def __await__(self) -> Generator[Any, None, Any]:
        if self._ready and inspect.isawaitable(self._value):  # an inline async call
            self._value = yield from self._value.__await__()
        return self.result()


def submit(task: Any, fn: Callable[..., Any], key: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> TaskFuture:
    """Call a task: a saved result, a submitted call, or (inside a task) an inline call."""
    scope = _scope.get()
    annotation = _return_annotation(fn)
    if scope is None:
        raise ConfigurationError(
            f"Task {name!r} was called outside a running workflow; call @task functions from inside an "
            "@entrypoint function (or a graph node), e.g. `result = my_task(x).result()`.",
            task=name,
        )
    if scope.inline:  # a task calling a task: it runs here, as part of the outer task's activity
        return TaskFuture(None, "", annotation, fn(*args, **kwargs), ready=True)
    index = scope.counter
    scope.counter += 1
    cid = call_id(scope.node_task_id, name, index)
    if cid not in scope.saved and cid not in scope.failed:
        where = f"An argument of task {name!r}"
        scope.submitted[cid] = {
            "id": cid,
            "name": name,
            "key": key,
            "index": index,
            "args": [dump_value(a, where=where) for a in args],
            "kwargs": {k: dump_value(v, where=where) for k, v in kwargs.items()},
            "plan": getattr(task, "plan", {}),
        }
    return TaskFuture(scope, cid, annotation, ready=False)


def annotations_of(fn: Callable[..., Any]) -> dict[str, Any]:
    """``fn``'s annotations, string ones (``from __future__ import annotations``) resolved where possible."""
    target = inspect.unwrap(getattr(fn, "__func__", fn))
    try:
        return typing.get_type_hints(target)
    except Exception:  # a name defined where get_type_hints cannot see it: keep what is already a type
        raw = getattr(target, "__annotations__", None) or {}
        return {k: v for k, v in raw.items() if not isinstance(v, str)}


def _return_annotation(fn: Callable[..., Any]) -> Any:
    return annotations_of(fn).get("return", Any)


def call_arguments(fn: Callable[..., Any], call: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """A submitted call's arguments back as Python values, typed by the task's annotations."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    by_name = {p.name: p for p in params}
    hints = annotations_of(fn)

    def annotation(p: inspect.Parameter | None) -> Any:
        return hints.get(p.name, Any) if p is not None else Any

    args = [load_value(a, annotation(positional[i] if i < len(positional) else None)) for i, a in enumerate(call["args"])]
    kwargs = {k: load_value(v, annotation(by_name.get(k))) for k, v in call["kwargs"].items()}
    return args, kwargs
