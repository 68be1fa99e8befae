"""Run a graphcompat worker: ``python worker.py --graph package.module:graph [--graph ...]``.

The worker connects to Temporal as ``temporalio.envconfig`` reads it
(``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``, TLS
settings, profiles in ``TEMPORAL_CONFIG_FILE``), imports the named compiled
graphs and runs their nodes for any client that compiled the same graphs.
It stops gracefully on SIGINT or SIGTERM: tasks in progress finish or are
handed back to Temporal, which retries them on another worker.

This module is the worker; ``worker.py`` at the repository root and
``graphcompat worker`` are thin entry points to :func:`main`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from graphcompat import _settings
from graphcompat._loading import load_graph

__all__ = ["build_parser", "load_graph", "main", "run_worker"]


async def run_worker(
    graph_specs: Sequence[str],
    *,
    task_queue: str | None = None,
    store_url: str | None = None,
    max_concurrent_activities: int | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run a worker for the given graphs until ``stop`` is set (or forever)."""
    from graphcompat._registry import GraphRegistry
    from graphcompat._runtime import connect_from_env
    from graphcompat.checkpoint import saver_from_url
    from graphcompat.plugin import build_worker

    graphs = [load_graph(spec) for spec in graph_specs]
    registry = GraphRegistry(weak=False)
    store = saver_from_url(store_url) if store_url else None
    for graph in graphs:
        if store is not None:
            graph.store = store
        registry.add(graph.binding)
    # The client's rule too (Runtime.task_queue_for): option, graph, environment, default.
    queue = _settings.task_queue(task_queue, graphs[0].task_queue)
    client = await connect_from_env()
    options: dict[str, Any] = {"graceful_shutdown_timeout": timedelta(seconds=10)}
    if max_concurrent_activities:
        options["max_concurrent_activities"] = max_concurrent_activities
    worker = build_worker(client, queue, registry, **options)
    print(
        f"graphcompat worker: serving {', '.join(g.name + ' (' + g.store.display_url + ')' for g in graphs)} "
        f"on task queue {queue!r} at {client.service_client.config.target_host}",
        file=sys.stderr,
        flush=True,
    )
    stop = stop or asyncio.Event()
    async with worker:
        await stop.wait()
    print("graphcompat worker: stopped", file=sys.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    """``worker.py``'s options (defaults from the environment, see ``graphcompat._settings``)."""
    parser = argparse.ArgumentParser(prog="worker.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", action="append", required=True, metavar="MODULE:ATTR", help="a compiled graph to serve (repeatable)")
    parser.add_argument(
        "--task-queue", default=None, help="Temporal task queue (default: the graph's, GRAPHCOMPAT_TASK_QUEUE, or 'graphcompat')"
    )
    parser.add_argument(
        "--store",
        default=_settings.store_url(),
        help="snapshot store URL overriding the graphs' own (sqlite:///path.db, postgresql://...); env GRAPHCOMPAT_STORE",
    )
    parser.add_argument(
        "--max-concurrent-activities",
        type=int,
        default=_settings.max_concurrent_activities(),
        help="nodes this worker runs at once (default: the Temporal SDK's); env GRAPHCOMPAT_MAX_CONCURRENT_ACTIVITIES",
    )
    parser.add_argument("--log-level", default=_settings.log_level(), help="env GRAPHCOMPAT_LOG_LEVEL (default WARNING)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from graphcompat.errors import GraphCompatError

    try:
        args = build_parser().parse_args(argv)
    except GraphCompatError as exc:  # a bad GRAPHCOMPAT_* default
        print(f"worker.py: error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(
            args.graph,
            task_queue=args.task_queue,
            store_url=args.store,
            max_concurrent_activities=args.max_concurrent_activities,
            stop=stop,
        )

    try:
        asyncio.run(run())
    except GraphCompatError as exc:
        print(f"worker.py: error: {exc}", file=sys.stderr)
        return 2
    return 0
