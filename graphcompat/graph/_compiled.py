"""``CompiledStateGraph``: the client side of a durable run.

``invoke`` starts (or resumes) the thread's workflow on Temporal and waits
for it; ``get_state`` and friends read the snapshot store directly, so they
work from any process that can open the store. Every call has a sync and an
async twin; both run on the runtime's loop (see ``graphcompat._runtime``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import itertools
import json
import logging
import queue
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio.client import WorkflowFailureError
from temporalio.common import (
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.exceptions import (
    ApplicationError,
    CancelledError,
    TerminatedError,
    TimeoutError as WorkflowTimeoutError,
    WorkflowAlreadyStartedError,
)

from graphcompat import _ids, _settings, _subgraph, _views, errors
from graphcompat._constants import CALL_CACHED, DEFAULT_RECURSION_LIMIT, START
from graphcompat import _chunks
from graphcompat._follow import RunFollower, SubgraphFollower
from graphcompat.graph._emit import StreamEmitter
from graphcompat._search_attributes import run_attributes
from graphcompat._registry import GraphBinding, process_registry
from graphcompat._schema import coerce_context, dump_context
from graphcompat._wire import CONFIGURABLE_REF, EPHEMERAL_THREAD_PREFIX, MAX_WORKFLOW_ID_BYTES, WORKFLOW_NAME, RunInput, RunMode, RunResult, RunStatus, workflow_id_for
from graphcompat._calls import load_value
from graphcompat.checkpoint._common import check_limit, metadata_matches
from graphcompat.checkpoint._layout import (
    INLINE_WRITE_LIMIT,
    call_rows,
    command_update,
    record_tasks,
    run_args_id,
    run_args_marker,
    run_args_rows,
)
from graphcompat.checkpoint.base import BaseCheckpointSaver, CheckpointRecord, PendingWrite, StreamChunk
from graphcompat.engine import Engine, GraphSpec, NodeSpec, check_node_names
from graphcompat.types import Command, StateSnapshot

if TYPE_CHECKING:
    from graphcompat._runtime import Runtime

__all__ = ["CompiledStateGraph"]

Config = Mapping[str, Any]


def _config(config: Any) -> Config:
    """The caller's config, refused unless it is a mapping (LangGraph's RunnableConfig is a dict)."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise errors.ConfigurationError(
            f"The config must be a mapping, got {type(config).__name__} {config!r:.60}; "
            "pass config={'configurable': {'thread_id': 'some-id'}}."
        )
    return config


def _configurable(config: Config | None) -> dict[str, Any]:
    conf = _config(config).get("configurable") or {}
    if not isinstance(conf, Mapping):
        raise errors.ConfigurationError(
            f"config['configurable'] must be a mapping, got {type(conf).__name__} {conf!r:.60}; "
            "pass config={'configurable': {'thread_id': 'some-id'}}."
        )
    return dict(conf)


def _recursion_limit(config: Config | None) -> int:
    """``config["recursion_limit"]``: a positive int (LangGraph raises ValueError below 1)."""
    limit = _config(config).get("recursion_limit")
    if limit is None:
        return DEFAULT_RECURSION_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise errors.ConfigurationTypeError(
            f"recursion_limit must be an int (the most super-steps a run may take), got "
            f"{type(limit).__name__} {limit!r:.40}; pass e.g. {{'recursion_limit': 50}} or leave it out "
            f"(default {DEFAULT_RECURSION_LIMIT}).",
            recursion_limit=limit,
        )
    if limit < 1:
        raise errors.ConfigurationError(
            f"recursion_limit must be at least 1, got {limit}; pass the most super-steps a run may take, "
            f"or leave it out (default {DEFAULT_RECURSION_LIMIT}).",
            recursion_limit=limit,
        )
    return limit


def _node_list(names: Sequence[str] | str | None) -> list[str] | None:
    """``interrupt_before="node"`` (or ``"*"``) means ``["node"]``, as at compile."""
    return [names] if isinstance(names, str) else None if names is None else list(names)


def _json_config(config: Config | None) -> dict[str, Any]:
    """The parts of a RunnableConfig that travel to the workers (JSON only)."""
    config = _config(config)
    _configurable(config)
    out: dict[str, Any] = {}
    for key in ("configurable", "metadata", "tags", "recursion_limit", "run_name"):
        if config and key in config:
            out[key] = config[key]
    thread_id = (out.get("configurable") or {}).get("thread_id")
    if isinstance(thread_id, uuid.UUID):  # accepted as LangGraph does, stored (and sent) as its string
        out["configurable"] = {**out["configurable"], "thread_id": str(thread_id)}
    try:
        json.dumps(out)
    except (TypeError, ValueError) as exc:
        raise errors.ConfigurationError(
            f"The config must hold JSON data to travel to the workers ({exc}); "
            "pass objects such as clients through module-level globals instead."
        ) from exc
    return out


_DONE = object()
_UNREAD: Any = object()

#: RPC failures that mean "Temporal is not answering now", not "the request was wrong".
_OUTAGE = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.UNKNOWN, RPCStatusCode.CANCELLED)


async def _result(handle: Any, thread_id: str) -> Any:
    """``handle.result()``, riding out a Temporal outage of up to ``GRAPHCOMPAT_TEMPORAL_RETRY_SECONDS``.

    The run does not depend on the caller: it goes on on the server and its
    workers while Temporal is away and after. Only the caller's wait is
    retried (the SDK alone gives up after a few seconds), with back-off; when
    the outage outlasts the limit, a typed error says how to attach again.
    """
    limit = _settings.temporal_retry_seconds()
    loop = asyncio.get_running_loop()
    deadline: float | None = None
    delay = 0.25
    while True:
        try:
            return await handle.result()
        except RPCError as exc:
            if exc.status not in _OUTAGE:
                raise
            now = loop.time()
            if deadline is None:
                deadline = now + limit
                log.warning(
                    "Temporal is not answering (%s); waiting up to %d s (GRAPHCOMPAT_TEMPORAL_RETRY_SECONDS) "
                    "for the run on thread %r, which continues meanwhile", exc.message, limit, thread_id,
                )
            if now >= deadline:
                raise errors.TemporalUnavailableError(
                    f"Temporal did not answer for {limit} s while this call waited for the run on thread "
                    f"{thread_id!r} (workflow {handle.id!r}): {exc.message}. The run continues on the server and "
                    "its workers. When Temporal is back, attach to it with graph.invoke(None, config), or read "
                    "its result with graph.get_state(config); set GRAPHCOMPAT_TEMPORAL_RETRY_SECONDS to wait longer.",
                    thread_id=thread_id,
                    workflow_id=handle.id,
                ) from None
            await asyncio.sleep(min(delay, deadline - now))  # back-off between attempts to reach the server
            delay = min(delay * 2, 5.0)

log = logging.getLogger("graphcompat")

#: LangGraph's stream modes, all supported.
STREAM_MODES = ("values", "updates", "custom", "messages", "checkpoints", "tasks", "debug")
#: Modes whose chunks come from nodes while they run (the rest follow from checkpoints).
LIVE_MODES = ("custom", "messages")
#: A poll that brings this many items builds its chunks off the runtime loop.
OFF_LOOP_ITEMS = 32
#: History snapshots built per read of pending writes (one query for the batch, not one per checkpoint).
_HISTORY_BATCH = 20

#: A run on a queue nobody polls waits silently; after this long the caller is told why.
NO_WORKER_WARNING_S = 5.0


_SKIP: Any = object()


def _with_interrupts(values: Any, interrupts: Any) -> Any:
    """Values plus ``"__interrupt__"``, as LangGraph returns an interrupted run (a non-dict value shows only them)."""
    return {**values, "__interrupt__": interrupts} if isinstance(values, Mapping) else {"__interrupt__": interrupts}


