"""The engine: LangGraph's super-step rules over a frozen graph spec, as plain Python.

Pure and alone: nothing here imports Temporal, the client
(``CompiledStateGraph``), the runtime or the authoring API (``StateGraph``);
a test asserts it. The workflow calls the run-level rules (``_run``) and only
schedules; the activities read and write the records these functions name and
run tasks through :class:`Engine`, whose only calls into user code go through
``_user_code``.

- ``_spec``: :class:`GraphSpec`, what ``compile()`` produces, and node plans.
- ``_engine``: :class:`Engine`: run a task, apply writes, commit a super-step,
  ``update_state``'s step, the live view.
- ``_run``: open a run in each mode, recursion and interrupt decisions, retry back-off.
- ``_user_code``: the one place nodes, routers and reducers are called.

The stored layout the engine reads and writes (tasks, pending writes,
records) is owned by ``graphcompat.checkpoint._layout``.
"""

from graphcompat.checkpoint._layout import TaskKind, TaskResult, TaskSpec, TaskState
from graphcompat.engine._engine import Engine, StepOutcome, interrupt_id, task_id
from graphcompat.engine._run import (
    Opening,
    RunMode,
    RunStatus,
    interrupts_after,
    interrupts_before,
    open_run,
    recursion_allowance,
    recursion_exceeded,
    resume_run,
    retry_delay,
    runs_nodes,
    skips_interrupt_before,
)
from graphcompat.engine._spec import (
    DEFAULT_HEARTBEAT_TIMEOUT,
    DEFAULT_NODE_TIMEOUT,
    SUBGRAPH_NODE_TIMEOUT,
    BranchSpec,
    GraphSpec,
    NodePlan,
    NodeSpec,
    check_node_names,
    node_plans,
)

__all__ = [
    "DEFAULT_HEARTBEAT_TIMEOUT",
    "DEFAULT_NODE_TIMEOUT",
    "SUBGRAPH_NODE_TIMEOUT",
    "BranchSpec",
    "Engine",
    "GraphSpec",
    "NodePlan",
    "NodeSpec",
    "Opening",
    "RunMode",
    "RunStatus",
    "StepOutcome",
    "TaskKind",
    "TaskResult",
    "TaskSpec",
    "TaskState",
    "check_node_names",
    "interrupt_id",
    "interrupts_after",
    "interrupts_before",
    "node_plans",
    "open_run",
    "recursion_allowance",
    "recursion_exceeded",
    "resume_run",
    "retry_delay",
    "runs_nodes",
    "skips_interrupt_before",
    "task_id",
]
