"""LangGraph's checkpointer API on every backend: get_tuple, list, put, put_writes(config, ...),
delete_thread and their async twins, in LangGraph's CheckpointTuple shapes, over the same
records graphcompat's own contract stores."""

from __future__ import annotations

import pytest

from graphcompat.checkpoint.base import PendingWrite
from graphcompat.errors import ConfigurationError
from store_helpers import ThreadWriter


def cfg(thread_id: str, checkpoint_id: str | None = None) -> dict:
    conf = {"thread_id": thread_id}
    if checkpoint_id:
        conf["checkpoint_id"] = checkpoint_id
    return {"configurable": conf}


def test_get_tuple_has_langgraphs_shape(saver):
    w = ThreadWriter(saver, "t1")
    first = w.write(source="input", count=0)
    second = w.write(count=1, text="hi")
    saver.put_writes("t1", "", second.checkpoint_id, [PendingWrite("task-1", "node", 0, "count", 2)])
    tup = saver.get_tuple(cfg("t1"))
    assert tup.config == {"configurable": {"thread_id": "t1", "checkpoint_ns": "", "checkpoint_id": second.checkpoint_id}}
    assert tup.parent_config == {"configurable": {"thread_id": "t1", "checkpoint_ns": "", "checkpoint_id": first.checkpoint_id}}
    assert set(tup.checkpoint) == {"v", "id", "ts", "channel_values", "channel_versions", "versions_seen", "updated_channels"}
    assert tup.checkpoint["id"] == second.checkpoint_id and tup.checkpoint["ts"] == second.created_at
    assert tup.checkpoint["channel_values"] == {"count": 1, "text": "hi"}
    assert tup.checkpoint["channel_versions"] == second.channel_versions
    assert tup.metadata == second.metadata
    assert tup.pending_writes == [("task-1", "count", 2)]
    # By id, and the tuple's fields by name and by position (a NamedTuple, as LangGraph's).
    older = saver.get_tuple(cfg("t1", first.checkpoint_id))
    assert older.checkpoint["channel_values"] == {"count": 0} and older.parent_config is None
    config, checkpoint, metadata, parent, pending = older
    assert (config, pending) == (older.config, [])
    assert saver.get_tuple(cfg("nope")) is None
    assert saver.get_tuple(cfg("t1", "no-such-id")) is None


def test_list_is_newest_first_with_filter_before_limit(saver):
    w = ThreadWriter(saver, "t1")
    records = [w.write(source="input", a=0)] + [w.write(a=i) for i in range(1, 4)]
    ThreadWriter(saver, "t2").write(b=1)
    ids = [r.checkpoint_id for r in records]
    assert [t.checkpoint["id"] for t in saver.list(cfg("t1"))] == ids[::-1]
    assert [t.checkpoint["id"] for t in saver.list(cfg("t1"), filter={"source": "input"})] == [ids[0]]
    assert [t.checkpoint["id"] for t in saver.list(cfg("t1"), before=cfg("t1", ids[2]))] == [ids[1], ids[0]]
    assert [t.checkpoint["id"] for t in saver.list(cfg("t1"), limit=2)] == ids[::-1][:2]
    assert [t.checkpoint["id"] for t in saver.list(cfg("t1", ids[1]))] == [ids[1]]
    assert {t.config["configurable"]["thread_id"] for t in saver.list(None)} == {"t1", "t2"}
    assert len(list(saver.list(None, limit=3))) == 3


def test_put_and_put_writes_in_langgraphs_form_then_read_back(saver):
    base = saver.put(
        cfg("t9"),
        {"v": 4, "id": "00000000-0000-7000-8000-000000000001", "ts": "2026-01-01T00:00:00+00:00",
         "channel_values": {"count": 1}, "channel_versions": {"count": 1}, "versions_seen": {}},
        {"source": "input", "step": 0},
        {"count": 1},
    )
    assert base == {"configurable": {"thread_id": "t9", "checkpoint_ns": "", "checkpoint_id": "00000000-0000-7000-8000-000000000001"}}
    child = saver.put(
        base,
        {"v": 4, "id": "00000000-0000-7000-8000-000000000002", "ts": "2026-01-01T00:00:01+00:00",
         "channel_values": {"count": 2}, "channel_versions": {"count": 2}, "versions_seen": {}},
        {"source": "loop", "step": 1},
        {"count": 2},
    )
    saver.put_writes(child, [("count", 3), ("other", "x")], "task-a", "path")
    tup = saver.get_tuple(cfg("t9"))
    assert tup.checkpoint["channel_values"] == {"count": 2}
    assert tup.checkpoint["channel_versions"] == {"count": "2"}
    assert tup.parent_config == base
    assert tup.metadata["source"] == "loop" and tup.metadata["step"] == 1
    assert tup.pending_writes == [("task-a", "count", 3), ("task-a", "other", "x")]
    # graphcompat's own contract sees the same rows.
    assert [(w.task_id, w.task_name, w.channel) for w in saver.get_writes("t9", "", tup.checkpoint["id"])] == [
        ("task-a", "path", "count"), ("task-a", "path", "other"),
    ]
    with pytest.raises(ConfigurationError, match="put_writes needs the checkpoint.*checkpoint_id"):
        saver.put_writes(cfg("t9"), [("count", 1)], "task-b")
    with pytest.raises(ConfigurationError, match="get_tuple needs a config with a thread id"):
        saver.get_tuple({"configurable": {}})


def test_delete_thread_then_nothing_is_left(saver):
    ThreadWriter(saver, "t1").write(a=1)
    ThreadWriter(saver, "t2").write(a=2)
    saver.delete_thread("t1")
    assert saver.get_tuple(cfg("t1")) is None
    assert list(saver.list(cfg("t1"))) == []
    assert saver.get_tuple(cfg("t2")) is not None


async def test_async_twins(saver):
    w = ThreadWriter(saver, "t1")
    first = w.write(source="input", a=0)
    second = w.write(a=1)
    assert (await saver.aget_tuple(cfg("t1"))).checkpoint["id"] == second.checkpoint_id
    assert [t.checkpoint["id"] async for t in saver.alist(cfg("t1"))] == [second.checkpoint_id, first.checkpoint_id]
    config = await saver.aput(
        cfg("t1", second.checkpoint_id),
        {"id": "zzzzzzzz-0000-7000-8000-000000000009", "ts": "2026-01-02T00:00:00+00:00",
         "channel_values": {"a": 2}, "channel_versions": {"a": "v9"}},
        {"source": "update", "step": 2},
        {},
    )
    await saver.aput_writes(config, [("a", 5)], "task-z")
    tup = await saver.aget_tuple(config)
    assert tup.checkpoint["channel_values"] == {"a": 2} and tup.pending_writes == [("task-z", "a", 5)]
    await saver.adelete_thread("t1")
    assert await saver.aget_tuple(cfg("t1")) is None