class CompiledStateGraph:
    """A graph ready to run durably. Created by ``StateGraph.compile``."""

    def __init__(
        self, *, spec: GraphSpec, builder: Any, checkpointer: BaseCheckpointSaver | None, own_memory: bool = False
    ) -> None:
        from graphcompat.checkpoint.memory import InMemorySaver

        #: ``compile(checkpointer=True)``: run as a subgraph, this graph keeps its state from
        #: call to call (one namespace per parent node, not per task), as in LangGraph.
        self.own_memory = own_memory
        #: The ``StateGraph`` this was compiled from (LangGraph has it too); nothing that runs reads it.
        self.builder = builder
        self.checkpointer = checkpointer
        #: What runs: the frozen spec, bound to the store (a graph compiled without a
        #: checkpointer keeps its snapshots in memory).
        self._binding = GraphBinding.new(spec, checkpointer if checkpointer is not None else InMemorySaver())
        process_registry.add(self._binding)

    def __repr__(self) -> str:
        return f"<CompiledStateGraph {self.name!r} nodes={list(self.spec.nodes)} store={self.store.display_url}>"

    @property
    def binding(self) -> GraphBinding:
        """The graph as workers see it (spec, store, node plans), registered under :attr:`graph_key`."""
        return self._binding

    @property
    def spec(self) -> GraphSpec:
        return self._binding.spec

    @property
    def engine(self) -> Engine:
        return self._binding.engine

    @property
    def graph_key(self) -> str:
        return self._binding.key

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def store(self) -> BaseCheckpointSaver:
        """Where snapshots go: the checkpointer, or an in-memory store without one."""
        return self._binding.store

    @store.setter
    def store(self, store: BaseCheckpointSaver) -> None:
        # Rebind under the same key, so this process's worker uses the new store too.
        self._binding = self._binding.with_store(store)
        process_registry.add(self._binding)

    @property
    def interrupt_before_nodes(self) -> list[str]:
        return list(self.spec.interrupt_before)

    @property
    def interrupt_after_nodes(self) -> list[str]:
        return list(self.spec.interrupt_after)

    @property
    def task_queue(self) -> str | None:
        return self.spec.task_queue

    @property
    def node_timeout(self) -> timedelta:
        return self.spec.node_timeout

    @property
    def heartbeat_timeout(self) -> timedelta:
        return self.spec.heartbeat_timeout

    @property
    def nodes(self) -> dict[str, Any]:
        return dict(self.spec.nodes)

    def _node_task_queues(self) -> list[str]:
        """The task queues of nodes sent to a queue of their own (``add_node(task_queue=...)``)."""
        return sorted({n.task_queue for n in self.spec.nodes.values() if n.task_queue})

    # -- config helpers -------------------------------------------------------------

    def _thread(self, config: Config | None, *, required: bool = True) -> tuple[str, str, str | None]:
        """``(thread_id, checkpoint_ns, checkpoint_id)`` from the config, each checked.

        A thread id is a str, an int or a UUID (stored as its string, as LangGraph
        does), non-empty and short enough for Temporal's workflow id limit.
        """
        conf = _configurable(config)
        raw = conf.get("thread_id")
        if raw is None:
            if required:
                raise errors.MissingThreadIdError(
                    "Checkpointer requires one or more of the following 'configurable' keys: thread_id, "
                    "checkpoint_ns, checkpoint_id. Pass config={'configurable': {'thread_id': 'some-id'}}."
                )
            return "", "", None
        if isinstance(raw, bool) or not isinstance(raw, str | int | uuid.UUID):
            raise errors.ConfigurationError(
                f"thread_id must be a str, int or UUID, got {type(raw).__name__} {raw!r:.60}; "
                "pass one id per conversation, e.g. {'configurable': {'thread_id': 'user-42'}}.",
                thread_id=raw,
            )
        thread_id = str(raw)
        if not thread_id:
            raise errors.ConfigurationError(
                "thread_id is empty; pass a non-empty thread_id (leave it out only on a graph "
                "compiled without a checkpointer)."
            )
        ns = conf.get("checkpoint_ns") or ""
        if not isinstance(ns, str):
            raise errors.ConfigurationError(
                f"checkpoint_ns must be a str, got {type(ns).__name__} {ns!r:.60}; leave it out for the root graph."
            )
        checkpoint_id = conf.get("checkpoint_id") or None
        if checkpoint_id is not None and not isinstance(checkpoint_id, str):
            raise errors.ConfigurationError(
                f"checkpoint_id must be a str, got {type(checkpoint_id).__name__} {checkpoint_id!r:.60}; "
                "take ids from get_state_history(config) (snapshot.config['configurable']['checkpoint_id'])."
            )
        overhead = len(workflow_id_for("", ns).encode())
        size = len(thread_id.encode())
        if size + overhead > MAX_WORKFLOW_ID_BYTES:
            raise errors.ConfigurationError(
                f"thread_id is {size:,} bytes; Temporal accepts workflow ids of at most {MAX_WORKFLOW_ID_BYTES} "
                f"bytes and the thread's is {workflow_id_for('<thread_id>', ns)!r}, so a thread_id can be at most "
                f"{MAX_WORKFLOW_ID_BYTES - overhead} bytes. Use a shorter thread_id (e.g. a hash of the long key).",
                thread_id=thread_id[:80],
            )
        return thread_id, ns, checkpoint_id

    def _runtime(self) -> Runtime:
        from graphcompat._runtime import get_runtime

        runtime = get_runtime()
        if self.store.in_process_only and not runtime.in_process_worker:
            raise errors.ConfigurationError(
                f"Graph {self.name!r} keeps its checkpoints in {type(self.store).__name__}, which only this process "
                "can see, but its runs go to workers in other processes. Compile it with a shared store "
                "(SqliteSaver.from_conn_string('graph.db') or PostgresSaver), or set GRAPHCOMPAT_INPROCESS_WORKER=1."
            )
        return runtime

    # -- invoke ---------------------------------------------------------------------

    def invoke(
        self,
        input: Any,
        config: Config | None = None,
        *,
        interrupt_before: Sequence[str] | None = None,
        interrupt_after: Sequence[str] | None = None,
        stream_mode: str | Sequence[str] = "values",
        context: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Run the graph on Temporal until it ends, is interrupted or fails; return the final values.

        ``invoke(None, config)`` resumes the thread's latest checkpoint;
        with a ``checkpoint_id`` in ``config`` it replays from that checkpoint
        on a new branch; ``invoke(Command(resume=...), config)`` answers an
        ``interrupt()``. ``context`` is the run's ``Runtime.context`` (coerced
        to the graph's ``context_schema``). A node's exception is re-raised
        with its own type. With a ``stream_mode`` other than ``"values"`` it
        returns the list of chunks :meth:`stream` yields in that mode, as
        LangGraph does.
        """
        if _subgraph.current() is not None:  # inside a parent's node: run as its subgraph
            return _subgraph.call_sync(lambda: _subgraph.run_child(self, input, config))
        if stream_mode != "values":
            modes = dict(interrupt_before=interrupt_before, interrupt_after=interrupt_after)
            return list(self.stream(input, config, stream_mode=stream_mode, context=context, **modes))
        runtime = self._runtime()
        return runtime.run_sync(self._ainvoke(runtime, input, config, interrupt_before, interrupt_after, context))

    async def ainvoke(
        self,
        input: Any,
        config: Config | None = None,
        *,
        interrupt_before: Sequence[str] | None = None,
        interrupt_after: Sequence[str] | None = None,
        stream_mode: str | Sequence[str] = "values",
        context: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Async twin of :meth:`invoke`."""
        if _subgraph.current() is not None:  # inside a parent's node: run as its subgraph
            return await _subgraph.run_child(self, input, config)
        if stream_mode != "values":
            modes = dict(interrupt_before=interrupt_before, interrupt_after=interrupt_after)
            return [chunk async for chunk in self.astream(input, config, stream_mode=stream_mode, context=context, **modes)]
        runtime = self._runtime()
        return await runtime.run_async(self._ainvoke(runtime, input, config, interrupt_before, interrupt_after, context))

    def _run_input(
        self,
        input: Any,
        config: Config | None,
        interrupt_before: Sequence[str] | None,
        interrupt_after: Sequence[str] | None,
        context: Any = None,
    ) -> RunInput:
        if self.checkpointer is None:
            # As in LangGraph: without a checkpointer nothing outlives the call, whatever
            # thread_id the config names (the run's snapshots are dropped when it returns).
            self._thread(config, required=False)  # a malformed config is still refused
            thread_id, ns, checkpoint_id = f"{EPHEMERAL_THREAD_PREFIX}{_ids.checkpoint_id()}", "", None
        else:
            thread_id, ns, checkpoint_id = self._thread(config)
        if ns:
            raise errors.ConfigurationError(
                f"invoke/stream with checkpoint_ns {ns!r} (a subgraph's namespace) is not supported: a subgraph "
                "runs inside its parent's node. Invoke the parent graph with the thread's config (without "
                "checkpoint_ns); it continues its subgraphs. To change a subgraph's state first, call "
                "update_state(subgraph_config, values) on the parent graph.",
                checkpoint_ns=ns,
            )
        interrupt_before, interrupt_after = _node_list(interrupt_before), _node_list(interrupt_after)
        recursion_limit = _recursion_limit(config)
        check_node_names(self.spec, [*(interrupt_before or []), *(interrupt_after or [])], "Interrupt node", allow=("*",))
        resume: Any = None
        payload: Any = None
        if isinstance(input, Command):
            if (input.resume is None and input.update is None) or input.goto or input.graph is not None:
                given = ", ".join(
                    f"{name}={value!r:.40}"
                    for name, value in (("graph", input.graph), ("update", input.update), ("resume", input.resume), ("goto", input.goto))
                    if value not in (None, (), [])
                )
                raise errors.NotSupportedError(
                    f"invoke(Command(...)) takes Command(resume=value, update={{...}}) (either or both), got "
                    f"Command({given}); goto and graph are not supported there. To choose the next node use "
                    "graph.update_state(config, values, as_node=...) and then graph.invoke(None, config).",
                    feature="Command(goto=...) as input",
                )
            mode = RunMode.COMMAND
            if input.resume is not None:
                resume = self.engine.schema.dump("__resume__", input.resume, where="Command(resume=...)")
            if input.update is not None:
                # applied before the continued checkpoint's tasks run, as LangGraph does
                payload = self.engine.dump_input(input.update, where="Command(update=...)")
        elif input is None:
            mode = RunMode.REPLAY if checkpoint_id else RunMode.RESUME
        else:
            mode = RunMode.INPUT
            payload = self.engine.dump_input(input, graph_input=True)
        json_config = _json_config(config)
        context_json = dump_context(coerce_context(self.spec.context_schema, context))
        return RunInput(
            graph_key=self.graph_key,
            graph_name=self.name,
            thread_id=thread_id,
            checkpoint_ns=ns,
            mode=mode,
            input=payload,
            checkpoint_id=checkpoint_id,
            resume=resume,
            config=json_config,
            interrupt_before=list(self.interrupt_before_nodes if interrupt_before is None else interrupt_before),
            interrupt_after=list(self.interrupt_after_nodes if interrupt_after is None else interrupt_after),
            recursion_limit=recursion_limit,
            context=context_json,
            node_timeout_s=self.node_timeout.total_seconds(),
            heartbeat_timeout_s=self.heartbeat_timeout.total_seconds(),
        )

    def _search_attributes(self, run: RunInput) -> TypedSearchAttributes:
        return run_attributes(run.thread_id, self.name)

    async def _start(self, runtime: Runtime, run: RunInput, head: Any = _UNREAD) -> Any:
        """Start the thread's workflow for ``run`` (``head``: the thread's latest checkpoint, if already read)."""
        if head is _UNREAD:
            head = await self.store.aget_checkpoint(run.thread_id, run.checkpoint_ns)
        if head is not None:
            # New ids come strictly after the thread's head, whatever the server's clock says
            # (a clock stepped back, another server): the head stays the newest checkpoint.
            run = dataclasses.replace(run, last_checkpoint_id=head.checkpoint_id)
        run = dataclasses.replace(run, store_attempts=_settings.store_retry_attempts())
        run = await self._stash_run_args(run)
        client = await runtime.client()
        task_queue = runtime.task_queue_for(self.task_queue)
        await runtime.ensure_worker(task_queue)
        for node_queue in self._node_task_queues():  # an in-process worker serves them too
            await runtime.ensure_worker(node_queue)
        workflow_id = workflow_id_for(run.thread_id, run.checkpoint_ns)
        try:
            handle = await client.start_workflow(
                WORKFLOW_NAME,
                run,
                id=workflow_id,
                task_queue=task_queue,
                result_type=RunResult,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                static_summary=f"{self.name} · thread {run.thread_id} · {run.mode}",
                static_details=f"graph `{self.name}` ({self.graph_key}), thread `{run.thread_id}`, store {self.store.display_url}",
                search_attributes=self._search_attributes(run) if runtime.search_attributes else None,
            )
            if not runtime.in_process_worker:
                runtime.spawn(self._watch_for_workers(client, handle, task_queue))
            return handle
        except WorkflowAlreadyStartedError:
            raise errors.ThreadBusyError(
                f"Thread {run.thread_id!r} already has a run in flight (workflow {workflow_id!r}); one run per "
                "thread at a time. Wait for it to finish, or use another thread_id.",
                thread_id=run.thread_id,
                workflow_id=workflow_id,
            ) from None

    async def _stash_run_args(self, run: RunInput) -> RunInput:
        """``run`` with what must not travel through workflow history replaced by references.

        Stored with the thread as one ``run_args`` row under a random reference
        (``checkpoint._layout.run_args_rows``), read back by the activities:

        * the caller's ``configurable`` values, always: often secrets (API keys),
          and history is kept and shown by Temporal. ``thread_id``,
          ``checkpoint_ns`` and ``checkpoint_id`` are dropped (the run names them);
          the wire config carries ``CONFIGURABLE_REF`` instead;
        * the input, a ``Command(resume=...)`` value and ``update_state`` values
          when their JSON is over ``INLINE_WRITE_LIMIT``, the one size rule of
          node writes too; the field then holds ``run_args_marker(ref)``.
        """
        configurable = dict(run.config.get("configurable") or {})
        for key in ("thread_id", "checkpoint_ns", "checkpoint_id"):
            configurable.pop(key, None)
        config = {k: v for k, v in run.config.items() if k != "configurable"}
        ref = uuid.uuid4().hex
        args: dict[str, Any] = {}
        if configurable:
            args["configurable"] = configurable
            config[CONFIGURABLE_REF] = ref
        moved: dict[str, Any] = {}
        for name in ("input", "resume", "update_values"):
            value = getattr(run, name)
            if value is not None and len(json.dumps(value, separators=(",", ":"), ensure_ascii=False)) > INLINE_WRITE_LIMIT:
                args[name] = value
                moved[name] = run_args_marker(ref)
        if args:
            await self.store.aput_writes(run.thread_id, run.checkpoint_ns, run_args_id(ref), run_args_rows(args))
        return dataclasses.replace(run, config=config, **moved)

    async def _ainvoke(
        self,
        runtime: Runtime,
        input: Any,
        config: Config | None,
        interrupt_before: Sequence[str] | None,
        interrupt_after: Sequence[str] | None,
        context: Any = None,
    ) -> dict[str, Any]:
        run = self._run_input(input, config, interrupt_before, interrupt_after, context)
        latest = await self.store.aget_checkpoint(run.thread_id, run.checkpoint_ns)
        self._check_resumable(run, latest)
        try:
            handle = await self._start(runtime, run, latest)
            runtime.started_runs.append((handle.id, handle.first_execution_run_id or handle.result_run_id or ""))
        except errors.ThreadBusyError:
            if run.mode != RunMode.RESUME:
                raise
            # invoke(None, config) while a run is in flight (started elsewhere, or by a caller that
            # went away): that run is what resuming means now; wait for it and return its result.
            client = await runtime.client()
            handle = client.get_workflow_handle(workflow_id_for(run.thread_id, run.checkpoint_ns), result_type=RunResult)
        try:
            try:
                result: RunResult = await _result(handle, run.thread_id)
            except WorkflowFailureError as failure:
                raise self._failure(failure, run) from None
            return await self._output(run, result)
        finally:
            await self._forget(run)

    @staticmethod
    async def _watch_for_workers(client: Any, handle: Any, task_queue: str) -> None:
        """Warn (once, after a few seconds) when no worker polls the run's task queue: without
        one the run waits forever, and the caller would see nothing."""
        from temporalio.api.enums.v1 import TaskQueueType
        from temporalio.api.taskqueue.v1 import TaskQueue
        from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
        from temporalio.client import WorkflowExecutionStatus

        await asyncio.sleep(NO_WORKER_WARNING_S)
        try:
            if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
                return
            response = await client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace,
                    task_queue=TaskQueue(name=task_queue),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                )
            )
        except Exception as exc:  # best effort: the warning must never break a run
            log.debug("could not check the pollers of task queue %r: %s", task_queue, exc)
            return
        if not response.pollers:
            log.warning(
                "graphcompat: run %s has waited %.0f s and no worker polls task queue %r; start one with "
                "`python worker.py --graph package.module:graph --task-queue %s` (or set "
                "GRAPHCOMPAT_INPROCESS_WORKER=1 to run nodes in this process)",
                handle.id,
                NO_WORKER_WARNING_S,
                task_queue,
                task_queue,
            )

    async def _forget(self, run: RunInput) -> None:
        """Drop an ephemeral thread (a graph without a checkpointer keeps nothing after a call)."""
        if self.checkpointer is None:
            await self.store.adelete_thread(run.thread_id)

    @staticmethod
    def _check_resumable(run: RunInput, head: CheckpointRecord | None) -> None:
        """``invoke(None)`` and ``Command(resume=...)`` need a checkpoint (``head``, the thread's
        latest): refuse before anything starts."""
        if run.mode not in (RunMode.RESUME, RunMode.COMMAND) or head is not None:
            return
        what = "" if run.mode == RunMode.RESUME else ", so Command(resume=...) has nothing to resume"
        raise errors.EmptyInputError(
            f"Thread {run.thread_id!r} has no checkpoint to resume{what}; start it with an input: "
            "graph.invoke({...}, config).",
            thread_id=run.thread_id,
        )

    def _failure(self, failure: WorkflowFailureError, run: RunInput) -> BaseException:
        cause = failure.cause
        if isinstance(cause, TerminatedError | CancelledError | WorkflowTimeoutError):
            how = {TerminatedError: "terminated", CancelledError: "cancelled"}.get(type(cause), "timed out")
            return errors.RunTerminatedError(
                f"The run on thread {run.thread_id!r} (workflow {workflow_id_for(run.thread_id, run.checkpoint_ns)!r}) "
                f"was {how} outside graphcompat (from the Temporal UI or CLI?): {cause.message or how}. "
                "The thread keeps every checkpoint stored so far; continue it with graph.invoke(None, config), "
                "inspect it with graph.get_state(config).",
                thread_id=run.thread_id,
                how=how,
            )
        if not isinstance(cause, ApplicationError):
            return failure
        info: dict[str, Any] = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
        type_name = cause.type or "Exception"
        if type_name == "GraphRecursionError":
            exc: BaseException = errors.GraphRecursionError(cause.message, **info)
        else:
            exc = _views.rebuild_exception(info, cause.message, type_name)
        node = info.get("node")
        checkpoint_id = info.get("checkpoint_id")
        for attr, value in (("node", node), ("thread_id", run.thread_id), ("checkpoint_id", checkpoint_id)):
            try:
                setattr(exc, attr, value)
            except Exception:
                pass
        where = f"node {node!r}" if node else "the run"
        exc.add_note(
            f"graphcompat: {where} failed on thread {run.thread_id!r} at checkpoint {checkpoint_id} "
            f"(step {info.get('step')}). Resume with graph.invoke(None, config); inspect with graph.get_state(config)."
        )
        if info.get("traceback"):
            exc.add_note("Remote traceback (worker):\n" + str(info["traceback"]).rstrip())
        return exc

    async def _output(self, run: RunInput, result: RunResult) -> dict[str, Any]:
        record = await self.store.aget_checkpoint(run.thread_id, run.checkpoint_ns, result.checkpoint_id)
        if record is None:
            raise errors.StoreError(
                f"The run finished at checkpoint {result.checkpoint_id} but the store {self.store.display_url} does not "
                "hold it; the worker and this process must use the same store."
            )
        if result.status != RunStatus.INTERRUPTED:
            return self._final_values(record)
        snapshot = await self._snapshot(record, live=True)
        values = self._interrupted_values(snapshot)
        if snapshot.interrupts:
            return _with_interrupts(values, list(snapshot.interrupts))
        return values

    def _final_values(self, record: CheckpointRecord) -> Any:
        """What ``invoke`` returns from the final checkpoint of a finished run (the output schema's keys)."""
        return self.engine.output_values(record.channel_values)

    def _interrupted_values(self, snapshot: StateSnapshot) -> Any:
        """What ``invoke`` returns (besides ``__interrupt__``) of an interrupted run: the live values,
        the output schema's keys only, as a finished run returns."""
        keys = self.spec.output_keys
        return {k: v for k, v in snapshot.values.items() if k in keys} if keys else snapshot.values

    # -- state ----------------------------------------------------------------------

    def _snapshot_of(self, record: CheckpointRecord, writes: Sequence[PendingWrite], *, live: bool) -> StateSnapshot:
        """The snapshot of ``record`` given its pending writes: no I/O, so sync and async reads share it.

        ``record`` is of this graph or, by its namespace, of one of its
        subgraphs. Tasks of subgraph nodes carry the subgraph's place in
        ``state`` (its config), as in LangGraph; subclasses reshape the whole
        snapshot here (an entrypoint shows its return value).
        """
        graph = self._graph_at(record.checkpoint_ns)
        snap = _views.snapshot(graph.engine, record, writes, live=live)
        tasks = []
        for task in snap.tasks:
            ns = _child_ns(graph, record, task)
            if ns is not None:
                task = task._replace(state={"configurable": {"thread_id": record.thread_id, "checkpoint_ns": ns}})
            tasks.append(task)
        return snap._replace(tasks=tuple(tasks))

    async def _snapshot(self, record: CheckpointRecord, *, live: bool, subgraphs: bool = False) -> StateSnapshot:
        """:meth:`_snapshot_of` with the writes read; ``subgraphs=True`` puts each subgraph's own latest
        snapshot in its task's ``state`` (an empty one before it ran, as in LangGraph)."""
        writes = await self.store.aget_writes(record.thread_id, record.checkpoint_ns, record.checkpoint_id)
        snap = self._snapshot_of(record, writes, live=live)
        if not subgraphs:
            return snap
        children = {}
        for ns in _child_namespaces(snap):
            child = await self.store.aget_checkpoint(record.thread_id, ns)
            children[ns] = await self._snapshot(child, live=True, subgraphs=True) if child is not None else None
        return _with_children(snap, children)

    def _snapshot_sync(self, record: CheckpointRecord, *, live: bool, subgraphs: bool = False) -> StateSnapshot:
        """Sync twin of :meth:`_snapshot`: the store's sync methods, in the caller's thread."""
        writes = self.store.get_writes(record.thread_id, record.checkpoint_ns, record.checkpoint_id)
        snap = self._snapshot_of(record, writes, live=live)
        if not subgraphs:
            return snap
        children = {}
        for ns in _child_namespaces(snap):
            child = self.store.get_checkpoint(record.thread_id, ns)
            children[ns] = self._snapshot_sync(child, live=True, subgraphs=True) if child is not None else None
        return _with_children(snap, children)

    def _graph_at(self, ns: str) -> CompiledStateGraph:
        """The graph whose checkpoints namespace ``ns`` holds: this one for ``""``, else a subgraph."""
        return subgraph_at(self, ns) if ns else self

    def _require_checkpointer(self, call: str) -> None:
        if self.checkpointer is None:
            raise errors.ConfigurationError(
                f"{call} needs a checkpointer: compile the graph with builder.compile(checkpointer=...)."
            )

    # Reads need no Temporal and no event loop: the sync calls use the store's sync
    # methods in the caller's thread, the async twins its async methods. A sync call
    # routed through an event loop paid a loop (or a thread hop to the runtime's loop)
    # per call, and ``asyncio.run`` in the main thread even formats the repr of its
    # result (the whole state) when it restores the SIGINT handler.

    def _state_query(self, config: Config) -> tuple[str, str, str | None]:
        self._require_checkpointer("get_state")
        query = self._thread(config)
        self._graph_at(query[1])  # an unknown namespace is refused
        return query

    @staticmethod
    def _no_state(query: tuple[str, str, str | None]) -> StateSnapshot:
        """What ``get_state`` says when the store has no such checkpoint: an empty thread, or an error."""
        thread_id, ns, checkpoint_id = query
        if checkpoint_id:
            raise errors.UnknownCheckpointError.of(thread_id, checkpoint_id)
        return StateSnapshot({}, (), {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns}}, None, None, None, ())

    async def aget_state(self, config: Config, *, subgraphs: bool = False) -> StateSnapshot:
        """Async twin of :meth:`get_state`."""
        query = self._state_query(config)
        record = await self.store.aget_checkpoint(*query)
        if record is None:
            return self._no_state(query)
        return await self._snapshot(record, live=query[2] is None, subgraphs=subgraphs)

    def get_state(self, config: Config, *, subgraphs: bool = False) -> StateSnapshot:
        """The thread's latest state (live view), or the named checkpoint as written.

        A config with a subgraph's ``checkpoint_ns`` reads that subgraph's
        state; ``subgraphs=True`` puts each running subgraph's snapshot in
        its task's ``state``.
        """
        query = self._state_query(config)
        record = self.store.get_checkpoint(*query)
        if record is None:
            return self._no_state(query)
        return self._snapshot_sync(record, live=query[2] is None, subgraphs=subgraphs)

    def _history_query(
        self, config: Config, filter: Mapping[str, Any] | None, before: Config | str | None
    ) -> tuple[str, str, str | None, str | None]:
        """``(thread_id, checkpoint_ns, before_id, checkpoint_id)`` of a history call, each argument checked."""
        self._require_checkpointer("get_state_history")
        thread_id, ns, checkpoint_id = self._thread(config)
        self._graph_at(ns)  # an unknown namespace is refused
        if filter is not None and not isinstance(filter, Mapping):
            raise errors.ConfigurationError(
                f"filter must be a mapping of metadata keys to values, got {type(filter).__name__} {filter!r:.60}; "
                "e.g. filter={'source': 'loop'}."
            )
        before_id = _configurable(before).get("checkpoint_id") if isinstance(before, Mapping) else before
        if before_id is not None and not isinstance(before_id, str):
            raise errors.ConfigurationError(
                f"before must be a config or a checkpoint id (str), got {type(before_id).__name__} {before_id!r:.60}; "
                "pass a snapshot's config: get_state_history(config, before=snapshot.config)."
            )
        return thread_id, ns, before_id, checkpoint_id

    @staticmethod
    def _named_history(
        named: CheckpointRecord | None,
        thread_id: str,
        checkpoint_id: str,
        filter: Mapping[str, Any] | None,
        before_id: str | None,
        limit: int | None,
    ) -> list[CheckpointRecord]:
        """The history of a config that names a checkpoint: that one checkpoint, when it passes
        ``filter`` and ``before`` (LangGraph's savers narrow ``list`` by the config's checkpoint id)."""
        check_limit(limit)
        if named is None:
            raise errors.UnknownCheckpointError.of(thread_id, checkpoint_id)
        kept = metadata_matches(named.metadata, filter) and (not before_id or named.checkpoint_id < before_id)
        return [named][:limit] if kept else []

    async def aget_state_history(
        self,
        config: Config,
        *,
        filter: Mapping[str, Any] | None = None,
        before: Config | str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[StateSnapshot]:
        """Async twin of :meth:`get_state_history`."""
        thread_id, ns, before_id, checkpoint_id = self._history_query(config, filter, before)
        if before_id and await self.store.aget_checkpoint(thread_id, ns, before_id) is None:
            raise errors.UnknownCheckpointError.of(thread_id, before_id)
        if checkpoint_id:
            named = await self.store.aget_checkpoint(thread_id, ns, checkpoint_id)
            records = self._named_history(named, thread_id, checkpoint_id, filter, before_id, limit)
        else:
            records = await self.store.alist_checkpoints(thread_id, ns, filter=filter, before=before_id, limit=limit)
        for start in range(0, len(records), _HISTORY_BATCH):
            batch = records[start : start + _HISTORY_BATCH]
            writes = await self.store.aget_writes_many(thread_id, ns, [r.checkpoint_id for r in batch])
            for record in batch:
                yield self._snapshot_of(record, writes[record.checkpoint_id], live=False)

    def get_state_history(
        self,
        config: Config,
        *,
        filter: Mapping[str, Any] | None = None,
        before: Config | str | None = None,
        limit: int | None = None,
    ) -> Iterator[StateSnapshot]:
        """Every checkpoint of the thread, all branches, newest first.

        A ``checkpoint_id`` in ``config`` narrows it to that checkpoint, as in LangGraph.
        Bad arguments are refused here; the snapshots are read as the iterator is
        consumed, a page of checkpoints at a time (as LangGraph's iterator does).
        """
        thread_id, ns, before_id, checkpoint_id = self._history_query(config, filter, before)
        if before_id and self.store.get_checkpoint(thread_id, ns, before_id) is None:
            raise errors.UnknownCheckpointError.of(thread_id, before_id)
        if checkpoint_id:
            named = self.store.get_checkpoint(thread_id, ns, checkpoint_id)
            records: Iterator[CheckpointRecord] = iter(
                self._named_history(named, thread_id, checkpoint_id, filter, before_id, limit)
            )
        else:
            records = self.store.list_checkpoints(thread_id, ns, filter=filter, before=before_id, limit=limit)
        return self._history_snapshots(thread_id, ns, records)

    def _history_snapshots(self, thread_id: str, ns: str, records: Iterator[CheckpointRecord]) -> Iterator[StateSnapshot]:
        """Snapshots of ``records`` as they are consumed, the pending writes of a batch read in one query."""
        while batch := list(itertools.islice(records, _HISTORY_BATCH)):
            writes = self.store.get_writes_many(thread_id, ns, [r.checkpoint_id for r in batch])
            for record in batch:
                yield self._snapshot_of(record, writes[record.checkpoint_id], live=False)

    # -- update_state -------------------------------------------------------------

    async def aupdate_state(self, config: Config, values: Any, as_node: str | None = None) -> dict[str, Any]:
        """Async twin of :meth:`update_state`."""
        self._require_checkpointer("update_state")
        runtime = self._runtime()
        return await runtime.run_async(self._aupdate(runtime, config, values, as_node))

    async def _aupdate(self, runtime: Runtime, config: Config, values: Any, as_node: str | None) -> dict[str, Any]:
        thread_id, ns, checkpoint_id = self._thread(config)
        target = self._graph_at(ns)  # a subgraph's namespace: its own nodes and schema, this store
        if as_node is not None:
            check_node_names(target.spec, [as_node], "update_state: as_node", allow=(START,))
        where = f"update_state(as_node={as_node!r})"
        payload = None
        if values is not None:
            payload = target.engine.dump_input(values, where=where)
        if checkpoint_id and await self.store.aget_checkpoint(thread_id, ns, checkpoint_id) is None:
            raise errors.UnknownCheckpointError.of(thread_id, checkpoint_id)
        run = RunInput(
            graph_key=self.graph_key if target is self else _subgraph.subgraph_key(target.graph_key, self.graph_key),
            graph_name=target.name,
            thread_id=thread_id,
            checkpoint_ns=ns,
            mode=RunMode.UPDATE,
            checkpoint_id=checkpoint_id,
            config=_json_config(config),
            update_values=payload,
            update_skip=values is None,
            as_node=as_node,
        )
        handle = await self._start(runtime, run)
        runtime.started_runs.append((handle.id, handle.first_execution_run_id or ""))
        try:
            result: RunResult = await _result(handle, thread_id)
        except WorkflowFailureError as failure:
            raise self._failure(failure, run) from None
        return {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": result.checkpoint_id}}

    def update_state(self, config: Config, values: Any, as_node: str | None = None) -> dict[str, Any]:
        """Write a new checkpoint with ``values`` applied as if ``as_node`` had returned them.

        Returns the new checkpoint's config; ``invoke(None, that_config)``
        continues from it (a fork when ``config`` named a past checkpoint).
        """
        self._require_checkpointer("update_state")
        runtime = self._runtime()
        return runtime.run_sync(self._aupdate(runtime, config, values, as_node))

    # -- streaming -----------------------------------------------------------------

    #: LangGraph's default for compiled graphs.
    stream_mode = "updates"

    def _produce(self, runtime: Runtime, deliver: Callable[[Any], None], *args: Any) -> Coroutine[Any, Any, None]:
        """Run the stream on the runtime loop, handing each chunk (then ``_DONE`` or an error) to ``deliver``."""

        async def produce() -> None:
            try:
                async for item in self._stream(runtime, *args):
                    deliver(item)
                deliver(_DONE)
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer
                deliver(exc)

        return produce()

    async def astream(
        self,
        input: Any,
        config: Config | None = None,
        *,
        stream_mode: str | Sequence[str] | None = None,
        interrupt_before: Sequence[str] | None = None,
        interrupt_after: Sequence[str] | None = None,
        subgraphs: bool = False,
        poll_interval: float = 0.02,
        context: Any = None,
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        """Async twin of :meth:`stream`."""
        args = (input, config, stream_mode, interrupt_before, interrupt_after, poll_interval, subgraphs, False, context)
        async for item in self._aconsume(args):
            yield item

    def stream(
        self,
        input: Any,
        config: Config | None = None,
        *,
        stream_mode: str | Sequence[str] | None = None,
        interrupt_before: Sequence[str] | None = None,
        interrupt_after: Sequence[str] | None = None,
        subgraphs: bool = False,
        poll_interval: float = 0.02,
        context: Any = None,
        **kwargs: Any,
    ) -> Iterator[Any]:
        """Run like :meth:`invoke`, yielding chunks as LangGraph does.

        Modes (LangGraph's; default ``"updates"``): ``values`` (the state after
        each super-step), ``updates`` (``{node: update}``), ``custom`` (what
        nodes write with ``get_stream_writer()`` or their ``writer``
        parameter), ``messages`` (``(message_chunk, metadata)`` tokens of chat
        models called in nodes), ``checkpoints``, ``tasks`` and ``debug``. A
        list of modes yields ``(mode, chunk)``; ``subgraphs=True`` adds the
        namespace in front (``()`` for this graph). ``custom`` and
        ``messages`` chunks leave the worker while the node runs.

        ``stream(None, config)`` on a thread whose run is in flight (started
        by another process, or by a reader that went away) attaches to that
        run and yields its chunks from the start of the run; the sequence is
        the same every time, so a reader that consumed ``n`` chunks continues
        with ``itertools.islice(graph.stream(None, config, ...), n, None)``.
        """
        runtime = self._runtime()
        chunks: queue.SimpleQueue[Any] = queue.SimpleQueue()
        args = (input, config, stream_mode, interrupt_before, interrupt_after, poll_interval, subgraphs, False, context)
        future = runtime.submit(self._produce(runtime, chunks.put, *args))
        try:
            while (item := chunks.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            future.cancel()

    def join_stream(
        self,
        config: Config,
        *,
        stream_mode: str | Sequence[str] | None = None,
        subgraphs: bool = False,
        poll_interval: float = 0.02,
    ) -> Iterator[Any]:
        """Follow the thread's latest run, in flight or finished, from its start.

        The chunks are those the run's own ``stream`` yielded (same modes:
        live chunks are recorded for the modes the run was started with),
        in the same order; a finished run's live chunks stay readable for
        ``graphcompat._chunks.RETENTION`` (one hour). Named after LangGraph
        Platform's ``runs.join_stream``: LangGraph's library API has no way
        to address a run once its caller is gone.
        """
        runtime = self._runtime()
        chunks: queue.SimpleQueue[Any] = queue.SimpleQueue()
        args = (None, config, stream_mode, None, None, poll_interval, subgraphs, True)
        future = runtime.submit(self._produce(runtime, chunks.put, *args))
        try:
            while (item := chunks.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            future.cancel()

    async def ajoin_stream(
        self,
        config: Config,
        *,
        stream_mode: str | Sequence[str] | None = None,
        subgraphs: bool = False,
        poll_interval: float = 0.02,
    ) -> AsyncIterator[Any]:
        """Async twin of :meth:`join_stream`."""
        async for item in self._aconsume((None, config, stream_mode, None, None, poll_interval, subgraphs, True)):
            yield item

    async def _aconsume(self, args: tuple[Any, ...]) -> AsyncIterator[Any]:
        """The chunks of a stream produced on the runtime's loop (``_produce(*args)``), in this loop."""
        runtime = self._runtime()
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[Any] = asyncio.Queue()

        def deliver(item: Any) -> None:
            loop.call_soon_threadsafe(chunks.put_nowait, item)

        future = runtime.submit(self._produce(runtime, deliver, *args))
        try:
            while (item := await chunks.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            future.cancel()

    def astream_events(self, input: Any, config: Config | None = None, *, version: str = "v2", **kwargs: Any) -> AsyncIterator[Any]:
        """Not offered yet: refused with what to use instead.

        LangGraph's v2 events report every LangChain run inside the graph
        (chains, tools, models: start, stream and end); graphcompat streams
        node updates, model tokens and custom data, which cover what chat
        products show.
        """
        raise errors.NotSupportedError(
            "astream_events is not supported by graphcompat yet (its v2 events follow every LangChain run inside "
            "the nodes); stream with graph.astream(input, config, stream_mode=['updates', 'messages', 'custom']) "
            "for node updates, model tokens and custom data."
        )

    def _stream_modes(self, stream_mode: str | Sequence[str] | None) -> list[str]:
        modes = [stream_mode or self.stream_mode] if stream_mode is None or isinstance(stream_mode, str) else list(stream_mode)
        for mode in modes:
            if mode not in STREAM_MODES:
                raise errors.ConfigurationError(
                    f"stream_mode {mode!r} is not a stream mode; use one of {', '.join(map(repr, STREAM_MODES))} "
                    "or a list of them."
                )
        if not modes:
            raise errors.ConfigurationError(f"stream_mode is an empty list; name at least one of {', '.join(map(repr, STREAM_MODES))}.")
        return modes

    async def _attach(self, runtime: Runtime, run: RunInput, live: list[str]) -> tuple[Any, RunInput, CheckpointRecord | None, int]:
        """The thread's latest run: its handle, the input it started with (streaming ``live``),
        the checkpoint it started from and the chunk position its stream starts after."""
        from temporalio.service import RPCError, RPCStatusCode

        client = await runtime.client()
        workflow_id = workflow_id_for(run.thread_id, run.checkpoint_ns)
        handle = client.get_workflow_handle(workflow_id, result_type=RunResult)
        try:
            description = await handle.describe()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            raise errors.UnknownThreadError(
                f"Thread {run.thread_id!r} has no run to join (Temporal knows no workflow {workflow_id!r}); "
                "start one with graph.stream(input, config).",
                thread_id=run.thread_id,
            ) from None
        first_run = description.raw_description.workflow_execution_info.first_run_id or description.run_id
        first = client.get_workflow_handle(workflow_id, run_id=first_run)
        started: RunInput | None = None
        async for event in first.fetch_history_events():
            attrs = event.workflow_execution_started_event_attributes
            (started,) = await client.data_converter.decode(attrs.input.payloads, [RunInput])
            break
        if started is None:
            raise errors.ThreadBusyError(
                f"Thread {run.thread_id!r} has a run in flight whose start could not be read; wait for it to finish.",
                thread_id=run.thread_id,
                workflow_id=workflow_id,
            )
        cursor = await self.store.astream_head(run.thread_id) if started.stream_modes else 0
        if started.stream_modes:
            after = 0
            while page := await self.store.aget_stream_chunks(run.thread_id, after=after):
                for chunk in page:
                    if (chunk.value or {}).get("mode") == _chunks.RUN_MARK and chunk.value.get("run") == first_run:
                        cursor = chunk.seq
                after = page[-1].seq
        missing = [m for m in live if m not in started.stream_modes]
        if missing:
            log.warning(
                "graphcompat: the run on thread %r was started without stream mode(s) %s; their chunks were not "
                "recorded", run.thread_id, ", ".join(missing),
            )
        head = None
        if started.last_checkpoint_id:
            head = await self.store.aget_checkpoint(run.thread_id, run.checkpoint_ns, started.last_checkpoint_id)
        return handle, dataclasses.replace(started, stream_modes=live), head, cursor

    async def _stream(
        self,
        runtime: Runtime,
        input: Any,
        config: Config | None,
        stream_mode: str | Sequence[str] | None,
        interrupt_before: Sequence[str] | None,
        interrupt_after: Sequence[str] | None,
        poll_interval: float,
        subgraphs: bool = False,
        join: bool = False,
        context: Any = None,
    ) -> AsyncIterator[Any]:
        modes = self._stream_modes(stream_mode)
        live = [m for m in LIVE_MODES if m in modes]
        run = self._run_input(input, config, interrupt_before, interrupt_after, context)
        run = dataclasses.replace(run, stream_modes=live)
        latest = await self.store.aget_checkpoint(run.thread_id, run.checkpoint_ns)
        if not join:
            self._check_resumable(run, latest)
        handle: Any = None
        if not join:
            cursor = await self.store.astream_head(run.thread_id) if live else 0
            try:
                handle = await self._start(runtime, run, latest)
                runtime.started_runs.append((handle.id, handle.first_execution_run_id or ""))
                head = latest
            except errors.ThreadBusyError:
                if run.mode != RunMode.RESUME:
                    raise
        if handle is None:  # join_stream, or stream(None, config) on a busy thread: follow that run from its start
            handle, run, head, cursor = await self._attach(runtime, run, live)
        follower = RunFollower(self.store, run.thread_id, run.checkpoint_ns, chunks=bool(live), after=cursor)
        follower.skip_through(head)
        # subgraphs=True: the subgraphs' checkpoints too, each inside the parent step that ran it
        tree = SubgraphFollower(self.store, run.thread_id, self._children_of, ns=run.checkpoint_ns) if subgraphs else None
        resumed = await tree.aseed(head) if tree is not None and run.mode in (RunMode.RESUME, RunMode.COMMAND) else []
        seen = await self._streamed_before(head)
        # LangGraph's values stream: a run that continues a checkpoint (invoke(None), Command(resume=...),
        # a replay) first yields that checkpoint's values; a run with input starts with the state after
        # the input is applied (the input checkpoint itself is never streamed).
        start = None
        if run.mode in (RunMode.RESUME, RunMode.COMMAND, RunMode.REPLAY):
            start = head
            if run.mode == RunMode.REPLAY and run.checkpoint_id:
                start = await self.store.aget_checkpoint(run.thread_id, run.checkpoint_ns, run.checkpoint_id)
        waiter = asyncio.ensure_future(_result(handle, run.thread_id))  # rides out a Temporal outage, as invoke does
        several = len(modes) > 1

        def emit(mode: str, chunk: Any, ns: tuple[str, ...] = ()) -> Any:
            if subgraphs:
                return (ns, mode, chunk) if several else (ns, chunk)
            return (mode, chunk) if several else chunk

        emitter = StreamEmitter(self.engine, modes, emit, values=self._values_chunk, skip=_SKIP)
        emitter.seed(head)
        emitters = {run.checkpoint_ns: emitter}

        def emitter_at(ns: str) -> StreamEmitter:
            """The emitter of a subgraph's checkpoints: its own engine, its namespace on every chunk."""
            if ns not in emitters:
                graph = self._graph_at(ns)
                path = tuple(ns.split("|"))

                def emit_in(mode: str, chunk: Any, at: tuple[str, ...] = path) -> Any:
                    return emit(mode, chunk, at)

                emitters[ns] = StreamEmitter(graph.engine, modes, emit_in, values=graph._values_chunk, skip=_SKIP)
            return emitters[ns]
        if start is not None:
            # with a Command(update=...) applied, as the continued checkpoint's tasks will see it
            writes = await self.store.aget_writes(start.thread_id, start.checkpoint_ns, start.checkpoint_id)
            given = list(run.input.items()) if run.mode == RunMode.COMMAND and run.input else []
            update = command_update(writes) or given
            shown = start
            if update:
                shown = dataclasses.replace(start, channel_values=self.engine.with_update(start.channel_values, update))
            opening = emitter.opening(start, self._stream_values(shown), writes, runs_tasks=run.mode != RunMode.REPLAY)
            for chunk in opening:
                yield chunk
            for sub in resumed:  # a resumed subgraph opens the same way, in its namespace
                graph = self._graph_at(sub.checkpoint_ns)
                sub_writes = await self.store.aget_writes(sub.thread_id, sub.checkpoint_ns, sub.checkpoint_id)
                for chunk in emitter_at(sub.checkpoint_ns).opening(sub, graph._stream_values(sub), sub_writes, runs_tasks=True):
                    yield chunk

        def build(items: list[Any], updates: dict[str, list[Any]]) -> list[Any]:
            return [
                chunk
                for item in items
                for chunk in (emitter if isinstance(item, StreamChunk) else emitter_at(item.checkpoint_ns)).item(item, subgraphs, updates)
            ]

        current = [head]  # the newest record seen: the step that runs now
        newest: dict[str, CheckpointRecord] = {}  # a subgraph namespace's newest record seen

        async def drain(final: bool = False) -> AsyncIterator[Any]:
            items = await follower.apoll(final=final, arrange=tree.arrange if tree is not None else None)
            updates: dict[str, list[Any]] = {}
            for item in items:
                if isinstance(item, CheckpointRecord):
                    if item.checkpoint_ns == run.checkpoint_ns:
                        previous, current[0] = current[0], item
                    else:
                        previous, newest[item.checkpoint_ns] = newest.get(item.checkpoint_ns), item
                    if "updates" in modes and item.source == "loop":  # @task results read from the store
                        parent = previous if previous is not None and previous.checkpoint_id == item.parent_checkpoint_id else None
                        graph = self._graph_at(item.checkpoint_ns) if item.checkpoint_ns != run.checkpoint_ns else self
                        updates[item.checkpoint_id] = await graph._updates_chunks(item, seen, parent)
            # Many items (a burst of tokens) are decoded in a thread: this loop is shared with the
            # in-process worker, whose heartbeats must not wait for them.
            if len(items) < OFF_LOOP_ITEMS:
                chunks = build(items, updates)
            else:
                chunks = await asyncio.to_thread(build, items, updates)
            for chunk in chunks:
                yield chunk
            if "updates" in modes and current[0] is not None and current[0].next_tasks and not waiter.done():
                for chunk in await self._updates_in_step(current[0], seen):
                    yield emit("updates", chunk)

        try:
            while not waiter.done():
                async for chunk in drain():
                    yield chunk
                await asyncio.wait({waiter}, timeout=poll_interval)
            async for chunk in drain(final=True):
                yield chunk
            try:
                result: RunResult = waiter.result()
            except WorkflowFailureError as failure:
                record = await self.store.aget_checkpoint(run.thread_id, run.checkpoint_ns)
                if record is not None and ("tasks" in modes or "debug" in modes):
                    writes = await self.store.aget_writes(record.thread_id, record.checkpoint_ns, record.checkpoint_id)
                    for chunk in emitter.unfinished(record, writes):
                        yield chunk
                raise self._failure(failure, run) from None
            if result.status == RunStatus.INTERRUPTED:
                record = await self.store.aget_checkpoint(run.thread_id, run.checkpoint_ns, result.checkpoint_id)
                if record is not None:
                    snapshot = await self._snapshot(record, live=True)
                    # LangGraph's order at an interrupt: the updates chunk, then the values one, then the
                    # interrupted tasks' results.
                    for mode in [m for m in ("updates", "values") if m in modes]:
                        if mode == "updates":
                            for chunk in await self._updates_before_interrupt(record, seen):
                                yield emit(mode, chunk)
                            for ns in tree.waiting() if tree is not None else []:  # the subgraphs that stopped it
                                sub = await self.store.aget_checkpoint(run.thread_id, ns)
                                if sub is not None and (sub_snapshot := await self._snapshot(sub, live=True)).interrupts:
                                    yield emit(mode, {"__interrupt__": sub_snapshot.interrupts}, tuple(ns.split("|")))
                            yield emit(mode, {"__interrupt__": snapshot.interrupts})
                        elif snapshot.interrupts:
                            # interrupt() (not a breakpoint): LangGraph yields the live values with the interrupts
                            yield emit(mode, _with_interrupts(snapshot.values, snapshot.interrupts))
                    writes = await self.store.aget_writes(record.thread_id, record.checkpoint_ns, record.checkpoint_id)
                    for chunk in emitter.unfinished(record, writes):
                        yield chunk
        finally:
            if not waiter.done():
                waiter.cancel()
            else:
                await self._forget(run)

    # -- node cache -------------------------------------------------------------------

    def _cache_namespaces(self, nodes: Sequence[str] | None) -> list[str]:
        names = list(self.spec.nodes) if nodes is None else list(nodes)
        check_node_names(self.spec, names, "clear_cache: node")
        return [self.spec.nodes[n].cache_namespace for n in names if self.spec.nodes[n].cache_policy is not None]

    def clear_cache(self, nodes: Sequence[str] | None = None) -> None:
        """Forget the cached results of ``nodes`` (every node with a ``CachePolicy`` when None), as LangGraph."""
        self.store.clear_cache(self._cache_namespaces(nodes))

    async def aclear_cache(self, nodes: Sequence[str] | None = None) -> None:
        """Async twin of :meth:`clear_cache`."""
        await self.store.aclear_cache(self._cache_namespaces(nodes))

    # -- what a stream shows of a record (the functional API's entrypoint shows it its own way) --

    def _stream_values(self, record: CheckpointRecord) -> Any:
        """The state a ``values`` chunk shows for ``record``."""
        return _views.user_values(self.engine, record, record.channel_values)

    def _values_chunk(self, record: CheckpointRecord) -> Any:
        """The ``values`` chunk of a new loop or update record (``_SKIP``: none)."""
        return self._stream_values(record)

    async def _streamed_before(self, latest: CheckpointRecord | None) -> set[str]:
        """The ``@task`` results a stream that continues ``latest`` must not show again (LangGraph neither)."""
        if latest is None:
            return set()
        rows = await self.store.aget_writes(latest.thread_id, latest.checkpoint_ns, latest.checkpoint_id)
        return {row.task_id for row in call_rows(rows)}

    async def _task_chunks(self, record: CheckpointRecord, checkpoint_id: str, seen: set[str]) -> list[Any]:
        """``{task_name: result}`` for each ``@task`` call saved against the checkpoint and not shown yet, in call order."""
        rows = await self.store.aget_writes(record.thread_id, record.checkpoint_ns, checkpoint_id)
        fresh = [r for r in call_rows(rows) if r.task_id not in seen]
        seen.update(r.task_id for r in fresh)
        cached = {r.task_id.removeprefix(f"{CALL_CACHED}:") for r in rows if r.channel == CALL_CACHED}
        return [
            {row.task_name: load_value(row.value), **({"__metadata__": {"cached": True}} if row.task_id in cached else {})}
            for row in fresh
        ]

    def _node_updates(self, record: CheckpointRecord, parent: CheckpointRecord | None) -> list[Any]:
        """The ``updates`` chunks of the super-step that wrote ``record``: ``{node: update}`` for each
        task, as LangGraph streams them (one chunk per task, Sends of one node included), in the
        engine's order; ``parent`` is the checkpoint the step ran from."""
        load = self.engine.schema.load_values
        if parent is None:  # not in the store any more (pruned): one chunk per node
            writes = record.metadata.get("writes") or {}
            pairs = [(name, value) for name, value in writes.items() if name != START]
        else:
            pairs = [(task.name, value) for task, value in _views.task_updates(parent, record)]
        return [{name: load(value) if isinstance(value, dict) else value} for name, value in pairs]

    def _children_of(self, record: CheckpointRecord) -> list[str]:
        """The namespaces of the subgraphs the tasks of ``record`` run (``record`` of this graph or a subgraph)."""
        graph = self._graph_at(record.checkpoint_ns)
        return [ns for task in record_tasks(record) if (ns := _child_ns(graph, record, task)) is not None]

    async def _updates_chunks(self, record: CheckpointRecord, seen: set[str], parent: CheckpointRecord | None) -> list[Any]:
        """The ``updates`` chunks of a new loop record: the ``@task`` results of its
        super-step (as LangGraph streams a task called in a node), then one ``{node: update}`` per task."""
        if parent is None and record.parent_checkpoint_id:
            parent = await self.store.aget_checkpoint(record.thread_id, record.checkpoint_ns, record.parent_checkpoint_id)
        chunks = await self._task_chunks(record, record.parent_checkpoint_id, seen) if record.parent_checkpoint_id else []
        updates = self._node_updates(record, parent)
        cached = set(record.metadata.get("cached") or ())
        for update in updates:  # writes from the node cache are marked, as in LangGraph
            if cached & set(update):
                update["__metadata__"] = {"cached": True}
        return [*chunks, *updates]

    async def _updates_in_step(self, record: CheckpointRecord, seen: set[str]) -> list[Any]:
        """``updates`` chunks of work finished so far in the step running from ``record``, read on every
        poll. None for a graph: its ``@task`` results show when the step commits (one store read per
        step, not per poll); an entrypoint, one long step, shows them live."""
        return []

    async def _updates_before_interrupt(self, record: CheckpointRecord, seen: set[str]) -> list[Any]:
        """``updates`` chunks of work finished in the interrupted step: its ``@task`` results."""
        return await self._task_chunks(record, record.checkpoint_id, seen)

    async def adraw_history_mermaid(self, config: Config) -> str:
        """Async twin of :meth:`draw_history_mermaid`."""
        from graphcompat._history_drawing import draw_history_mermaid

        return draw_history_mermaid([s async for s in self.aget_state_history(config)])

    def draw_history_mermaid(self, config: Config) -> str:
        """A Mermaid flowchart of the thread's checkpoint tree: steps, sources, branches (forks)."""
        from graphcompat._history_drawing import draw_history_mermaid

        return draw_history_mermaid(list(self.get_state_history(config)))

    async def aget_graph(self, config: Config | None = None, *, xray: bool | int = False) -> Any:
        """Async twin of :meth:`get_graph`."""
        return self.get_graph(config, xray=xray)

    def get_graph(self, config: Config | None = None, *, xray: bool | int = False) -> Any:
        """The graph's nodes and edges (``.draw_mermaid()``); ``xray`` opens subgraph nodes."""
        from graphcompat.graph._drawing import DrawableGraph

        return DrawableGraph(self.spec, xray=xray)


def _child_namespaces(snap: StateSnapshot) -> list[str]:
    """The namespaces of the subgraphs the tasks of ``snap`` run (their ``state`` is the subgraph's config)."""
    return [t.state["configurable"]["checkpoint_ns"] for t in snap.tasks if isinstance(t.state, Mapping)]


def _with_children(snap: StateSnapshot, children: Mapping[str, StateSnapshot | None]) -> StateSnapshot:
    """``snap`` with each subgraph task's ``state`` replaced by the subgraph's snapshot (empty before it ran)."""
    tasks = []
    for task in snap.tasks:
        if isinstance(task.state, Mapping):
            child = children.get(task.state["configurable"]["checkpoint_ns"])
            task = task._replace(state=child if child is not None else StateSnapshot({}, (), task.state, None, None, None, ()))
        tasks.append(task)
    return snap._replace(tasks=tuple(tasks))


def _child_ns(graph: CompiledStateGraph, record: CheckpointRecord, task: Any) -> str | None:
    """The namespace of the subgraph run by ``task`` of ``record`` (None: the node runs no subgraph)."""
    node = graph.spec.nodes.get(task.name)
    child = find_subgraph(node) if node is not None else None
    if child is None:
        return None
    return _subgraph.child_namespace(record.checkpoint_ns, task.name, task.id, own_memory=child.own_memory)


def find_subgraph(node: NodeSpec) -> CompiledStateGraph | None:
    """The compiled graph a node runs: the one added as the node, or one its function refers to.

    LangGraph finds the subgraphs of plain functions the same way (the names
    the function's code uses), so ``get_state(subgraphs=True)`` and namespaced
    configs work for a graph invoked from inside a node too.
    """
    if isinstance(node.subgraph, CompiledStateGraph):
        return node.subgraph
    fn = getattr(node.fn, "__func__", node.fn)
    try:
        names = inspect.getclosurevars(fn)
    except (TypeError, ValueError):
        return None
    for value in [*names.nonlocals.values(), *names.globals.values()]:
        if isinstance(value, CompiledStateGraph):
            return value
    return None


def subgraph_at(graph: CompiledStateGraph, ns: str) -> CompiledStateGraph:
    """The subgraph that owns namespace ``ns`` under ``graph`` (nested namespaces walk down)."""
    current_graph = graph
    for name in _subgraph.ns_nodes(ns):
        node = current_graph.spec.nodes.get(name)
        child = find_subgraph(node) if node is not None else None
        if child is None:
            raise errors.ConfigurationError(
                f"checkpoint_ns {ns!r} names node {name!r}, which is not a subgraph node of graph "
                f"{current_graph.name!r}; take namespaces from get_state(config, subgraphs=True).tasks[i].state.",
                checkpoint_ns=ns,
            )
        current_graph = child
    return current_graph
