"""Reads through the user-facing API on a long thread: ``get_state`` and a history page.

    python bench/reads.py [--steps 1000] [--postgres-url postgresql://postgres@127.0.0.1:5432/test]
                          [--db PATH] [--runs 200]

Runs a graph of ``--steps`` super-steps (each appends a ~1 KB string to the
list channel ``log``; ``static`` holds an unchanged ~1 KB string) on a local
Temporal dev server with graphcompat's ``SqliteSaver``, then measures, through
the compiled graph:

* ``graph.get_state(config)`` and ``await graph.aget_state(config)``;
* ``list(graph.get_state_history(config, limit=20))`` and its async twin;

first while the runtime that ran the thread is up (a user who just called
``invoke``), then with no runtime at all (a process that only reads). With
``--postgres-url`` the same thread is copied (archive, restore) into a
``PostgresSaver`` and read the same way. The store's size (SQLite file after a
WAL checkpoint) is printed too.

For comparison the same graph runs in real LangGraph with LangGraph's own
``SqliteSaver`` (``langgraph-checkpoint-sqlite``, not a graphcompat
dependency; the figure is left out when it is not importable) and is read
through LangGraph's ``get_state`` / ``get_state_history``. The ratio
graphcompat / LangGraph is printed last. ``--db`` keeps graphcompat's thread
in a file and reuses it on the next run (the 1,000-step run takes ~30 s).
Medians; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import operator
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

THREAD = "reads-bench"
WORDS = "the agent called a tool and read the result before it wrote a short answer about weather".split()


class State(TypedDict):
    log: Annotated[list[str], operator.add]
    static: str
    n: int
    limit: int


def item(k: int) -> str:
    rng = random.Random(k)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < 1000:
        words.append(rng.choice(WORDS))
    return f"[{k}] " + " ".join(words)


def tick(state: State) -> dict[str, Any]:
    return {"log": [item(state["n"])], "n": state["n"] + 1}


def route(state: State) -> str:
    return "__end__" if state["n"] >= state["limit"] else "tick"


def build(state_graph: Any, start: str) -> Any:
    builder = state_graph(State)
    builder.add_node("tick", tick)
    builder.add_edge(start, "tick")
    builder.add_conditional_edges("tick", route)
    return builder


def initial(steps: int) -> dict[str, Any]:
    return {"log": [], "static": "You are a careful assistant. " * 35, "n": 0, "limit": steps}


def config(steps: int) -> dict[str, Any]:
    return {"configurable": {"thread_id": THREAD}, "recursion_limit": steps + 10}


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def amedian_ms(fn: Callable[[], Awaitable[Any]], runs: int) -> float:
    async def go() -> float:
        await fn()
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            await fn()
            times.append(time.perf_counter() - t0)
        return statistics.median(times) * 1000

    return asyncio.run(go())


def measure(graph: Any, cfg: dict[str, Any], runs: int, *, asyncs: bool = True) -> dict[str, float]:
    snap = graph.get_state(cfg)
    assert len(snap.values["log"]) == snap.values["n"], "get_state is wrong"
    page = list(graph.get_state_history(cfg, limit=20))
    assert len(page) == 20 and page[0].config == snap.config, "history is wrong"
    out = {
        "get": median_ms(lambda: graph.get_state(cfg), runs),
        "history": median_ms(lambda: list(graph.get_state_history(cfg, limit=20)), max(runs // 4, 5)),
    }
    if asyncs:

        async def history() -> list[Any]:
            return [s async for s in graph.aget_state_history(cfg, limit=20)]

        out["aget"] = amedian_ms(lambda: graph.aget_state(cfg), runs)
        out["ahistory"] = amedian_ms(history, max(runs // 4, 5))
    return out


def file_bytes(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def run_graphcompat(args: argparse.Namespace, workdir: Path) -> dict[str, dict[str, float]]:
    from graphcompat.checkpoint.sqlite import SqliteSaver
    from graphcompat.graph import START, StateGraph
    from graphcompat.testing import GraphTestEnvironment

    db = Path(args.db) if args.db else workdir / "graphcompat.db"
    results: dict[str, dict[str, float]] = {}
    cfg = config(args.steps)
    env = GraphTestEnvironment.start_local()
    try:
        saver = SqliteSaver(db)
        graph = build(StateGraph, START).compile(checkpointer=saver, name="reads-bench")
        existing = saver.get_checkpoint(THREAD)
        if existing is None or existing.channel_values.get("n") != args.steps:
            if existing is not None:
                saver.delete_thread(THREAD)
            t0 = time.perf_counter()
            graph.invoke(initial(args.steps), cfg)
            print(f"graphcompat: {args.steps} steps ran in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        results["graphcompat SQLite, runtime up"] = measure(graph, cfg, args.runs)
    finally:
        env.close()
    results["graphcompat SQLite, no runtime"] = measure(graph, cfg, args.runs)
    results["graphcompat SQLite, no runtime"]["bytes"] = file_bytes(db)
    if args.postgres_url:
        from graphcompat.checkpoint.postgres import PostgresSaver

        archive = workdir / "thread.jsonl"
        saver.archive_thread(THREAD, archive, delete=False)
        schema = f"gc_reads_{uuid.uuid4().hex[:8]}"
        pg = PostgresSaver(args.postgres_url, schema=schema)
        try:
            pg.restore_archive(archive)
            pg_graph = build(StateGraph, START).compile(checkpointer=pg, name="reads-bench")
            results["graphcompat Postgres, no runtime"] = measure(pg_graph, cfg, args.runs)
        finally:
            pg.close()
            import psycopg

            with psycopg.connect(args.postgres_url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    saver.close()
    return results


def run_langgraph(args: argparse.Namespace, workdir: Path) -> dict[str, float] | None:
    try:
        from langgraph.checkpoint.sqlite import SqliteSaver
    except ImportError:
        return None
    from langgraph.graph import START, StateGraph

    path = workdir / "langgraph.db"
    conn = sqlite3.connect(path, check_same_thread=False)
    graph = build(StateGraph, START).compile(checkpointer=SqliteSaver(conn))
    cfg = config(args.steps)
    t0 = time.perf_counter()
    graph.invoke(initial(args.steps), cfg)
    print(f"LangGraph: {args.steps} steps ran in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    result = measure(graph, cfg, args.runs, asyncs=False)
    conn.close()
    result["bytes"] = file_bytes(path)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=200, help="reads per get_state figure (history: a quarter)")
    parser.add_argument("--db", help="keep graphcompat's thread in this SQLite file and reuse it")
    parser.add_argument("--postgres-url", help="e.g. postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--skip-langgraph", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        results = run_graphcompat(args, workdir)
        langgraph = None if args.skip_langgraph else run_langgraph(args, workdir)
    print(f"\nthread of {args.steps} super-steps; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'':<36}{'get_state':>11}{'aget_state':>12}{'history 20':>12}{'ahistory 20':>13}{'store':>10}")
    rows = dict(results)
    if langgraph is not None:
        rows["LangGraph SqliteSaver (sync API)"] = langgraph
    for name, r in rows.items():
        cells = [f"{r[k]:>8.2f} ms" if k in r else f"{'-':>11}" for k in ("get", "aget", "history", "ahistory")]
        size = f"{r['bytes'] / 1e6:>7.1f} MB" if "bytes" in r else f"{'-':>10}"
        print(f"{name:<36}{cells[0]:>11}{cells[1]:>12}{cells[2]:>12}{cells[3]:>13}{size:>10}")
    if langgraph is None:
        print("\nLangGraph's SqliteSaver is not importable (pip install langgraph-checkpoint-sqlite): no ratio")
        return
    ours = results["graphcompat SQLite, no runtime"]
    print(
        f"\nratio graphcompat SQLite / LangGraph SqliteSaver: get_state {ours['get'] / langgraph['get']:.2f}x, "
        f"history 20 {ours['history'] / langgraph['history']:.2f}x, store size {ours['bytes'] / langgraph['bytes']:.4f}x"
    )


if __name__ == "__main__":
    main()
