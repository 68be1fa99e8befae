"""Run-level rules: how a run opens in each mode, and when it stops.

The workflow asks these functions and only schedules; the activities read
and write the records they name. Keeping the rules here (pure, over records
and plain values) means the workflow, the activities and the unit tests all
apply the same LangGraph behaviour.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from graphcompat._ids import id_millis
from graphcompat.checkpoint._layout import (
    TaskKind,
    TaskSpec,
    child_record,
    command_update_rows,
    completed_results,
    record_tasks,
    resume_rows,
    task_states,
)
from graphcompat.checkpoint.base import CheckpointRecord, PendingWrite
from graphcompat.engine._engine import Engine
from graphcompat.engine._spec import NodePlan
from graphcompat.errors import EmptyInputError, UnknownCheckpointError

__all__ = [
    "Opening",
    "RunMode",
    "RunStatus",
    "interrupts_after",
    "interrupts_before",
    "open_run",
    "recursion_allowance",
    "recursion_exceeded",
    "resume_run",
    "retry_delay",
    "runs_nodes",
    "skips_interrupt_before",
]


class RunMode(str, enum.Enum):
    """How a run starts (what ``invoke`` was given)."""

    INPUT = "input"  # a new input: an input checkpoint, then run
    RESUME = "resume"  # invoke(None, config): continue the latest checkpoint
    REPLAY = "replay"  # invoke(None, config with checkpoint_id): a fork copy of it, then run
    COMMAND = "command"  # invoke(Command(resume=...)): answer interrupts, continue the latest
    CONTINUE = "continue"  # continue-as-new from the checkpoint the previous run reached
    UPDATE = "update"  # update_state: one new checkpoint, no run

    def __str__(self) -> str:
        return self.value


class RunStatus(str, enum.Enum):
    """How a run (or an update) ended."""

    DONE = "done"  # nothing left to run
    INTERRUPTED = "interrupted"  # interrupt_before/after, or interrupt() in a node
    UPDATED = "updated"  # update_state wrote its checkpoint

    def __str__(self) -> str:
        return self.value


# -- opening a run ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Opening:
    """Where a run starts: ``record``, newly made (``new``: store it first) or an existing one."""

    record: CheckpointRecord
    new: bool


def open_run(
    engine: Engine,
    mode: RunMode,
    *,
    thread_id: str,
    checkpoint_ns: str,
    checkpoint_id: str | None,
    addressed: CheckpointRecord | None,
    latest: CheckpointRecord | None,
    new_checkpoint_id: str,
    created_at: str,
    input: Any = None,
    parents: Mapping[str, str] | None = None,
    seen_head: str | None = None,
    started_from: CheckpointRecord | None = None,
) -> Opening:
    """The checkpoint a run starts from, in each mode.

    ``addressed`` is the checkpoint ``checkpoint_id`` names (None when no id
    was given or it does not exist), ``latest`` the thread's newest.
    ``parents`` (a subgraph run: the enclosing graphs' checkpoints) goes on a
    new record; later records of the namespace inherit it. ``seen_head`` is
    the id of the thread's newest when the caller started the run
    and ``started_from`` that checkpoint (None for a new thread).

    An input goes onto ``latest``, unless this very run wrote ``latest``: its
    ids carry the run's start time (``_ids.checkpoint_id``), and an operator's
    reset (``temporal workflow reset --type FirstWorkflowTask``) executes a
    run again from its start. Applying the input on top of the run's own
    result would apply it twice (a list doubled); it goes, once more, onto the
    checkpoint the run started from, on a new branch.
    """
    if checkpoint_id and addressed is None and mode in (RunMode.INPUT, RunMode.REPLAY, RunMode.CONTINUE):
        raise UnknownCheckpointError.of(thread_id, checkpoint_id)
    new = dict(thread_id=thread_id, checkpoint_ns=checkpoint_ns, checkpoint_id=new_checkpoint_id, created_at=created_at)
    if mode == RunMode.INPUT:
        parent = addressed if checkpoint_id else latest
        if not checkpoint_id and latest is not None and written_by_this_run(latest.checkpoint_id, seen_head, new_checkpoint_id):
            parent = started_from
        task = engine.input_task(new_checkpoint_id, input)
        record = child_record(
            parent, source="input", step=parent.step + 1 if parent else 0, writes=None, next_tasks=[task], parents=parents, **new
        )
        return Opening(record, new=True)
    if mode == RunMode.CONTINUE:
        assert addressed is not None, "continue-as-new always names its checkpoint"
        return Opening(addressed, new=False)
    if mode in (RunMode.RESUME, RunMode.COMMAND):
        if latest is None:
            raise EmptyInputError(
                f"Thread {thread_id!r} has no checkpoint to resume; start it with an input: graph.invoke({{...}}, config).",
                thread_id=thread_id,
            )
        return Opening(latest, new=False)
    if mode == RunMode.REPLAY:
        assert addressed is not None
        if addressed.source in ("update", "fork") and latest is not None and latest.checkpoint_id == addressed.checkpoint_id:
            # LangGraph's rule: continuing from the update (or fork) that is still the
            # thread's head resumes it; any other addressed checkpoint is replayed on a
            # new branch from a fork copy.
            return Opening(addressed, new=False)
        tasks = [engine.retask(t, new_checkpoint_id) for t in record_tasks(addressed)]
        fork = child_record(
            addressed, source="fork", step=addressed.step + 1, writes=None, next_tasks=tasks, parents=parents, **new
        )
        return Opening(fork, new=True)
    raise ValueError(f"run mode {mode!r} does not open a run")


def written_by_this_run(checkpoint_id: str, seen_head: str | None, new_checkpoint_id: str) -> bool:
    """True when ``checkpoint_id`` (the thread's newest) was written by the run whose first id is
    ``new_checkpoint_id``: it is newer than the head its caller saw and carries the run's start time."""
    if checkpoint_id == seen_head:
        return False
    return id_millis(checkpoint_id) >= id_millis(new_checkpoint_id)


def resume_run(
    engine: Engine,
    mode: RunMode,
    record: CheckpointRecord,
    writes: Sequence[PendingWrite],
    resume: Any,
    update: Mapping[str, Any] | None = None,
) -> tuple[list[str], list[PendingWrite]]:
    """Resuming an existing checkpoint: the ids of tasks that already completed there,
    and, for ``Command(resume=..., update=...)``, the rows to store (resume values; the
    update, which the checkpoint's tasks then read, as LangGraph applies it)."""
    done = sorted(completed_results(writes))
    if mode != RunMode.COMMAND:
        return done, []
    rows = command_update_rows(update) if update else []
    if resume is not None:
        states = task_states(writes)
        rows += resume_rows(states, engine.match_resume(record_tasks(record), states, resume))
    return done, rows


# -- stopping rules ---------------------------------------------------------------------


def recursion_exceeded(steps_done: int, limit: int) -> bool:
    """As in LangGraph, the limit is checked before "nothing left to run": a run that
    needs exactly ``recursion_limit`` super-steps of nodes fails."""
    return steps_done >= limit


def recursion_allowance(mode: RunMode, resumed: bool) -> int:
    """Node super-steps a run may take beyond ``recursion_limit``, as LangGraph counts them.

    LangGraph bounds a run by checkpoint step: ``stop = opened_step + 1 + recursion_limit + 1``.
    A run that starts with an input spends two of those steps on the input and
    ``__start__``, so it gets exactly ``recursion_limit`` node steps. A run that continues
    an existing checkpoint (``invoke(None)``, ``Command(resume=...)``, an update or fork
    that is the thread's head) spends none, so it gets two more; a replay spends one on
    its fork copy, so it gets one more. Continue-as-new carries the count of its run.
    """
    if mode in (RunMode.RESUME, RunMode.COMMAND):
        return 2
    if mode == RunMode.REPLAY:
        return 2 if resumed else 1
    return 0


def skips_interrupt_before(mode: RunMode, resumed: bool) -> bool:
    """A run that continues a stopped checkpoint does not stop again before the nodes it
    stopped before (LangGraph resumes past ``interrupt_before``).

    Continue-as-new is not such a run: the previous run committed the step and
    handed over before the next step's gate was checked, so the gate applies.
    """
    if mode == RunMode.CONTINUE:
        return False
    return mode in (RunMode.RESUME, RunMode.COMMAND) or resumed


def runs_nodes(tasks: Sequence[Any]) -> bool:
    """True when a super-step runs any node (the input step alone does not count)."""
    return any(_kind(t) != TaskKind.INPUT for t in tasks)


def interrupts_before(names: Collection[str], tasks: Sequence[Any], interrupt_before: Collection[str]) -> bool:
    """Stop before this super-step: one of its nodes is listed (or ``"*"``)."""
    return runs_nodes(tasks) and ("*" in interrupt_before or bool(set(names) & set(interrupt_before)))


def interrupts_after(ran: Collection[str], next_tasks: Sequence[Any], interrupt_after: Collection[str]) -> bool:
    """Stop after a super-step that ran a listed node, unless the run is over anyway."""
    return bool(next_tasks) and ("*" in interrupt_after or bool(set(ran) & set(interrupt_after)))


def retry_delay(plan: NodePlan, attempt: int, jitter: float = 0.0) -> float:
    """Seconds to wait before attempt ``attempt + 1`` of a node (attempts count from 1).

    ``jitter`` is a sample in [0, 1) added when the plan asks for jitter (the
    workflow draws it from ``workflow.random()``, so replay is deterministic).
    """
    delay = min(plan.max_interval, plan.initial_interval * plan.backoff_factor ** (attempt - 1))
    return delay + jitter if plan.jitter else delay


def _kind(task: Any) -> str:
    return task.kind if isinstance(task, TaskSpec) else getattr(task, "kind", TaskKind.PULL)
