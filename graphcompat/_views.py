"""What a stored checkpoint says, as users see it: task views, thread status, snapshots.

One owner for reading a checkpoint and its pending writes into views, used
by ``get_state``, history, ``stream`` and the command line alike (the CLI
reads the store without the graph's code, so the views need no engine; the
snapshot adds the engine's typed values).
"""

from __future__ import annotations

import builtins
import collections
import dataclasses
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from graphcompat import errors
from graphcompat._constants import ERROR
from graphcompat._schema import validation_error_from
from graphcompat.checkpoint._layout import (
    BREAKPOINT,
    TaskSpec,
    command_update,
    completed_results,
    is_state_channel,
    record_tasks,
    task_states,
)
from graphcompat.checkpoint.base import CheckpointRecord, PendingWrite
from graphcompat.types import Interrupt, PregelTask, StateSnapshot

if TYPE_CHECKING:
    from graphcompat.engine import Engine

__all__ = ["TaskView", "json_state_values", "rebuild_exception", "snapshot", "task_views", "thread_status"]


@dataclasses.dataclass(frozen=True)
class TaskView:
    """One task that runs next from a checkpoint, and what its pending writes say."""

    id: str
    name: str
    status: str  # "pending" | "done" | "failed" | "interrupted"
    error: dict[str, Any] | None = None
    #: The task's interrupts as stored: ``{"id", "value", "index"}``.
    interrupts: tuple[dict[str, Any], ...] = ()
    update: Any = None
    path: tuple[str | int, ...] = ()

    @property
    def interrupt_values(self) -> tuple[Any, ...]:
        return tuple(i.get("value") if isinstance(i, dict) else i for i in self.shown_interrupts)

    @property
    def shown_interrupts(self) -> tuple[dict[str, Any], ...]:
        """The interrupts users see: a subgraph's breakpoint makes the task wait but has no value."""
        return tuple(i for i in self.interrupts if not (isinstance(i, dict) and i.get(BREAKPOINT)))

    def to_json(self) -> dict[str, Any]:
        """The view as the command line prints it (``--json``)."""
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "error": self.error,
            "interrupts": list(self.interrupt_values),
            "update": self.update,
        }


def task_views(
    record: CheckpointRecord, writes: Sequence[PendingWrite], *, orphan_errors: bool = False
) -> list[TaskView]:
    """The next tasks of ``record`` with their outcome so far (from pending writes).

    ``orphan_errors`` adds a view for an error write of a task that is no
    longer among the next tasks: it still explains a failure (the CLI shows it).
    """
    states = task_states(writes)
    views = []
    for task in record_tasks(record):
        state = states.get(task.id)
        view = TaskView(task.id, task.name, "pending", path=task.path)
        if state is not None:
            if state.error is not None:
                view = dataclasses.replace(view, status="failed", error=dict(state.error))
            elif state.result is not None:
                view = dataclasses.replace(view, status="done", update=state.result.update)
            elif state.interrupts:
                view = dataclasses.replace(view, status="interrupted", interrupts=tuple(state.interrupts))
        views.append(view)
    if orphan_errors:
        for write in writes:
            if write.channel == ERROR and not any(v.id == write.task_id for v in views):
                views.append(TaskView(write.task_id, write.task_name, "failed", error=dict(write.value)))
    return views


def thread_status(record: CheckpointRecord, writes: Sequence[PendingWrite]) -> str:
    """``done``, ``failed: <node>``, ``interrupted: <node>`` or ``waiting: <nodes>``."""
    if not record.next_tasks:
        return "done"
    views = task_views(record, writes, orphan_errors=True)
    failed = [v.name for v in views if v.status == "failed"]
    if failed:
        return "failed: " + ", ".join(failed)
    interrupted = [v.name for v in views if v.status == "interrupted"]
    if interrupted:
        return "interrupted: " + ", ".join(interrupted)
    return "waiting: " + ", ".join(v.name for v in views if v.status != "done")


def json_state_values(record: CheckpointRecord) -> dict[str, Any]:
    """A checkpoint's state keys as stored (JSON), without internal channels: the view of
    a reader without the graph's code (the command line)."""
    return {k: v for k, v in record.channel_values.items() if is_state_channel(k)}


