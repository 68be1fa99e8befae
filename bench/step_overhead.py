#!/usr/bin/env python
"""Per-super-step overhead of graphcompat, next to Temporal's own LangGraph plugin.

    python bench/step_overhead.py [--runs 15] [--warmup 2] [--untuned] [--json]
                                  [--skip-plugin]

One local Temporal dev server is started (tuned as graphcompat tunes it,
or with ``--untuned`` without graphcompat's dynamic-config values). On it
the same 10-node chain of trivial nodes (each adds 1 to a counter) runs

* on graphcompat (``graph.invoke`` with a ``SqliteSaver`` in a temp dir), and
* on ``temporalio-langgraph``'s ``LangGraphPlugin`` (real ``langgraph``,
  every node ``execute_in="activity"``, a workflow that compiles the graph and
  ``ainvoke``s it, the plugin on a worker in this process),

each with a small state and with a state carrying a ~1 MB string that no node
touches. For every run the wall time of the call (``graph.invoke`` /
``client.execute_workflow``) and the run's workflow history (proto
``ByteSize()``, event count) are recorded and divided by the number of
super-steps: 11 = the ``__start__`` step that takes the input + 10 nodes.

This is a script, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, TypedDict

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    # Everything third-party is passed through the workflow sandbox, which
    # re-imports this file for the plugin's workflow below.
    from temporalio.api.history.v1 import History
    from temporalio.client import Client
    from temporalio.worker import Worker

    try:  # the plugin and real LangGraph are benchmark-only extras (bench/requirements.txt)
        from langgraph.graph import END as LG_END
        from langgraph.graph import START as LG_START
        from langgraph.graph import StateGraph as LGStateGraph
        from temporalio.langgraph import LangGraphPlugin
        from temporalio.langgraph import graph as plugin_graph

        PLUGIN_IMPORT_ERROR: str | None = None
    except Exception as exc:  # noqa: BLE001 - reported in the output
        PLUGIN_IMPORT_ERROR = f"{type(exc).__name__}: {exc}"

N_NODES = 10
#: Super-steps of one run: the ``__start__`` step (input) + one per node.
SUPER_STEPS = N_NODES + 1
BIG_BYTES = 1_000_000
PLUGIN_GRAPH = "bench-chain"


class ChainState(TypedDict):
    counter: int
    blob: str


#: The row of the chain whose nodes are all ``add_node(..., local=True)``.
LOCAL_SYSTEM = "graphcompat (local nodes)"


def bump(state: ChainState) -> dict[str, int]:
    """A trivial node: a tiny update, the blob untouched."""
    return {"counter": state["counter"] + 1}


def node_names() -> list[str]:
    return [f"n{i}" for i in range(N_NODES)]


def initial_state(size: str) -> dict[str, Any]:
    return {"counter": 0, "blob": "x" * BIG_BYTES if size == "1MB" else ""}


# -- graphcompat ----------------------------------------------------------------------


def build_graphcompat_chain(db_path: Path, store: str = "sqlite", *, local: bool = False) -> Any:
    from graphcompat.checkpoint.memory import InMemorySaver
    from graphcompat.checkpoint.sqlite import SqliteSaver
    from graphcompat.graph import END, START, StateGraph

    builder = StateGraph(ChainState)
    names = node_names()
    for name in names:
        builder.add_node(name, bump, local=local)
    builder.add_edge(START, names[0])
    for a, b in zip(names, names[1:]):
        builder.add_edge(a, b)
    builder.add_edge(names[-1], END)
    saver = SqliteSaver.from_conn_string(str(db_path)) if store == "sqlite" else InMemorySaver()
    return builder.compile(checkpointer=saver, name="bench-chain-local" if local else "bench-chain")


# -- Temporal's LangGraph plugin ----------------------------------------------------


def build_plugin_chain() -> Any:
    """The same chain in real LangGraph, every node an activity (as the plugin's README says)."""
    builder = LGStateGraph(ChainState)
    names = node_names()
    for name in names:
        builder.add_node(
            name,
            bump,
            metadata={"execute_in": "activity", "start_to_close_timeout": timedelta(seconds=60)},
        )
    builder.add_edge(LG_START, names[0])
    for a, b in zip(names, names[1:]):
        builder.add_edge(a, b)
    builder.add_edge(names[-1], LG_END)
    return builder


@workflow.defn(name="bench.PluginChain")
class PluginChainWorkflow:
    """Runs the registered LangGraph graph inside the workflow; the plugin turns nodes into activities."""

    @workflow.run
    async def run(self, state: dict[str, Any]) -> dict[str, Any]:
        app = plugin_graph(PLUGIN_GRAPH).compile()
        return await app.ainvoke(state)


# -- measuring ------------------------------------------------------------------------


def history_stats(history: Any) -> dict[str, Any]:
    events = list(history.events)
    total = History(events=events).ByteSize()
    io_bytes = 0  # the run's input (start event) and output (completion event)
    continued = False
    big: dict[str, int] = {}  # events big enough to carry the 1 MB state, by type
    for ev in events:
        if ev.ByteSize() >= BIG_BYTES // 2:
            kind = ev.WhichOneof("attributes") or "?"
            kind = "".join(part.title() for part in kind.removesuffix("_event_attributes").split("_"))
            big[kind] = big.get(kind, 0) + 1
        if ev.HasField("workflow_execution_started_event_attributes") or ev.HasField(
            "workflow_execution_completed_event_attributes"
        ):
            io_bytes += ev.ByteSize()
        if ev.HasField("workflow_execution_continued_as_new_event_attributes"):
            continued = True
    return {"bytes": total, "events": len(events), "io_bytes": io_bytes, "continued_as_new": continued, "state_sized_events": big}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarize(system: str, size: str, walls: list[float], hists: list[dict[str, Any]]) -> dict[str, Any]:
    per_step_ms = [w * 1000 / SUPER_STEPS for w in walls]
    hist_bytes = statistics.median(h["bytes"] for h in hists)
    events = statistics.median(h["events"] for h in hists)
    io_bytes = statistics.median(h["io_bytes"] for h in hists)
    return {
        "system": system,
        "state": size,
        "runs": len(walls),
        "super_steps": SUPER_STEPS,
        "median_ms_per_step": statistics.median(per_step_ms),
        "p90_ms_per_step": percentile(per_step_ms, 0.9),
        "median_ms_per_run": statistics.median(walls) * 1000,
        "history_bytes": hist_bytes,
        "history_bytes_per_step": hist_bytes / SUPER_STEPS,
        "history_events_per_step": events / SUPER_STEPS,
        "io_event_bytes": io_bytes,
        "history_bytes_per_step_excl_io": (hist_bytes - io_bytes) / SUPER_STEPS,
        "continued_as_new": any(h["continued_as_new"] for h in hists),
        # events of >= 0.5 MB in the last measured run's history, by event type
        "state_sized_events": hists[-1]["state_sized_events"],
    }


#: A run that has not finished after this many seconds is reported as hung (it takes well under 1 s).
HANG_LIMIT_S = 120.0


class RunHung(Exception):
    pass


@contextlib.contextmanager
def hang_guard(env: Any, client: Any, workflow_id: str) -> Any:
    """Turn a run that never finishes (e.g. a workflow task failing forever) into an error that says why.

    Not a timing check: the limit is two orders of magnitude above a run's time.
    """

    def on_alarm(signum: int, frame: Any) -> None:
        raise RunHung(workflow_id)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_LIMIT_S)
    try:
        yield
    except RunHung:
        raise RuntimeError(
            f"workflow {workflow_id!r} had not finished after {HANG_LIMIT_S:.0f} s; {describe_stuck(env, client, workflow_id)}"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def describe_stuck(env: Any, client: Any, workflow_id: str) -> str:
    try:
        history = env.run(asyncio.wait_for(client.get_workflow_handle(workflow_id).fetch_history(), 15))
    except Exception as exc:  # noqa: BLE001
        return f"its history could not be read ({type(exc).__name__}: {exc})"
    events = list(history.events)
    failures = [
        ev.workflow_task_failed_event_attributes.failure.message
        for ev in events
        if ev.HasField("workflow_task_failed_event_attributes")
    ]
    last = events[-1].WhichOneof("attributes") if events else "none"
    text = f"{len(events)} history events, the last {last}"
    if failures:
        text += f"; workflow task failed {len(failures)}x, last: {failures[-1]}"
    return text


def bench_graphcompat(
    env: Any, graph: Any, size: str, runs: int, warmup: int, system: str = "graphcompat"
) -> dict[str, Any]:
    from graphcompat._wire import workflow_id_for

    state = initial_state(size)
    walls: list[float] = []
    hists: list[dict[str, Any]] = []
    for i in range(warmup + runs):
        thread = f"bench-{size}-{uuid.uuid4().hex[:10]}"
        config = {"configurable": {"thread_id": thread}}
        with hang_guard(env, env.client, workflow_id_for(thread)):
            t0 = time.perf_counter()
            out = graph.invoke(state, config)
            wall = time.perf_counter() - t0
        if out["counter"] != N_NODES or len(out["blob"]) != len(state["blob"]):
            raise RuntimeError(f"graphcompat returned an unexpected state: counter={out['counter']}")
        if i == 0:
            checkpoints = len(list(graph.get_state_history(config)))
            if checkpoints != SUPER_STEPS + 1:  # the input checkpoint + one per super-step
                print(f"note: graphcompat wrote {checkpoints} checkpoints, expected {SUPER_STEPS + 1}", file=sys.stderr)
        if i < warmup:
            continue
        walls.append(wall)
        history = env.run(env.client.get_workflow_handle(workflow_id_for(thread)).fetch_history())
        hists.append(history_stats(history))
    return summarize(system, size, walls, hists)


async def guarded(call: Any, worker_task: asyncio.Task[None]) -> Any:
    """Await ``call``, but fail instead of hanging if the worker stops underneath it."""
    waiter = asyncio.ensure_future(call)
    await asyncio.wait({waiter, worker_task}, return_when=asyncio.FIRST_COMPLETED)
    if waiter.done():
        return waiter.result()
    waiter.cancel()
    exc = worker_task.exception() if not worker_task.cancelled() else None
    raise RuntimeError(f"the plugin's worker stopped: {exc!r}")


def bench_plugin(
    env: Any, client: Any, task_queue: str, worker_task: asyncio.Task[None], size: str, runs: int, warmup: int
) -> dict[str, Any]:
    state = initial_state(size)
    walls: list[float] = []
    hists: list[dict[str, Any]] = []
    for i in range(warmup + runs):
        wid = f"bench-plugin-{size}-{uuid.uuid4().hex[:10]}"
        with hang_guard(env, client, wid):
            t0 = time.perf_counter()
            out = env.run(guarded(client.execute_workflow(PluginChainWorkflow.run, state, id=wid, task_queue=task_queue), worker_task))
            wall = time.perf_counter() - t0
        if out["counter"] != N_NODES or len(out["blob"]) != len(state["blob"]):
            raise RuntimeError(f"the plugin returned an unexpected state: counter={out['counter']}")
        if i < warmup:
            continue
        walls.append(wall)
        history = env.run(client.get_workflow_handle(wid).fetch_history())
        hists.append(history_stats(history))
    return summarize("temporal-langgraph-plugin", size, walls, hists)


# -- the server ----------------------------------------------------------------------


def quiet_sdk_logs() -> None:
    """Keep the SDK core's payload-size warnings (expected with a 1 MB state) out of the output."""
    from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

    Runtime.set_default(
        Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR")))),
        error_if_already_set=False,
    )


def start_environment(untuned: bool) -> tuple[Any, list[str]]:
    """One dev server + graphcompat's in-process worker, installed as the current runtime.

    The dev server prints a banner on the stdout it inherits; it is pointed at
    stderr while it starts so that ``--json`` output stays clean.
    """
    import os

    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        return _start_environment(untuned)
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def untuned_args(args: list[str], tuning: dict[str, str]) -> list[str]:
    """``args`` without the ``--dynamic-config-value KEY=...`` pairs whose KEY is graphcompat tuning."""
    out: list[str] = []
    i = 0
    while i < len(args):
        if args[i] == "--dynamic-config-value" and i + 1 < len(args) and args[i + 1].split("=", 1)[0] in tuning:
            i += 2
            continue
        out.append(args[i])
        i += 1
    return out


def _start_environment(untuned: bool) -> tuple[Any, list[str]]:
    from temporalio.testing import WorkflowEnvironment

    from graphcompat._devserver import DEV_SERVER_DYNAMIC_CONFIG, dev_server_args, temporal_binary
    from graphcompat.plugin import GraphcompatPlugin
    from graphcompat.testing import GraphTestEnvironment

    if not untuned:
        return GraphTestEnvironment.start_local(), dev_server_args()

    # GraphTestEnvironment.start_local() minus graphcompat's dynamic-config values
    # (search attributes and any other arguments are kept).
    extra = untuned_args(dev_server_args(), DEV_SERVER_DYNAMIC_CONFIG)

    async def start() -> WorkflowEnvironment:
        return await WorkflowEnvironment.start_local(
            plugins=[GraphcompatPlugin()],
            dev_server_existing_path=temporal_binary(),
            dev_server_extra_args=extra,
            dev_server_log_level="error",
        )

    workflow_env = asyncio.run(start())
    return GraphTestEnvironment.from_client(workflow_env), extra


def server_version() -> str:
    import subprocess

    from graphcompat._devserver import temporal_binary

    try:
        out = subprocess.run([temporal_binary(), "--version"], capture_output=True, text=True, timeout=20)
        return out.stdout.strip() or out.stderr.strip()
    except Exception as exc:  # noqa: BLE001
        return f"unknown ({exc})"


def plugin_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for dist in ("temporalio-langgraph", "langgraph", "temporalio"):
        try:
            parts.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    return ", ".join(parts)


# -- output ---------------------------------------------------------------------------


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    by = {(r["system"], r["state"]): r for r in rows}
    for system, size in (("graphcompat", "small"), ("graphcompat", "1MB"), (LOCAL_SYSTEM, "small")):
        gc, pl = by.get((system, size)), by.get(("temporal-langgraph-plugin", size))
        if not gc or not pl:
            continue
        entry: dict[str, Any] = {"state": size if system == "graphcompat" else f"{size}, local nodes"}
        for key in ("median_ms_per_step", "p90_ms_per_step", "history_bytes_per_step", "history_events_per_step"):
            entry[key] = gc[key] / pl[key] if pl[key] else None
        out.append(entry)
    return out


def print_report(result: dict[str, Any]) -> None:
    s = result["settings"]
    print(f"graphcompat step overhead: {N_NODES}-node chain of trivial nodes, {SUPER_STEPS} super-steps per run "
          f"(__start__ + {N_NODES} nodes), {s['runs']} runs after {s['warmup']} warm-ups")
    print(f"dev server: {s['server_version']} ({'UNTUNED' if s['untuned'] else 'tuned as graphcompat tunes it'})")
    print(f"  extra args: {' '.join(s['dev_server_extra_args']) or '(none)'}")
    if s["untuned"]:
        print("  (no graphcompat dynamic config: server defaults, e.g. history.transferProcessorMaxPollRPS=20)")
    print(f"graphcompat store: {s['graphcompat_store']}; plugin: {s['plugin_versions']} (no checkpointer: Temporal's history is its durability)")
    print()
    header = ("system", "state", "median ms/step", "p90 ms/step", "hist B/step", "events/step", "B/step excl I/O")
    widths = (26, 6, 15, 12, 12, 12, 16)
    print("  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths))))
    print("  ".join("-" * w for w in widths))
    for r in result["rows"]:
        cells = (
            r["system"],
            r["state"],
            f"{r['median_ms_per_step']:.2f}",
            f"{r['p90_ms_per_step']:.2f}",
            f"{r['history_bytes_per_step']:,.0f}",
            f"{r['history_events_per_step']:.2f}",
            f"{r['history_bytes_per_step_excl_io']:,.0f}",
        )
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))))
    if result["plugin_error"]:
        print()
        print(f"temporal-langgraph-plugin: NOT MEASURED: {result['plugin_error']}")
    if result["ratios"]:
        print()
        print("graphcompat / plugin (below 1 = graphcompat smaller/faster):")
        for q in result["ratios"]:
            print(
                f"  {q['state']:<19} median ms/step x{q['median_ms_per_step']:.2f}   p90 ms/step x{q['p90_ms_per_step']:.2f}   "
                f"hist B/step x{q['history_bytes_per_step']:.3f}   events/step x{q['history_events_per_step']:.2f}"
            )
    print()
    print("ms/step = wall time of one invoke / execute_workflow call (from the caller's thread) / "
          f"{SUPER_STEPS}; hist B/step = proto ByteSize() of the run's history / {SUPER_STEPS} (median over runs);")
    print("B/step excl I/O = the same without the WorkflowExecutionStarted (input) and "
          "WorkflowExecutionCompleted (result) events, i.e. what the steps themselves add.")
    for r in result["rows"]:
        if r["state_sized_events"]:
            listed = ", ".join(f"{k} x{n}" for k, n in r["state_sized_events"].items())
            print(f"events of >= 0.5 MB in one {r['system']} {r['state']} run: {listed}")
    if any(r["continued_as_new"] for r in result["rows"]):
        print("note: some runs continued as new; only the last run of those threads was measured.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="measured runs per system and state size (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured runs before those (default 2)")
    parser.add_argument("--untuned", action="store_true", help="start the dev server without graphcompat's dynamic config")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of the table")
    parser.add_argument("--skip-plugin", action="store_true", help="measure graphcompat only")
    parser.add_argument("--skip-local", action="store_true", help="leave out the chain of local nodes")
    parser.add_argument(
        "--store", choices=("sqlite", "memory"), default="sqlite",
        help="graphcompat's checkpointer: SqliteSaver in a temp dir (default) or InMemorySaver",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    import logging

    logging.basicConfig(level=logging.ERROR)
    started = time.perf_counter()
    quiet_sdk_logs()
    env, extra_args = start_environment(args.untuned)
    rows: list[dict[str, Any]] = []
    plugin_error: str | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="graphcompat-bench-") as tmp:
            graph = build_graphcompat_chain(Path(tmp) / "checkpoints.db", args.store)
            for size in ("small", "1MB"):
                rows.append(bench_graphcompat(env, graph, size, args.runs, args.warmup))
            graph.store.close()
            if not args.skip_local:  # the same chain, every node add_node(..., local=True)
                local = build_graphcompat_chain(Path(tmp) / "local.db", args.store, local=True)
                rows.append(bench_graphcompat(env, local, "small", args.runs, args.warmup, LOCAL_SYSTEM))
                local.store.close()

        if args.skip_plugin:
            plugin_error = "skipped (--skip-plugin)"
        elif PLUGIN_IMPORT_ERROR is not None:
            plugin_error = (
                f"could not import temporalio.langgraph / langgraph ({PLUGIN_IMPORT_ERROR}); "
                "install the extras: pip install -r bench/requirements.txt"
            )
        else:
            try:
                rows.extend(run_plugin(env, args.runs, args.warmup))
            except Exception as exc:  # noqa: BLE001 - reported plainly, no numbers made up
                plugin_error = f"the plugin failed to run: {type(exc).__name__}: {exc}"
    finally:
        env.close()

    result = {
        "settings": {
            "runs": args.runs,
            "warmup": args.warmup,
            "untuned": args.untuned,
            "graphcompat_store": "SqliteSaver (temp dir)" if args.store == "sqlite" else "InMemorySaver",
            "dev_server_extra_args": extra_args,
            "server_version": server_version(),
            "plugin_versions": plugin_version(),
            "nodes": N_NODES,
            "super_steps_divisor": SUPER_STEPS,
            "big_state_bytes": BIG_BYTES,
            "python": sys.version.split()[0],
        },
        "rows": rows,
        "ratios": ratios(rows),
        "plugin_error": plugin_error,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result)
        print(f"(benchmark took {result['elapsed_s']} s)")
    return 0


def run_plugin(env: Any, runs: int, warmup: int) -> list[dict[str, Any]]:
    """Run the chain through the plugin on the same server, with a worker on graphcompat's loop."""
    address = env.client.service_client.config.target_host
    task_queue = f"bench-plugin-{uuid.uuid4().hex[:8]}"
    plugin = LangGraphPlugin(graphs={PLUGIN_GRAPH: build_plugin_chain()})

    async def start() -> tuple[Client, Worker, asyncio.Task[None]]:
        client = await Client.connect(address)  # default data converter, as a plugin user would have
        worker = Worker(client, task_queue=task_queue, workflows=[PluginChainWorkflow], plugins=[plugin])
        task = asyncio.get_running_loop().create_task(worker.run())
        return client, worker, task

    client, worker, task = env.run(start())
    try:
        return [bench_plugin(env, client, task_queue, task, size, runs, warmup) for size in ("small", "1MB")]
    finally:

        async def stop() -> None:
            await worker.shutdown()
            await asyncio.gather(task, return_exceptions=True)

        env.run(stop())


if __name__ == "__main__":
    # The plugin identifies node functions by module and refuses ``__main__``:
    # run everything from this file imported under its package name instead.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.step_overhead import main as _main

    sys.exit(_main())
