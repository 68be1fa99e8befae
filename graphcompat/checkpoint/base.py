"""The snapshot-store contract every saver implements.

A saver stores *records*, not Python objects: every value it receives is
already JSON-compatible (dicts, lists, strings, numbers, booleans, None),
because the engine serializes state through pydantic before it reaches the
store. So a store can be read without the graph's code (the command line does
exactly that), and deserialization never runs arbitrary constructors.

Chat messages in values are stored in a versioned form (owned by
``graphcompat._messages``)::

    {"lc_message": 1, "type": "ai", "data": {"content": "...", "id": "...", "tool_calls": [...], ...}}

``type`` is a tag from a fixed allow-list (``human``, ``ai``, ``system``,
``tool``, ``chat``, ``function``, ``remove`` and the ``*MessageChunk`` class
names); ``data`` is the message's fields as JSON. Reading revives only those
classes; messages stored as plain dicts by older versions (``{"type": "human",
"content": ...}``) still load. Without langchain-core, messages are stored as
those plain dicts.

Records
-------
``CheckpointRecord``
    One checkpoint: the full channel values at the end of a super-step, the
    version of every channel, the tasks that run next and LangGraph-style
    metadata. Checkpoints are immutable: a record with the same
    ``(thread_id, checkpoint_ns, checkpoint_id)`` may be written again (a
    retried activity does that) and must then leave the store unchanged.

``PendingWrite``
    A write of one task against a checkpoint (the checkpoint the task ran
    from), saved when a super-step did not complete: the writes of nodes that
    succeeded, a failed node's error (channel ``__error__``), interrupts
    (``__interrupt__``) and resume values (``__resume__``). Idempotent on
    ``(thread, ns, checkpoint_id, task_id, idx)``.

Channel versions
----------------
``CheckpointRecord.channel_versions`` maps each channel to an opaque,
totally ordered string that changes whenever the channel's value changes and
is unique across branches of a thread (the engine uses the id of the
checkpoint that last wrote the channel). A saver stores a channel's value
once per ``(thread, ns, channel, version)``: channels that did not change are
not rewritten at the next checkpoint.

Checkpoint ids
--------------
Ids are time-ordered strings (UUIDv7 layout): sorting ids sorts checkpoints
by creation, which is how history is ordered (newest first).

Sync and async
--------------
Every method has an async twin named with an ``a`` prefix. The base class
implements the async twins by running the sync method in a thread; a backend
with a native async driver overrides them.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ._masking import mask_password

__all__ = [
    "FORMAT_VERSION",
    "BaseCheckpointSaver",
    "CheckpointRecord",
    "PendingWrite",
    "StreamChunk",
    "ThreadInfo",
]

#: Version of the record layout. Stored with every checkpoint and archive line
#: so that a later release can read (and migrate) what an earlier one wrote.
FORMAT_VERSION = 1

JSON = Any


@dataclasses.dataclass(frozen=True)
class CheckpointRecord:
    """One stored checkpoint.

    Fields:
        thread_id: the conversation/run thread the checkpoint belongs to.
        checkpoint_ns: namespace; ``""`` for the root graph.
        checkpoint_id: time-ordered unique id (see module docstring).
        parent_checkpoint_id: the checkpoint this one follows, ``None`` for the first.
        created_at: ISO 8601 timestamp in UTC, e.g. ``"2026-11-27T13:40:47.123456+00:00"``.
        metadata: JSON object; always holds ``source`` (``"input"``, ``"loop"``,
            ``"update"``, ``"fork"``), ``step`` (int), ``writes`` and ``parents``;
            room for more keys.
        channel_values: JSON object, channel name -> JSON value, the full
            values at this checkpoint (state keys and internal channels such
            as waiting-edge barriers, whose names start with ``"__"`` or
            contain ``":"``).
        channel_versions: channel name -> version string (see module docstring).
        next_tasks: JSON list of task descriptors (objects with at least
            ``id`` and ``name``) that run next from this checkpoint.
        format_version: layout version, :data:`FORMAT_VERSION` when written.
    """

    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    parent_checkpoint_id: str | None
    created_at: str
    metadata: dict[str, JSON]
    channel_values: dict[str, JSON]
    channel_versions: dict[str, str]
    next_tasks: list[dict[str, JSON]]
    format_version: int = FORMAT_VERSION

    @property
    def step(self) -> int:
        return int(self.metadata.get("step", -1))

    @property
    def source(self) -> str:
        return str(self.metadata.get("source", ""))

    def to_json(self) -> dict[str, JSON]:
        """The record as one JSON object (the archive line format)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, JSON]) -> CheckpointRecord:
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


