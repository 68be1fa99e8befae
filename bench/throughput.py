"""Throughput: many concurrent 10-node chains, graphcompat and Temporal's LangGraph plugin on one server.

    python bench/throughput.py [--concurrency 1,10,50,200] [--repeats 3] [--skip-plugin]

One tuned local dev server (as ``bench/step_overhead.py`` starts it), one
process holding both systems' clients and workers. For each concurrency *C*
the script runs batches of *C* simultaneous runs of the chain (small state),
alternating graphcompat and plugin batches (A B A B A B), ``--repeats``
batches each, and reports the median of:

* **node-steps/s** = C x 10 nodes / wall time of the batch;
* **CPU ms per node-step** = this process's CPU time (``time.process_time``:
  client, worker, SDK threads; not the server's) during the batch / (C x 10).

The ratio graphcompat / plugin of node-steps/s is printed last (above 1 =
graphcompat faster). The plugin needs ``temporalio-langgraph``
(bench/requirements.txt); without it only graphcompat is measured.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    from bench import step_overhead as so

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", default="1,10,50,200", help="comma-separated batch sizes")
    parser.add_argument("--repeats", type=int, default=3, help="batches per system and size (median reported)")
    parser.add_argument("--skip-plugin", action="store_true")
    parser.add_argument("--local-nodes", action="store_true", help="graphcompat's chain with add_node(..., local=True)")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.concurrency.split(",") if x.strip()]

    import logging

    logging.basicConfig(level=logging.ERROR)
    so.quiet_sdk_logs()
    env, _ = so.start_environment(False)
    plugin = None if args.skip_plugin or so.PLUGIN_IMPORT_ERROR else _Plugin(env, so)
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="graphcompat-throughput-") as tmp:
            graph = so.build_graphcompat_chain(Path(tmp) / "checkpoints.db", local=args.local_nodes)
            state = so.initial_state("small")

            async def one_graphcompat() -> None:
                out = await graph.ainvoke(state, {"configurable": {"thread_id": f"tp-{uuid.uuid4().hex[:12]}"}})
                assert out["counter"] == so.N_NODES

            runtime = env.runtime
            _batch(runtime, one_graphcompat, 2)  # warm-up
            if plugin is not None:
                _batch(runtime, plugin.one, 2)
            for c in sizes:
                for _ in range(args.repeats):
                    results.setdefault(("graphcompat", c), []).append(_batch(runtime, one_graphcompat, c))
                    if plugin is not None:
                        results.setdefault(("plugin", c), []).append(_batch(runtime, plugin.one, c))
                    print(f"  C={c}: {_row(results, c)}", file=sys.stderr, flush=True)
            graph.store.close()
    finally:
        if plugin is not None:
            plugin.stop()
        env.close()

    name = "graphcompat (local nodes)" if args.local_nodes else "graphcompat"
    print(f"\n{so.N_NODES}-node chains, small state; median of {args.repeats} alternating batches; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'concurrent runs':>16}{name + ' steps/s':>32}{'CPU ms/step':>13}{'plugin steps/s':>16}{'CPU ms/step':>13}")
    ratios = []
    for c in sizes:
        gc = _median(results[("graphcompat", c)])
        pl = _median(results[("plugin", c)]) if ("plugin", c) in results else None
        cells = f"{c:>16}{gc[0]:>32.1f}{gc[1]:>13.2f}"
        cells += f"{pl[0]:>16.1f}{pl[1]:>13.2f}" if pl else f"{'-':>16}{'-':>13}"
        print(cells)
        if pl:
            ratios.append(f"C={c}: {gc[0] / pl[0]:.2f}x")
    if plugin is None:
        print(f"\nplugin NOT MEASURED: {so.PLUGIN_IMPORT_ERROR or 'skipped (--skip-plugin)'}")
    else:
        print("\nratio graphcompat / plugin, node-steps/s (above 1 = graphcompat faster): " + ", ".join(ratios))
    return 0


def _batch(runtime: Any, one: Any, count: int) -> tuple[float, float]:
    """Run ``count`` runs at once on the runtime's loop: (node-steps/s, CPU ms per node-step)."""
    from bench.step_overhead import N_NODES

    async def go() -> None:
        await asyncio.gather(*(one() for _ in range(count)))

    cpu0, t0 = time.process_time(), time.perf_counter()
    runtime.run_sync(go())
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    steps = count * N_NODES
    return steps / wall, cpu * 1000 / steps


def _median(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def _row(results: dict[tuple[str, int], list[tuple[float, float]]], c: int) -> str:
    parts = []
    for system in ("graphcompat", "plugin"):
        if (system, c) in results:
            rate, cpu = results[(system, c)][-1]
            parts.append(f"{system} {rate:.1f} steps/s ({cpu:.2f} CPU ms/step)")
    return "; ".join(parts)


class _Plugin:
    """Temporal's LangGraph plugin: a worker on the runtime's loop, a client of its own (default converter)."""

    def __init__(self, env: Any, so: Any) -> None:
        from temporalio.client import Client
        from temporalio.worker import Worker

        self._so = so
        self.task_queue = f"tp-plugin-{uuid.uuid4().hex[:8]}"
        address = env.client.service_client.config.target_host
        plugin = so.LangGraphPlugin(graphs={so.PLUGIN_GRAPH: so.build_plugin_chain()})
        self._runtime = env.runtime

        async def start() -> tuple[Any, Any, Any]:
            client = await Client.connect(address)
            worker = Worker(client, task_queue=self.task_queue, workflows=[so.PluginChainWorkflow], plugins=[plugin])
            return client, worker, asyncio.get_running_loop().create_task(worker.run())

        self.client, self.worker, self.task = env.runtime.run_sync(start())

    async def one(self) -> None:
        out = await self.client.execute_workflow(
            self._so.PluginChainWorkflow.run,
            self._so.initial_state("small"),
            id=f"tp-plugin-{uuid.uuid4().hex[:12]}",
            task_queue=self.task_queue,
        )
        assert out["counter"] == self._so.N_NODES

    def stop(self) -> None:
        async def stop() -> None:
            await self.worker.shutdown()
            await asyncio.gather(self.task, return_exceptions=True)

        self._runtime.run_sync(stop())


if __name__ == "__main__":
    # The plugin identifies node functions by module and refuses ``__main__``.
    from bench.throughput import main as _main

    sys.exit(_main())
