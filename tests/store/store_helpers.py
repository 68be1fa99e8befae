"""Record builders for the store conformance suite: checkpoints shaped as the engine writes them."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Any

import pytest

from graphcompat.checkpoint import CheckpointRecord

POSTGRES_ENV = "GRAPHCOMPAT_TEST_POSTGRES_URL"
POSTGRES_SKIP = "set GRAPHCOMPAT_TEST_POSTGRES_URL=postgresql://127.0.0.1:5432/test to run the Postgres store tests"


def postgres_url() -> str:
    """The test server's URL; skips the test when none is configured."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(POSTGRES_SKIP)
    return url

_ids = itertools.count(1)


def new_id() -> str:
    """A fresh, increasing, fixed-width id (sorts like the engine's UUIDv7 ids)."""
    return f"1f0{next(_ids):013x}"


def created_at(minute: int = 0) -> str:
    return f"2026-01-01T00:{minute:02d}:00+00:00"


@dataclass
class ThreadWriter:
    """Writes checkpoints like the engine: a channel's version is the id of the checkpoint that changed it."""

    saver: Any
    thread_id: str
    ns: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    head: str | None = None
    step: int = -1
    written: list[CheckpointRecord] = field(default_factory=list)

    def write(self, source: str = "loop", minute: int = 0, **updates: Any) -> CheckpointRecord:
        cid = new_id()
        self.step += 1
        for channel, value in updates.items():
            self.values[channel] = value
            self.versions[channel] = cid
        record = CheckpointRecord(
            thread_id=self.thread_id,
            checkpoint_ns=self.ns,
            checkpoint_id=cid,
            parent_checkpoint_id=self.head,
            created_at=created_at(minute),
            metadata={"source": source, "step": self.step, "writes": {"node": updates}, "parents": {}},
            channel_values=dict(self.values),
            channel_versions=dict(self.versions),
            next_tasks=[{"id": f"task-{cid}", "name": "node"}],
        )
        self.saver.put_checkpoint(record)
        self.head = cid
        self.written.append(record)
        return record

    def fork(self, record: CheckpointRecord) -> ThreadWriter:
        """A writer continuing a branch from ``record``."""
        return ThreadWriter(
            self.saver, self.thread_id, self.ns, dict(record.channel_values), dict(record.channel_versions),
            record.checkpoint_id, record.step, [],
        )
