"""In-memory snapshot store, for tests and notebooks.

It keeps the same shape as the SQL stores (one value per channel version,
writes keyed by task and index) so that the conformance suite pins the same
behaviour on all of them. Every value is copied on the way in and on the way
out: a caller that mutates its state cannot change what was stored.

``InMemorySaver().url`` is ``memory://<name>``; :func:`saver_from_url` maps
that URL back to the same live saver inside this process (so an in-process
worker sees the client's checkpoints). Another process cannot see it:
``in_process_only`` is True.
"""

from __future__ import annotations

import bisect
import threading
import uuid
import weakref
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ._codec import dumps, json_copy
from ._common import (
    ArchivingSaver,
    check_keep_last,
    check_limit,
    check_versions,
    expiry_cutoff,
    metadata_matches,
    parse_time,
)
from .base import CheckpointRecord, PendingWrite, StreamChunk, ThreadInfo

__all__ = ["InMemorySaver", "MemorySaver"]

JSON = Any

_registry: weakref.WeakValueDictionary[str, InMemorySaver] = weakref.WeakValueDictionary()
_registry_lock = threading.Lock()


@dataclass
class _Thread:
    # (ns, checkpoint_id) -> record without channel_values
    checkpoints: dict[tuple[str, str], CheckpointRecord] = field(default_factory=dict)
    # (ns, channel, version) -> value
    blobs: dict[tuple[str, str, str], JSON] = field(default_factory=dict)
    # (ns, checkpoint_id) -> {(task_id, idx): write}
    writes: dict[tuple[str, str], dict[tuple[str, int], PendingWrite]] = field(
        default_factory=lambda: defaultdict(dict)
    )


