#!/usr/bin/env python
"""What a subgraph node costs: the same three nodes, flat and with two of them in a subgraph.

    python bench/subgraph_overhead.py [--runs 10] [--warmup 2]

One local Temporal dev server (``GraphTestEnvironment.start_local``), an
in-process worker, a ``SqliteSaver`` in a temp dir. The anchor is the flat
chain ``a -> b -> c``; ours is ``a -> team`` where ``team`` is a compiled
graph ``b -> c`` added as a node (its own workflow, its own checkpoints in the
namespace ``team:<task id>``). Printed: median wall time of ``invoke`` for
each, and the ratio. A script, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from operator import add
from pathlib import Path
from typing import Annotated, TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graphcompat.checkpoint.sqlite import SqliteSaver  # noqa: E402
from graphcompat.graph import START, StateGraph  # noqa: E402
from graphcompat.testing import GraphTestEnvironment  # noqa: E402


class State(TypedDict):
    done: Annotated[list[str], add]


def _node(name: str):
    def node(state: State) -> dict:
        return {"done": [name]}

    node.__name__ = name
    return node


def flat(saver: SqliteSaver):
    b = StateGraph(State)
    b.add_sequence([_node("a"), _node("b"), _node("c")])
    b.add_edge(START, "a")
    return b.compile(checkpointer=saver, name="flat")


def nested(saver: SqliteSaver):
    team = StateGraph(State)
    team.add_sequence([_node("b"), _node("c")])
    team.add_edge(START, "b")
    b = StateGraph(State)
    b.add_node("a", _node("a"))
    b.add_node("team", team.compile(name="team"))
    b.add_edge(START, "a")
    b.add_edge("a", "team")
    return b.compile(checkpointer=saver, name="nested")


def timed(graph, runs: int, warmup: int) -> float:
    times = []
    for i in range(warmup + runs):
        config = {"configurable": {"thread_id": f"bench-{uuid.uuid4().hex[:8]}"}}
        start = time.perf_counter()
        graph.invoke({"done": []}, config)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, GraphTestEnvironment.start_local() as env:
        saver = SqliteSaver(Path(tmp) / "bench.db")
        anchor = timed(flat(saver), args.runs, args.warmup)
        ours = timed(nested(saver), args.runs, args.warmup)
    print(f"flat a->b->c (anchor):        {anchor * 1000:7.1f} ms per invoke (median of {args.runs})")
    print(f"a->team(b->c) as a subgraph:  {ours * 1000:7.1f} ms per invoke")
    print(f"ratio subgraph / flat:        {ours / anchor:7.2f}")


if __name__ == "__main__":
    main()
