"""The one place stream chunks come from: what a run recorded, as LangGraph streams it.

``CompiledStateGraph._stream`` hands over, in order, the checkpoints and live
chunks that ``graphcompat._follow.RunFollower`` reads; this turns each into
the chunks of the requested modes, in the order LangGraph emits them for the
same events: for a committed step, the results of the tasks that ran
(``tasks``/``debug``) and their ``updates``, then the new state (``values``,
``checkpoints``, ``debug``), then the tasks that run next. The chunk shapes
are built in ``graphcompat._views``, where ``get_state`` builds its views.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from graphcompat import _chunks, _views
from graphcompat.checkpoint._layout import is_state_channel
from graphcompat.checkpoint.base import CheckpointRecord, PendingWrite, StreamChunk

if TYPE_CHECKING:
    from graphcompat.engine import Engine

__all__ = ["StreamEmitter"]

Emit = Callable[..., Any]


class StreamEmitter:
    """Chunks of the requested ``modes`` for each stored event, through ``emit(mode, chunk, ns)``."""

    def __init__(
        self, engine: Engine, modes: Sequence[str], emit: Emit, *, values: Callable[[CheckpointRecord], Any], skip: Any
    ) -> None:
        """``values(record)``: the ``values`` chunk of a record, or ``skip`` for none (the graph decides:
        an entrypoint shows its own). ``updates`` chunks come with each record (``item``)."""
        self.engine, self.modes, self.emit = engine, set(modes), emit
        self.values, self.skip = values, skip
        #: Checkpoints seen, by id: a step's task results need the checkpoint its tasks ran from.
        self._records: dict[str, CheckpointRecord] = {}

    def _want(self, *modes: str) -> bool:
        return any(m in self.modes for m in modes)

    def _debug(self, kind: str, step: int, at: str, payload: Any) -> Any:
        return self.emit("debug", {"step": step, "timestamp": at, "type": kind, "payload": payload})

    def opening(
        self, start: CheckpointRecord, values: Any, writes: Sequence[PendingWrite], *, runs_tasks: bool
    ) -> Iterator[Any]:
        """A run that continues ``start`` (resume, ``Command``, replay) first yields its values, as
        LangGraph; a run that goes on with ``start``'s tasks (not a replay, which forks first) then
        names the tasks it runs again."""
        self._records[start.checkpoint_id] = start
        if "values" in self.modes:
            yield self.emit("values", values)
        if runs_tasks:
            done = frozenset(v.id for v in _views.task_views(start, writes) if v.status == "done")
            yield from self._starts(start, done)

    def seed(self, record: CheckpointRecord | None) -> None:
        """Remember the checkpoint the run starts from (its tasks' results come with the next one)."""
        if record is not None:
            self._records[record.checkpoint_id] = record

    def item(self, item: CheckpointRecord | StreamChunk, subgraphs: bool, updates: Mapping[str, list[Any]]) -> Iterator[Any]:
        """The chunks of one stored event; ``updates``: the ``updates`` chunks of each new loop record, by id."""
        if isinstance(item, StreamChunk):
            yield from self._chunk(item, subgraphs)
        else:
            yield from self._record(item, updates.get(item.checkpoint_id, []))

    def _chunk(self, chunk: StreamChunk, subgraphs: bool) -> Iterator[Any]:
        mode, ns, payload = _chunks.decode(chunk)
        if mode in self.modes and (not ns or subgraphs):
            yield self.emit(mode, payload, ns)

    def _record(self, record: CheckpointRecord, updates: list[Any]) -> Iterator[Any]:
        self._records[record.checkpoint_id] = record
        parent = self._records.get(record.parent_checkpoint_id or "")
        engine = self.engine
        if record.source == "loop" and "updates" in self.modes:
            for update in updates:
                yield self.emit("updates", update)
        if record.source == "loop" and parent is not None and self._want("tasks", "debug"):
            for payload in _views.task_result_payloads(engine, parent, record):
                if "tasks" in self.modes:
                    yield self.emit("tasks", payload)
                if "debug" in self.modes:
                    yield self._debug("task_result", record.step, record.created_at, payload)
        if "values" in self.modes and record.source not in ("fork", "input") and _wrote_state(parent, record):
            if (chunk := self.values(record)) is not self.skip:
                yield self.emit("values", chunk)
        if self._want("checkpoints", "debug"):
            payload = _views.checkpoint_payload(engine, record)
            if "checkpoints" in self.modes:
                yield self.emit("checkpoints", payload)
            if "debug" in self.modes:
                yield self._debug("checkpoint", record.step, record.created_at, payload)
        yield from self._starts(record)

    def _starts(self, record: CheckpointRecord, skip: frozenset[str] = frozenset()) -> Iterator[Any]:
        """The tasks that run from ``record`` (``skip``: those that already finished)."""
        if not self._want("tasks", "debug"):
            return
        for payload in _views.task_start_payloads(self.engine, record):
            if payload["id"] in skip:
                continue
            if "tasks" in self.modes:
                yield self.emit("tasks", payload)
            if "debug" in self.modes:
                yield self._debug("task", record.step + 1, record.created_at, payload)

    def unfinished(self, record: CheckpointRecord, writes: Sequence[PendingWrite]) -> Iterator[Any]:
        """Results of the tasks that failed or were interrupted when the run stopped."""
        if not self._want("tasks", "debug"):
            return
        for payload in _views.unfinished_task_payloads(record, writes):
            if "tasks" in self.modes:
                yield self.emit("tasks", payload)
            if "debug" in self.modes:
                yield self._debug("task_result", record.step + 1, record.created_at, payload)


def _wrote_state(parent: CheckpointRecord | None, record: CheckpointRecord) -> bool:
    """Whether the step that wrote ``record`` wrote a state key. LangGraph streams a ``values``
    chunk only after such a step (nodes that all returned None or only routed yield none)."""
    if record.source != "loop" or parent is None:
        return True
    before = parent.channel_versions
    return any(is_state_channel(c) and v != before.get(c) for c, v in record.channel_versions.items())