class InMemorySaver(ArchivingSaver):
    """Checkpoints in a dict, guarded by a lock; lost when the process ends."""

    in_process_only = True

    def __init__(self, name: str | None = None) -> None:
        self._name = name or uuid.uuid4().hex[:12]
        self._lock = threading.RLock()
        self._threads: dict[str, _Thread] = {}
        # thread -> its stream chunks in seq order, and the writer keys already stored
        self._chunks: dict[str, list[StreamChunk]] = defaultdict(list)
        self._chunk_keys: dict[str, set[tuple[str, str, int, int]]] = defaultdict(set)
        self._chunk_seq: dict[str, int] = {}
        with _registry_lock:
            _registry[self._name] = self

    @classmethod
    def _named(cls, name: str) -> InMemorySaver:
        """The live saver called ``name`` in this process, or a new empty one."""
        with _registry_lock:
            saver = _registry.get(name)
        return saver if saver is not None else cls(name)

    @property
    def url(self) -> str:
        return f"memory://{self._name}"

    def __repr__(self) -> str:
        return f"InMemorySaver(name={self._name!r})"

    def __enter__(self) -> InMemorySaver:
        return self

    # -- checkpoints -------------------------------------------------------------

    def put_checkpoint(self, record: CheckpointRecord) -> bool:
        check_versions(record)
        key = (record.checkpoint_ns, record.checkpoint_id)
        with self._lock:
            thread = self._threads.setdefault(record.thread_id, _Thread())
            if key in thread.checkpoints:
                return False
            for channel, value in record.channel_values.items():
                blob = (record.checkpoint_ns, channel, record.channel_versions[channel])
                if blob not in thread.blobs:
                    thread.blobs[blob] = json_copy(value)
            thread.checkpoints[key] = replace(
                record,
                metadata=json_copy(record.metadata),
                channel_values={},
                channel_versions=dict(record.channel_versions),
                next_tasks=json_copy(record.next_tasks),
            )
            return True

    def _assemble(self, thread: _Thread, stored: CheckpointRecord) -> CheckpointRecord:
        ns = stored.checkpoint_ns
        values = {
            ch: json_copy(thread.blobs[(ns, ch, v)])
            for ch, v in stored.channel_versions.items()
            if (ns, ch, v) in thread.blobs
        }
        return replace(
            stored,
            metadata=json_copy(stored.metadata),
            channel_values=values,
            channel_versions=dict(stored.channel_versions),
            next_tasks=json_copy(stored.next_tasks),
        )

    def get_checkpoint(
        self, thread_id: str, checkpoint_ns: str = "", checkpoint_id: str | None = None
    ) -> CheckpointRecord | None:
        with self._lock:
            thread = self._threads.get(thread_id)
            if thread is None:
                return None
            if checkpoint_id is None:
                ids = [cid for ns, cid in thread.checkpoints if ns == checkpoint_ns]
                if not ids:
                    return None
                checkpoint_id = max(ids)
            stored = thread.checkpoints.get((checkpoint_ns, checkpoint_id))
            return None if stored is None else self._assemble(thread, stored)

    def list_checkpoints(
        self,
        thread_id: str,
        checkpoint_ns: str | None = "",
        *,
        filter: Mapping[str, JSON] | None = None,
        before: str | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointRecord]:
        check_limit(limit)  # here, not in the generator: a bad call fails at once
        with self._lock:
            thread = self._threads.get(thread_id)
            stored = [] if thread is None else list(thread.checkpoints.values())
        stored = [
            r
            for r in stored
            if (checkpoint_ns is None or r.checkpoint_ns == checkpoint_ns)
            and (before is None or r.checkpoint_id < before)
            and metadata_matches(r.metadata, filter)
        ]
        stored.sort(key=lambda r: r.checkpoint_id, reverse=True)
        if limit is not None:
            stored = stored[:limit]
        return self._assembled(thread, stored)

    def _assembled(self, thread: _Thread | None, stored: list[CheckpointRecord]) -> Iterator[CheckpointRecord]:
        for record in stored:
            with self._lock:
                assert thread is not None
                yield self._assemble(thread, record)

    # -- pending writes ------------------------------------------------------------

    def put_writes(
        self, thread_id: str, checkpoint_ns: str, checkpoint_id: str, writes: Sequence[PendingWrite]
    ) -> None:
        with self._lock:
            thread = self._threads.setdefault(thread_id, _Thread())
            slot = thread.writes[(checkpoint_ns, checkpoint_id)]
            for write in writes:
                slot.setdefault((write.task_id, write.idx), replace(write, value=json_copy(write.value)))

    def get_writes(self, thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> list[PendingWrite]:
        with self._lock:
            thread = self._threads.get(thread_id)
            slot = {} if thread is None else thread.writes.get((checkpoint_ns, checkpoint_id), {})
            return [replace(w, value=json_copy(w.value)) for _, w in sorted(slot.items())]

    # -- threads and cleanup -------------------------------------------------------------

    def list_threads(self) -> list[ThreadInfo]:
        infos = []
        with self._lock:
            for thread_id, thread in self._threads.items():
                if not thread.checkpoints:
                    continue
                latest = max(thread.checkpoints.values(), key=lambda r: r.checkpoint_id)
                infos.append(
                    ThreadInfo(thread_id, len(thread.checkpoints), latest.checkpoint_id, latest.step, latest.created_at)
                )
        infos.sort(key=lambda t: t.thread_id)
        infos.sort(key=lambda t: t.updated_at, reverse=True)
        return infos

    # -- stream chunks -------------------------------------------------------------

    def put_stream_chunks(self, thread_id: str, chunks: Sequence[StreamChunk]) -> None:
        with self._lock:
            stored, keys = self._chunks[thread_id], self._chunk_keys[thread_id]
            seq = self._chunk_seq.get(thread_id, 0)
            for chunk in chunks:
                key = (chunk.checkpoint_ns, chunk.writer, chunk.attempt, chunk.idx)
                if key in keys:
                    continue
                keys.add(key)
                seq += 1
                stored.append(replace(chunk, seq=seq, value=json_copy(chunk.value)))
            self._chunk_seq[thread_id] = seq

    def get_stream_chunks(self, thread_id: str, *, after: int = 0, limit: int = 1000) -> list[StreamChunk]:
        with self._lock:
            stored = self._chunks.get(thread_id) or []
            start = bisect.bisect_right(stored, after, key=lambda c: c.seq)
            return [replace(c, value=json_copy(c.value)) for c in stored[start : start + limit]]

    def stream_head(self, thread_id: str) -> int:
        with self._lock:
            return self._chunk_seq.get(thread_id, 0)

    def delete_stream_chunks(self, thread_id: str | None, *, before: datetime) -> int:
        cutoff = before.isoformat()
        deleted = 0
        with self._lock:
            for tid in [thread_id] if thread_id is not None else list(self._chunks):
                stored = self._chunks.get(tid) or []
                kept = [c for c in stored if c.created_at >= cutoff]
                deleted += len(stored) - len(kept)
                self._chunks[tid] = kept
        return deleted

    def delete_thread(self, thread_id: str) -> int:
        with self._lock:
            self._chunks.pop(thread_id, None)
            self._chunk_keys.pop(thread_id, None)
            self._chunk_seq.pop(thread_id, None)
            thread = self._threads.pop(thread_id, None)
            return 0 if thread is None else len(thread.checkpoints)

    def prune_thread(self, thread_id: str, keep_last: int, *, protect: Sequence[str] = ()) -> int:
        check_keep_last(keep_last)
        with self._lock:
            thread = self._threads.get(thread_id)
            if thread is None:
                return 0
            by_ns: dict[str, list[str]] = defaultdict(list)
            for ns, cid in thread.checkpoints:
                by_ns[ns].append(cid)
            doomed = [
                (ns, cid)
                for ns, ids in by_ns.items()
                for cid in sorted(ids, reverse=True)[keep_last:]
                if cid not in set(protect)
            ]
            return self._delete_checkpoints(thread_id, doomed)

    def _delete_checkpoints(self, thread_id: str, keys: Sequence[tuple[str, str]]) -> int:
        with self._lock:
            thread = self._threads.get(thread_id)
            if thread is None:
                return 0
            deleted = 0
            for key in keys:
                if thread.checkpoints.pop(key, None) is not None:
                    deleted += 1
                thread.writes.pop(key, None)
            for key, record in list(thread.checkpoints.items()):
                parent = record.parent_checkpoint_id
                if parent is not None and (key[0], parent) not in thread.checkpoints:
                    thread.checkpoints[key] = replace(record, parent_checkpoint_id=None)
            needed = {
                (ns, ch, v) for (ns, _), r in thread.checkpoints.items() for ch, v in r.channel_versions.items()
            }
            for blob in [b for b in thread.blobs if b not in needed]:
                del thread.blobs[blob]
            if not thread.checkpoints:
                del self._threads[thread_id]
            return deleted

    def expire_threads(self, idle_for: timedelta, *, now: datetime | None = None) -> list[str]:
        cutoff = expiry_cutoff(idle_for, now)
        with self._lock:
            expired = [t.thread_id for t in self.list_threads() if parse_time(t.updated_at) < cutoff]
            for thread_id in expired:
                del self._threads[thread_id]
                for chunks in (self._chunks, self._chunk_keys, self._chunk_seq):
                    chunks.pop(thread_id, None)
        return expired

    def _stats(self) -> dict[str, int]:
        """Row counts and stored value bytes, shaped like the SQL savers' ``_stats``."""
        with self._lock:
            threads = self._threads.values()
            return {
                "checkpoints": sum(len(t.checkpoints) for t in threads),
                "blobs": sum(len(t.blobs) for t in threads),
                "writes": sum(len(w) for t in threads for w in t.writes.values()),
                "threads": sum(1 for t in threads if t.checkpoints),
                "blob_bytes": sum(len(dumps(v).encode()) for t in threads for v in t.blobs.values()),
            }


#: LangGraph's older name for the same saver.
MemorySaver = InMemorySaver
