"""The activities of a graph run: open a run, run a node, commit a super-step, save pending writes.

All user code (nodes, conditional edges, reducers) runs here, never in the
workflow. Activities find the compiled graph in the worker's registry by the
key the client sent, and the state in the graph's snapshot store by
checkpoint id (invariant 3), through a small per-worker cache: checkpoints
are immutable, so a cached one is never stale.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import threading
import traceback
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from graphcompat._constants import ERROR, RESUME, START
from graphcompat._engine import (
    GENERATION,
    RESUME_BASE,
    TaskResult,
    TaskSpec,
    completed_results,
    externalize,
    has_refs,
    next_generation,
    resolve_refs,
    task_states,
)
from graphcompat._wire import (
    COMMIT_STEP,
    NODE_ERROR,
    RUN_NODE,
    SAVE_WRITES,
    START_RUN,
    UPDATE_STATE,
    CommitInput,
    CommitResult,
    NodeInput,
    NodePlan,
    SaveWritesInput,
    RunResult,
    StartInput,
    StartResult,
    UpdateInput,
)
from graphcompat.checkpoint.base import CheckpointRecord, PendingWrite
from graphcompat.errors import (
    EmptyInputError,
    GraphCompatError,
    PayloadTooLargeError,
    UnknownCheckpointError,
)

if TYPE_CHECKING:
    from graphcompat._registry import GraphRegistry
    from graphcompat.graph._compiled import CompiledStateGraph

__all__ = ["GraphActivities"]

#: Temporal refuses payloads over 2 MB by default; refuse a little earlier with a clear message.
MAX_RESULT_BYTES = 1_800_000


log = logging.getLogger("graphcompat.activities")


def _app_error(
    exc: BaseException, *, node: str | None, retryable: bool, checkpoint_id: str | None = None
) -> ApplicationError:
    """The node's exception as a Temporal failure: its type, message and where it came from.

    Marked BENIGN so the SDK does not log a second traceback; this module
    logs one line with the thread and checkpoint instead.
    """
    if activity.in_activity():
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
            "traceback": "".join(traceback.format_exception(exc))[-8000:],
        },
        type=type(exc).__name__,
        non_retryable=True,
        category=ApplicationErrorCategory.BENIGN,
    )


def _child(
    parent: CheckpointRecord | None,
    *,
    thread_id: str,
    checkpoint_ns: str,
    checkpoint_id: str,
    created_at: str,
    source: str,
    step: int,
    writes: Any,
    values: dict[str, Any] | None = None,
    versions: dict[str, str] | None = None,
    next_tasks: list[dict[str, Any]],
) -> CheckpointRecord:
    """A checkpoint following ``parent``; values and versions default to the parent's."""
    return CheckpointRecord(
        thread_id=thread_id,
        checkpoint_ns=checkpoint_ns,
        checkpoint_id=checkpoint_id,
        parent_checkpoint_id=parent.checkpoint_id if parent else None,
        created_at=created_at,
        metadata={"source": source, "step": step, "writes": writes, "parents": {}},
        channel_values=values if values is not None else dict(parent.channel_values) if parent else {},
        channel_versions=versions if versions is not None else dict(parent.channel_versions) if parent else {},
        next_tasks=next_tasks,
    )