@dataclasses.dataclass(frozen=True)
class PendingWrite:
    """A write one task made against a checkpoint.

    Fields:
        task_id: deterministic id of the task (same task, same id on every retry).
        task_name: the node the task runs.
        idx: position of the write among the task's writes (0, 1, ...).
        channel: the channel written; special channels: ``__error__``
            (value: ``{"type", "message", ...}``), ``__interrupt__``,
            ``__resume__``, ``__route__`` (the task's routing decisions).
        value: JSON value.
    """

    task_id: str
    task_name: str
    idx: int
    channel: str
    value: JSON


@dataclasses.dataclass(frozen=True)
class StreamChunk:
    """One chunk of a run's live stream (``custom`` and ``messages`` modes), as stored.

    Node activities write these while the node runs (``graphcompat._chunks``
    owns the format of ``value``); clients read them in ``seq`` order. They
    are not state: never part of a checkpoint, never in workflow history.

    Fields:
        seq: position in the thread's stream, assigned by the store when the
            chunk is written (increasing, in commit order; gaps allowed).
        checkpoint_ns: namespace of the graph that wrote it (``""``: the root).
        checkpoint_id: the checkpoint the writing task ran from.
        writer: who wrote it: one node attempt (``<task id>/<workflow run
            id>/<activity id>``) or a run's start marker (``run:<run id>``).
        attempt: the activity's attempt (Temporal retries a lost worker's node).
        idx: position among the writer's chunks; ``(thread, ns, writer,
            attempt, idx)`` is unique, so a re-sent batch changes nothing.
        created_at: ISO-8601 UTC time of the write (chunk retention counts from it).
        value: JSON value.
    """

    seq: int
    checkpoint_ns: str
    checkpoint_id: str
    writer: str
    attempt: int
    idx: int
    created_at: str
    value: JSON


@dataclasses.dataclass(frozen=True)
class ThreadInfo:
    """Summary of a thread, for listings and cleanup."""

    thread_id: str
    checkpoint_count: int
    latest_checkpoint_id: str
    latest_step: int
    updated_at: str  # created_at of the latest checkpoint


