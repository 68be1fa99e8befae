"""Subgraphs: a compiled graph run from inside a parent's node, as a durable run of its own.

LangGraph runs a subgraph inside the parent's task, whether the subgraph was
added as a node (``add_node("sub", compiled)``) or is invoked by a node's own
code (``subgraph.invoke(mapped_input)``). graphcompat keeps that shape, with
one mechanism for both forms:

- The parent's node activity (``GraphActivities.run_node``) opens a
  :class:`ParentTask` scope around the node. ``CompiledStateGraph.invoke``
  called inside that scope does not start a thread of its own: it calls
  :func:`run_child`.
- :func:`run_child` starts the subgraph's ``GraphRun`` workflow through the
  worker's client, on the parent's task queue, under the parent's thread and
  the namespace ``parent_ns|node:task_id`` (LangGraph's ``checkpoint_ns``),
  with the workflow id ``workflow_id_for(thread_id, ns)``, and awaits it. Its
  checkpoints go to the root graph's store in that namespace: the registry
  key ``child_key@@root_key`` binds the subgraph's spec to the root's store
  (``GraphRegistry.find``).
- Durability: the namespace is derived from the parent's deterministic task
  id, so a retried parent activity (killed worker, lost heartbeat) finds the
  subgraph's own checkpoints and *resumes* them (a run still in flight is
  attached to: ``WorkflowIDConflictPolicy.USE_EXISTING``); finished subgraph
  nodes are never run again, a finished subgraph returns its final state.
- Interrupts inside the subgraph end its run; :func:`run_child` raises
  :class:`SubgraphInterrupt`, which the engine records as the parent task's
  interrupts (the subgraph's ids and values). ``Command(resume=...)`` on the
  parent re-runs the parent task; its resume value answers the subgraph's
  pending interrupt (a ``COMMAND`` run of the subgraph).

Why not a Temporal child workflow started by the parent's workflow: the
subgraph's input is produced by user code (the parent's node, or at least the
mapping of its state) and its output is consumed by user code, in the middle
of one Python function; a workflow cannot run that code (invariant 1), and
splitting a node function around its ``invoke`` call is impossible. Starting
the run from the activity keeps every LangGraph semantic (the node's code runs
once per attempt, around the subgraph's result) and still gives each subgraph
run its own workflow history (linked to its parent's by memo and by the
shared ``GraphThreadId`` search attribute).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import uuid
from collections.abc import Callable, Coroutine, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from graphcompat._interrupts import SubgraphInterrupt
from graphcompat._registry import SUB_SEP
from graphcompat.checkpoint._layout import BREAKPOINT, record_tasks, resume_rows, task_states

if TYPE_CHECKING:
    from graphcompat.checkpoint.base import BaseCheckpointSaver
    from graphcompat.engine import Engine

__all__ = [
    "ParentTask",
    "call_sync",
    "child_namespace",
    "current",
    "parent_scope",
    "ns_nodes",
    "run_child",
    "subgraph_key",
]

#: LangGraph's separators inside ``checkpoint_ns``: ``node:task_id|node:task_id``.
NS_SEP = "|"
NS_END = ":"

T = TypeVar("T")

_NS_CALLS = uuid.UUID("3f1d2c4b-8a9e-4c7d-b6a5-0e1f2d3c4b5a")


class _Graph(Protocol):
    """What :func:`run_child` needs of a ``CompiledStateGraph`` (which imports this module)."""

    @property
    def name(self) -> str: ...

    @property
    def own_memory(self) -> bool: ...

    @property
    def graph_key(self) -> str: ...

    @property
    def engine(self) -> Engine: ...

    def _run_input(self, input: Any, config: Any, interrupt_before: Any, interrupt_after: Any) -> Any: ...

    def _failure(self, failure: Any, run: Any) -> BaseException: ...


@dataclasses.dataclass
class ParentTask:
    """The parent's node task a subgraph runs under (set by the node activity)."""

    client: Any
    task_queue: str
    graph_key: str
    store: BaseCheckpointSaver
    thread_id: str
    checkpoint_ns: str
    task_id: str
    task_name: str
    #: The parent's checkpoint the task runs from, and that checkpoint's own ``parents``.
    checkpoint_id: str
    parents: dict[str, str]
    #: Resume values given to the parent task (``Command(resume=...)``), oldest first.
    resume: list[Any]
    #: Ids of the interrupts the parent task waited at when it was resumed.
    answers: list[str]
    workflow_id: str = ""
    loop: asyncio.AbstractEventLoop | None = None
    calls: int = 0
    #: The live stream modes of the parent's run: the subgraph's nodes write their chunks too
    #: (under the subgraph's namespace; a ``subgraphs=True`` reader shows them).
    stream_modes: tuple[str, ...] = ()

    @property
    def root_key(self) -> str:
        return self.graph_key.split(SUB_SEP)[-1]


