"""Behaviour every saver shares: argument checks, archives, thread cleanup rules.

Kept out of ``base.py`` (the contract) so that the contract stays a list of
promises, and here once so that the backends cannot drift apart.
"""

from __future__ import annotations

import abc
import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..errors import ConfigurationError, ConfigurationTypeError, StoreError, UnknownThreadError
from ._tuples import LangGraphCheckpointAPI, langgraph_writes
from .base import FORMAT_VERSION, BaseCheckpointSaver, CheckpointRecord, PendingWrite

JSON = object


def check_keep_last(keep_last: int) -> None:
    """Refuse a ``keep_last`` that would delete everything or is not a count."""
    if isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 1:
        raise ConfigurationError(
            f"keep_last must be a positive integer, got {keep_last!r}; "
            "to delete a whole thread use delete_thread (`graphcompat delete THREAD`)",
            keep_last=keep_last,
        )


def check_limit(limit: int | None) -> None:
    """Refuse a history ``limit`` that is not a count."""
    if limit is None:
        return
    message = f"limit must be a non-negative integer or None, got {limit!r}"
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise ConfigurationTypeError(message, limit=limit)  # LangGraph raises TypeError here
    if limit < 0:
        raise ConfigurationError(message, limit=limit)


def expiry_cutoff(idle_for: timedelta, now: datetime | None) -> datetime:
    """The instant before which a thread's last update makes it expired.

    A naive ``now`` is taken to be UTC, like every timestamp the store holds.
    """
    if not isinstance(idle_for, timedelta) or idle_for < timedelta(0):
        raise ConfigurationError(
            f"idle_for must be a non-negative datetime.timedelta, got {idle_for!r}; "
            "e.g. expire_threads(timedelta(days=30))",
            idle_for=idle_for,
        )
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now - idle_for


def parse_time(text: str) -> datetime:
    """Parse a stored ``created_at``; naive timestamps are UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def check_versions(record: CheckpointRecord) -> None:
    """Every stored value needs a version: blobs are keyed by it."""
    missing = sorted(set(record.channel_values) - set(record.channel_versions))
    if missing:
        raise StoreError(
            f"checkpoint {record.checkpoint_id!r} of thread {record.thread_id!r} has values "
            f"without a version for channels {missing}; every channel in channel_values "
            "needs an entry in channel_versions (this is a bug in the code that built the record)",
            thread_id=record.thread_id,
            checkpoint_id=record.checkpoint_id,
        )


def metadata_matches(metadata: Mapping[str, object], filter: Mapping[str, object] | None) -> bool:
    """True when every key of ``filter`` is in ``metadata`` with an equal value."""
    if not filter:
        return True
    return all(key in metadata and metadata[key] == value for key, value in filter.items())


class ArchivingSaver(LangGraphCheckpointAPI, BaseCheckpointSaver, abc.ABC):
    """Archive and restore written once on top of the contract's other methods, plus LangGraph's
    checkpointer API (``get_tuple``, ``list``, ``put``, ...: :mod:`._tuples`).

    A backend only supplies :meth:`_delete_checkpoints`, which removes the
    named checkpoints (and whatever only they used) in one transaction; so an
    archive never deletes a checkpoint written after the archive was read.
    """

    #: ``aput_writes`` takes LangGraph's ``(config, writes, task_id)`` too, as ``put_writes`` does.
    aput_writes = langgraph_writes(BaseCheckpointSaver.aput_writes)

    @abc.abstractmethod
    def _delete_checkpoints(self, thread_id: str, keys: Sequence[tuple[str, str]]) -> int:
        """Delete ``(checkpoint_ns, checkpoint_id)`` checkpoints of a thread. Returns how many."""

    def archive_thread(self, thread_id: str, path: str | Path, *, delete: bool = True) -> int:
        records = list(self.list_checkpoints(thread_id, None))
        if not records:
            raise UnknownThreadError(
                f"no checkpoints for thread {thread_id!r}; list threads with `graphcompat threads`",
                thread_id=thread_id,
            )
        records.reverse()  # oldest first
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as out:
            for record in records:
                writes = self.get_writes(thread_id, record.checkpoint_ns, record.checkpoint_id)
                line = {
                    "kind": "checkpoint",
                    "format_version": FORMAT_VERSION,
                    "record": record.to_json(),
                    "writes": [dataclasses.asdict(w) for w in writes],
                }
                out.write(json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
        if delete:
            self._delete_checkpoints(thread_id, [(r.checkpoint_ns, r.checkpoint_id) for r in records])
        return len(records)

    def restore_archive(self, path: str | Path) -> int:
        source = Path(path)
        if not source.is_file():
            raise StoreError(f"archive {str(source)!r} does not exist; pass the file archive_thread wrote")
        loaded = 0
        with source.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                record, writes = _parse_archive_line(line, source, number)
                self.put_checkpoint(record)
                if writes:
                    self.put_writes(record.thread_id, record.checkpoint_ns, record.checkpoint_id, writes)
                loaded += 1
        return loaded


def _parse_archive_line(line: str, source: Path, number: int) -> tuple[CheckpointRecord, list[PendingWrite]]:
    where = f"{str(source)!r} line {number}"
    try:
        entry = json.loads(line)
    except json.JSONDecodeError as exc:
        raise StoreError(f"archive {where} is not JSON ({exc}); is this a graphcompat archive?") from exc
    if not isinstance(entry, dict) or entry.get("kind") != "checkpoint":
        raise StoreError(f"archive {where} is not a checkpoint line; is this a graphcompat archive?")
    version = entry.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise StoreError(
            f"archive {where} has format_version {version!r} but this graphcompat reads up to "
            f"{FORMAT_VERSION}; upgrade graphcompat (pip install -U graphcompat)"
        )
    try:
        record = CheckpointRecord.from_json(entry["record"])
        writes = [PendingWrite(**w) for w in entry.get("writes", [])]
    except (KeyError, TypeError) as exc:
        raise StoreError(f"archive {where} is missing fields ({exc}); the file is damaged") from exc
    return record, writes


def cache_now(now: datetime | None = None) -> float:
    """The moment node-cache expiry is measured at, as a UTC timestamp (``now`` for tests)."""
    return (now or datetime.now(UTC)).timestamp()
