"""``graphcompat``: the command line.

Commands, by what they need:

- the snapshot store only (no graph code, no Temporal): ``threads``,
  ``state``, ``history``, ``delete``, ``prune``, ``expire``, ``archive``,
  ``restore``;
- the graph's code (``--graph MODULE:ATTR``) and Temporal: ``run``,
  ``update`` (code only: reducers and edges run locally), ``fork``;
- Temporal itself: ``server``, ``worker``, ``schedule-expiry``, ``demo``.

The store comes from ``--store URL``, else the ``--graph``'s own store, else
``$GRAPHCOMPAT_STORE``. Temporal comes from ``--address`` / ``--namespace``,
else the environment (``TEMPORAL_ADDRESS``, ``temporalio.envconfig``
profiles), else the embedded dev server.

Errors are one line on stderr, ``graphcompat: error: ...``, exit status 2;
a run that stops on a node's error reports it the same way with status 1.
``GRAPHCOMPAT_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from graphcompat.errors import GraphCompatError

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line, like every other error of the command."""

    def error(self, message: str) -> NoReturn:
        _fail(f"{message} (see `{self.prog} --help`)")
        raise SystemExit(2)


def _fail(message: str) -> None:
    print(f"graphcompat: error: {' '.join(str(message).split())}", file=sys.stderr, flush=True)


