"""Store-only commands: ``threads``, ``state``, ``history`` and the cleanup commands.

None of them imports graph code or talks to Temporal: the snapshot store
holds JSON records, which is all they need. So they run anywhere the store
can be reached, including on a machine that has only the store URL.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from graphcompat._history_drawing import draw_history_mermaid, history_nodes
from graphcompat.checkpoint import BaseCheckpointSaver
from graphcompat.checkpoint._common import expiry_cutoff, parse_time
from graphcompat.cli._render import history_tree_lines, json_default, relative_time, state_lines, table
from graphcompat.cli._run import store_url_for
from graphcompat._views import json_state_values as state_values
from graphcompat._views import task_views, thread_status
from graphcompat._subgraph import child_namespace
from graphcompat.cli._store import namespaces, open_store, parse_duration, require_latest, require_namespace, resolve_checkpoint
from graphcompat.errors import ConfigurationError

__all__ = [
    "cmd_archive",
    "cmd_delete",
    "cmd_expire",
    "cmd_history",
    "cmd_prune",
    "cmd_restore",
    "cmd_state",
    "cmd_threads",
]


@contextmanager
def _store(args: argparse.Namespace, *, must_exist: bool = True) -> Iterator[BaseCheckpointSaver]:
    store = open_store(store_url_for(args), must_exist=must_exist)
    try:
        yield store
    finally:
        store.close()


def _dump(value: Any) -> None:
    print(json.dumps(value, indent=2, default=json_default, ensure_ascii=False))


# -- reading ------------------------------------------------------------------------------


def cmd_threads(args: argparse.Namespace) -> int:
    """Every thread with its checkpoint count, latest step, last update and status."""
    with _store(args) as store:
        rows = []
        for info in store.list_threads()[: args.limit]:
            latest = store.get_checkpoint(info.thread_id)
            status = "?"
            if latest is not None:
                status = thread_status(latest, store.get_writes(info.thread_id, "", latest.checkpoint_id))
            rows.append((info, status))
    if args.json:
        _dump(
            [
                {
                    "thread_id": i.thread_id,
                    "checkpoints": i.checkpoint_count,
                    "latest_checkpoint_id": i.latest_checkpoint_id,
                    "latest_step": i.latest_step,
                    "updated_at": i.updated_at,
                    "status": s,
                }
                for i, s in rows
            ]
        )
        return 0
    if not rows:
        print("no threads in this store")
        return 0
    now = datetime.now(timezone.utc)
    print(
        table(
            ["THREAD", "CHECKPOINTS", "STEP", "UPDATED", "STATUS"],
            [[i.thread_id, i.checkpoint_count, i.latest_step, relative_time(i.updated_at, now), s] for i, s in rows],
        )
    )
    return 0


def cmd_state(args: argparse.Namespace) -> int:
    """Values, next, metadata and task outcomes of the latest (or a named) checkpoint."""
    with _store(args) as store:
        record = resolve_checkpoint(store, args.thread_id, args.checkpoint, args.ns or "")
        writes = store.get_writes(record.thread_id, record.checkpoint_ns, record.checkpoint_id)
        tasks = task_views(record, writes, orphan_errors=True)
        # Subgraphs run by this checkpoint's tasks: their namespaces, when the store holds them.
        subgraphs = []
        for task in tasks:
            ns = child_namespace(record.checkpoint_ns, task.name, task.id)
            child = store.get_checkpoint(record.thread_id, ns)
            if child is not None:
                subgraphs.append((ns, thread_status(child, store.get_writes(record.thread_id, ns, child.checkpoint_id))))
    status = thread_status(record, writes)
    if args.json:
        _dump(
            {
                "thread_id": record.thread_id,
                "checkpoint_ns": record.checkpoint_ns,
                "checkpoint_id": record.checkpoint_id,
                "parent_checkpoint_id": record.parent_checkpoint_id,
                "created_at": record.created_at,
                "status": status,
                "values": state_values(record),
                "next": [str(t.get("name")) for t in record.next_tasks],
                "metadata": record.metadata,
                "tasks": [t.to_json() for t in tasks],
                "subgraphs": [{"checkpoint_ns": ns, "status": st} for ns, st in subgraphs],
            }
        )
        return 0
    lines = state_lines(record, tasks, status)
    if subgraphs:
        lines.append("subgraphs (graphcompat state THREAD --ns NS):")
        lines += [f"  {ns}  {st}" for ns, st in subgraphs]
    print("\n".join(lines))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    """The checkpoint tree of a thread (all branches), as text, JSON or Mermaid."""
    with _store(args) as store:
        require_namespace(store, args.thread_id, args.ns or "")
        records = list(store.list_checkpoints(args.thread_id, args.ns or "", limit=args.limit))
        subgraph_namespaces = [] if args.ns else namespaces(store, args.thread_id)
    if args.mermaid:
        sys.stdout.write(draw_history_mermaid(records))
        return 0
    if args.json:
        _dump(
            [
                {
                    "checkpoint_id": n.checkpoint_id,
                    "parent_checkpoint_id": n.parent_id,
                    "step": n.step,
                    "source": n.source,
                    "writers": list(n.writers),
                    "next": list(n.next),
                    "created_at": n.created_at,
                }
                for n in reversed(history_nodes(records))  # newest first, as get_state_history
            ]
        )
        return 0
    lines = history_tree_lines(records)
    if subgraph_namespaces:
        lines.append("subgraph namespaces (graphcompat history THREAD --ns NS):")
        lines += [f"  {ns}" for ns in subgraph_namespaces]
    print("\n".join(lines))
    return 0


# -- cleanup ------------------------------------------------------------------------------


def cmd_delete(args: argparse.Namespace) -> int:
    """Delete every checkpoint of a thread, after a confirmation unless ``--yes``."""
    with _store(args) as store:
        latest = require_latest(store, args.thread_id)
        if not args.yes:
            if not sys.stdin.isatty():
                raise ConfigurationError(f"deleting thread {args.thread_id!r} needs confirmation; pass --yes")
            answer = input(f"delete thread {args.thread_id!r} (latest step {latest.step}) and all its checkpoints? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("nothing deleted")
                return 1
        deleted = store.delete_thread(args.thread_id)
    print(f"deleted thread {args.thread_id!r}: {deleted} checkpoints")
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    """Keep the latest N checkpoints of a thread."""
    if args.keep < 1:
        raise ConfigurationError(f"--keep {args.keep}: keep at least 1 checkpoint (to delete the thread use `delete`)")
    with _store(args) as store:
        require_latest(store, args.thread_id)
        deleted = store.prune_thread(args.thread_id, args.keep)
    print(f"pruned thread {args.thread_id!r}: deleted {deleted} checkpoints, kept the latest {args.keep}")
    return 0


def _progress(store: BaseCheckpointSaver, doomed: set[str], done: threading.Event) -> None:
    """Print a running count of deleted threads to stderr while ``expire_threads`` works."""
    started = time.monotonic()
    while not done.wait(0.5):
        remaining = doomed & {t.thread_id for t in store.list_threads()}
        print(
            f"\rexpire: {len(doomed) - len(remaining)}/{len(doomed)} threads deleted ({time.monotonic() - started:.0f}s)",
            end="",
            file=sys.stderr,
            flush=True,
        )
    if time.monotonic() - started >= 0.5:
        print(file=sys.stderr)


def cmd_expire(args: argparse.Namespace) -> int:
    """Delete threads idle longer than ``--older-than`` (``--dry-run`` lists them)."""
    idle = parse_duration(args.older_than)
    now = datetime.now(timezone.utc)
    with _store(args) as store:
        cutoff = expiry_cutoff(idle, now)
        candidates = [t for t in store.list_threads() if parse_time(t.updated_at) < cutoff]
        if args.dry_run:
            if not candidates:
                print(f"no thread idle for more than {args.older_than}")
                return 0
            print(f"would delete {len(candidates)} threads idle for more than {args.older_than}:")
            print(
                table(
                    ["THREAD", "CHECKPOINTS", "UPDATED"],
                    [[t.thread_id, t.checkpoint_count, relative_time(t.updated_at, now)] for t in candidates],
                )
            )
            return 0
        # The store re-checks each thread under its lock (a run may write meanwhile);
        # the progress thread only watches the candidates disappear.
        done = threading.Event()
        watcher = threading.Thread(target=_progress, args=(store, {t.thread_id for t in candidates}, done), daemon=True)
        watcher.start()
        try:
            expired = store.expire_threads(idle, now=now)
        finally:
            done.set()
            watcher.join()
    print(f"expired {len(expired)} threads idle for more than {args.older_than}" + (": " + ", ".join(expired) if expired else ""))
    return 0


def cmd_archive(args: argparse.Namespace) -> int:
    """Append a thread's history to a JSON Lines file, then delete it unless ``--keep``."""
    with _store(args) as store:
        require_latest(store, args.thread_id)
        count = store.archive_thread(args.thread_id, args.to, delete=not args.keep)
    action = "kept in the store" if args.keep else "deleted from the store"
    print(f"archived thread {args.thread_id!r}: {count} checkpoints to {args.to} ({action})")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Load an archive written by ``archive`` back into the store."""
    with _store(args, must_exist=False) as store:
        count = store.restore_archive(args.file)
    print(f"restored {count} checkpoints from {args.file}")
    return 0