def config_of(record: CheckpointRecord, checkpoint_id: str | None = None) -> dict[str, Any]:
    """The config that addresses ``record`` (or another checkpoint of its thread)."""
    return {
        "configurable": {
            "thread_id": record.thread_id,
            "checkpoint_ns": record.checkpoint_ns,
            "checkpoint_id": checkpoint_id or record.checkpoint_id,
        }
    }


def user_values(engine: Engine, record: CheckpointRecord, values_json: Mapping[str, Any]) -> dict[str, Any]:
    """State values as users see them; the input checkpoint of a new thread shows ``{}``
    (the lesson's step 0), every other checkpoint the reducer keys' empty values too."""
    initial = record.source == "input" and record.parent_checkpoint_id is None
    return engine.state_values(values_json, defaults=not initial)


def snapshot(engine: Engine, record: CheckpointRecord, writes: Sequence[PendingWrite], *, live: bool) -> StateSnapshot:
    """LangGraph's ``StateSnapshot`` of ``record``.

    ``live``: the thread's latest state as ``get_state`` shows it, with the
    writes of tasks that completed in an unfinished super-step applied and
    those tasks left out of ``next``.
    """
    tasks = record_tasks(record)
    views = task_views(record, writes)
    # An invoke(Command(update=...)) stored against the checkpoint shows in every view of it,
    # as LangGraph applies its NULL_TASK_ID writes to every snapshot.
    values: Mapping[str, Any] = engine.with_update(record.channel_values, command_update(writes))
    done: set[str] = set()
    if live:
        completed = completed_results(writes)  # references to large writes resolved
        finished = {t.id: completed[t.id] for t in tasks if t.id in completed}
        values = engine.live_values(values, tasks, finished)
        done = set(finished)
    pregel_tasks: list[PregelTask] = []
    interrupts: list[Interrupt] = []
    for view in views:
        error: str | None = None
        task_interrupts: tuple[Interrupt, ...] = ()
        if view.error is not None:
            # A string, as LangGraph shows a stored error: repr of the node's exception.
            error = repr(rebuild_exception(view.error, view.error.get("message", ""), view.error.get("type", "")))
        if view.status == "interrupted":
            task_interrupts = tuple(Interrupt(value=i.get("value"), id=str(i.get("id", ""))) for i in view.shown_interrupts)
            interrupts.extend(task_interrupts)
        result = view.update if view.status == "done" else None
        pregel_tasks.append(PregelTask(view.id, view.name, view.path, error, task_interrupts, None, result))
    parent = config_of(record, record.parent_checkpoint_id) if record.parent_checkpoint_id else None
    return StateSnapshot(
        values=user_values(engine, record, values),
        next=tuple(t.name for t in tasks if t.id not in done),
        config=config_of(record),
        metadata=dict(record.metadata),
        created_at=record.created_at,
        parent_config=parent,
        tasks=tuple(pregel_tasks),
        interrupts=tuple(interrupts),
    )


def rebuild_exception(info: Mapping[str, Any], message: str, type_name: str) -> BaseException:
    """A node's exception as the caller should see it: its own type and message.

    Only types already imported in this process are rebuilt (nothing is
    imported because a payload named it); otherwise ``NodeError`` stands in.
    """
    module, qualname = info.get("module"), info.get("qualname")
    cls: Any = None
    if module == "builtins":
        cls = getattr(builtins, str(qualname), None)
    elif module in sys.modules:
        cls = sys.modules[str(module)]
        for part in str(qualname).split("."):
            cls = getattr(cls, part, None)
    exc: BaseException | None = None
    args = info.get("args")
    if isinstance(info.get("validation"), Mapping):  # pydantic's ValidationError: rebuilt from its line errors
        exc = validation_error_from(info["validation"])
    if exc is None and isinstance(cls, type) and issubclass(cls, BaseException):
        attempts: list[tuple[Any, ...]] = [tuple(args)] if isinstance(args, list) else []
        attempts.append((message,))
        for attempt in attempts:
            try:
                if issubclass(cls, errors.GraphCompatError):
                    exc = cls(*attempt, **(info.get("fields") or {}))
                else:
                    exc = cls(*attempt)
                break
            except Exception:
                exc = None
    if exc is None:
        exc = errors.NodeError(message, original_type=f"{module}.{qualname}" if module else type_name)
    return exc


