"""Payloads between the client, the workflow and the activities.

Small dataclasses of JSON data, typed: run modes and statuses are enums,
tasks travel as :class:`TaskRef` and results as the engine's ``TaskResult``
(the pydantic data converter checks and rebuilds them from the type hints).
Invariant 3 shows here: node inputs carry the thread, the checkpoint id and
the task, never the state; results carry only the task's writes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from graphcompat.checkpoint._layout import TaskKind, TaskResult, TaskSpec
from graphcompat.engine._run import RunMode, RunStatus
from graphcompat.engine._spec import NodePlan

__all__ = [
    "COMMIT_STEP",
    "RUN_CALL",
    "SAVE_CALLS",
    "CallInput",
    "CallResult",
    "SaveCallsInput",
    "CONFIGURABLE_REF",
    "MAX_PAYLOAD_BYTES",
    "NODE_TIMEOUT_MARGIN_S",
    "NODE_ERROR",
    "RUN_NODE",
    "SAVE_WRITES",
    "SEARCH_ATTRIBUTES",
    "START_RUN",
    "UPDATE_STATE",
    "WORKFLOW_NAME",
    "CommitInput",
    "CommitResult",
    "NodeInput",
    "NodePlan",
    "RunInput",
    "RunMode",
    "RunResult",
    "RunStatus",
    "SaveWritesInput",
    "StartInput",
    "StartResult",
    "TaskError",
    "TaskRef",
    "TaskResult",
    "UpdateInput",
    "workflow_id_for",
]

WORKFLOW_NAME = "graphcompat.GraphRun"
START_RUN = "graphcompat.start_run"
RUN_NODE = "graphcompat.run_node"
COMMIT_STEP = "graphcompat.commit_step"
SAVE_WRITES = "graphcompat.save_writes"
UPDATE_STATE = "graphcompat.update_state"
RUN_CALL = "graphcompat.run_call"
SAVE_CALLS = "graphcompat.save_calls"

#: Custom search attributes: find runs by thread or graph in the Web UI
#: (``GraphThreadId = "t1"``). Registered by the embedded dev server and by
#: the compose setup; skipped on servers that do not have them.
SEARCH_ATTRIBUTES = {"GraphThreadId": "Keyword", "GraphName": "Keyword", "GraphStep": "Int"}

#: The node error marker in ApplicationError details.
NODE_ERROR = "graphcompat.node_error"

#: Temporal refuses payloads over 2 MB by default; refuse a little earlier with a
#: clear message (a node's result, the input that starts a run, an update).
MAX_PAYLOAD_BYTES = 1_800_000

#: The key of a run's wire config (``RunInput.config`` and the activities' ``config``)
#: that replaces ``configurable``: the reference of the values the client stored
#: with the run (``checkpoint._layout.run_args_rows``). Configurable values are
#: often secrets (API keys); they never travel through workflow history.
CONFIGURABLE_REF = "configurable_ref"

#: Temporal's server refuses workflow ids longer than this (``limit.maxIDLength``,
#: 1000 bytes by default); ``workflow_id_for`` must stay within it.
MAX_WORKFLOW_ID_BYTES = 1000

#: A node attempt's Temporal start-to-close timeout is its own timeout plus this:
#: the activity raises NodeTimeoutError first; the margin only catches a stuck worker.
NODE_TIMEOUT_MARGIN_S = 30.0


def _escape(part: str) -> str:
    return part.replace("%", "%25").replace("/", "%2F")


def workflow_id_for(thread_id: str, checkpoint_ns: str = "") -> str:
    """One workflow id per thread and namespace: Temporal itself then refuses a second concurrent run.

    ``/`` separates the namespace, so it is escaped inside both parts (and ``%``,
    the escape): thread ``a/b`` and thread ``a`` in namespace ``b`` are different
    workflows. Ids without those characters read as they are.
    """
    suffix = f"/{_escape(checkpoint_ns)}" if checkpoint_ns else ""
    return f"graphcompat-thread:{_escape(thread_id)}{suffix}"


@dataclasses.dataclass(frozen=True)
class TaskRef:
    """A task as the workflow sees it: which node, which kind. Its arguments (the
    input, a ``Send`` payload) stay in the stored checkpoint (invariant 3)."""

    id: str
    name: str
    kind: str = TaskKind.PULL

    @classmethod
    def of(cls, task: TaskSpec) -> TaskRef:
        return cls(task.id, task.name, task.kind)


@dataclasses.dataclass(frozen=True)
class TaskError:
    """A task that failed in a super-step: the failure's type, message and details."""

    task_id: str
    name: str
    info: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class RunInput:
    graph_key: str
    thread_id: str
    checkpoint_ns: str = ""
    mode: RunMode = RunMode.INPUT
    input: Any = None
    checkpoint_id: str | None = None
    resume: Any = None
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    interrupt_before: list[str] = dataclasses.field(default_factory=list)
    interrupt_after: list[str] = dataclasses.field(default_factory=list)
    recursion_limit: int = 25
    steps_done: int = 0
    skip_interrupt_before: bool = False
    node_timeout_s: float = 600.0
    heartbeat_timeout_s: float = 2.0
    last_checkpoint_id: str | None = None
    graph_name: str = ""
    #: Attempts of a store operation (local activity) before the run fails; 0: no limit
    store_attempts: int = 0
    #: mode "update": the update_state call (values as JSON, None to skip)
    update_values: Any = None
    update_skip: bool = False
    as_node: str | None = None
    #: Live stream modes the caller reads (``custom``, ``messages``): node activities
    #: write those chunks to the store; with none, nodes stream nothing (``invoke``).
    stream_modes: list[str] = dataclasses.field(default_factory=list)
    #: A subgraph run: ``{parent checkpoint_ns: parent checkpoint_id}`` of every enclosing graph
    #: (LangGraph's ``metadata["parents"]``), written on the checkpoint the run opens with.
    parents: dict[str, str] = dataclasses.field(default_factory=dict)
    #: ``invoke(..., context=...)`` as JSON (coerced to the context schema first); every node
    #: task carries it, and the worker rebuilds it (``Engine.load_context``) for ``Runtime.context``
    context: Any = None