def _common(store: bool = True) -> argparse.ArgumentParser:
    """Options every command takes: where the store and Temporal are."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connections")
    if store:
        group.add_argument("--store", metavar="URL", help="snapshot store (sqlite:///x.db, postgresql://...); default: --graph's store, then $GRAPHCOMPAT_STORE")
    group.add_argument("--address", metavar="HOST:PORT", help="Temporal server (default: $TEMPORAL_ADDRESS / envconfig profile, else the embedded server)")
    group.add_argument("--namespace", metavar="NS", help="Temporal namespace (default: $TEMPORAL_NAMESPACE or 'default')")
    return common


def _build() -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    from graphcompat.cli import _inspect as inspect
    from graphcompat.cli import _run as run
    from graphcompat.cli import _temporal as temporal

    parser = _Parser(prog="graphcompat", description="Run LangGraph-style graphs durably on Temporal; inspect and clean up their checkpoints.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _common()
    handlers: dict[str, Handler] = {}

    def command(
        name: str,
        handler: Handler,
        help: str,
        *,
        graph: bool | None = False,
        thread: bool = False,
        parents: Sequence[argparse.ArgumentParser] = (common,),
    ) -> argparse.ArgumentParser:
        """A subcommand; ``graph``: True needs ``--graph``, False accepts it (to find the store), None has none."""
        handlers[name] = handler
        p = sub.add_parser(name, help=help, description=help, parents=list(parents))  # type: ignore[arg-type]  # typeshed: _Parser generic
        if graph is not None:
            what = "compiled graph (or factory) to import" + ("" if graph else "; used only to find its store")
            p.add_argument("--graph", required=graph, metavar="MODULE:ATTR", help=what)
        if thread:
            p.add_argument("thread_id", metavar="THREAD", help="thread id")
        return p

    # -- Temporal ------------------------------------------------------------------
    command("demo", lambda a: _demo(), "the lesson's pipeline on the embedded default: fails, resumes, prints its history", graph=None, parents=())
    p = command("server", temporal.cmd_server, "run the local Temporal dev server (Web UI on) until Ctrl-C", graph=None, parents=())
    p.add_argument("--port", type=int, default=7233, help="frontend port (default 7233, Temporal's default)")
    p.add_argument("--ui-port", type=int, default=8233, help="Web UI port (default 8233)")
    p.add_argument("--headless", action="store_true", help="no Web UI")
    p.add_argument("--db", metavar="FILE", help="history database file (default: temporal.db in the state directory, $GRAPHCOMPAT_HOME or ./.graphcompat)")
    handlers["worker"] = _worker
    w = sub.add_parser("worker", help="run a worker for importable graphs (same as worker.py; see `graphcompat worker --help`)", add_help=False)
    w.add_argument("rest", nargs=argparse.REMAINDER)

    # -- runs ----------------------------------------------------------------------
    p = command("run", run.cmd_run, "start, resume or replay a run and print its stream (--mode) as it runs", graph=True)
    p.add_argument("--thread", required=True, metavar="THREAD", help="thread id (one run per thread at a time)")
    p.add_argument("--input", metavar="JSON", help="input of a new run, e.g. '{\"query\": \"x\"}'; without --input/--resume the latest checkpoint is resumed")
    p.add_argument("--resume", metavar="JSON", help="answer an interrupt: sends Command(resume=JSON)")
    p.add_argument("--checkpoint", metavar="ID", help="replay from this checkpoint (full or short id) on a new branch")
    p.add_argument("--mode", action="append", metavar="MODE", help="stream mode(s) to print: updates (default), values, custom, messages, checkpoints (one line per super-step), tasks, debug; repeat or comma-separate for several")
    p.add_argument("--in-process-worker", action="store_true", help="run the nodes in this process (default when no Temporal address is configured)")

    p = command("update", run.cmd_update, "update_state: write a checkpoint as if a node had returned --values; prints its id", graph=True, thread=True)
    p.add_argument("--values", required=True, metavar="JSON", help="the update, applied through the state's reducers")
    p.add_argument("--as-node", metavar="NODE", help="node the update comes from (decides what runs next)")
    p.add_argument("--checkpoint", metavar="ID", help="checkpoint to update (default: the latest); a past one starts a branch")
    p.add_argument("--in-process-worker", action="store_true", help="run the graph's code in this process")

    p = command("fork", run.cmd_fork, "branch from a past checkpoint: update it (--values) and/or continue from it (--run)", graph=True, thread=True)
    p.add_argument("--checkpoint", required=True, metavar="ID", help="checkpoint to branch from (full or short id)")
    p.add_argument("--values", metavar="JSON", help="update applied on the branch (update_state)")
    p.add_argument("--as-node", metavar="NODE", help="node the update comes from")
    p.add_argument("--run", action="store_true", help="continue the run from the branch (invoke(None, branch_config))")
    p.add_argument("--in-process-worker", action="store_true", help="run the nodes in this process")

    # -- reading -------------------------------------------------------------------
    p = command("threads", inspect.cmd_threads, "list threads: checkpoints, latest step, last update, status")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="show the N most recently updated")
    p.add_argument("--json", action="store_true", help="JSON for scripts")

    p = command("state", inspect.cmd_state, "values, next, metadata and task outcomes of a thread's latest (or a named) checkpoint", thread=True)
    p.add_argument("--checkpoint", metavar="ID", help="checkpoint (full or short id); default: the latest")
    p.add_argument("--ns", metavar="NS", help="a subgraph's checkpoint namespace (node:task_id), as `state` and `history` list them")
    p.add_argument("--json", action="store_true", help="JSON for scripts")

    p = command("history", inspect.cmd_history, "the checkpoint tree of a thread, branches included", thread=True)
    p.add_argument("--limit", type=int, default=None, metavar="N", help="only the N newest checkpoints")
    p.add_argument("--ns", metavar="NS", help="a subgraph's checkpoint namespace (node:task_id), as listed at the end")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="JSON list, newest first")
    fmt.add_argument("--mermaid", action="store_true", help="a Mermaid flowchart of the tree")

    # -- cleanup -------------------------------------------------------------------
    p = command("delete", inspect.cmd_delete, "delete a thread and all its checkpoints", thread=True)
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    p = command("prune", inspect.cmd_prune, "keep only the latest N checkpoints of a thread", thread=True)
    p.add_argument("--keep", required=True, type=int, metavar="N", help="checkpoints to keep (at least 1)")

    p = command("expire", inspect.cmd_expire, "delete threads idle for longer than a duration")
    p.add_argument("--older-than", required=True, metavar="DURATION", help="e.g. 30d, 12h, 90m, 45s, 1h30m")
    p.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")

    p = command("archive", inspect.cmd_archive, "append a thread's history to a JSON Lines file, then delete it", thread=True)
    p.add_argument("--to", required=True, metavar="FILE.jsonl", help="archive file (appended to)")
    p.add_argument("--keep", action="store_true", help="keep the thread in the store after archiving")

    p = command("restore", inspect.cmd_restore, "load an archive written by `archive` back into the store")
    p.add_argument("file", metavar="FILE.jsonl")

    p = command("schedule-expiry", temporal.cmd_schedule_expiry, "create or update a Temporal Schedule that runs `expire` periodically")
    p.add_argument("--older-than", required=True, metavar="DURATION", help="delete threads idle for longer than this, e.g. 30d")
    p.add_argument("--every", required=True, metavar="DURATION", help="how often, e.g. 1h")
    p.add_argument("--schedule-id", default="graphcompat-expiry", metavar="ID", help="schedule id (default graphcompat-expiry)")
    p.add_argument("--task-queue", default=None, metavar="Q", help="task queue of the workers that run it (default 'graphcompat')")
    return parser, handlers


def _demo() -> int:
    from graphcompat.cli._demo import main as demo

    return demo()


def _worker(args: argparse.Namespace) -> int:
    from graphcompat import _worker as worker_module

    rest = list(args.rest)
    try:
        return worker_module.main(rest[1:] if rest[:1] == ["--"] else rest)
    except SystemExit as exit:  # worker.py's argparse (--help, usage errors)
        return int(exit.code or 0)


def _store_error_types() -> tuple[type[BaseException], ...]:
    """Database driver errors, reported as one line like graphcompat's own."""
    types: list[type[BaseException]] = [sqlite3.Error]
    if "psycopg" in sys.modules:
        types.append(sys.modules["psycopg"].Error)
    return tuple(types)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0 ok, 1 the run failed, 2 bad usage or setup)."""
    parser, handlers = _build()
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["worker"]:
        # worker.py owns its options (and its --help): hand them over untouched.
        args_list = ["worker", "--", *args_list[1:]]
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exit:
        return int(exit.code or 0)
    from graphcompat import _settings

    debug = _settings.debug()
    try:
        return _dispatch(handlers[args.command], args, debug)
    finally:
        _close_default_runtime()


def _close_default_runtime() -> None:
    """Stop the embedded server and workers a command started (only the default runtime:
    one a caller installed, in tests or an embedding application, is theirs)."""
    from graphcompat import _runtime

    if _runtime.current_runtime() is None:
        _runtime.close_default_runtime()


def _dispatch(handler: Handler, args: argparse.Namespace, debug: bool) -> int:
    """Run a handler, turning every error into one line on stderr and an exit status."""
    from graphcompat.cli._run import NodeFailed

    try:
        return handler(args)
    except NodeFailed as exc:
        if debug:
            raise
        _fail(str(exc))
        return 1
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except (GraphCompatError, OSError, *_store_error_types()) as exc:  # type: ignore[misc]  # built at run time
        if debug:
            raise
        _fail(_describe(exc))
        return 2
    except Exception as exc:  # noqa: BLE001 - the command line never shows a traceback
        if debug:
            raise
        _fail(f"{type(exc).__name__}: {exc} (rerun with GRAPHCOMPAT_DEBUG=1 for the traceback)")
        return 2


def _describe(exc: BaseException) -> str:
    if isinstance(exc, GraphCompatError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror or exc}: {exc.filename}"
    return f"store error ({type(exc).__name__}): {exc}"
