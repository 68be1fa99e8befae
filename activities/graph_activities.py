"""The activities of a graph run: open a run, run a node, commit a super-step, save pending writes.

All user code (nodes, conditional edges, reducers) runs here, never in the
workflow, through the engine. Activities find the graph's binding (spec,
engine, store, node plans) in the worker's registry by the key the client
sent, and the state in the graph's snapshot store by checkpoint id
(invariant 3), through a small per-worker cache: checkpoints are immutable,
so a cached one is never stale. The rules (which checkpoint a run opens
from, what a commit writes) are the engine's; this module does the I/O.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import json
import logging
import threading
import traceback
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from graphcompat import _chunks
from graphcompat._constants import START
from graphcompat._node_context import writing_to
from graphcompat import _calls
from graphcompat._constants import CALL_CACHED, CALL_RESULT, START
from graphcompat._interrupts import GraphInterrupt
from graphcompat._registry import SUB_SEP
from graphcompat._subgraph import ParentTask, parent_scope
from graphcompat._schema import validation_error_data
from graphcompat._views import rebuild_exception
from graphcompat._wire import (
    COMMIT_STEP,
    RUN_CALL,
    SAVE_CALLS,
    CallInput,
    CallResult,
    SaveCallsInput,
    CONFIGURABLE_REF,
    EPHEMERAL_THREAD_PREFIX,
    MAX_PAYLOAD_BYTES,
    NODE_ERROR,
    RUN_NODE,
    SAVE_WRITES,
    START_RUN,
    UPDATE_STATE,
    CommitInput,
    CommitResult,
    NodeInput,
    RunMode,
    RunResult,
    RunStatus,
    SaveWritesInput,
    StartInput,
    StartResult,
    TaskRef,
    UpdateInput,
)
from graphcompat.checkpoint._layout import (
    TaskResult,
    TaskSpec,
    call_results,
    child_record,
    command_update,
    completed_results,
    error_row,
    externalize,
    externalize_value,
    has_refs,
    next_generation,
    record_tasks,
    resolve_refs,
    resolve_value,
    result_rows,
    resume_values,
    task_states,
    run_args_from,
    run_args_id,
    run_args_ref,
)
from graphcompat.checkpoint.base import BaseCheckpointSaver, CheckpointRecord, PendingWrite
from graphcompat.engine import _user_code, interrupt_id, open_run, resume_run
from graphcompat.errors import (
    GraphCompatError,
    InvalidUpdateError,
    ParentCommand,
    NodeTimeoutError,
    PayloadTooLargeError,
    StoreUnavailableError,
    UnknownCheckpointError,
    UnknownThreadError,
)

if TYPE_CHECKING:
    from graphcompat._registry import GraphBinding, GraphRegistry

__all__ = ["GraphActivities"]

log = logging.getLogger("graphcompat.activities")


def _app_error(
    exc: BaseException, *, node: str | None, retryable: bool, checkpoint_id: str | None = None
) -> ApplicationError:
    """The node's exception as a Temporal failure: its type, message and where it came from.

    Marked BENIGN so the SDK does not log a second traceback; this module
    logs one line with the thread and checkpoint instead. A store that cannot
    be reached is an infrastructure fault, not the node's: retryable, so
    Temporal retries the activity (without limit by default) until it is back.
    """
    if isinstance(exc, StoreUnavailableError):
        info = activity.info() if activity.in_activity() else None
        log.warning(
            "%s: %s; retrying (attempt %s, thread workflow %s, checkpoint %s)",
            info.activity_type if info else "store",
            exc,
            info.attempt if info else "?",
            info.workflow_id if info else "?",
            checkpoint_id,
        )
        return ApplicationError(str(exc), type="StoreUnavailable", non_retryable=False, category=ApplicationErrorCategory.BENIGN)
    if activity.in_activity() and not isinstance(exc, ParentCommand):  # a command for the parent: no failure
        info = activity.info()
        log.warning(
            "%s raised %s: %s (thread workflow %s, run %s, checkpoint %s, attempt %d)",
            f"node {node!r}" if node else info.activity_type,
            type(exc).__name__,
            exc,
            info.workflow_id,
            info.workflow_run_id,
            checkpoint_id,
            info.attempt,
        )
    return ApplicationError(
        str(exc),
        {
            NODE_ERROR: True,
            "retryable": retryable,
            "module": type(exc).__module__,
            "qualname": type(exc).__qualname__,
            "args": _json_args(exc),
            "node": node,
            "fields": getattr(exc, "fields", None) if isinstance(exc, GraphCompatError) else None,
            "validation": validation_error_data(exc),
            "traceback": "".join(traceback.format_exception(exc))[-8000:],
        },
        type=type(exc).__name__,
        non_retryable=True,
        category=ApplicationErrorCategory.BENIGN,
    )


def _worker_client() -> Any:
    """The worker's Temporal client (subgraph runs start through it); None where an activity has none
    (``ActivityEnvironment`` without a client): then only a subgraph call fails, saying why."""
    try:
        return activity.client()
    except RuntimeError:
        return None


def _refs(tasks: list[dict[str, Any]]) -> list[TaskRef]:
    """Tasks as the workflow needs them: id, name, kind. Arguments (the input, Send
    payloads) stay in the stored checkpoint, out of workflow history (invariant 3)."""
    return [TaskRef.of(TaskSpec.from_json(t)) for t in tasks]


def _externalize_calls(result: TaskResult) -> tuple[TaskResult, list[PendingWrite]]:
    """``result`` with large ``@task`` arguments replaced by references, and the blob rows to store."""
    blobs: list[PendingWrite] = []
    calls = []
    for call in result.calls:
        args = []
        for arg in call["args"]:
            value, rows = externalize_value(arg, str(call["name"]))
            args.append(value)
            blobs += rows
        kwargs = {}
        for key, arg in call["kwargs"].items():
            kwargs[key], rows = externalize_value(arg, str(call["name"]))
            blobs += rows
        calls.append({**call, "args": args, "kwargs": kwargs})
    return dataclasses.replace(result, calls=calls), blobs


def _json_args(exc: BaseException) -> list[Any] | None:
    """The exception's ``args`` when they are plain JSON, so the caller can rebuild it exactly."""
    try:
        json.dumps(exc.args)
    except (TypeError, ValueError):
        return None
    return list(exc.args)