# -- stream chunks built from checkpoints (``checkpoints``, ``tasks``, ``debug`` modes) ---------


def _triggers(task: Any) -> tuple[str, ...]:
    from graphcompat.checkpoint._layout import TaskKind

    return ("__pregel_push",) if task.kind == TaskKind.PUSH else (f"branch:to:{task.name}",)


def checkpoint_payload(engine: Engine, record: CheckpointRecord) -> dict[str, Any]:
    """LangGraph's ``checkpoints``-mode chunk (and ``debug``'s checkpoint payload) of ``record``;
    metadata as ``get_state`` shows it (the lesson's step numbers, ``writes``)."""
    return {
        "config": config_of(record),
        "parent_config": config_of(record, record.parent_checkpoint_id) if record.parent_checkpoint_id else None,
        "values": user_values(engine, record, record.channel_values),
        "metadata": dict(record.metadata),
        "next": [t.name for t in record_tasks(record)],
        "tasks": [{"id": t.id, "name": t.name, "interrupts": (), "state": None} for t in record_tasks(record)],
    }


def task_start_payloads(engine: Engine, record: CheckpointRecord) -> list[dict[str, Any]]:
    """``tasks``-mode chunks for the node tasks that run from ``record``: id, name, input, triggers."""
    from graphcompat.checkpoint._layout import TaskKind

    out = []
    state: Any = None
    for task in record_tasks(record):
        if task.kind == TaskKind.INPUT:
            continue
        if task.kind == TaskKind.PUSH:
            node_input = engine.schema.load("__send__", task.arg)
        else:
            if state is None:
                state = engine.schema.to_input(engine.state_values(record.channel_values))
            node_input = state
        out.append({"id": task.id, "name": task.name, "input": node_input, "triggers": _triggers(task)})
    return out


def task_updates(parent: CheckpointRecord, child: CheckpointRecord) -> list[tuple[TaskSpec, Any]]:
    """Each node task of ``parent`` with the update ``child`` recorded for it (JSON), in the
    engine's order: pull tasks first, then pushes in the order sent.

    ``metadata["writes"]`` keeps one entry per node; several tasks of one node
    (Sends) have their updates there as a list, in that same order.
    """
    from graphcompat.checkpoint._layout import TaskKind

    writes = child.metadata.get("writes") or {}
    tasks = [t for t in record_tasks(parent) if t.kind != TaskKind.INPUT]
    counts = collections.Counter(t.name for t in tasks)
    seen: dict[str, int] = {}
    out = []
    for task in sorted(tasks, key=lambda t: (t.kind != TaskKind.PULL, t.index)):
        value = writes.get(task.name)
        if counts[task.name] > 1 and isinstance(value, list):
            i = seen.get(task.name, 0)
            seen[task.name] = i + 1
            value = value[i] if i < len(value) else None
        out.append((task, value))
    return out


def task_result_payloads(engine: Engine, parent: CheckpointRecord, child: CheckpointRecord) -> list[dict[str, Any]]:
    """``tasks``-mode result chunks of the node tasks of ``parent``, from what ``child`` recorded."""
    results = {task.id: value for task, value in task_updates(parent, child)}
    out = []
    for task in record_tasks(parent):
        if task.id not in results:
            continue
        value = results[task.id]
        result = engine.schema.load_values(value) if isinstance(value, dict) else ({} if value is None else value)
        out.append({"id": task.id, "name": task.name, "error": None, "result": result, "interrupts": []})
    return out


def unfinished_task_payloads(record: CheckpointRecord, writes: Sequence[PendingWrite]) -> list[dict[str, Any]]:
    """Result chunks of the tasks that failed or were interrupted in the run's last step
    (the error as the exception the node raised, as LangGraph streams it)."""
    out = []
    for view in task_views(record, writes):
        if view.status not in ("failed", "interrupted"):
            continue
        error = None
        if view.error is not None:
            error = rebuild_exception(view.error, view.error.get("message", ""), view.error.get("type", ""))
        interrupts = [{"value": i.get("value"), "id": str(i.get("id", ""))} for i in view.interrupts]
        out.append({"id": view.id, "name": view.name, "error": error, "result": {}, "interrupts": interrupts})
    return out
