"""Storage benchmark: one long thread, as the engine writes it, on each store.

    python bench/store.py [--steps 1000] [--postgres-url postgresql://postgres@127.0.0.1:5432/test]

Each step adds one ~1 KB string to the list channel ``log``; three other
channels never change after step 0. Reported per store: bytes on disk,
time to write the thread, median latency of reading the latest checkpoint
(200 reads) and of reading a history page of 20 fully decoded checkpoints
(50 reads). "cold" reads use an empty value cache, as a process that just
started would; "warm" reads reuse the saver's cache.

When ``langgraph-checkpoint-sqlite`` is importable (``pip install
langgraph-checkpoint-sqlite``; not a graphcompat dependency) the same thread
is written through LangGraph's own ``SqliteSaver.put`` for comparison.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphcompat.checkpoint import BaseCheckpointSaver, CheckpointRecord  # noqa: E402
from graphcompat.checkpoint._codec import ValueCache  # noqa: E402
from graphcompat.checkpoint.sqlite import SqliteSaver  # noqa: E402

WORDS = (
    "the agent called a tool and read the result before it wrote a short answer about "
    "weather flights prices hotels budget schedule meeting summary customer order refund "
    "status shipping address invoice payment search query document retrieval context"
).split()
THREAD = "bench-thread"


def make_item(rng: random.Random, k: int) -> str:
    words = []
    while sum(len(w) + 1 for w in words) < 1000:
        words.append(rng.choice(WORDS))
    return f"[{k}] " + " ".join(words)


def checkpoint_ids(steps: int) -> list[str]:
    """Time-ordered ids in the UUIDv7 layout, one per step."""
    start = int(time.time() * 1000)
    ids = []
    for k in range(steps):
        raw = uuid.uuid4().hex
        hexid = f"{start + k:012x}7{raw[13:16]}{raw[16:]}"
        ids.append(str(uuid.UUID(hexid)))
    return ids


def build_records(steps: int) -> list[CheckpointRecord]:
    rng = random.Random(7)
    ids = checkpoint_ids(steps)
    static = {
        "system_prompt": "You are a careful assistant. " * 20,
        "config": {"model": "gpt", "temperature": 0.2, "tools": ["search", "calc", "weather"]},
        "user": {"id": "u-123", "name": "Ada", "tier": "pro"},
    }
    log: list[str] = []
    records = []
    for k, cid in enumerate(ids):
        item = make_item(rng, k)
        log = log + [item]
        versions = {name: ids[0] for name in static}
        versions["log"] = cid
        records.append(
            CheckpointRecord(
                thread_id=THREAD,
                checkpoint_ns="",
                checkpoint_id=cid,
                parent_checkpoint_id=ids[k - 1] if k else None,
                created_at=f"2026-01-01T00:00:{k % 60:02d}.{k:06d}+00:00",
                metadata={"source": "loop", "step": k, "writes": {"node": {"log": [item]}}, "parents": {}},
                channel_values={**static, "log": log},
                channel_versions=versions,
                next_tasks=[{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, cid)), "name": "node"}],
            )
        )
    return records


def median_ms(fn: Callable[[], Any], runs: int, before: Callable[[], None] = lambda: None) -> float:
    times = []
    for _ in range(runs):
        before()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def measure_ours(saver: BaseCheckpointSaver, records: list[CheckpointRecord]) -> dict[str, float]:
    t0 = time.perf_counter()
    for record in records:
        saver.put_checkpoint(record)
    write_s = time.perf_counter() - t0
    latest = saver.get_checkpoint(THREAD)
    assert latest == records[-1], "latest checkpoint does not round-trip"
    page = list(saver.list_checkpoints(THREAD, limit=20))
    assert page == records[::-1][:20], "history page does not round-trip"

    def cold() -> None:
        saver._cache = ValueCache(64 << 20)  # type: ignore[attr-defined]

    return {
        "write_s": write_s,
        "get_cold_ms": median_ms(lambda: saver.get_checkpoint(THREAD), 200, cold),
        "get_warm_ms": median_ms(lambda: saver.get_checkpoint(THREAD), 200),
        "list_cold_ms": median_ms(lambda: list(saver.list_checkpoints(THREAD, limit=20)), 50, cold),
        "list_warm_ms": median_ms(lambda: list(saver.list_checkpoints(THREAD, limit=20)), 50),
    }


def bench_sqlite(records: list[CheckpointRecord], workdir: Path) -> dict[str, float]:
    path = workdir / "ours.db"
    saver = SqliteSaver(path)
    result = measure_ours(saver, records)
    stats = saver._stats()  # type: ignore[attr-defined]
    saver.close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    result["bytes"] = path.stat().st_size
    result["value_bytes"] = stats["blob_bytes"]
    return result


def bench_postgres(records: list[CheckpointRecord], url: str) -> dict[str, float]:
    import psycopg

    from graphcompat.checkpoint.postgres import PostgresSaver

    schema = f"gc_bench_{uuid.uuid4().hex[:8]}"
    saver = PostgresSaver(url, schema=schema)
    try:
        result = measure_ours(saver, records)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'VACUUM ANALYZE "{schema}".blobs')
        stats = saver._stats()  # type: ignore[attr-defined]
        result["bytes"] = stats["relation_bytes"]
        result["value_bytes"] = stats["blob_bytes"]
    finally:
        saver.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return result


def bench_langgraph(records: list[CheckpointRecord], workdir: Path) -> dict[str, float] | None:
    try:
        from langgraph.checkpoint.base import empty_checkpoint
        from langgraph.checkpoint.sqlite import SqliteSaver as LangGraphSqliteSaver
    except ImportError:
        return None
    path = workdir / "langgraph.db"
    conn = sqlite3.connect(path, check_same_thread=False)
    saver = LangGraphSqliteSaver(conn)
    saver.setup()
    config: dict[str, Any] = {"configurable": {"thread_id": THREAD, "checkpoint_ns": ""}}
    previous: dict[str, str] = {}
    counters: dict[str, int] = {}
    t0 = time.perf_counter()
    for record in records:
        # LangGraph increments a channel's version when the channel changes.
        new_versions = {}
        for channel, version in record.channel_versions.items():
            if previous.get(channel) != version:
                counters[channel] = counters.get(channel, 0) + 1
                new_versions[channel] = counters[channel]
        previous = dict(record.channel_versions)
        checkpoint = empty_checkpoint()
        checkpoint.update(
            id=record.checkpoint_id,
            ts=record.created_at,
            channel_values=record.channel_values,
            channel_versions=dict(counters),
            versions_seen={"node": dict(counters)},
        )
        config = saver.put(config, checkpoint, record.metadata, new_versions)
    write_s = time.perf_counter() - t0
    latest_config = {"configurable": {"thread_id": THREAD, "checkpoint_ns": ""}}
    got = saver.get_tuple(latest_config)
    assert got is not None and got.checkpoint["channel_values"]["log"] == records[-1].channel_values["log"]
    result = {
        "write_s": write_s,
        "get_cold_ms": median_ms(lambda: saver.get_tuple(latest_config), 200),
        "list_cold_ms": median_ms(lambda: list(saver.list(latest_config, limit=20)), 50),
    }
    result["get_warm_ms"] = result["get_cold_ms"]
    result["list_warm_ms"] = result["list_cold_ms"]
    value_bytes = conn.execute("SELECT sum(length(checkpoint)) FROM checkpoints").fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    result["bytes"] = path.stat().st_size
    result["value_bytes"] = value_bytes
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--postgres-url", help="e.g. postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    records = build_records(args.steps)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        results["graphcompat SQLite"] = bench_sqlite(records, workdir)
        if args.postgres_url:
            results["graphcompat Postgres"] = bench_postgres(records, args.postgres_url)
        langgraph = bench_langgraph(records, workdir)
        if langgraph is not None:
            results["LangGraph SqliteSaver"] = langgraph
    print(f"thread of {args.steps} checkpoints; 'log' gains one ~1 KB item per step, 3 channels never change\n")
    header = f"{'store':<24}{'stored bytes':>14}{'value bytes':>14}{'write thread':>14}" \
             f"{'get latest':>20}{'history of 20':>22}"
    print(header)
    print(f"{'':<24}{'':>14}{'':>14}{'':>14}{'cold / warm':>20}{'cold / warm':>22}")
    print("-" * len(header))
    for name, r in results.items():
        print(
            f"{name:<24}{r['bytes'] / 1e6:>11.2f} MB{r['value_bytes'] / 1e6:>11.2f} MB{r['write_s']:>12.2f} s"
            f"{r['get_cold_ms']:>10.2f} /{r['get_warm_ms']:>5.2f} ms"
            f"{r['list_cold_ms']:>12.2f} /{r['list_warm_ms']:>5.2f} ms"
        )
    if langgraph is not None:
        ours = results["graphcompat SQLite"]
        print(
            f"\nLangGraph stores {langgraph['bytes'] / ours['bytes']:.0f}x the bytes of graphcompat SQLite "
            f"(ratio {ours['bytes'] / langgraph['bytes']:.4f}); history of 20 (cold) is "
            f"{langgraph['list_cold_ms'] / ours['list_cold_ms']:.1f}x faster here"
        )
    print("(LangGraph's saver has no value cache: its cold and warm columns are the same reads)")


if __name__ == "__main__":
    main()