#: Thread ids of runs of a graph without a checkpointer (nothing outlives the call); not the caller's.
EPHEMERAL_THREAD_PREFIX = "ephemeral-"


@dataclasses.dataclass(frozen=True)
class RunResult:
    status: RunStatus
    checkpoint_id: str
    step: int


@dataclasses.dataclass(frozen=True)
class StartInput:
    graph_key: str
    thread_id: str
    checkpoint_ns: str
    mode: RunMode
    input: Any
    checkpoint_id: str | None
    resume: Any
    new_checkpoint_id: str
    created_at: str
    #: The run streams live chunks: write its start marker (see ``graphcompat._chunks``)
    stream_modes: list[str] = dataclasses.field(default_factory=list)
    #: The run's first execution id, the same across continue-as-new
    run_key: str = ""
    parents: dict[str, str] = dataclasses.field(default_factory=dict)
    #: The thread's newest checkpoint when the caller started the run (``RunInput.last_checkpoint_id``)
    last_checkpoint_id: str | None = None


@dataclasses.dataclass(frozen=True)
class StartResult:
    checkpoint_id: str
    step: int
    tasks: list[TaskRef]
    done: list[str]
    plan: dict[str, NodePlan]
    #: True when the run continues an existing checkpoint (no new input, no fork copy)
    resumed: bool = False
    #: The thread's newest checkpoint as the opening found it: the run's next ids come after it
    head_checkpoint_id: str | None = None


@dataclasses.dataclass(frozen=True)
class NodeInput:
    graph_key: str
    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    step: int
    task: TaskRef
    config: dict[str, Any]
    #: True when resume values may be stored for this task (a Command(resume=...) run)
    resume: bool = False
    #: One attempt's limit, enforced in the activity as the node's own failure (NodeTimeoutError)
    timeout_s: float | None = None
    #: True when results of the node's ``@task`` calls may be saved (a re-run after calls, a resumed run)
    calls: bool = False
    #: ``{call_id: error}`` of the node's ``@task`` calls that failed in this run (type, message, details)
    call_errors: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    #: Live stream modes to write while the node runs (``RunInput.stream_modes``)
    stream_modes: list[str] = dataclasses.field(default_factory=list)
    #: The run's context as JSON (``RunInput.context``)
    context: Any = None


@dataclasses.dataclass(frozen=True)
class CommitInput:
    graph_key: str
    thread_id: str
    checkpoint_ns: str
    parent_checkpoint_id: str
    new_checkpoint_id: str
    created_at: str
    results: list[TaskResult]
    config: dict[str, Any]
    #: True when tasks of this step completed in an earlier attempt (their writes are in the store)
    load_pending: bool = False
    #: The run's context as JSON, for START's conditional edges (``RunInput.context``)
    context: Any = None


@dataclasses.dataclass(frozen=True)
class CommitResult:
    checkpoint_id: str
    step: int
    tasks: list[TaskRef]


@dataclasses.dataclass(frozen=True)
class UpdateInput:
    graph_key: str
    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str | None
    values: Any
    skip: bool
    as_node: str | None
    new_checkpoint_id: str
    created_at: str
    config: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class SaveWritesInput:
    graph_key: str
    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    results: list[TaskResult]
    errors: list[TaskError]


@dataclasses.dataclass(frozen=True)
class CallInput:
    """One ``@task`` call a node submitted: run it as its own activity.

    ``call`` is what ``_calls.submit`` recorded: id, task name and registry
    key, position, arguments as JSON, retry plan.
    """

    graph_key: str
    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    node: TaskRef
    call: dict[str, Any]
    config: dict[str, Any]
    timeout_s: float | None = None
    #: Live stream modes to write while the task runs (``RunInput.stream_modes``)
    stream_modes: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class CallResult:
    """A finished ``@task`` call: its result as JSON, or the interrupts it raised."""

    call_id: str
    name: str
    index: int
    value: Any = None
    interrupts: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #: The result came from the cache (the task's ``CachePolicy``): the task did not run.
    cached: bool = False


@dataclasses.dataclass(frozen=True)
class SaveCallsInput:
    graph_key: str
    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    results: list[CallResult]
