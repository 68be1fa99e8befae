"""The node cache table (``CachePolicy``): on every backend, shared by savers on one store,
expiring by ttl, kept when threads are deleted; sync and async twins agree."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from store_helpers import ThreadWriter

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_put_get_replace_and_miss(saver):
    assert saver.get_cached("graph:node", "k1") is None
    saver.put_cached("graph:node", "k1", {"writes": [["x", 1]], "n": [1, 2]})
    assert saver.get_cached("graph:node", "k1") == {"writes": [["x", 1]], "n": [1, 2]}
    saver.put_cached("graph:node", "k1", {"writes": []})  # an entry is replaced, not duplicated
    assert saver.get_cached("graph:node", "k1") == {"writes": []}
    assert saver.get_cached("graph:other", "k1") is None  # namespaces are separate
    assert saver.get_cached("graph:node", "k2") is None


def test_ttl_expires_entries_and_none_keeps_them(saver):
    saver.put_cached("ns", "short", 1, ttl=120, now=T0)
    saver.put_cached("ns", "forever", 2, now=T0)
    assert saver.get_cached("ns", "short", now=T0 + timedelta(seconds=119)) == 1
    assert saver.get_cached("ns", "short", now=T0 + timedelta(seconds=120)) is None
    assert saver.get_cached("ns", "forever", now=T0 + timedelta(days=3650)) == 2
    # Rewriting an expired entry gives it a new life.
    saver.put_cached("ns", "short", 3, ttl=10, now=T0 + timedelta(seconds=500))
    assert saver.get_cached("ns", "short", now=T0 + timedelta(seconds=505)) == 3


def test_entries_are_shared_by_savers_on_the_same_store(open_store):
    first, second = open_store(), open_store()
    first.put_cached("ns", "k", {"v": 1})
    assert second.get_cached("ns", "k") == {"v": 1}


def test_deleting_a_thread_keeps_the_cache_and_clear_cache_empties_it(saver):
    ThreadWriter(saver, "t1").write(a=1)
    saver.put_cached("a", "k", 1)
    saver.put_cached("b", "k", 2)
    saver.put_cached("b", "k2", 3)
    saver.delete_thread("t1")
    assert saver.get_cached("a", "k") == 1
    assert saver.clear_cache(["b"]) == 2
    assert saver.get_cached("b", "k") is None and saver.get_cached("a", "k") == 1
    assert saver.clear_cache([]) == 0
    assert saver.clear_cache() == 1
    assert saver.get_cached("a", "k") is None


async def test_async_twins(saver):
    await saver.aput_cached("ns", "k", [1, "two"], ttl=60, now=T0)
    assert await saver.aget_cached("ns", "k", now=T0 + timedelta(seconds=1)) == [1, "two"]
    assert await saver.aget_cached("ns", "k", now=T0 + timedelta(seconds=61)) is None
    assert await saver.aclear_cache() == 1
    assert saver.get_cached("ns", "k") is None