_current: contextvars.ContextVar[ParentTask | None] = contextvars.ContextVar("graphcompat_parent_task", default=None)


def current() -> ParentTask | None:
    """The parent task this code runs in, or None outside a node activity."""
    return _current.get()


@contextlib.contextmanager
def parent_scope(task: ParentTask) -> Iterator[None]:
    token = _current.set(task)
    try:
        yield
    finally:
        _current.reset(token)


def child_namespace(parent_ns: str, node: str, task_id: str, *, own_memory: bool = False) -> str:
    """LangGraph's ``checkpoint_ns`` of a subgraph run by task ``task_id`` of node ``node``.

    ``own_memory`` (``compile(checkpointer=True)``): one namespace per node, whatever
    the task, so the subgraph's state carries over from call to call, as in LangGraph.
    """
    part = node if own_memory else f"{node}{NS_END}{task_id}"
    return f"{parent_ns}{NS_SEP}{part}" if parent_ns else part


def subgraph_key(graph_key: str, root_key: str) -> str:
    """The registry key of a subgraph run: its own graph, on the root graph's store."""
    return f"{graph_key.split(SUB_SEP)[0]}{SUB_SEP}{root_key.split(SUB_SEP)[-1]}"


def ns_nodes(ns: str) -> list[str]:
    """The node names along a namespace: ``a:1|b:2`` → ``["a", "b"]``."""
    return [part.split(NS_END, 1)[0] for part in ns.split(NS_SEP) if part]


async def _waiting_ids(store: BaseCheckpointSaver, thread_id: str, ns: str, head: Any) -> set[str]:
    writes = await store.aget_writes(thread_id, ns, head.checkpoint_id)
    states = task_states(writes)
    ids: set[str] = set()
    for task in record_tasks(head):
        state = states.get(task.id)
        if state is not None and state.result is None and state.error is None:
            ids.update(str(i.get("id")) for i in state.interrupts)
    return ids


