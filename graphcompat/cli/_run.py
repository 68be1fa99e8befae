"""``graphcompat run``, ``update`` and ``fork``: commands that need the graph's code.

``run`` follows a run live by polling the snapshot store while ``invoke``
waits in a background thread: the store is where every committed super-step
lands, whichever worker ran it, so this works the same with an in-process
worker and with workers on other machines, and needs nothing from the run
beyond what ``get_state_history`` already reads.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
from collections.abc import Iterator
from typing import Any

from graphcompat import _settings
from graphcompat._follow import StoreFollower
from graphcompat._loading import load_graph
from graphcompat._runtime import Runtime, connect_from_env, current_runtime, install_runtime
from graphcompat._settings import temporal_configured
from graphcompat.checkpoint import BaseCheckpointSaver, CheckpointRecord
from graphcompat.cli._render import json_default, step_line
from graphcompat.cli._store import default_store_url, open_store, parse_json_arg, resolve_checkpoint
from graphcompat.errors import ConfigurationError, GraphRecursionError

__all__ = ["cmd_fork", "cmd_run", "cmd_update", "load_cli_graph", "run_failure_line", "temporal_runtime"]

#: How often ``run`` looks for new checkpoints.
POLL_SECONDS = 0.1


class NodeFailed(Exception):
    """The run stopped on an error (a node's exception, a recursion limit): exit status 1."""


def load_cli_graph(args: argparse.Namespace) -> Any:
    """Import ``--graph`` and point it at ``--store`` when one is given (as ``worker.py --store`` does)."""
    graph = load_graph(args.graph)
    url = args.store
    if url:
        graph.store = open_store(url, must_exist=False)  # a first run creates the file
        graph.checkpointer = graph.checkpointer or graph.store
    if graph.checkpointer is None:
        raise ConfigurationError(
            f"--graph {args.graph!r} was compiled without a checkpointer, so its runs leave no history; "
            "compile it with a checkpointer or pass --store URL"
        )
    return graph


@contextlib.contextmanager
def temporal_runtime(args: argparse.Namespace, *, in_process_worker: bool | None = None) -> Iterator[Runtime]:
    """The runtime a command's runs go to.

    ``--address`` / ``--namespace`` (or ``--in-process-worker``) make a
    connected runtime for this command; otherwise the one graphcompat would
    pick anyway: the installed one (tests), a configured server
    (``TEMPORAL_ADDRESS``, envconfig profiles) or the embedded dev server.
    """
    from graphcompat._runtime import get_runtime

    overrides = {k: v for k, v in (("target_host", args.address), ("namespace", args.namespace)) if v}
    own = bool(overrides) or (in_process_worker is not None and current_runtime() is None and temporal_configured())
    if not own:
        yield get_runtime()
        return
    inproc = in_process_worker
    if inproc is None:
        inproc = _settings.inprocess_worker()

    async def connect() -> tuple[Any, None]:
        return await connect_from_env(**overrides), None

    runtime = Runtime(connect, in_process_worker=inproc, description="cli")
    previous = install_runtime(runtime)
    try:
        yield runtime
    finally:
        install_runtime(previous)
        runtime.close()


def follow(graph: Any, input: Any, config: dict[str, Any], out: Any = None) -> dict[str, Any]:
    """Invoke in a background thread and print each checkpoint the run commits, once, as it lands."""
    out = out or sys.stdout
    store: BaseCheckpointSaver = graph.store
    thread_id = config["configurable"]["thread_id"]
    follower = StoreFollower(store, thread_id)
    follower.skip_through(store.get_checkpoint(thread_id))
    known: dict[str, CheckpointRecord] = {}
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = graph.invoke(input, config)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="graphcompat-cli-invoke", daemon=True)
    worker.start()

    def drain() -> None:
        for record in follower.poll():
            known[record.checkpoint_id] = record
            parent_id = record.parent_checkpoint_id
            parent = known.get(parent_id) if parent_id else None
            if parent is None and parent_id:
                parent = store.get_checkpoint(thread_id, record.checkpoint_ns, parent_id)
            print(step_line(record, parent), file=out, flush=True)

    while worker.is_alive():
        drain()
        worker.join(POLL_SECONDS)
    drain()
    if "error" in box:
        raise box["error"]
    return box["result"]


def run_failure_line(exc: BaseException, graph_spec: str = "MODULE:ATTR") -> str | None:
    """The one-line report of a failed run, or None when ``exc`` is not a run failure.

    ``invoke`` re-raises a node's own exception with ``node``, ``thread_id``
    and ``checkpoint_id`` attached; errors raised before the run started
    (busy thread, bad input) carry no ``node`` and are reported as usage errors.
    """
    if not hasattr(exc, "node") and not isinstance(exc, GraphRecursionError):
        return None
    node = getattr(exc, "node", None)
    thread = getattr(exc, "thread_id", None) or "THREAD"
    where = f"node {node!r}" if node else "the run"
    return (
        f"{where} failed on thread {thread!r} at checkpoint {getattr(exc, 'checkpoint_id', None) or '?'}: "
        f"{type(exc).__name__}: {exc}; inspect with `graphcompat state {thread}`, "
        f"resume with `graphcompat run --graph {graph_spec} --thread {thread}`"
    )