class BaseCheckpointSaver(abc.ABC):
    """Abstract snapshot store. See the module docstring for the contract.

    ``url`` names the store so that another process (a worker, the command
    line) can open the same one: ``sqlite:///abs/path.db``,
    ``postgresql://...``, or ``memory://`` (this process only).
    """

    #: True when the data lives only in this process (a worker in another
    #: process cannot see it).
    in_process_only: bool = False

    @property
    @abc.abstractmethod
    def url(self) -> str:
        """URL that opens this same store from another process."""

    @property
    def display_url(self) -> str:
        """``url`` with any password masked: the form to print and to log."""
        return mask_password(self.url)

    # -- checkpoints -------------------------------------------------------

    @abc.abstractmethod
    def put_checkpoint(self, record: CheckpointRecord) -> bool:
        """Store a checkpoint; True when stored, False when the id was already there.

        Writing the same id again changes nothing (first write wins); the False
        lets a re-run step continue from what is stored.
        """

    @abc.abstractmethod
    def get_checkpoint(
        self, thread_id: str, checkpoint_ns: str = "", checkpoint_id: str | None = None
    ) -> CheckpointRecord | None:
        """The named checkpoint, or the thread's latest when ``checkpoint_id`` is None.

        Returns None when there is no such checkpoint.
        """

    @abc.abstractmethod
    def list_checkpoints(
        self,
        thread_id: str,
        checkpoint_ns: str | None = "",
        *,
        filter: Mapping[str, JSON] | None = None,
        before: str | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointRecord]:
        """Checkpoints of a thread, all branches, newest first (by checkpoint id).

        ``checkpoint_ns=None`` lists every namespace. ``filter`` keeps records
        whose metadata has each given key equal to the given value.
        ``before`` keeps ids strictly smaller than it. ``limit`` caps the count.
        """

    # -- pending writes ----------------------------------------------------

    @abc.abstractmethod
    def put_writes(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str, writes: Sequence[PendingWrite]
    ) -> None:
        """Store pending writes against a checkpoint; idempotent per (task_id, idx)."""

    @abc.abstractmethod
    def get_writes(self, thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> list[PendingWrite]:
        """Pending writes against a checkpoint, ordered by (task_id, idx)."""

    def get_writes_many(
        self, thread_id: str, checkpoint_ns: str, checkpoint_ids: Sequence[str]
    ) -> dict[str, list[PendingWrite]]:
        """:meth:`get_writes` of several checkpoints at once: each id maps to its writes.

        A page of history needs the writes of every checkpoint on it; a store
        that answers in one query (the SQL savers do) saves a round trip per
        checkpoint. This default asks once per checkpoint.
        """
        return {cid: self.get_writes(thread_id, checkpoint_ns, cid) for cid in checkpoint_ids}

    # -- threads and cleanup -----------------------------------------------

    @abc.abstractmethod
    def list_threads(self) -> list[ThreadInfo]:
        """Every thread in the store, most recently updated first."""

    @abc.abstractmethod
    def delete_thread(self, thread_id: str) -> int:
        """Delete every checkpoint, blob and write of a thread. Returns checkpoints deleted."""

    @abc.abstractmethod
    def prune_thread(self, thread_id: str, keep_last: int, *, protect: Sequence[str] = ()) -> int:
        """Keep the latest ``keep_last`` checkpoints of a thread, delete older ones.

        Kept checkpoints keep a readable parent chain: the oldest kept
        checkpoint's ``parent_checkpoint_id`` becomes None in listings when its
        parent is deleted. Checkpoints named in ``protect`` (e.g. what a pending
        run resumes from) and their pending writes are never deleted.
        Returns the number of checkpoints deleted.
        """

    @abc.abstractmethod
    def expire_threads(self, idle_for: timedelta, *, now: datetime | None = None) -> list[str]:
        """Delete threads whose latest checkpoint is older than ``idle_for``. Returns their ids."""

    # -- stream chunks -------------------------------------------------------

    def put_stream_chunks(self, thread_id: str, chunks: Sequence[StreamChunk]) -> None:
        """Append chunks to the thread's stream (their ``seq`` is ignored and assigned here).

        Idempotent on ``(checkpoint_ns, writer, attempt, idx)``. Chunks of
        one call get consecutive positions after every chunk committed before.
        """
        raise NotImplementedError(f"{type(self).__name__} does not store stream chunks")

    def get_stream_chunks(self, thread_id: str, *, after: int = 0, limit: int = 1000) -> list[StreamChunk]:
        """Chunks of the thread (every namespace) with ``seq > after``, in ``seq`` order."""
        raise NotImplementedError(f"{type(self).__name__} does not store stream chunks")

    def stream_head(self, thread_id: str) -> int:
        """The ``seq`` of the thread's newest chunk (0 when it has none): a new reader's cursor."""
        raise NotImplementedError(f"{type(self).__name__} does not store stream chunks")

    def delete_stream_chunks(self, thread_id: str | None, *, before: datetime) -> int:
        """Delete chunks written before ``before`` (of one thread, or of all with None). Returns how many."""
        raise NotImplementedError(f"{type(self).__name__} does not store stream chunks")

    def archive_thread(self, thread_id: str, path: str | Path, *, delete: bool = True) -> int:
        """Append the thread's checkpoints and writes to a JSON Lines file, then delete them.

        Each line is ``{"kind": "checkpoint", "format_version", "record": {...},
        "writes": [...]}``, oldest first. The file is flushed and fsynced
        before anything is deleted. Returns the number of checkpoints archived.
        """
        raise NotImplementedError

    def restore_archive(self, path: str | Path) -> int:
        """Load a JSON Lines archive written by :meth:`archive_thread`. Returns checkpoints loaded."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections. The saver is unusable afterwards."""

    def __enter__(self) -> BaseCheckpointSaver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- async twins ---------------------------------------------------------

    async def aput_checkpoint(self, record: CheckpointRecord) -> bool:
        return await asyncio.to_thread(self.put_checkpoint, record)

    async def aget_checkpoint(
        self, thread_id: str, checkpoint_ns: str = "", checkpoint_id: str | None = None
    ) -> CheckpointRecord | None:
        return await asyncio.to_thread(self.get_checkpoint, thread_id, checkpoint_ns, checkpoint_id)

    async def alist_checkpoints(
        self,
        thread_id: str,
        checkpoint_ns: str | None = "",
        *,
        filter: Mapping[str, JSON] | None = None,
        before: str | None = None,
        limit: int | None = None,
    ) -> list[CheckpointRecord]:
        return await asyncio.to_thread(
            lambda: list(
                self.list_checkpoints(thread_id, checkpoint_ns, filter=filter, before=before, limit=limit)
            )
        )

    async def aput_writes(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str, writes: Sequence[PendingWrite]
    ) -> None:
        await asyncio.to_thread(self.put_writes, thread_id, checkpoint_ns, checkpoint_id, writes)

    async def aget_writes(self, thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> list[PendingWrite]:
        return await asyncio.to_thread(self.get_writes, thread_id, checkpoint_ns, checkpoint_id)

    async def aget_writes_many(
        self, thread_id: str, checkpoint_ns: str, checkpoint_ids: Sequence[str]
    ) -> dict[str, list[PendingWrite]]:
        return await asyncio.to_thread(self.get_writes_many, thread_id, checkpoint_ns, checkpoint_ids)

    async def alist_threads(self) -> list[ThreadInfo]:
        return await asyncio.to_thread(self.list_threads)

    async def adelete_thread(self, thread_id: str) -> int:
        return await asyncio.to_thread(self.delete_thread, thread_id)

    async def aprune_thread(self, thread_id: str, keep_last: int, *, protect: Sequence[str] = ()) -> int:
        return await asyncio.to_thread(lambda: self.prune_thread(thread_id, keep_last, protect=protect))

    async def aexpire_threads(self, idle_for: timedelta, *, now: datetime | None = None) -> list[str]:
        return await asyncio.to_thread(lambda: self.expire_threads(idle_for, now=now))

    async def aarchive_thread(self, thread_id: str, path: str | Path, *, delete: bool = True) -> int:
        return await asyncio.to_thread(lambda: self.archive_thread(thread_id, path, delete=delete))

    async def arestore_archive(self, path: str | Path) -> int:
        return await asyncio.to_thread(self.restore_archive, path)

    async def aput_stream_chunks(self, thread_id: str, chunks: Sequence[StreamChunk]) -> None:
        await asyncio.to_thread(self.put_stream_chunks, thread_id, chunks)

    async def aget_stream_chunks(self, thread_id: str, *, after: int = 0, limit: int = 1000) -> list[StreamChunk]:
        return await asyncio.to_thread(lambda: self.get_stream_chunks(thread_id, after=after, limit=limit))

    async def astream_head(self, thread_id: str) -> int:
        return await asyncio.to_thread(self.stream_head, thread_id)

    async def adelete_stream_chunks(self, thread_id: str | None, *, before: datetime) -> int:
        return await asyncio.to_thread(lambda: self.delete_stream_chunks(thread_id, before=before))