async def run_child(graph: _Graph, input: Any, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Run ``graph`` as a subgraph of the current parent task; return its final values.

    The first run starts from ``input``; a retried or resumed parent task
    continues the subgraph's stored checkpoints instead (LangGraph: a
    resuming subgraph ignores its input).
    """
    from temporalio.client import WorkflowFailureError
    from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

    from graphcompat import _settings, _views
    from graphcompat._search_attributes import has_search_attributes, run_attributes
    from graphcompat._wire import WORKFLOW_NAME, RunMode, RunResult, RunStatus, workflow_id_for

    parent = current()
    assert parent is not None
    if parent.client is None:
        from graphcompat.errors import ConfigurationError

        raise ConfigurationError(
            f"Node {parent.task_name!r} runs subgraph {graph.name!r}, which starts its own run through the worker's "
            "Temporal client, and this activity has none (an ActivityEnvironment without client=...). Run the graph "
            "on a worker, or pass a client to the ActivityEnvironment."
        )
    parent.calls += 1
    parents = {**parent.parents, parent.checkpoint_ns: parent.checkpoint_id}
    task_id = parent.task_id if parent.calls == 1 else str(uuid.uuid5(_NS_CALLS, f"{parent.task_id}|{parent.calls}"))
    ns = child_namespace(parent.checkpoint_ns, parent.task_name, task_id, own_memory=graph.own_memory)
    store = parent.store
    head = await store.aget_checkpoint(parent.thread_id, ns)
    # This parent task ran the subgraph before (a retried activity, a resumed parent): continue
    # it. A namespace shared across tasks (own memory) only counts under the same parent checkpoint.
    again = head is not None and (not graph.own_memory or dict(head.metadata.get("parents") or {}) == parents)
    run = graph._run_input(None if again else input, _child_config(config, parent.thread_id), None, None)
    mode, payload, resume = (RunMode.RESUME, None, None) if again else (RunMode.INPUT, run.input, None)
    if again and head is not None and parent.resume:
        waiting = await _waiting_ids(store, parent.thread_id, ns, head)
        answered = [i for i in parent.answers if i in waiting]
        value = graph.engine.schema.dump("__resume__", parent.resume[-1], where="Command(resume=...)")
        if answered:
            mode, resume = RunMode.COMMAND, value if len(answered) == 1 else {i: value for i in answered}
        elif parent.answers and not waiting and head.source == "update" and len(head.next_tasks) == 1:
            # The subgraph's state was changed (update_state on its config) after it stopped at the
            # interrupt the parent was resumed for: as in LangGraph, the answer goes to the first
            # interrupt() of its next step. Stored like any resume value (idempotent, by index).
            task = record_tasks(head)[0]
            rows = resume_rows({}, {task.id: (task.name, value)})
            await store.aput_writes(parent.thread_id, ns, head.checkpoint_id, rows)
            mode, resume = RunMode.COMMAND, value
    run = dataclasses.replace(
        run,
        graph_key=subgraph_key(graph.graph_key, parent.root_key),
        thread_id=parent.thread_id,
        checkpoint_ns=ns,
        mode=mode,
        input=payload,
        resume=resume,
        checkpoint_id=None,
        parents=parents,
        last_checkpoint_id=head.checkpoint_id if head is not None else None,
        store_attempts=_settings.store_retry_attempts(),
        stream_modes=list(parent.stream_modes),
    )
    workflow_id = workflow_id_for(parent.thread_id, ns)
    memo = {"parent_workflow_id": parent.workflow_id, "checkpoint_ns": ns}
    if head is not None:  # the namespace's earlier run (interrupted, failed): linked, for the UI and replay
        previous = await _previous_run(parent.client, workflow_id)
        if previous:
            memo["previous_run_id"] = previous
    handle = await parent.client.start_workflow(
        WORKFLOW_NAME,
        run,
        id=workflow_id,
        task_queue=parent.task_queue,
        result_type=RunResult,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        memo=memo,
        static_summary=f"{graph.name} · subgraph of {parent.task_name} · thread {parent.thread_id} · {mode}",
        static_details=f"subgraph `{graph.name}` in namespace `{ns}` of workflow `{parent.workflow_id}`",
        # the parent's GraphThreadId: one Web UI query lists a thread's runs and its subgraphs'
        search_attributes=run_attributes(parent.thread_id, graph.name) if await has_search_attributes(parent.client) else None,
    )
    # A plain handle to wait on: the activity waits for the run; it must not make a
    # time-skipping test server skip time meanwhile (its start handle would).
    waiting = parent.client.get_workflow_handle(workflow_id, run_id=handle.result_run_id, result_type=RunResult)
    try:
        result: RunResult = await waiting.result()
    except WorkflowFailureError as failure:
        raise graph._failure(failure, run) from None
    record = await store.aget_checkpoint(parent.thread_id, ns, result.checkpoint_id)
    assert record is not None
    if result.status == RunStatus.INTERRUPTED:
        writes = await store.aget_writes(parent.thread_id, ns, record.checkpoint_id)
        snap = _views.snapshot(graph.engine, record, writes, live=True)
        interrupts = [
            {"id": i.id, "value": graph.engine.schema.dump("__interrupt__", i.value, where="interrupt()"), "index": len(parent.resume)}
            for i in snap.interrupts
        ]
        if not interrupts:  # a breakpoint (interrupt_before/after) of the subgraph: the task waits, with no value
            interrupts = [{"id": f"breakpoint:{ns}:{record.checkpoint_id}", "value": None, "index": len(parent.resume), BREAKPOINT: True}]
        raise SubgraphInterrupt(interrupts)
    return graph._final_values(record)  # what the graph's own invoke returns (an entrypoint: its return value)


async def _previous_run(client: Any, workflow_id: str) -> str | None:
    """The run id of the namespace's last run when it has ended (a running one is attached to, not linked)."""
    from temporalio.client import WorkflowExecutionStatus
    from temporalio.service import RPCError

    try:
        described = await client.get_workflow_handle(workflow_id).describe()
    except RPCError:  # none yet (its runs may have been started elsewhere), or not visible: no link
        return None
    return None if described.status == WorkflowExecutionStatus.RUNNING else described.run_id


def _child_config(config: Mapping[str, Any] | None, thread_id: str) -> dict[str, Any]:
    """The subgraph's config: the node's, on the parent's thread (the run gets its namespace)."""
    config = dict(config or {})
    configurable = {
        k: v for k, v in dict(config.get("configurable") or {}).items() if k not in ("checkpoint_id", "checkpoint_ns")
    }
    configurable["thread_id"] = thread_id
    config["configurable"] = configurable
    config.pop("callbacks", None)
    return config


def call_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine ``make()`` on the node activity's event loop from a sync node's thread."""
    parent = current()
    assert parent is not None and parent.loop is not None
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is parent.loop:
        raise RuntimeError(
            "A subgraph's invoke() was called from an async node; use `await subgraph.ainvoke(...)` there."
        )
    return asyncio.run_coroutine_threadsafe(make(), parent.loop).result()