def _runtime_for(args: argparse.Namespace) -> contextlib.AbstractContextManager[Runtime]:
    """The runtime of a graph command (``update_state`` runs on Temporal too: reducers are user code)."""
    return temporal_runtime(args, in_process_worker=True if args.in_process_worker else None)


def _finish(args: argparse.Namespace, graph: Any, input: Any, config: dict[str, Any]) -> int:
    """Follow the run (inside the command's runtime), then print the final values."""
    try:
        result = follow(graph, input, config)
    except Exception as exc:
        line = run_failure_line(exc, args.graph)
        if line is None:
            raise
        raise NodeFailed(line) from exc
    interrupts = result.pop("__interrupt__", None) if isinstance(result, dict) else None
    print(json.dumps(result, indent=2, default=json_default, ensure_ascii=False))
    if interrupts:
        thread_id = config["configurable"]["thread_id"]
        shown = json.dumps([getattr(i, "value", i) for i in interrupts], default=json_default)
        print(
            f"graphcompat: run interrupted on thread {thread_id!r}, waiting for {shown}; answer with "
            f"`graphcompat run --graph {args.graph} --thread {thread_id} --resume JSON`",
            file=sys.stderr,
        )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Start, resume or replay a run and follow it."""
    from graphcompat.types import Command

    if args.input is not None and args.resume is not None:
        raise ConfigurationError("pass --input (a new run) or --resume (answer an interrupt), not both")
    graph = load_cli_graph(args)
    config: dict[str, Any] = {"configurable": {"thread_id": args.thread}}
    if args.checkpoint:
        record = resolve_checkpoint(graph.store, args.thread, args.checkpoint)
        config["configurable"]["checkpoint_id"] = record.checkpoint_id
    if args.input is not None:
        input: Any = parse_json_arg("--input", args.input)
    elif args.resume is not None:
        input = Command(resume=parse_json_arg("--resume", args.resume))
    else:
        input = None  # resume the latest checkpoint, or replay --checkpoint
    with _runtime_for(args):
        return _finish(args, graph, input, config)


def cmd_update(args: argparse.Namespace) -> int:
    """``update_state`` on the latest (or a named) checkpoint; prints the new checkpoint id."""
    graph = load_cli_graph(args)
    values = parse_json_arg("--values", args.values)
    config: dict[str, Any] = {"configurable": {"thread_id": args.thread_id}}
    if args.checkpoint:
        config["configurable"]["checkpoint_id"] = resolve_checkpoint(graph.store, args.thread_id, args.checkpoint).checkpoint_id
    with _runtime_for(args):
        new = graph.update_state(config, values, as_node=args.as_node)
    print(new["configurable"]["checkpoint_id"])
    return 0


def cmd_fork(args: argparse.Namespace) -> int:
    """Branch from a past checkpoint: update it (``--values``) and/or continue from it (``--run``)."""
    if args.values is None and not args.run:
        raise ConfigurationError("fork needs --values JSON (a changed branch), --run (a replay), or both")
    graph = load_cli_graph(args)
    record = resolve_checkpoint(graph.store, args.thread_id, args.checkpoint)
    config: dict[str, Any] = {"configurable": {"thread_id": args.thread_id, "checkpoint_id": record.checkpoint_id}}
    values = parse_json_arg("--values", args.values) if args.values is not None else None
    with _runtime_for(args):
        if args.values is not None:
            config = graph.update_state(config, values, as_node=args.as_node)
            new_id = config["configurable"]["checkpoint_id"]
            print(f"forked: checkpoint {new_id} (parent {record.checkpoint_id})", file=sys.stderr if args.run else sys.stdout)
        if not args.run:
            return 0
        return _finish(args, graph, None, dict(config))


def store_url_for(args: argparse.Namespace) -> str:
    """The store of a store-only command: ``--store``, the ``--graph``'s store, or ``$GRAPHCOMPAT_STORE``."""
    if args.store:
        return str(args.store)
    if getattr(args, "graph", None):
        return str(load_graph(args.graph).store.url)
    url = default_store_url(None)
    if url:
        return url
    raise ConfigurationError(
        "no snapshot store given; pass --store URL (sqlite:///graphs.db, postgresql://...), "
        "set GRAPHCOMPAT_STORE, or pass --graph MODULE:ATTR to use that graph's store"
    )
