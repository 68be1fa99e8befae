#!/usr/bin/env python
"""What one ``@task`` costs on graphcompat, next to the same work as graph nodes.

    python bench/functional.py [--tasks 10] [--runs 5]

One local Temporal dev server (``GraphTestEnvironment.start_local()``) with
graphcompat's in-process worker. Three programs, each doing ``--tasks``
trivial steps (add 1), are run ``--runs`` times after one warm-up:

* **entrypoint, sequential**: ``@entrypoint`` awaiting one ``@task`` after the
  other (each wait is a round: a task activity, a save, a replay of the
  entrypoint);
* **entrypoint, parallel**: all tasks submitted, then awaited (one round);
* **graph chain** (the anchor): a ``StateGraph`` of ``--tasks`` nodes in a
  chain, each node an activity, each super-step a checkpoint.

Printed per program: median ms per task (or node), history events per task,
and the ratio to the graph chain. Real LangGraph in memory is printed too,
as the floor with no durability at all. A script, not a test: it asserts
nothing about timings.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any, TypedDict


class Counter(TypedDict):
    n: int


def _programs(lib: str, tasks: int) -> dict[str, tuple[Callable[[], Any], Any]]:
    import importlib

    func = importlib.import_module(f"{lib}.func")
    graph_mod = importlib.import_module(f"{lib}.graph")
    memory = importlib.import_module(f"{lib}.checkpoint.memory")

    @func.task
    def add_one(x: int) -> int:
        return x + 1

    @func.entrypoint(checkpointer=memory.InMemorySaver())
    def sequential(n: int) -> int:
        for _ in range(tasks):
            n = add_one(n).result()
        return n

    @func.entrypoint(checkpointer=memory.InMemorySaver())
    def parallel(n: int) -> int:
        return sum(f.result() for f in [add_one(n) for _ in range(tasks)])

    builder = graph_mod.StateGraph(Counter)
    names = [f"n{i}" for i in range(tasks)]
    for name in names:
        builder.add_node(name, lambda s: {"n": s["n"] + 1})
    builder.add_edge(graph_mod.START, names[0])
    for a, b in zip(names, names[1:]):
        builder.add_edge(a, b)
    chain = builder.compile(checkpointer=memory.InMemorySaver())
    return {
        "entrypoint, sequential": (lambda: sequential, 0),
        "entrypoint, parallel": (lambda: parallel, 0),
        "graph chain (anchor)": (lambda: chain, {"n": 0}),
    }


def _time(program: Any, value: Any, runs: int) -> list[float]:
    out = []
    for i in range(runs + 1):
        config = {"configurable": {"thread_id": f"bench-{uuid.uuid4().hex[:8]}"}}
        start = time.perf_counter()
        program.invoke(value, config)
        if i:  # the first run warms up
            out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from graphcompat.testing import GraphTestEnvironment

    rows: dict[str, dict[str, float]] = {}
    with GraphTestEnvironment.start_local() as env:
        for name, (make, value) in _programs("graphcompat", args.tasks).items():
            program = make()
            times = _time(program, value, args.runs)
            thread = f"bench-events-{uuid.uuid4().hex[:8]}"
            program.invoke(value, {"configurable": {"thread_id": thread}})
            events = sum(
                len(env.run(env.client.get_workflow_handle(w, run_id=r).fetch_history()).events)
                for w, r in env.runtime.started_runs
                if w.endswith(thread)
            )
            rows[name] = {"ms": statistics.median(times) * 1000 / args.tasks, "events": events / args.tasks}
    floor: dict[str, float] = {}
    try:
        for name, (make, value) in _programs("langgraph", args.tasks).items():
            floor[name] = statistics.median(_time(make(), value, args.runs)) * 1000 / args.tasks
    except ImportError:
        pass
    anchor = rows["graph chain (anchor)"]["ms"]
    print(f"{args.tasks} steps per run, median of {args.runs} runs (after one warm-up), local dev server")
    print(f"{'program':26} {'ms/step':>9} {'events/step':>12} {'vs chain':>9} {'LangGraph ms/step':>18}")
    for name, row in rows.items():
        lg = f"{floor[name]:.3f}" if name in floor else "-"
        print(f"{name:26} {row['ms']:9.1f} {row['events']:12.1f} {row['ms'] / anchor:9.2f} {lg:>18}")


if __name__ == "__main__":
    main()
