"""``graphcompat run``, ``update`` and ``fork``: commands that need the graph's code.

``run`` follows a run with ``graph.stream`` (``--mode``: LangGraph's stream
modes, ``updates`` by default), so the command line prints exactly the
chunks a program would get, live chunks (``custom``, ``messages``) included,
whichever worker runs the nodes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from graphcompat import _settings
from graphcompat._loading import load_graph
from graphcompat._runtime import Runtime, connect_from_env, current_runtime, install_runtime
from graphcompat._settings import temporal_configured
from graphcompat.checkpoint import BaseCheckpointSaver, CheckpointRecord
from graphcompat.cli._render import json_default, step_line
from graphcompat.cli._store import default_store_url, open_store, parse_json_arg, resolve_checkpoint
from graphcompat.errors import ConfigurationError, GraphRecursionError

__all__ = ["cmd_fork", "cmd_run", "cmd_update", "load_cli_graph", "run_failure_line", "temporal_runtime"]

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


def follow(graph: Any, input: Any, config: dict[str, Any], out: Any = None, modes: Sequence[str] = ("updates",)) -> dict[str, Any]:
    """Stream the run in ``modes`` and print each chunk as it arrives; return the final values.

    A chunk is one line of JSON (prefixed by its mode when several are
    followed); ``checkpoints`` chunks print as step lines (step, source,
    writers, keys changed, writes, short id) and ``messages`` tokens print
    inline, a message per line.
    """
    out = out or sys.stdout
    store: BaseCheckpointSaver = graph.store
    thread_id = config["configurable"]["thread_id"]
    known: dict[str, CheckpointRecord] = {}
    several = len(modes) > 1
    inline = False

    def record(checkpoint_id: str | None) -> CheckpointRecord | None:
        if not checkpoint_id:
            return None
        if checkpoint_id not in known:
            found = store.get_checkpoint(thread_id, "", checkpoint_id)
            if found is None:
                return None
            known[checkpoint_id] = found
        return known[checkpoint_id]

    for item in graph.stream(input, config, stream_mode=list(modes)):
        mode, chunk = item if several else (modes[0], item)
        if mode == "messages":
            message, metadata = chunk
            if not inline:
                print(f"{mode}  {metadata.get('langgraph_node', '?')}: " if several else f"{metadata.get('langgraph_node', '?')}: ", end="", file=out)
                inline = True
            print(message.content if isinstance(message.content, str) else json.dumps(message.content, default=json_default), end="", file=out, flush=True)
            if getattr(message, "chunk_position", None) == "last" or not type(message).__name__.endswith("Chunk"):
                print(file=out, flush=True)
                inline = False
            continue
        if inline:
            print(file=out)
            inline = False
        if mode == "checkpoints":
            current = record(chunk["config"]["configurable"]["checkpoint_id"])
            parent = record((chunk.get("parent_config") or {}).get("configurable", {}).get("checkpoint_id"))
            line = step_line(current, parent) if current is not None else json.dumps(chunk, default=json_default)
        else:
            line = json.dumps(chunk, default=json_default, ensure_ascii=False)
        print(f"{mode}  {line}" if several else line, file=out, flush=True)
    if inline:
        print(file=out, flush=True)
    state = graph.get_state({"configurable": {"thread_id": thread_id}})  # where the run ended: the thread's head
    result = dict(state.values)
    if state.interrupts:
        result["__interrupt__"] = list(state.interrupts)
    return result


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
        result = follow(graph, input, config, modes=_modes(args))
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


def _modes(args: argparse.Namespace) -> list[str]:
    """``--mode`` (repeatable, or comma-separated): the stream modes to print; ``updates`` by default."""
    from graphcompat.graph._compiled import STREAM_MODES

    given = [m.strip() for value in (getattr(args, "mode", None) or ["updates"]) for m in value.split(",") if m.strip()]
    for mode in given:
        if mode not in STREAM_MODES:
            raise ConfigurationError(f"--mode {mode!r} is not a stream mode; use one of {', '.join(STREAM_MODES)}")
    return given or ["updates"]


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