def _slim(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tasks as the workflow needs them: id, name, kind. Arguments (the input, Send
    payloads) stay in the stored checkpoint, out of workflow history (invariant 3)."""
    return [{"id": t["id"], "name": t["name"], "kind": t.get("kind", "pull")} for t in tasks]


def _json_args(exc: BaseException) -> list[Any] | None:
    """The exception's ``args`` when they are plain JSON, so the caller can rebuild it exactly."""
    try:
        json.dumps(exc.args)
    except (TypeError, ValueError):
        return None
    return list(exc.args)


class _RecordCache:
    """Small LRU of checkpoint records, shared by a worker's activities."""

    def __init__(self, size: int = 256) -> None:
        self._items: collections.OrderedDict[tuple[str, ...], CheckpointRecord] = collections.OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> CheckpointRecord | None:
        with self._lock:
            record = self._items.get(key)
            if record is not None:
                self._items.move_to_end(key)
            return record

    def put(self, key: tuple[str, ...], record: CheckpointRecord) -> None:
        with self._lock:
            self._items[key] = record
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class GraphActivities:
    """The activity implementations, bound to a registry of compiled graphs."""

    def __init__(self, registry: GraphRegistry) -> None:
        self.registry = registry
        self.cache = _RecordCache()

    def all(self) -> list[Any]:
        return [self.start_run, self.run_node, self.commit_step, self.save_writes, self.update_state]

    # -- helpers -----------------------------------------------------------------

    def _graph(self, key: str) -> CompiledStateGraph:
        graph = self.registry.find(key)
        if graph is None:
            # Retryable: another worker on this task queue may have the graph.
            raise ApplicationError(
                f"Graph {key!r} is not registered on this worker (it serves: {', '.join(self.registry.keys()) or 'none'}). "
                "Start a worker with `python worker.py --graph package.module:graph` for it.",
                type="GraphNotRegistered",
            )
        return graph

    async def _record(self, graph: CompiledStateGraph, thread_id: str, ns: str, checkpoint_id: str) -> CheckpointRecord:
        key = (graph.store.url, thread_id, ns, checkpoint_id)
        record = self.cache.get(key)
        if record is None:
            record = await graph.store.aget_checkpoint(thread_id, ns, checkpoint_id)
            if record is None:
                raise UnknownCheckpointError.of(thread_id, checkpoint_id)
            self.cache.put(key, record)
        return record

    async def _put(self, graph: CompiledStateGraph, record: CheckpointRecord) -> None:
        await graph.store.aput_checkpoint(record)
        self.cache.put((graph.store.url, record.thread_id, record.checkpoint_ns, record.checkpoint_id), record)

    @staticmethod
    def _plan(graph: CompiledStateGraph) -> dict[str, NodePlan]:
        plan = {}
        for name, spec in graph.builder.nodes.items():
            policy = spec.retry_policy
            plan[name] = NodePlan(
                max_attempts=policy.max_attempts if policy else 1,
                initial_interval=policy.initial_interval if policy else 0.5,
                backoff_factor=policy.backoff_factor if policy else 2.0,
                max_interval=policy.max_interval if policy else 128.0,
                jitter=policy.jitter if policy else False,
                timeout_s=spec.timeout.total_seconds() if spec.timeout else None,
            )
        return plan

    # -- activities ----------------------------------------------------------------

    @activity.defn(name=START_RUN)
    async def start_run(self, inp: StartInput) -> StartResult:
        """Open a run: write the input (or fork) checkpoint, or find where to resume."""
        graph = self._graph(inp.graph_key)
        try:
            return await self._start(graph, inp)
        except GraphCompatError as exc:
            raise _app_error(exc, node=None, retryable=False, checkpoint_id=inp.checkpoint_id) from exc

    async def _start(self, graph: CompiledStateGraph, inp: StartInput) -> StartResult:
        store, engine = graph.store, graph.engine
        plan = self._plan(graph)
        if inp.mode == "input":
            parent = await store.aget_checkpoint(inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id)
            if inp.checkpoint_id and parent is None:
                raise UnknownCheckpointError.of(inp.thread_id, inp.checkpoint_id)
            task = engine.input_task(inp.new_checkpoint_id, inp.input)
            record = _child(
                parent,
                thread_id=inp.thread_id,
                checkpoint_ns=inp.checkpoint_ns,
                checkpoint_id=inp.new_checkpoint_id,
                created_at=inp.created_at,
                source="input",
                step=parent.step + 1 if parent else 0,
                writes=None,
                next_tasks=[task.to_json()],
            )
            await self._put(graph, record)
            return StartResult(record.checkpoint_id, record.step, _slim(record.next_tasks), [], plan)
        if inp.mode in ("resume", "continue", "command"):
            latest = await store.aget_checkpoint(
                inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id if inp.mode == "continue" else None
            )
            if latest is None:
                raise EmptyInputError(
                    f"Thread {inp.thread_id!r} has no checkpoint to resume; start it with an input: "
                    "graph.invoke({...}, config).",
                    thread_id=inp.thread_id,
                )
            writes = await store.aget_writes(inp.thread_id, inp.checkpoint_ns, latest.checkpoint_id)
            done = completed_results(writes)
            if inp.mode == "command":
                await self._save_resume(graph, latest, writes, inp.resume)
            return StartResult(latest.checkpoint_id, latest.step, _slim(latest.next_tasks), sorted(done), plan, resumed=True)
        if inp.mode == "replay":
            source = await store.aget_checkpoint(inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id)
            if source is None:
                raise UnknownCheckpointError.of(inp.thread_id, inp.checkpoint_id)
            latest = await store.aget_checkpoint(inp.thread_id, inp.checkpoint_ns)
            if source.source in ("update", "fork") and latest is not None and latest.checkpoint_id == source.checkpoint_id:
                # LangGraph's rule: continuing from the update (or fork) that is still
                # the thread's head resumes it; any other addressed checkpoint is replayed
                # on a new branch from a fork copy.
                writes = await store.aget_writes(inp.thread_id, inp.checkpoint_ns, source.checkpoint_id)
                done = completed_results(writes)
                return StartResult(source.checkpoint_id, source.step, _slim(source.next_tasks), sorted(done), plan, resumed=True)
            tasks = [TaskSpec.from_json(t) for t in source.next_tasks]
            fork = _child(
                source,
                thread_id=inp.thread_id,
                checkpoint_ns=inp.checkpoint_ns,
                checkpoint_id=inp.new_checkpoint_id,
                created_at=inp.created_at,
                source="fork",
                step=source.step + 1,
                writes=None,
                next_tasks=[engine.retask(t, inp.new_checkpoint_id).to_json() for t in tasks],
            )
            await self._put(graph, fork)
            return StartResult(fork.checkpoint_id, fork.step, _slim(fork.next_tasks), [], plan)
        raise ValueError(f"unknown run mode {inp.mode!r}")

    async def _save_resume(
        self, graph: CompiledStateGraph, latest: CheckpointRecord, writes: list[PendingWrite], resume: Any
    ) -> None:
        """Record ``Command(resume=...)`` against the interrupted task(s)."""
        tasks = [TaskSpec.from_json(t) for t in latest.next_tasks]
        targets = graph.engine.match_resume(tasks, task_states(writes), resume)
        rows: list[PendingWrite] = []
        for task_id, (name, value) in targets.items():
            idx = RESUME_BASE + sum(1 for w in writes if w.task_id == task_id and w.channel == RESUME)
            rows.append(PendingWrite(task_id, name, idx, RESUME, value))
        await graph.store.aput_writes(latest.thread_id, latest.checkpoint_ns, latest.checkpoint_id, rows)

    @activity.defn(name=RUN_NODE)
    async def run_node(self, inp: NodeInput) -> dict[str, Any]:
        """Run one node (and its conditional edges); return its writes only."""
        graph = self._graph(inp.graph_key)
        info = activity.info()
        interval = max(0.5, (info.heartbeat_timeout.total_seconds() if info.heartbeat_timeout else 30.0) / 3)

        async def beat() -> None:
            while True:
                activity.heartbeat()
                await asyncio.sleep(interval)

        beating = asyncio.create_task(beat())
        task = TaskSpec.from_json(inp.task)
        try:
            record = await self._record(graph, inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id)
            # The full task (with its Send argument) is in the checkpoint, not in the payload.
            task = next((TaskSpec.from_json(t) for t in record.next_tasks if t["id"] == task.id), task)
            resume: list[Any] = []
            if inp.resume:
                writes = await graph.store.aget_writes(inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id)
                resume = [w.value for w in sorted(writes, key=lambda w: w.idx) if w.task_id == task.id and w.channel == RESUME]
            config = graph.run_config(inp.config, inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id)
            result = await graph.engine.run_task(task, record.channel_values, config, resume)
        except GraphCompatError as exc:
            raise _app_error(exc, node=task.name, retryable=False, checkpoint_id=inp.checkpoint_id) from exc
        except Exception as exc:  # the node's own error: the workflow applies its RetryPolicy
            policy = graph.builder.nodes[task.name].retry_policy if task.name in graph.builder.nodes else None
            retry = bool(policy and policy.should_retry(exc))
            raise _app_error(exc, node=task.name, retryable=retry, checkpoint_id=inp.checkpoint_id) from exc
        finally:
            beating.cancel()
        blobs = externalize(result)
        if blobs:  # large values go to the store; history carries their hash
            await graph.store.aput_writes(inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id, blobs)
        out = result.to_json()
        size = len(json.dumps(out, separators=(",", ":"), default=str))
        if size > MAX_RESULT_BYTES:
            err = PayloadTooLargeError(
                f"Node {task.name!r} wrote {size:,} bytes in one step, more than Temporal accepts in one payload "
                f"({MAX_RESULT_BYTES:,}). Keep large data outside the state (a file or object store) and put a "
                "reference to it in the state.",
                node=task.name,
                size=size,
            )
            raise _app_error(err, node=task.name, retryable=False, checkpoint_id=inp.checkpoint_id)
        return out

    @activity.defn(name=COMMIT_STEP)
    async def commit_step(self, inp: CommitInput) -> CommitResult:
        """Apply a super-step's writes with the reducers, decide the next tasks, write the checkpoint."""
        graph = self._graph(inp.graph_key)
        try:
            parent = await self._record(graph, inp.thread_id, inp.checkpoint_ns, inp.parent_checkpoint_id)
            tasks = [TaskSpec.from_json(t) for t in parent.next_tasks]
            results: dict[str, TaskResult] = {}
            fresh = {r["task_id"]: TaskResult.from_json(r) for r in inp.results}
            if inp.load_pending or has_refs(inp.results):
                stored = await graph.store.aget_writes(inp.thread_id, inp.checkpoint_ns, parent.checkpoint_id)
                results = completed_results(stored) if inp.load_pending else {}
                resolve_refs(fresh, stored)
            results.update(fresh)
            config = graph.run_config(inp.config, inp.thread_id, inp.checkpoint_ns, parent.checkpoint_id)
            for task in tasks:
                if task.kind == "input":
                    results[task.id] = await graph.engine.run_task(task, parent.channel_values, config)
            outcome = graph.engine.commit(
                parent.channel_values, parent.channel_versions, tasks, results, inp.new_checkpoint_id
            )
        except GraphCompatError as exc:
            raise _app_error(exc, node=None, retryable=False, checkpoint_id=inp.parent_checkpoint_id) from exc
        except Exception as exc:  # a reducer or a START router raised
            raise _app_error(exc, node=START, retryable=False, checkpoint_id=inp.parent_checkpoint_id) from exc
        record = _child(
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
            next_tasks=[t.to_json() for t in outcome.next_tasks],
        )
        await self._put(graph, record)
        return CommitResult(record.checkpoint_id, record.step, _slim(record.next_tasks))

    @activity.defn(name=SAVE_WRITES)
    async def save_writes(self, inp: SaveWritesInput) -> None:
        """Keep the writes of tasks that finished in a super-step that did not (failure or interrupt)."""
        graph = self._graph(inp.graph_key)
        existing = await graph.store.aget_writes(inp.thread_id, inp.checkpoint_ns, inp.checkpoint_id)
        rows: list[PendingWrite] = []
        for raw in inp.results:
            result = TaskResult.from_json(raw)
            rows.extend(result.to_pending_writes(next_generation(existing, result.task_id)))
        for error in inp.errors:
            value = {k: v for k, v in error.items() if k not in ("task_id", "name")}
            value["at"] = datetime.now(timezone.utc).isoformat()
            base = next_generation(existing, error["task_id"]) * GENERATION
            rows.append(PendingWrite(error["task_id"], error["name"], base, ERROR, value))
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
            update = None if inp.skip else engine.schema.load_values(inp.values or {})
            config = graph.run_config(inp.config, inp.thread_id, inp.checkpoint_ns, inp.new_checkpoint_id)
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
        record = _child(
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
            next_tasks=[t.to_json() for t in outcome.next_tasks],
        )
        await self._put(graph, record)
        return RunResult("updated", record.checkpoint_id, record.step)
