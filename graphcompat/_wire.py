"""Payloads between the client, the workflow and the activities.

Plain dataclasses of JSON data. Invariant 3 shows here: node inputs carry the
thread, the checkpoint id and the task, never the state; results carry only
the task's writes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

WORKFLOW_NAME = "graphcompat.GraphRun"
START_RUN = "graphcompat.start_run"
RUN_NODE = "graphcompat.run_node"
COMMIT_STEP = "graphcompat.commit_step"
SAVE_WRITES = "graphcompat.save_writes"
UPDATE_STATE = "graphcompat.update_state"

#: Custom search attributes: find runs by thread or graph in the Web UI
#: (``GraphThreadId = "t1"``). Registered by the embedded dev server and by
#: the compose setup; skipped on servers that do not have them.
SEARCH_ATTRIBUTES = {"GraphThreadId": "Keyword", "GraphName": "Keyword", "GraphStep": "Int"}

#: The node error marker in ApplicationError details.
NODE_ERROR = "graphcompat.node_error"


def workflow_id_for(thread_id: str, checkpoint_ns: str = "") -> str:
    """One workflow id per thread: Temporal itself then refuses a second concurrent run."""
    suffix = f"/{checkpoint_ns}" if checkpoint_ns else ""
    return f"graphcompat-thread:{thread_id}{suffix}"


@dataclasses.dataclass
class NodePlan:
    """What the workflow needs to know about a node to schedule it (data, not code)."""

    max_attempts: int = 1
    initial_interval: float = 0.5
    backoff_factor: float = 2.0
    max_interval: float = 128.0
    jitter: bool = True
    timeout_s: float | None = None


@dataclasses.dataclass
class RunInput:
    graph_key: str
    thread_id: str
    checkpoint_ns: str = ""
    #: "input" (new input), "resume" (latest checkpoint), "replay" (fork copy of
    #: checkpoint_id, then run), "command" (answer interrupts), "continue"
    #: (continue-as-new from checkpoint_id)
    mode: str = "input"
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
    heartbeat_timeout_s: float = 10.0
    last_checkpoint_id: str | None = None
    graph_name: str = ""
    #: mode "update": the update_state call (values as JSON, None to skip)
    update_values: Any = None
    update_skip: bool = False
    as_node: str | None = None


@dataclasses.dataclass
class RunResult:
    status: str  # "done" | "interrupted"
    checkpoint_id: str
    step: int


@dataclasses.dataclass
class StartInput:
    graph_key: str
    thread_id: str
    checkpoint_ns: str
    mode: str
    input: Any
    checkpoint_id: str | None
    resume: Any
    new_checkpoint_id: str
    created_at: str


@dataclasses.dataclass
class StartResult:
    checkpoint_id: str
    step: int
    tasks: list[dict[str, Any]]
    done: list[str]
    plan: dict[str, NodePlan]
    #: True when the run continues an existing checkpoint (no new input, no fork copy)
    resumed: bool = False


@dataclasses.dataclass
class NodeInput:
    graph_key: str
    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    step: int
    task: dict[str, Any]
    config: dict[str, Any]
    #: True when resume values may be stored for this task (a Command(resume=...) run)
    resume: bool = False


@dataclasses.dataclass
class CommitInput:
    graph_key: str
    thread_id: str
    checkpoint_ns: str
    parent_checkpoint_id: str
    new_checkpoint_id: str
    created_at: str
    results: list[dict[str, Any]]
    config: dict[str, Any]
    #: True when tasks of this step completed in an earlier attempt (their writes are in the store)
    load_pending: bool = False


@dataclasses.dataclass
class CommitResult:
    checkpoint_id: str
    step: int
    tasks: list[dict[str, Any]]


@dataclasses.dataclass
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


@dataclasses.dataclass
class SaveWritesInput:
    graph_key: str
    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    results: list[dict[str, Any]]
    errors: list[dict[str, Any]]
