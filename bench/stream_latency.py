#!/usr/bin/env python
"""Live-stream latency: from a writer call (or a model token) inside a node to the chunk at the client.

    python bench/stream_latency.py [--chunks 200] [--interval-ms 10] [--store URL] [--json]

One local Temporal dev server is started (``GraphTestEnvironment.start_local``)
and a worker in **another process** (``python worker.py --graph
bench.stream_latency:graph``), so every chunk crosses processes through the
snapshot store, as in production. One node streams ``--chunks`` custom chunks
(``get_stream_writer()``, each carrying ``time.time()`` at the call) and a
chat model that streams ``--chunks`` tokens (each token is the time it was
produced), ``--interval-ms`` apart. The client streams
``["custom", "messages"]`` and takes, for each chunk, the wall time it came
out of ``graph.stream`` minus the time inside the chunk (one machine, one
clock). The anchor is the same graph on real LangGraph, in-process.

Prints p50 and p99 per kind for graphcompat and for LangGraph, and the ratio.
This is a script, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHUNKS = int(os.environ.get("STREAM_BENCH_CHUNKS", "200"))
INTERVAL_S = float(os.environ.get("STREAM_BENCH_INTERVAL_MS", "10")) / 1000


class State(TypedDict):
    n: int


def _model() -> Any:
    """A chat model whose tokens are the times they were produced (langchain_core's fakes produce fixed text)."""
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    class ClockModel(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "clock"

        def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content="".join(c.message.content for c in self._stream(messages))))])

        def _stream(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
            for _ in range(CHUNKS):
                time.sleep(INTERVAL_S)
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=f"{time.time()!r};"))
                if run_manager:
                    run_manager.on_llm_new_token(str(chunk.message.content), chunk=chunk)
                yield chunk

    return ClockModel()


def make(StateGraph: Any, START: Any, get_stream_writer: Any) -> Any:
    model = _model()

    def writes(state: State) -> dict:
        writer = get_stream_writer()
        for _ in range(CHUNKS):
            time.sleep(INTERVAL_S)
            writer({"t": time.time()})
        return {"n": 1}

    def tokens(state: State) -> dict:
        model.invoke("count")
        return {"n": 2}

    return StateGraph(State).add_node("writes", writes).add_node("tokens", tokens).add_edge(START, "writes").add_edge("writes", "tokens")


def _graphcompat_graph() -> Any:
    from graphcompat.config import get_stream_writer
    from graphcompat.graph import START, StateGraph

    store = os.environ.get("STREAM_BENCH_STORE") or f"sqlite:///{tempfile.gettempdir()}/stream-bench-{os.getpid()}.db"
    return make(StateGraph, START, get_stream_writer).compile(checkpointer=store, name="stream-bench")


#: What the worker process serves (``--graph bench.stream_latency:graph``).
graph = _graphcompat_graph() if os.environ.get("STREAM_BENCH_STORE") else None


def measure(stream: Iterator[Any]) -> dict[str, list[float]]:
    lat: dict[str, list[float]] = {"custom": [], "messages": []}
    for mode, chunk in stream:
        now = time.time()
        if mode == "custom":
            lat["custom"].append(now - chunk["t"])
        else:
            for stamp in filter(None, str(chunk[0].content).split(";")):
                lat["messages"].append(now - float(stamp))
    return lat


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def run_langgraph() -> dict[str, list[float]]:
    from langgraph.config import get_stream_writer
    from langgraph.graph import START, StateGraph

    lg = make(StateGraph, START, get_stream_writer).compile()
    return measure(lg.stream({"n": 0}, stream_mode=["custom", "messages"]))


def run_graphcompat(store: str) -> dict[str, list[float]]:
    from graphcompat._runtime import Runtime, install_runtime
    from graphcompat.testing import GraphTestEnvironment

    server = GraphTestEnvironment.start_local()
    address = server.client.service_client.config.target_host
    task_queue = f"stream-bench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "STREAM_BENCH_STORE": store, "TEMPORAL_ADDRESS": address, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(
        [sys.executable, "worker.py", "--graph", "bench.stream_latency:graph", "--task-queue", task_queue],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.environ["STREAM_BENCH_STORE"] = store

    async def connect() -> Any:
        from temporalio.client import Client

        from graphcompat.plugin import GraphcompatPlugin

        return await Client.connect(address, plugins=[GraphcompatPlugin()]), None

    runtime = Runtime(connect, in_process_worker=False, task_queue=task_queue)
    previous = install_runtime(runtime)
    try:
        gc = _graphcompat_graph()
        warm = {"configurable": {"thread_id": f"warm-{uuid.uuid4().hex[:6]}"}}
        measure(gc.stream({"n": 0}, warm, stream_mode=["custom", "messages"]))  # worker imports, store schema
        config = {"configurable": {"thread_id": f"bench-{uuid.uuid4().hex[:6]}"}}
        return measure(gc.stream({"n": 0}, config, stream_mode=["custom", "messages"]))
    finally:
        install_runtime(previous)
        runtime.close()
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.close()


def main() -> None:
    global CHUNKS, INTERVAL_S
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=CHUNKS)
    parser.add_argument("--interval-ms", type=float, default=INTERVAL_S * 1000)
    parser.add_argument("--store", default=None, help="store URL for the run (default: SQLite in a temp dir)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    CHUNKS, INTERVAL_S = args.chunks, args.interval_ms / 1000
    os.environ["STREAM_BENCH_CHUNKS"], os.environ["STREAM_BENCH_INTERVAL_MS"] = str(CHUNKS), str(args.interval_ms)
    store = args.store or f"sqlite:///{tempfile.mkdtemp(prefix='stream-bench-')}/store.db"
    ours = run_graphcompat(store)
    anchor = run_langgraph()
    rows = {}
    for kind in ("custom", "messages"):
        rows[kind] = {
            "chunks": len(ours[kind]),
            "graphcompat_p50_ms": pct(ours[kind], 0.5),
            "graphcompat_p99_ms": pct(ours[kind], 0.99),
            "langgraph_p50_ms": pct(anchor[kind], 0.5),
            "langgraph_p99_ms": pct(anchor[kind], 0.99),
        }
        rows[kind]["ratio_p50"] = rows[kind]["graphcompat_p50_ms"] / max(rows[kind]["langgraph_p50_ms"], 1e-6)
    load = os.getloadavg()
    if args.json:
        print(json.dumps({"rows": rows, "store": store.split("://")[0], "loadavg": load, "cpus": os.cpu_count()}))
        return
    print(f"stream latency, writer call / model token -> chunk out of graph.stream; {CHUNKS} chunks "
          f"{args.interval_ms:g} ms apart; worker in another process; store {store.split('://')[0]}")
    print(f"machine: {os.cpu_count()} cpus, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"{'kind':<9} {'n':>5} {'ours p50':>9} {'ours p99':>9} {'LangGraph p50':>14} {'LangGraph p99':>14} {'ratio p50':>10}")
    for kind, r in rows.items():
        print(
            f"{kind:<9} {r['chunks']:>5} {r['graphcompat_p50_ms']:>7.1f}ms {r['graphcompat_p99_ms']:>7.1f}ms "
            f"{r['langgraph_p50_ms']:>12.3f}ms {r['langgraph_p99_ms']:>12.3f}ms {r['ratio_p50']:>9.0f}x"
        )
    print("goal: p50 < 50 ms, p99 < 200 ms (LangGraph runs the node in the reader's process: no hop at all)")


if __name__ == "__main__":
    main()
