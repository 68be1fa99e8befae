"""Differential helper for the functional API: one program, run on real LangGraph and on graphcompat.

A *program* ``program(f)`` is a LangGraph functional-API example written
against the namespace ``f``, which holds one library's ``entrypoint``,
``task``, ``interrupt``, ``Command``, ``RetryPolicy``, ``InMemorySaver``,
``add_messages`` (the import swap) and recorders:

- ``f.show(value)``: record what the example prints (``invoke``'s result, a
  stream chunk; ``message_ids=False``: see ``QUIRKS``);
- ``f.state(workflow, config)``: record ``get_state``: values, ``next``,
  interrupt values, tasks (name, interrupt values, error);
- ``f.history(workflow, config)``: record ``get_state_history`` as
  ``(source, next, values)`` per checkpoint, newest first;
- ``f.raises(call)``: record the exception ``call()`` raises (type and message);
- ``f.calls``: a Counter tasks bump, to compare how often each task ran.

:func:`compare` runs the program on both libraries and asserts the records
are equal after :func:`norm` (harness.norm: messages by class and fields;
interrupts by value, since ids are each library's own).

Allowed difference, one: an entrypoint is a graph of one node here, whose
input goes through the ``__start__`` super-step of the graph machinery, so
graphcompat writes three checkpoints per call where LangGraph writes two
(input, then loop). The extra one, the checkpoint after ``__start__``
(``metadata["writes"] == {"__start__": ...}``), is dropped from graphcompat's
history before comparing; everything else in the history is compared.
"""

import collections
import importlib
import types as _pytypes
from collections.abc import Callable
from typing import Any

import pytest

from .harness import norm

ALLOWED = {"entrypoint_start_checkpoint": "dropped from graphcompat's history before comparing"}

#: LangGraph quirk: a task's result is streamed by reference, and ``add_messages``
#: later gives its messages ids in place, so whether a message in a streamed task
#: chunk shows an id depends on timing. ``f.show(chunk, message_ids=False)`` drops them.
QUIRKS = {"streamed_task_message_ids": "message ids in streamed task chunks not compared"}


def _drop_ids(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) == 3 and value[0] == "msg":
        return ("msg", value[1], {k: v for k, v in value[2].items() if k != "id"})
    if isinstance(value, dict):
        return {k: _drop_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_drop_ids(v) for v in value]
    return value


def _interrupt_values(items: Any) -> list[Any]:
    return [norm(getattr(i, "value", i)) for i in (items or ())]


def _view(value: Any) -> Any:
    """A printed value: interrupts by value, tuples as lists."""
    if isinstance(value, dict):
        return {k: (_interrupt_values(v) if k == "__interrupt__" else _view(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_view(v) for v in value]
    return norm(value)


def namespace(lib: str) -> _pytypes.SimpleNamespace:
    func = importlib.import_module(f"{lib}.func")
    types = importlib.import_module(f"{lib}.types")
    memory = importlib.import_module(f"{lib}.checkpoint.memory")
    cache = importlib.import_module(f"{lib}.cache.memory")
    message = importlib.import_module(f"{lib}.graph.message")
    record: list[Any] = []

    def show(value: Any, *, message_ids: bool = True) -> None:
        record.append(("show", _view(value) if message_ids else _drop_ids(_view(value))))

    def state(workflow: Any, config: Any) -> None:
        snap = workflow.get_state(config)
        record.append(
            (
                "state",
                _view(snap.values),
                list(snap.next),
                _interrupt_values(snap.interrupts),
                [(t.name, _interrupt_values(t.interrupts), t.error) for t in snap.tasks],
            )
        )

    def history(workflow: Any, config: Any) -> None:
        entries = []
        for snap in workflow.get_state_history(config):
            writes = snap.metadata.get("writes")
            if lib == "graphcompat" and isinstance(writes, dict) and list(writes) == ["__start__"]:
                continue  # ALLOWED["entrypoint_start_checkpoint"]
            entries.append((snap.metadata["source"], list(snap.next), _view(snap.values)))
        record.append(("history", entries))

    def raises(call: Callable[[], Any]) -> None:
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - compared
            record.append(("raises", type(exc).__name__, str(exc)))
            return
        record.append(("raises", None, None))

    return _pytypes.SimpleNamespace(
        lib=lib,
        entrypoint=func.entrypoint,
        task=func.task,
        interrupt=types.interrupt,
        Command=types.Command,
        RetryPolicy=types.RetryPolicy,
        CachePolicy=types.CachePolicy,
        InMemoryCache=cache.InMemoryCache,
        StreamWriter=types.StreamWriter,
        InMemorySaver=memory.InMemorySaver,
        add_messages=message.add_messages,
        show=show,
        state=state,
        history=history,
        raises=raises,
        calls=collections.Counter(),
        record=record,
    )


def compare(program: Callable[[Any], None]) -> list[Any]:
    """Run ``program`` on both libraries; assert both recorded the same. Returns graphcompat's record."""
    pytest.importorskip("langgraph")
    sides = {}
    for lib in ("langgraph", "graphcompat"):
        f = namespace(lib)
        program(f)
        sides[lib] = (f.record, dict(f.calls))
    (lg, lg_calls), (gc, gc_calls) = sides["langgraph"], sides["graphcompat"]
    for i, (a, b) in enumerate(zip(lg, gc)):
        assert b == a, f"record {i} differs:\n langgraph:   {a!r}\n graphcompat: {b!r}"
    assert len(gc) == len(lg), f"langgraph recorded {len(lg)} items, graphcompat {len(gc)}"
    assert gc_calls == lg_calls, f"task runs differ: langgraph {lg_calls}, graphcompat {gc_calls}"
    assert lg, "the program recorded nothing"
    return gc
