"""The stream-chunk part of the store contract, on every backend.

Node activities append chunks while a node runs; readers follow a thread's
stream with a cursor (``seq``). What users see through this: a reader that
resumes from its cursor gets every later chunk once, in the order written,
and a batch re-sent by a retried write does not appear twice.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from graphcompat.checkpoint.base import StreamChunk
from graphcompat.checkpoint.memory import InMemorySaver


def _chunks(task: str, n: int, *, attempt: int = 1, start: int = 0, at: str | None = None, ns: str = "") -> list[StreamChunk]:
    at = at or datetime.now(timezone.utc).isoformat()
    return [StreamChunk(0, ns, "c1", task, attempt, start + i, at, {"i": start + i, "task": task}) for i in range(n)]


def test_chunks_come_back_in_write_order_after_a_cursor(open_store):
    store = open_store()
    store.put_stream_chunks("t", _chunks("a", 3))
    store.put_stream_chunks("t", _chunks("b", 2))
    got = store.get_stream_chunks("t")
    assert [(c.writer, c.value["i"]) for c in got] == [("a", 0), ("a", 1), ("a", 2), ("b", 0), ("b", 1)]
    seqs = [c.seq for c in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    after = store.get_stream_chunks("t", after=seqs[2])
    assert [(c.writer, c.value["i"]) for c in after] == [("b", 0), ("b", 1)]
    assert [c.value["i"] for c in store.get_stream_chunks("t", after=seqs[0], limit=2)] == [1, 2]
    assert store.get_stream_chunks("other") == []
    assert store.stream_head("t") == seqs[-1] and store.stream_head("other") == 0


def test_a_resent_batch_is_stored_once_but_another_attempt_is_kept(open_store):
    store = open_store()
    store.put_stream_chunks("t", _chunks("a", 2))
    store.put_stream_chunks("t", _chunks("a", 3))  # the first two again (a retried flush), and one new
    store.put_stream_chunks("t", _chunks("a", 1, attempt=2))
    got = [(c.attempt, c.value["i"]) for c in store.get_stream_chunks("t")]
    assert got == [(1, 0), (1, 1), (1, 2), (2, 0)]


def test_another_saver_on_the_same_store_reads_the_chunks(open_store):
    open_store().put_stream_chunks("t", _chunks("a", 2, ns="sub:1"))
    got = open_store().get_stream_chunks("t")
    assert [(c.checkpoint_ns, c.checkpoint_id, c.value) for c in got] == [
        ("sub:1", "c1", {"i": 0, "task": "a"}),
        ("sub:1", "c1", {"i": 1, "task": "a"}),
    ]


def test_old_chunks_are_deleted_and_deleting_a_thread_drops_its_chunks(open_store):
    store = open_store()
    old = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()
    store.put_stream_chunks("t", _chunks("a", 2, at=old))
    store.put_stream_chunks("t", _chunks("b", 1))
    store.put_stream_chunks("u", _chunks("a", 1, at=old))
    cutoff = datetime.now(timezone.utc) - timedelta(hours=1)
    assert store.delete_stream_chunks("t", before=cutoff) == 2
    assert [c.writer for c in store.get_stream_chunks("t")] == ["b"]
    assert len(store.get_stream_chunks("u")) == 1
    assert store.delete_stream_chunks(None, before=cutoff) == 1
    store.delete_thread("t")
    assert store.get_stream_chunks("t") == []


async def test_async_twins(open_store):
    store = open_store()
    await store.aput_stream_chunks("t", _chunks("a", 2))
    got = await store.aget_stream_chunks("t", after=0)
    assert [c.value["i"] for c in got] == [0, 1]
    assert await store.astream_head("t") == got[-1].seq
    assert await store.adelete_stream_chunks("t", before=datetime.now(timezone.utc) + timedelta(seconds=5)) == 2


class _SlowWrites(InMemorySaver):
    """An in-memory store whose chunk writes take a while, as a remote database's do."""

    def __init__(self) -> None:
        super().__init__()
        self.writing = asyncio.Event()

    async def aput_stream_chunks(self, thread_id, chunks):
        self.writing.set()
        await asyncio.sleep(0.05)
        await super().aput_stream_chunks(thread_id, chunks)


async def test_a_node_that_returns_while_its_chunks_are_being_written_loses_none():
    """The sink closes (the node returned) while a batch is on its way to the store: it still arrives."""
    from graphcompat._chunks import ChunkSink

    store = _SlowWrites()
    sink = ChunkSink(store, "t", "", "c1", "task/run/1", 1)
    sink.custom({"n": 1})
    await store.writing.wait()  # the flusher has taken the batch and is writing it
    sink.custom({"n": 2})
    await sink.aclose()
    assert [c.value["data"] for c in store.get_stream_chunks("t")] == [{"n": 1}, {"n": 2}]


def test_expiring_a_thread_drops_its_chunks(open_store):
    store = open_store()
    from store_helpers import ThreadWriter

    ThreadWriter(store, "idle").write(a=1)
    store.put_stream_chunks("idle", _chunks("a", 2))
    expired = store.expire_threads(timedelta(seconds=0), now=datetime.now(timezone.utc) + timedelta(days=1))
    assert expired == ["idle"]
    assert store.get_stream_chunks("idle") == [] and store.stream_head("idle") == 0