V = TypeVar("V")


class _LRU(Generic[V]):
    """Small LRU shared by a worker's activities: checkpoint records, and runs' stored arguments."""

    def __init__(self, size: int = 256) -> None:
        self._items: collections.OrderedDict[tuple[str, ...], V] = collections.OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[str, ...], value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class _StoreCache:
    """The node cache (``CachePolicy``) over the graph's snapshot store.

    Entries are written by the node activity when the node finishes, before
    the workflow records its result; unlike checkpoints they belong to no
    thread's history (a cache is by nature outside it), and a retried attempt
    rewrites the same key, so invariant 2 is not at stake.
    """

    def __init__(self, store: Any) -> None:
        self.store = store

    async def get(self, namespace: str, key: str) -> Any | None:
        return await self.store.aget_cached(namespace, key)

    async def put(self, namespace: str, key: str, value: Any, ttl: float | None) -> None:
        await self.store.aput_cached(namespace, key, value, ttl=ttl)


class GraphActivities:
    """The activity implementations, bound to a registry of graph bindings."""

    def __init__(self, registry: GraphRegistry) -> None:
        self.registry = registry
        self.cache: _LRU[CheckpointRecord] = _LRU()
        #: A run's stored configurable values by reference (immutable once stored).
        self.run_args: _LRU[dict[str, Any]] = _LRU()

    def all(self) -> list[Any]:
        return [
            self.start_run,
            self.run_node,
            self.run_call,
            self.save_calls,
            self.commit_step,
            self.save_writes,
            self.update_state,
        ]

    # -- helpers -----------------------------------------------------------------

    def _graph(self, key: str, *, local: bool = True) -> GraphBinding:
        graph = self.registry.find(key)
        if graph is None:
            # A node activity is retryable: another worker on this task queue may have the
            # graph. A local activity runs on this workflow worker whatever happens, and
            # local activities are retried without limit (store outages): fail it now.
            raise ApplicationError(
                f"Graph {key!r} is not registered on this worker (it serves: {', '.join(self.registry.keys()) or 'none'}). "
                "Start a worker with `python worker.py --graph package.module:graph` for it.",
                type="GraphNotRegistered",
                non_retryable=local,
            )
        return graph

    async def _record(self, graph: GraphBinding, thread_id: str, ns: str, checkpoint_id: str) -> CheckpointRecord:
        key = (graph.store.url, thread_id, ns, checkpoint_id)
        record = self.cache.get(key)
        if record is None:
            record = await graph.store.aget_checkpoint(thread_id, ns, checkpoint_id)
            if record is None:
                raise UnknownCheckpointError.of(thread_id, checkpoint_id)
            self.cache.put(key, record)
        return record

    async def _run_args(self, graph: GraphBinding, thread_id: str, ns: str, ref: str) -> dict[str, Any]:
        """What the client stored for a run under ``ref`` (``CompiledStateGraph._stash_run_args``)."""
        key = (graph.store.url, thread_id, ns, ref)
        args = self.run_args.get(key)
        if args is None:
            args = run_args_from(await graph.store.aget_writes(thread_id, ns, run_args_id(ref)))
            if args is None:
                raise UnknownThreadError(
                    f"What the caller passed to this run of thread {thread_id!r} is gone from the store "
                    "(the thread was deleted while the run was in flight); start a new run.",
                    thread_id=thread_id,
                )
            self.run_args.put(key, args)
        return args

    async def _arg(self, graph: GraphBinding, thread_id: str, ns: str, name: str, value: Any) -> Any:
        """A run argument (input, resume or update values) as given: read back when it travelled by reference."""
        ref = run_args_ref(value)
        return value if ref is None else (await self._run_args(graph, thread_id, ns, ref))[name]

    async def _caller_config(self, graph: GraphBinding, thread_id: str, ns: str, wire: dict[str, Any]) -> dict[str, Any]:
        """The config as the caller gave it: the wire config with the caller's ``configurable``
        values read back from the store (they never travel in history)."""
        config = {k: v for k, v in wire.items() if k != CONFIGURABLE_REF}
        ref = wire.get(CONFIGURABLE_REF)
        if ref is not None:
            args = await self._run_args(graph, thread_id, ns, str(ref))
            config["configurable"] = dict(args.get("configurable") or {})
        if not thread_id.startswith(EPHEMERAL_THREAD_PREFIX):  # the caller's thread (stored apart from the rest)
            config["configurable"] = {"thread_id": thread_id, **dict(config.get("configurable") or {})}
        return config

    async def _config(self, graph: GraphBinding, thread_id: str, ns: str, checkpoint_id: str, wire: dict[str, Any]) -> dict[str, Any]:
        """The run's RunnableConfig at ``checkpoint_id``: the caller's config plus where the run is."""
        return graph.engine.run_config(await self._caller_config(graph, thread_id, ns, wire), thread_id, ns, checkpoint_id)

    async def _put(self, graph: GraphBinding, record: CheckpointRecord) -> CheckpointRecord:
        """Store ``record``; returns the checkpoint the store holds under its id.

        A local activity runs again when its workflow task is lost after the
        write; the workflow derives the same id, the store keeps the first
        write, and the step continues from what is stored (not from this
        attempt's recomputation, whose routers or reducers may decide
        differently), so the store, the workflow and the cache agree.
        """
        key = (graph.store.url, record.thread_id, record.checkpoint_ns, record.checkpoint_id)
        if not await graph.store.aput_checkpoint(record):
            stored = await graph.store.aget_checkpoint(record.thread_id, record.checkpoint_ns, record.checkpoint_id)
            if stored is not None:
                record = stored
        self.cache.put(key, record)
        return record

    # -- activities ----------------------------------------------------------------

    @activity.defn(name=START_RUN)
    async def start_run(self, inp: StartInput) -> StartResult:
        """Open a run: write the input (or fork) checkpoint, or find where to resume (rules: ``engine.open_run``)."""
        graph = self._graph(inp.graph_key)
        try:
            return await self._start(graph, inp)
        except GraphCompatError as exc:
            raise _app_error(exc, node=None, retryable=False, checkpoint_id=inp.checkpoint_id) from exc

    @staticmethod
    async def _continues(store: BaseCheckpointSaver, inp: StartInput, latest: CheckpointRecord | None) -> bool:
        """Whether ``latest`` descends from the checkpoint this opening writes (ids grow down a chain)."""
        record = latest
        while record is not None and record.checkpoint_id > inp.new_checkpoint_id:
            parent = record.parent_checkpoint_id
            if parent == inp.new_checkpoint_id:
                return True
            record = await store.aget_checkpoint(inp.thread_id, inp.checkpoint_ns, parent) if parent else None
        return False

    async def _start(self, graph: GraphBinding, inp: StartInput) -> StartResult:
        store = graph.store
        addressed = await store.aget_checkpoint(inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id) if inp.checkpoint_id else None
        latest = await store.aget_checkpoint(inp.thread_id, inp.checkpoint_ns)
        started_from = None
        if inp.mode == RunMode.INPUT and inp.last_checkpoint_id and latest is not None and latest.checkpoint_id != inp.last_checkpoint_id:
            started_from = await store.aget_checkpoint(inp.thread_id, inp.checkpoint_ns, inp.last_checkpoint_id)
        # The next ids must come after the thread's newest checkpoint when that is newer than
        # this run's first id (a reset run finds its own earlier execution's there). Only
        # then: a retried opening must return what the first attempt returned.
        head = latest.checkpoint_id if latest is not None and latest.checkpoint_id > inp.new_checkpoint_id else None
        if head is not None and await self._continues(store, inp, latest):
            # This opening's own lost attempt went on from it: local nodes keep the
            # workflow task open, so a lost worker re-runs the opening after their
            # commits are stored. Same ids again, or the store would hold the steps twice.
            head = None
        opening = open_run(
            graph.engine,
            inp.mode,
            thread_id=inp.thread_id,
            checkpoint_ns=inp.checkpoint_ns,
            checkpoint_id=inp.checkpoint_id,
            addressed=addressed,
            latest=latest,
            new_checkpoint_id=inp.new_checkpoint_id,
            created_at=inp.created_at,
            input=await self._arg(graph, inp.thread_id, inp.checkpoint_ns, "input", inp.input),
            parents=inp.parents,
            seen_head=inp.last_checkpoint_id,
            started_from=started_from,
        )
        record = opening.record
        if inp.stream_modes and inp.mode != RunMode.CONTINUE:
            # Where a reader attaching to this run starts (and old chunks of the thread go).
            await _chunks.mark_run_start(store, inp.thread_id, inp.checkpoint_ns, str(inp.mode), record.checkpoint_id, inp.run_key)
        if opening.new:
            record = await self._put(graph, record)
            return StartResult(record.checkpoint_id, record.step, _refs(record.next_tasks), [], graph.plans, head_checkpoint_id=head)
        writes = await store.aget_writes(inp.thread_id, inp.checkpoint_ns, record.checkpoint_id)
        resume = await self._arg(graph, inp.thread_id, inp.checkpoint_ns, "resume", inp.resume)
        # in COMMAND mode the input field carries Command(update=...)
        update = await self._arg(graph, inp.thread_id, inp.checkpoint_ns, "input", inp.input)
        done, rows = resume_run(graph.engine, inp.mode, record, writes, resume, update=update)
        if rows:
            await store.aput_writes(record.thread_id, record.checkpoint_ns, record.checkpoint_id, rows)
        return StartResult(record.checkpoint_id, record.step, _refs(record.next_tasks), done, graph.plans, resumed=True, head_checkpoint_id=head)

    @activity.defn(name=RUN_NODE)
    async def run_node(self, inp: NodeInput) -> TaskResult:
        """Run one node (and its conditional edges); return its writes only."""
        info = activity.info()
        graph = self._graph(inp.graph_key, local=info.is_local)
        interval = max(0.5, (info.heartbeat_timeout.total_seconds() if info.heartbeat_timeout else 30.0) / 3)

        async def beat() -> None:
            if info.is_local:  # a local node (add_node(local=True)) has no heartbeat
                return
            # The heartbeat timeout counts from the start: the first beat is due only after
            # ``interval``, so a fast node sends none (each cost ~0.5 ms of the worker's CPU).
            while True:
                await asyncio.sleep(interval)
                activity.heartbeat()

        beating = asyncio.create_task(beat())
        task = TaskSpec(inp.task.id, inp.task.name, inp.task.kind)
        sink: _chunks.ChunkSink | None = None
        try:
            record = await self._record(graph, inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id)
            # The full task (with its Send argument) is in the checkpoint, not in the payload.
            task = next((t for t in record_tasks(record) if t.id == task.id), task)
            resume: list[Any] = []
            values = record.channel_values
            saved: dict[str, Any] = {}
            answers: list[str] = []
            if inp.resume or inp.calls:
                writes = await graph.store.aget_writes(inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id)
                resume = resume_values(writes, task.id) if inp.resume else []
                saved = call_results(writes)  # @task results of earlier runs of this node
                state = task_states(writes).get(task.id) if inp.resume else None
                answers = [str(i.get("id")) for i in state.interrupts] if state is not None else []
                # the first step of a run that continues this checkpoint: its Command(update=...) applied
                values = graph.engine.with_update(values, command_update(writes))
            config = await self._config(graph, inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id, inp.config)
            # A compiled graph invoked by the node runs as its subgraph, under this task (graphcompat._subgraph).
            parent = ParentTask(
                client=_worker_client(),
                task_queue=info.task_queue,
                graph_key=inp.graph_key,
                store=graph.store,
                thread_id=inp.thread_id,
                checkpoint_ns=inp.checkpoint_ns,
                task_id=task.id,
                task_name=task.name,
                checkpoint_id=inp.checkpoint_id,
                parents=dict(record.metadata.get("parents") or {}),
                resume=resume,
                answers=answers,
                workflow_id=info.workflow_id or "",
                loop=asyncio.get_running_loop(),
                stream_modes=tuple(inp.stream_modes),
            )
            caller: dict[str, Any] = {}
            if inp.stream_modes:
                sink = _chunks.ChunkSink(
                    graph.store, inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id,
                    f"{task.id}/{info.workflow_run_id}/{info.activity_id}", info.attempt,
                )
                caller = await self._caller_config(graph, inp.thread_id, inp.checkpoint_ns, inp.config)
                config = _chunks.node_run_config(config, task, record.step, caller, sink, inp.stream_modes)
            writer = sink.custom if sink is not None and "custom" in inp.stream_modes else None
            # asyncio.wait, not wait_for: a TimeoutError the node raises itself is its own error.
            failed = {cid: rebuild_exception(e, str(e.get("message", "")), str(e.get("type", ""))) for cid, e in inp.call_errors.items()}
            context = graph.engine.load_context(inp.context)
            cache = _StoreCache(graph.store) if graph.spec.cache else None
            # The task copies this context: the parent scope, the writer and the callbacks are the node's alone.
            with parent_scope(parent), writing_to(writer), _chunks.langchain_context(config, caller):
                running = asyncio.ensure_future(
                    graph.engine.run_task(task, values, config, resume, context, cache, saved, failed)
                )
            try:
                finished, _ = await asyncio.wait({running}, timeout=inp.timeout_s)
            except BaseException:  # the activity is cancelled (worker shutdown, run terminated)
                running.cancel()
                raise
            if not finished:
                running.cancel()
                raise NodeTimeoutError(
                    f"Node {task.name!r} ran longer than its timeout of {inp.timeout_s:g} s; its RetryPolicy decides "
                    "whether it runs again (retry_on=TimeoutError retries it). Raise the limit with "
                    "add_node(..., timeout=timedelta(...)) or compile(node_timeout=...).",
                    node=task.name,
                    timeout_s=inp.timeout_s,
                )
            result = running.result()
            if sink is not None and "messages" in inp.stream_modes:
                _chunks.stream_output_messages(sink, result.writes, record.channel_values, config.get("metadata") or {})
        except NodeTimeoutError as exc:  # the node's failure: its RetryPolicy applies
            node = graph.spec.nodes.get(task.name)
            retry = bool(node is not None and node.retry_policy and node.retry_policy.should_retry(exc))
            raise _app_error(exc, node=task.name, retryable=retry, checkpoint_id=inp.checkpoint_id) from exc
        except ParentCommand as exc:
            if SUB_SEP not in inp.graph_key:  # the root graph has no parent to command
                exc = InvalidUpdateError(
                    f"Node {task.name!r} returned Command(graph=Command.PARENT), but graph {graph.name!r} is not "
                    "running as a subgraph: there is no parent graph. Return Command(goto=..., update=...) instead.",
                    node=task.name,
                )
            raise _app_error(exc, node=task.name, retryable=False, checkpoint_id=inp.checkpoint_id) from exc
        except GraphCompatError as exc:
            raise _app_error(exc, node=task.name, retryable=False, checkpoint_id=inp.checkpoint_id) from exc
        except Exception as exc:  # the node's own error: the workflow applies its RetryPolicy
            node = graph.spec.nodes.get(task.name)
            policy = node.retry_policy if node is not None else None
            retry = bool(policy and policy.should_retry(exc))
            raise _app_error(exc, node=task.name, retryable=retry, checkpoint_id=inp.checkpoint_id) from exc
        finally:
            beating.cancel()
            if sink is not None:  # a completed node has every chunk stored before it returns
                try:
                    await sink.aclose()
                except StoreUnavailableError as exc:
                    raise _app_error(exc, node=task.name, retryable=True, checkpoint_id=inp.checkpoint_id) from exc
        result, blobs = externalize(result)
        if result.calls:  # large @task arguments too: the calls travel through history
            result, call_blobs = _externalize_calls(result)
            blobs += call_blobs
        if blobs:  # large values go to the store; history carries their hash
            await graph.store.aput_writes(inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id, blobs)
        size = len(json.dumps(result.to_json(), separators=(",", ":"), default=str))
        if size > MAX_PAYLOAD_BYTES:
            err = PayloadTooLargeError(
                f"Node {task.name!r} wrote {size:,} bytes in one step, more than Temporal accepts in one payload "
                f"({MAX_PAYLOAD_BYTES:,}). Keep large data outside the state (a file or object store) and put a "
                "reference to it in the state.",
                node=task.name,
                size=size,
            )
            raise _app_error(err, node=task.name, retryable=False, checkpoint_id=inp.checkpoint_id)
        return result

    @activity.defn(name=RUN_CALL)
    async def run_call(self, inp: CallInput) -> CallResult:
        """Run one ``@task`` call a node submitted; return its result (or its interrupts) as JSON.

        The task is found by its registry key (``_calls.find_task``): the
        worker must have imported the module that defines it, as it imports
        the graph's. Its exceptions follow the task's own ``retry_policy``.
        """
        graph = self._graph(inp.graph_key, local=False)
        call = inp.call
        name = str(call["name"])
        task = _calls.find_task(str(call["key"]))
        if task is None:
            raise ApplicationError(
                f"Task {name!r} ({call['key'].split('#')[0].replace('|', ' ')}) is not known on this worker; the worker must import the "
                "module that defines it (the module of the graph passed to `worker.py --graph`, or one it imports).",
                type="TaskNotRegistered",
                non_retryable=False,
            )
        info = activity.info()
        interval = max(0.5, (info.heartbeat_timeout.total_seconds() if info.heartbeat_timeout else 30.0) / 3)

        async def beat() -> None:
            while True:
                activity.heartbeat()
                await asyncio.sleep(interval)

        beating = asyncio.create_task(beat())
        sink: _chunks.ChunkSink | None = None
        try:
            writes = await graph.store.aget_writes(inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id)
            resume = resume_values(writes, call["id"])
            call = {
                **call,
                "args": [resolve_value(a, writes) for a in call["args"]],
                "kwargs": {k: resolve_value(v, writes) for k, v in call["kwargs"].items()},
            }
            args, kwargs = _calls.call_arguments(task.func, call)
            # A CachePolicy on the task (and a cache on its entrypoint/graph): a cached result is
            # returned without running the task, shared by runs and workers through the store.
            policy = getattr(task, "cache_policy", None) if graph.spec.cache else None
            cache_ns = f"task:{call['key']}"
            cache_key = _user_code.task_cache_key(policy.key_func, args, kwargs) if policy is not None else ""
            if policy is not None and (hit := await graph.store.aget_cached(cache_ns, cache_key)) is not None:
                return CallResult(call["id"], name, int(call["index"]), hit, cached=True)
            if "custom" in inp.stream_modes:  # what the task writes streams as its node's would
                sink = _chunks.ChunkSink(
                    graph.store, inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id,
                    f"call:{call['id']}/{info.workflow_run_id}/{info.activity_id}", info.attempt,
                )
            with writing_to(sink.custom if sink is not None else None):
                running = asyncio.ensure_future(
                    _user_code.call_task(task.func, args, kwargs, call_id=call["id"], resume=resume)
                )
            try:
                finished, _ = await asyncio.wait({running}, timeout=inp.timeout_s)
            except BaseException:
                running.cancel()
                raise
            if not finished:
                running.cancel()
                raise NodeTimeoutError(
                    f"Task {name!r} ran longer than its timeout of {inp.timeout_s:g} s; its retry_policy decides "
                    "whether it runs again.",
                    node=name,
                    timeout_s=inp.timeout_s,
                )
            value = _calls.dump_value(running.result(), where=f"The result of task {name!r}")
            value, blobs = externalize_value(value, name)
            if blobs:  # a large result goes to the store (content-addressed); history carries its hash
                await graph.store.aput_writes(inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id, blobs)
            elif policy is not None:  # (a large one is not cached: its blob belongs to this checkpoint)
                await graph.store.aput_cached(cache_ns, cache_key, value, ttl=policy.ttl)
            out = CallResult(call["id"], name, int(call["index"]), value)
        except GraphInterrupt as gi:
            value = _calls.dump_value(gi.value, where=f"The interrupt value of task {name!r}")
            found = {"id": interrupt_id(call["id"], gi.index), "value": value, "index": gi.index, "call": call["id"]}
            return CallResult(call["id"], name, int(call["index"]), interrupts=[found])
        except GraphCompatError as exc:
            raise _app_error(exc, node=name, retryable=False, checkpoint_id=inp.checkpoint_id) from exc
        except Exception as exc:  # the task's own error: the workflow applies its retry policy
            policy = getattr(task, "retry_policy", None)
            retry = bool(policy and policy.should_retry(exc))
            raise _app_error(exc, node=name, retryable=retry, checkpoint_id=inp.checkpoint_id) from exc
        finally:
            beating.cancel()
            if sink is not None:  # a finished task has every chunk stored before it returns
                try:
                    await sink.aclose()
                except StoreUnavailableError as exc:
                    raise _app_error(exc, node=name, retryable=True, checkpoint_id=inp.checkpoint_id) from exc
        size = len(json.dumps(out.value, separators=(",", ":"), default=str))
        if size > MAX_PAYLOAD_BYTES:
            err = PayloadTooLargeError(
                f"Task {name!r} returned {size:,} bytes, more than Temporal accepts in one payload "
                f"({MAX_PAYLOAD_BYTES:,}). Return a reference to large data (a path, a key) instead.",
                node=name,
                size=size,
            )
            raise _app_error(err, node=name, retryable=False, checkpoint_id=inp.checkpoint_id)
        return out

    @activity.defn(name=SAVE_CALLS)
    async def save_calls(self, inp: SaveCallsInput) -> None:
        """Save finished ``@task`` results against the node's checkpoint, as LangGraph saves them.

        Rows are keyed by the call's deterministic id and position, so a
        retried save writes nothing new (invariant 2).
        """
        graph = self._graph(inp.graph_key)
        rows = [PendingWrite(r.call_id, r.name, r.index, CALL_RESULT, r.value) for r in inp.results if not r.interrupts]
        # (a row of its own: the result row holds the call's key, task id and position)
        rows += [PendingWrite(f"{CALL_CACHED}:{r.call_id}", r.name, r.index, CALL_CACHED, True) for r in inp.results if r.cached]
        if rows:
            await graph.store.aput_writes(inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id, rows)

    @activity.defn(name=COMMIT_STEP)
    async def commit_step(self, inp: CommitInput) -> CommitResult:
        """Apply a super-step's writes with the reducers, decide the next tasks, write the checkpoint."""
        graph = self._graph(inp.graph_key)
        engine = graph.engine
        try:
            parent = await self._record(graph, inp.thread_id, inp.checkpoint_ns, inp.parent_checkpoint_id)
            tasks = record_tasks(parent)
            results: dict[str, TaskResult] = {}
            fresh = {r.task_id: r for r in inp.results}
            update: list[tuple[str, Any]] = []
            if inp.load_pending or has_refs(inp.results):
                stored = await graph.store.aget_writes(inp.thread_id, inp.checkpoint_ns, parent.checkpoint_id)
                results = completed_results(stored) if inp.load_pending else {}
                fresh = resolve_refs(fresh, stored)
                if inp.load_pending:  # a run that continued the checkpoint: its Command(update=...) first
                    update = command_update(stored)
            results.update(fresh)
            config = await self._config(graph, inp.thread_id, inp.checkpoint_ns, parent.checkpoint_id, inp.config)
            for task in tasks:
                if task.kind == "input":
                    results[task.id] = await engine.run_task(
                        task, parent.channel_values, config, context=engine.load_context(inp.context)
                    )
            outcome = engine.commit(
                parent.channel_values, parent.channel_versions, tasks, results, inp.new_checkpoint_id, update
            )
        except GraphCompatError as exc:
            raise _app_error(exc, node=None, retryable=False, checkpoint_id=inp.parent_checkpoint_id) from exc
        except Exception as exc:  # a reducer or a START router raised
            raise _app_error(exc, node=START, retryable=False, checkpoint_id=inp.parent_checkpoint_id) from exc
        record = child_record(
            parent,
            thread_id=inp.thread_id,
            checkpoint_ns=inp.checkpoint_ns,
            checkpoint_id=inp.new_checkpoint_id,
            created_at=inp.created_at,
            source="loop",
            step=parent.step + 1,
            writes=outcome.writes_metadata,
            values=outcome.values,
            versions=outcome.versions,
            next_tasks=outcome.next_tasks,
            cached=outcome.cached,
        )
        record = await self._put(graph, record)
        return CommitResult(record.checkpoint_id, record.step, _refs(record.next_tasks))

    @activity.defn(name=SAVE_WRITES)
    async def save_writes(self, inp: SaveWritesInput) -> None:
        """Keep the writes of tasks that finished in a super-step that did not (failure or interrupt)."""
        graph = self._graph(inp.graph_key)
        existing = await graph.store.aget_writes(inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id)
        rows: list[PendingWrite] = []
        for result in inp.results:
            rows.extend(result_rows(result, next_generation(existing, result.task_id)))
        for error in inp.errors:
            value = {**error.info, "at": datetime.now(timezone.utc).isoformat()}
            rows.append(error_row(error.task_id, error.name, next_generation(existing, error.task_id), value))
        await graph.store.aput_writes(inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id, rows)

    @activity.defn(name=UPDATE_STATE)
    async def update_state(self, inp: UpdateInput) -> RunResult:
        """``update_state``: a new checkpoint with the values applied as if ``as_node`` wrote them."""
        graph = self._graph(inp.graph_key)
        store, engine = graph.store, graph.engine
        try:
            parent = await store.aget_checkpoint(inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id)
            if parent is None and inp.checkpoint_id:
                raise UnknownCheckpointError.of(inp.thread_id, inp.checkpoint_id)
            as_node = inp.as_node or engine.infer_as_node(parent.metadata if parent else None)
            values = await self._arg(graph, inp.thread_id, inp.checkpoint_ns, "update_values", inp.values)
            update = None if inp.skip else engine.schema.load_values(values or {})
            config = await self._config(graph, inp.thread_id, inp.checkpoint_ns, inp.new_checkpoint_id, inp.config)
            outcome = await engine.update_as_node(
                parent.channel_values if parent else {},
                parent.channel_versions if parent else {},
                as_node,
                update,
                config,
                inp.new_checkpoint_id,
            )
        except GraphCompatError as exc:
            raise _app_error(exc, node=inp.as_node, retryable=False, checkpoint_id=inp.checkpoint_id) from exc
        except Exception as exc:  # a conditional edge of as_node raised
            raise _app_error(exc, node=inp.as_node, retryable=False, checkpoint_id=inp.checkpoint_id) from exc
        record = child_record(
            parent,
            thread_id=inp.thread_id,
            checkpoint_ns=inp.checkpoint_ns,
            checkpoint_id=inp.new_checkpoint_id,
            created_at=inp.created_at,
            source="update",
            # LangGraph writes step 0 (ours: 1) when update_state seeds an empty thread.
            step=parent.step + 1 if parent else 1,
            writes={as_node: outcome.writes_metadata.get(as_node)},
            values=outcome.values,
            versions=outcome.versions,
            next_tasks=outcome.next_tasks,
        )
        record = await self._put(graph, record)
        return RunResult(RunStatus.UPDATED, record.checkpoint_id, record.step)
