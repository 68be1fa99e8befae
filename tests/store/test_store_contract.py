"""The snapshot-store contract, run against every backend (see conftest.py)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from graphcompat.checkpoint import CheckpointRecord, PendingWrite
from graphcompat.errors import ConfigurationError, StoreError, UnknownThreadError
from store_helpers import ThreadWriter, created_at, new_id


def test_put_then_get_latest_and_by_id(saver):
    w = ThreadWriter(saver, "t1")
    first = w.write(source="input", messages=[], count=0)
    second = w.write(messages=["hi"], count=1)
    assert saver.get_checkpoint("t1") == second
    assert saver.get_checkpoint("t1", "", first.checkpoint_id) == first
    assert saver.get_checkpoint("t1", checkpoint_id=second.checkpoint_id).parent_checkpoint_id == first.checkpoint_id


def test_get_unknown_returns_none(saver):
    ThreadWriter(saver, "t1").write(a=1)
    assert saver.get_checkpoint("nope") is None
    assert saver.get_checkpoint("t1", "", "no-such-id") is None
    assert saver.get_checkpoint("t1", "sub") is None


def test_history_is_newest_first_and_round_trips_every_field(saver):
    w = ThreadWriter(saver, "t1")
    written = [w.write(minute=i, a=i, text="x" * i) for i in range(5)]
    history = list(saver.list_checkpoints("t1"))
    assert history == written[::-1]
    assert [r.format_version for r in history] == [1] * 5
    assert history[0].metadata == {"source": "loop", "step": 4, "writes": {"node": {"a": 4, "text": "xxxx"}}, "parents": {}}


def test_filter_before_and_limit(saver):
    w = ThreadWriter(saver, "t1")
    records = [w.write(source="input", a=0)] + [w.write(a=i) for i in range(1, 6)] + [w.write(source="update", a=9)]
    ids = [r.checkpoint_id for r in records]

    def listed(**kwargs):
        return [r.checkpoint_id for r in saver.list_checkpoints("t1", **kwargs)]

    assert listed(filter={"source": "loop"}) == ids[1:6][::-1]
    assert listed(filter={"source": "loop", "step": 3}) == [ids[3]]
    assert listed(filter={"writes": {"node": {"a": 2}}}) == [ids[2]]  # a nested value: exact equality
    assert listed(filter={"source": "nope"}) == []
    assert listed(filter={"missing": None}) == []
    assert listed(before=ids[3]) == ids[:3][::-1]
    assert listed(limit=2) == ids[::-1][:2]
    assert listed(limit=0) == []
    with pytest.raises(ConfigurationError, match="limit must be a non-negative integer or None, got -1"):
        saver.list_checkpoints("t1", limit=-1)
    assert listed(filter={"source": "loop"}, before=ids[5], limit=2) == [ids[4], ids[3]]


def test_branches_keep_both_children_and_their_parents(saver):
    w = ThreadWriter(saver, "t1")
    root = w.write(a=0, log=["start"])
    w.write(a=1, log=["start", "left"])
    right = w.fork(root)
    right_child = right.write(source="fork", a=2, log=["start", "right"])
    history = list(saver.list_checkpoints("t1"))
    assert [r.checkpoint_id for r in history] == [right_child.checkpoint_id, w.head, root.checkpoint_id]
    assert {r.parent_checkpoint_id for r in history[:2]} == {root.checkpoint_id}
    assert saver.get_checkpoint("t1") == right_child
    assert saver.get_checkpoint("t1", "", w.head).channel_values == {"a": 1, "log": ["start", "left"]}


def test_pending_writes_are_ordered_and_idempotent(saver):
    cp = ThreadWriter(saver, "t1").write(a=1)
    writes = [
        PendingWrite("task-b", "beta", 0, "a", {"x": 1}),
        PendingWrite("task-a", "alpha", 1, "__error__", {"type": "ValueError", "message": "boom"}),
        PendingWrite("task-a", "alpha", 0, "a", [1, 2]),
    ]
    saver.put_writes("t1", "", cp.checkpoint_id, writes)
    saver.put_writes("t1", "", cp.checkpoint_id, [PendingWrite("task-a", "alpha", 0, "a", "retried")])
    got = saver.get_writes("t1", "", cp.checkpoint_id)
    assert got == [writes[2], writes[1], writes[0]]
    assert saver.get_writes("t1", "", "other") == []
    assert saver.get_writes("t2", "", cp.checkpoint_id) == []


async def test_writes_of_several_checkpoints_at_once(saver):
    w = ThreadWriter(saver, "t1")
    first, second, third = w.write(a=1), w.write(a=2), w.write(a=3)
    saver.put_writes("t1", "", first.checkpoint_id, [PendingWrite("k", "n", 1, "a", 2), PendingWrite("k", "n", 0, "a", 1)])
    saver.put_writes("t1", "", third.checkpoint_id, [PendingWrite("j", "m", 0, "__error__", {"type": "E"})])
    saver.put_writes("t2", "", second.checkpoint_id, [PendingWrite("x", "x", 0, "a", "other thread")])
    ids = [third.checkpoint_id, second.checkpoint_id, first.checkpoint_id, "unknown"]
    expected = {cid: saver.get_writes("t1", "", cid) for cid in ids}
    assert [w.value for w in expected[first.checkpoint_id]] == [1, 2]
    assert expected[second.checkpoint_id] == []
    assert saver.get_writes_many("t1", "", ids) == expected
    assert await saver.aget_writes_many("t1", "", ids) == expected
    assert saver.get_writes_many("t1", "", []) == {}
    assert saver.get_writes_many("t1", "other-ns", ids) == {cid: [] for cid in ids}


def test_threads_and_namespaces_are_isolated(saver):
    a = ThreadWriter(saver, "ta").write(v="a")
    same_id = dataclasses.replace(a, thread_id="tb", channel_values={"v": "b"})
    saver.put_checkpoint(same_id)
    sub = ThreadWriter(saver, "ta", ns="child").write(v="sub")
    assert saver.get_checkpoint("ta", "", a.checkpoint_id).channel_values == {"v": "a"}
    assert saver.get_checkpoint("tb", "", a.checkpoint_id).channel_values == {"v": "b"}
    assert saver.get_checkpoint("ta") == a
    assert saver.get_checkpoint("ta", "child") == sub
    assert [r.checkpoint_id for r in saver.list_checkpoints("ta", None)] == [sub.checkpoint_id, a.checkpoint_id]
    assert saver.delete_thread("tb") == 1
    assert saver.get_checkpoint("ta") == a


def test_writing_the_same_checkpoint_again_changes_nothing(saver):
    w = ThreadWriter(saver, "t1")
    w.write(a=1, log=["x"])
    record = w.write(a=2, log=["x", "y"])
    before = saver._stats()
    assert saver.put_checkpoint(record) is False  # says it was already there
    assert saver.put_checkpoint(dataclasses.replace(record, channel_values={"a": 99, "log": []})) is False
    assert saver._stats() == before
    assert saver.get_checkpoint("t1") == record
    assert before["checkpoints"] == 2


async def test_put_says_whether_it_stored_sync_and_async(saver):
    w = ThreadWriter(saver, "t2")
    record = w.write(a=1)
    assert await saver.aput_checkpoint(record) is False
    fresh = dataclasses.replace(record, checkpoint_id=record.checkpoint_id[:-1] + ("0" if record.checkpoint_id[-1] != "0" else "1"))
    assert await saver.aput_checkpoint(fresh) is True
    assert await saver.aput_checkpoint(fresh) is False


def test_unchanged_channels_are_stored_once(saver):
    w = ThreadWriter(saver, "t1")
    w.write(big={"doc": "d" * 1000}, counter=0)
    for i in range(1, 10):
        w.write(counter=i)
    stats = saver._stats()
    assert stats["blobs"] == 1 + 10  # one "big", ten "counter"
    assert stats["blob_bytes"] < 1100 + 10 * 10
    assert all(r.channel_values["big"] == {"doc": "d" * 1000} for r in saver.list_checkpoints("t1"))


def test_values_are_copies(saver):
    w = ThreadWriter(saver, "t1")
    record = w.write(log=[{"n": 1}])
    record.channel_values["log"].append({"n": 2})
    got = saver.get_checkpoint("t1")
    got.channel_values["log"][0]["n"] = 99
    assert saver.get_checkpoint("t1").channel_values == {"log": [{"n": 1}]}


def test_flat_values_are_copies_too(saver):
    # Lists of scalars and flat dicts take a fast copy; it must still be a copy.
    w = ThreadWriter(saver, "t1")
    w.write(tags=["a", "b"], flags={"x": 1, "y": None})
    got = saver.get_checkpoint("t1")
    got.channel_values["tags"].append("c")
    got.channel_values["flags"]["x"] = 2
    [listed] = saver.list_checkpoints("t1")
    listed.channel_values["tags"].clear()
    assert saver.get_checkpoint("t1").channel_values == {"tags": ["a", "b"], "flags": {"x": 1, "y": None}}


def test_a_value_without_a_version_is_refused(saver):
    record = CheckpointRecord("t1", "", new_id(), None, created_at(), {"step": 0}, {"a": 1}, {}, [])
    with pytest.raises(StoreError, match=r"without a version for channels \['a'\]"):
        saver.put_checkpoint(record)
    assert saver.get_checkpoint("t1") is None


def _check_all(saver, records):
    for record in records:
        assert saver.get_checkpoint(record.thread_id, record.checkpoint_ns, record.checkpoint_id) == record


def test_appended_values_reassemble_exactly_over_many_steps(saver, backend):
    w = ThreadWriter(saver, "t1")
    log: list = []
    text = ""
    for i in range(300):
        log = log + [{"step": i, "msg": f"message {i}"}]
        text += f"line {i}\n"
        updates = {"log": log, "text": text}
        if i % 97 == 50:
            log = [f"reset at {i}"]  # a replaced value (not an extension) is stored in full
            updates["log"] = log
        w.write(**updates)
    _check_all(saver, w.written)
    assert list(saver.list_checkpoints("t1", limit=3)) == w.written[::-1][:3]
    if backend != "memory":
        stats = saver._stats()
        assert stats["append_blobs"] > 500
        full_every_step = sum(len(repr(r.channel_values)) for r in w.written)
        assert stats["blob_bytes"] * 10 < full_every_step


def test_branching_from_an_old_checkpoint_reassembles_both_branches(saver, open_store):
    w = ThreadWriter(saver, "t1")
    for i in range(60):
        w.write(log=[f"m{j}" for j in range(i + 1)], text="ab" * (i + 1))
    fork = w.fork(w.written[10])
    for i in range(40):
        fork.write(log=[f"m{j}" for j in range(11)] + [f"f{j}" for j in range(i + 1)], text="ab" * 11 + "c" * i)
    again = w.fork(w.written[33])
    again.write(log=[])  # shrinking: stored in full
    again.write(log=["new"])
    _check_all(saver, w.written + fork.written + again.written)
    # A second saver (cold cache, as in another process) reads the same values.
    _check_all(open_store(), w.written[::7] + fork.written[::5] + again.written)


def test_history_page_decodes_only_what_it_returns(saver, sql_only, monkeypatch, open_store):
    import graphcompat.checkpoint._codec as codec

    w = ThreadWriter(saver, "t1")
    log: list[str] = []
    for i in range(1000):
        log = log + [f"item {i}"]
        w.write(log=log, fixed="same")
    calls = []
    real = codec.unpack
    monkeypatch.setattr(codec, "unpack", lambda data, z: calls.append(1) or real(data, z))
    cold = open_store()
    page = list(cold.list_checkpoints("t1", limit=20))
    assert page == w.written[::-1][:20]
    assert 0 < len(calls) < 100


def test_concurrent_writers_on_different_threads(saver):
    errors = []

    def run(n: int) -> None:
        try:
            w = ThreadWriter(saver, f"thread-{n}")
            for i in range(25):
                w.write(log=[f"{n}-{j}" for j in range(i + 1)], n=n)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert errors == []
    assert len(saver.list_threads()) == 8
    for n in range(8):
        latest = saver.get_checkpoint(f"thread-{n}")
        assert latest.channel_values == {"log": [f"{n}-{j}" for j in range(25)], "n": n}
        assert len(list(saver.list_checkpoints(f"thread-{n}"))) == 25


_CHILD = """
import sys
sys.path.insert(0, sys.argv[3])
from graphcompat.checkpoint import saver_from_url
from store_helpers import ThreadWriter
import store_helpers, itertools
store_helpers._ids = itertools.count(int(sys.argv[4]))
saver = saver_from_url(sys.argv[1])
w = ThreadWriter(saver, sys.argv[2])
for i in range(30):
    w.write(log=[f"{sys.argv[2]}-{j}" for j in range(i + 1)])
