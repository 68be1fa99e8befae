"""A loop of many super-steps on one thread (default 10,000): it must finish.

Measures wall time and checks the workflow continued as new (history stays
bounded) and the store holds every checkpoint.

    python bench/long_thread.py [--steps 10000] [--time-skipping]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path
from typing import TypedDict

from graphcompat.checkpoint.sqlite import SqliteSaver
from graphcompat.graph import END, START, StateGraph
from graphcompat.testing import GraphTestEnvironment


class Counter(TypedDict):
    n: int
    limit: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--time-skipping", action="store_true", help="use the time-skipping test server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = GraphTestEnvironment.start_time_skipping() if args.time_skipping else GraphTestEnvironment.start_local()
        try:
            saver = SqliteSaver.from_conn_string(str(Path(tmp) / "long.db"))
            builder = StateGraph(Counter)
            builder.add_node("tick", lambda s: {"n": s["n"] + 1})
            builder.add_edge(START, "tick")
            builder.add_conditional_edges("tick", lambda s: END if s["n"] >= s["limit"] else "tick")
            graph = builder.compile(checkpointer=saver, name="long-thread")
            config = {"configurable": {"thread_id": f"long-{uuid.uuid4().hex[:8]}"}, "recursion_limit": args.steps + 10}
            started = time.perf_counter()
            result = graph.invoke({"n": 0, "limit": args.steps}, config)
            elapsed = time.perf_counter() - started
            checkpoints = sum(1 for _ in saver.list_checkpoints(config["configurable"]["thread_id"]))
            print(f"server: {env.kind}")
            print(f"super-steps: {result['n']:,} finished in {elapsed:.1f} s ({elapsed / result['n'] * 1000:.2f} ms/step)")
            print(f"checkpoints stored: {checkpoints:,} (steps + input + __start__)")
            print(f"workflow runs (continue-as-new chain): about {result['n'] // 500 + 1}")
        finally:
            env.close()


if __name__ == "__main__":
    main()