saver.close()
"""


def test_concurrent_writers_in_other_processes(saver, sql_only):
    here = str(Path(__file__).parent)
    children = [
        subprocess.Popen([sys.executable, "-c", _CHILD, saver.url, f"proc-{n}", here, str(10**9 * (n + 1))])
        for n in range(2)
    ]
    w = ThreadWriter(saver, "main")
    for i in range(30):
        w.write(log=list(range(i + 1)))
    assert [c.wait(timeout=60) for c in children] == [0, 0]
    for n in range(2):
        latest = saver.get_checkpoint(f"proc-{n}")
        assert latest.channel_values == {"log": [f"proc-{n}-{j}" for j in range(30)]}
        assert len(list(saver.list_checkpoints(f"proc-{n}"))) == 30
    assert saver.get_checkpoint("main").channel_values == {"log": list(range(30))}


def test_delete_thread(saver):
    w = ThreadWriter(saver, "t1")
    records = [w.write(a=i) for i in range(3)]
    saver.put_writes("t1", "", records[-1].checkpoint_id, [PendingWrite("k", "n", 0, "a", 1)])
    other = ThreadWriter(saver, "t2").write(a="keep")
    assert saver.delete_thread("t1") == 3
    assert saver.delete_thread("t1") == 0
    assert saver.delete_thread("never-existed") == 0
    assert saver.get_checkpoint("t1") is None
    assert saver.get_writes("t1", "", records[-1].checkpoint_id) == []
    assert [t.thread_id for t in saver.list_threads()] == ["t2"]
    assert saver.get_checkpoint("t2") == other
    assert saver._stats()["blobs"] == 1


def test_prune_keeps_the_latest_and_protected_checkpoints(saver, open_store):
    w = ThreadWriter(saver, "t1")
    log: list[str] = []
    for i in range(40):
        log = log + [f"entry {i}"]
        w.write(log=log, constant="c", counter=i)
    protected = w.written[5]
    saver.put_writes("t1", "", protected.checkpoint_id, [PendingWrite("k", "n", 0, "counter", 1)])
    saver.put_writes("t1", "", w.written[6].checkpoint_id, [PendingWrite("k", "n", 0, "counter", 1)])
    assert saver.prune_thread("t1", 4, protect=[protected.checkpoint_id]) == 35
    kept = list(saver.list_checkpoints("t1"))
    assert [r.checkpoint_id for r in kept] == [r.checkpoint_id for r in w.written[-4:][::-1]] + [protected.checkpoint_id]
    assert kept[0] == w.written[-1]
    assert kept[3].parent_checkpoint_id is None  # its parent is gone: the kept history starts there
    assert [r.parent_checkpoint_id for r in kept[:3]] == [r.checkpoint_id for r in kept[1:4]]
    assert kept[4] == dataclasses.replace(protected, parent_checkpoint_id=None)
    cold = open_store()  # another process: nothing cached, values come from the kept rows
    for got, want in zip(kept[:4], w.written[-4:][::-1]):
        assert got.channel_values == want.channel_values
        assert cold.get_checkpoint("t1", "", want.checkpoint_id).channel_values == want.channel_values
    assert saver.get_writes("t1", "", protected.checkpoint_id) != []
    assert saver.get_writes("t1", "", w.written[6].checkpoint_id) == []
    assert saver.list_threads()[0].checkpoint_count == 5
    # Only the versions the kept checkpoints name (and their delta bases) remain.
    assert saver._stats()["blobs"] <= 1 + 5 + 5 + 2 * 11
    # Writing on after a prune still works (the parent's blobs are still there).
    w.write(log=log + ["after"], counter=99)
    assert saver.get_checkpoint("t1").channel_values["log"] == log + ["after"]


def test_prune_refuses_bad_counts_and_changes_nothing(saver):
    w = ThreadWriter(saver, "t1")
    for i in range(3):
        w.write(a=i)
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ConfigurationError, match=r"keep_last must be a positive integer.*delete_thread"):
            saver.prune_thread("t1", bad)
    assert len(list(saver.list_checkpoints("t1"))) == 3
    assert saver.prune_thread("t1", 3) == 0
    assert saver.prune_thread("unknown", 2) == 0


def test_expire_threads_with_a_fixed_now(saver):
    ThreadWriter(saver, "old").write(minute=1, a=1)
    ThreadWriter(saver, "new").write(minute=50, a=1)
    now = datetime(2026, 1, 1, 1, 0, tzinfo=timezone.utc)
    assert saver.expire_threads(timedelta(minutes=30), now=now) == ["old"]
    assert [t.thread_id for t in saver.list_threads()] == ["new"]
    assert saver.expire_threads(timedelta(minutes=30), now=now) == []
    assert saver.expire_threads(timedelta(minutes=5), now=now.replace(tzinfo=None)) == ["new"]
    with pytest.raises(ConfigurationError, match="idle_for must be a non-negative"):
        saver.expire_threads(timedelta(days=-1))


def test_list_threads_most_recent_first(saver):
    a = ThreadWriter(saver, "a")
    b = ThreadWriter(saver, "b")
    a.write(minute=1, x=1)
    b.write(minute=2, x=1)
    b.write(minute=3, x=2)
    assert saver.list_threads()[0].thread_id == "b"
    last = a.write(minute=4, x=2)
    threads = saver.list_threads()
    assert [t.thread_id for t in threads] == ["a", "b"]
    assert threads[0].checkpoint_count == 2
    assert threads[0].latest_checkpoint_id == last.checkpoint_id
    assert threads[0].latest_step == 1
    assert threads[0].updated_at == created_at(4)


def test_archive_then_restore(saver, tmp_path):
    w = ThreadWriter(saver, "t1")
    records = [w.write(log=[f"m{j}" for j in range(i + 1)], a=i) for i in range(12)]
    writes = [PendingWrite("task", "node", 0, "__error__", {"type": "KeyError", "message": "x"})]
    saver.put_writes("t1", "", records[-1].checkpoint_id, writes)
    ThreadWriter(saver, "other").write(a=1)
    path = tmp_path / "archives" / "t1.jsonl"
    assert saver.archive_thread("t1", path) == 12
    assert saver.get_checkpoint("t1") is None
    assert [t.thread_id for t in saver.list_threads()] == ["other"]
    lines = path.read_text().splitlines()
    assert len(lines) == 12 and '"kind":"checkpoint"' in lines[0] and '"format_version":1' in lines[0]
    assert saver.restore_archive(path) == 12
    assert saver.restore_archive(path) == 12  # idempotent
    assert list(saver.list_checkpoints("t1")) == records[::-1]
    assert saver.get_writes("t1", "", records[-1].checkpoint_id) == writes
    assert {t.thread_id: t.checkpoint_count for t in saver.list_threads()} == {"t1": 12, "other": 1}


def test_archive_without_delete_and_of_an_unknown_thread(saver, tmp_path):
    ThreadWriter(saver, "t1").write(a=1)
    assert saver.archive_thread("t1", tmp_path / "a.jsonl", delete=False) == 1
    assert saver.get_checkpoint("t1") is not None
    with pytest.raises(UnknownThreadError, match=r"no checkpoints for thread 'ghost'; list threads with `graphcompat threads`"):
        saver.archive_thread("ghost", tmp_path / "b.jsonl")
    assert not (tmp_path / "b.jsonl").exists()


def test_restore_refuses_a_damaged_or_newer_archive(saver, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    with pytest.raises(StoreError, match="line 1 is not JSON"):
        saver.restore_archive(bad)
    newer = tmp_path / "newer.jsonl"
    newer.write_text('{"kind":"checkpoint","format_version":7,"record":{},"writes":[]}\n')
    with pytest.raises(StoreError, match="format_version 7 but this graphcompat reads up to 1; upgrade graphcompat"):
        saver.restore_archive(newer)
    with pytest.raises(StoreError, match="does not exist"):
        saver.restore_archive(tmp_path / "missing.jsonl")


def test_reopening_the_store_keeps_everything(saver, open_store):
    w = ThreadWriter(saver, "t1")
    records = [w.write(log=list(range(i))) for i in range(5)]
    again = open_store()
    assert list(again.list_checkpoints("t1")) == records[::-1]
    w.saver = again
    w.write(log=list(range(9)))
    assert saver.get_checkpoint("t1").channel_values == {"log": list(range(9))}


async def test_async_twins(saver, tmp_path):
    w = ThreadWriter(saver, "t1")
    first = w.write(a=1)
    second = dataclasses.replace(
        first, checkpoint_id=new_id(), parent_checkpoint_id=first.checkpoint_id,
        channel_values={"a": 2}, channel_versions={"a": "v2"},
    )
    await saver.aput_checkpoint(second)
    assert await saver.aget_checkpoint("t1") == second
    assert [r.checkpoint_id for r in await saver.alist_checkpoints("t1", limit=1)] == [second.checkpoint_id]
    await saver.aput_writes("t1", "", second.checkpoint_id, [PendingWrite("t", "n", 0, "a", 3)])
    assert (await saver.aget_writes("t1", "", second.checkpoint_id))[0].value == 3
    assert [t.thread_id for t in await saver.alist_threads()] == ["t1"]
    assert await saver.aprune_thread("t1", 1) == 1
    assert await saver.aarchive_thread("t1", tmp_path / "x.jsonl") == 1
    assert await saver.arestore_archive(tmp_path / "x.jsonl") == 1
    assert await saver.aexpire_threads(timedelta(0), now=datetime(2027, 1, 1, tzinfo=timezone.utc)) == ["t1"]
    assert await saver.adelete_thread("t1") == 0


# -- native async twins ------------------------------------------------------------------


def _native(saver) -> bool:
    """True when the saver has its own async driver (the test then checks it is used)."""
    return hasattr(saver, "_arun")


async def test_every_async_twin_runs_natively(saver, monkeypatch):
    import asyncio

    if _native(saver):  # no thread may serve the async twins on their own loop
        monkeypatch.setattr(asyncio, "to_thread", lambda *a, **k: pytest.fail("async twin ran in a thread"))
    w = ThreadWriter(saver, "a1")
    records = [w.write(log=list(range(i + 1))) for i in range(5)]
    extra = dataclasses.replace(
        records[-1], checkpoint_id=new_id(), parent_checkpoint_id=records[-1].checkpoint_id,
        channel_values={"log": list(range(6))}, channel_versions={"log": "v-extra"},
    )
    await saver.aput_checkpoint(extra)
    await saver.aput_checkpoint(extra)  # idempotent
    assert await saver.aget_checkpoint("a1") == extra
    assert await saver.aget_checkpoint("a1", "", records[1].checkpoint_id) == records[1]
    assert await saver.aget_checkpoint("nope") is None
    assert await saver.alist_checkpoints("a1") == [extra, *records[::-1]]
    assert await saver.alist_checkpoints("a1", before=extra.checkpoint_id, limit=2) == records[::-1][:2]
    assert await saver.alist_checkpoints("a1", filter={"step": 2}) == [records[2]]
    await saver.aput_writes("a1", "", extra.checkpoint_id, [PendingWrite("t", "n", 1, "b", 2), PendingWrite("t", "n", 0, "a", 1)])
    assert [w.value for w in await saver.aget_writes("a1", "", extra.checkpoint_id)] == [1, 2]
    many = await saver.aget_writes_many("a1", "", [extra.checkpoint_id, records[0].checkpoint_id])
    assert [w.value for w in many[extra.checkpoint_id]] == [1, 2] and many[records[0].checkpoint_id] == []
    assert [t.thread_id for t in await saver.alist_threads()] == ["a1"]
    assert await saver.aprune_thread("a1", 2, protect=[records[0].checkpoint_id]) == 3
    assert [r.checkpoint_id for r in await saver.alist_checkpoints("a1")] == [
        extra.checkpoint_id, records[-1].checkpoint_id, records[0].checkpoint_id,
    ]
    assert await saver.aexpire_threads(timedelta(days=1), now=datetime(2026, 1, 1, tzinfo=timezone.utc)) == []
    assert await saver.adelete_thread("a1") == 3
    assert await saver.alist_threads() == []
    with pytest.raises(ConfigurationError):
        await saver.aprune_thread("a1", 0)


async def test_concurrent_async_writers_on_different_threads(saver):
    import asyncio

    async def run(n: int) -> None:
        w = ThreadWriter(saver, f"athread-{n}")
        log: list[str] = []
        for i in range(15):
            log = log + [f"{n}-{i}"]
            w.step += 1
            cid = new_id()
            w.versions["log"] = cid
            record = CheckpointRecord(
                f"athread-{n}", "", cid, w.head, created_at(), {"source": "loop", "step": w.step, "writes": {}, "parents": {}},
                {"log": log}, dict(w.versions), [],
            )
            await saver.aput_checkpoint(record)
            w.head = cid

    await asyncio.gather(*(run(n) for n in range(6)))
    assert len(await saver.alist_threads()) == 6
    for n in range(6):
        latest = await saver.aget_checkpoint(f"athread-{n}")
        assert latest.channel_values == {"log": [f"{n}-{i}" for i in range(15)]}
        assert len(await saver.alist_checkpoints(f"athread-{n}")) == 15


def test_async_use_from_several_event_loops(saver):
    """A saver serves loops one after another and at the same time (a background loop and asyncio.run)."""
    import asyncio

    async def write_and_read(thread: str, count: int) -> list:
        w = ThreadWriter(saver, thread)
        for i in range(count):
            record = dataclasses.replace(
                w.write(x=i), checkpoint_id=new_id(), channel_values={"x": -i}, channel_versions={"x": f"v{thread}{i}"}
            )
            await saver.aput_checkpoint(record)
        return [r.channel_values for r in await saver.alist_checkpoints(thread)]

    first = asyncio.run(write_and_read("loop-1", 3))  # this loop is closed afterwards
    assert len(first) == 6
    background = asyncio.new_event_loop()
    runner = threading.Thread(target=background.run_forever)
    runner.start()
    try:
        future = asyncio.run_coroutine_threadsafe(write_and_read("loop-bg", 4), background)
        here = asyncio.run(write_and_read("loop-2", 4))  # while the background loop runs
        assert len(future.result(timeout=30)) == 8 and len(here) == 8
        again = asyncio.run_coroutine_threadsafe(saver.aget_checkpoint("loop-2"), background).result(timeout=30)
        assert again.channel_values == {"x": -3}
    finally:
        if hasattr(saver, "_arun"):
            saver_close_from_thread = saver.close  # closes the async pool from its own (running) loop
            saver_close_from_thread()
        background.call_soon_threadsafe(background.stop)
        runner.join()
        background.close()
