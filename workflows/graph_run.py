"""``GraphRun``: one workflow per thread that drives a graph's super-steps.

The workflow runs no user code (invariant 1). It asks a local activity to
open the run (write the input checkpoint, or load the one to resume), then
loops: schedule one activity per task of the super-step, in parallel; hand
their recorded results to the commit local activity, which applies them and
writes the next checkpoint under an id the workflow derived; stop at END, at
an interrupt, or on a node's error. Everything the store receives comes from
results already in history, under deterministic ids (invariant 2).
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from graphcompat import _ids, engine
    from graphcompat._wire import (
        COMMIT_STEP,
        RUN_CALL,
        SAVE_CALLS,
        CallInput,
        CallResult,
        SaveCallsInput,
        NODE_ERROR,
        NODE_TIMEOUT_MARGIN_S,
        RUN_NODE,
        SAVE_WRITES,
        START_RUN,
        UPDATE_STATE,
        WORKFLOW_NAME,
        CommitInput,
        CommitResult,
        NodeInput,
        NodePlan,
        RunInput,
        RunMode,
        RunResult,
        RunStatus,
        SaveWritesInput,
        StartInput,
        StartResult,
        TaskError,
        TaskRef,
        TaskResult,
        UpdateInput,
    )

__all__ = ["GraphRunWorkflow", "RunInput", "RunResult"]

_STEP_KEY = SearchAttributeKey.for_int("GraphStep")
_THREAD_KEY = SearchAttributeKey.for_keyword("GraphThreadId")

#: Super-steps per workflow run before continuing as new (history stays small).
STEPS_PER_RUN = 500

#: Infrastructure faults (worker loss, timeouts) are retried without limit; a
#: node's own exceptions are raised non-retryable and retried by the workflow
#: according to the node's RetryPolicy (one owner per concern).
_INFRA_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), backoff_coefficient=2.0, maximum_interval=timedelta(seconds=10))
_LOCAL_TIMEOUT = timedelta(seconds=60)


async def _local(inp: RunInput, name: str, arg: Any, summary: str, result_type: type | None = None) -> Any:
    """A local activity of ours: the store I/O of a run (user code at most in commit and update).

    Store outages are retried with back-off, without limit unless the caller capped
    it (``GRAPHCOMPAT_STORE_RETRY_ATTEMPTS``); the user's own errors (a reducer, a
    router) arrive non-retryable and fail at once.
    """
    return await workflow.execute_local_activity(
        name,
        arg,
        result_type=result_type,
        start_to_close_timeout=_LOCAL_TIMEOUT,
        retry_policy=RetryPolicy(
            initial_interval=timedelta(milliseconds=200),
            backoff_coefficient=2.0,
            maximum_interval=timedelta(seconds=10),
            maximum_attempts=inp.store_attempts,
        ),
        summary=summary,
    )


# Not sandboxed: the sandbox guards workflow code against non-determinism, and this
# workflow runs none but ours (user code runs in activities, invariant 1), whose
# determinism every end-to-end test module proves by replaying its histories. Re-entering
# the sandbox on every activation cost about a third of the worker's CPU per
# super-step (bench/throughput.py).
@workflow.defn(name=WORKFLOW_NAME, sandboxed=False)
class GraphRunWorkflow:
    def __init__(self) -> None:
        self._step = -1
        self._checkpoint_id: str | None = None
        self._status = "starting"

    @workflow.query(name="graphcompat.progress")
    def progress(self) -> dict[str, Any]:
        """Where the run is: for the command line and the Web UI."""
        return {"status": self._status, "step": self._step, "checkpoint_id": self._checkpoint_id}

    def _report(self, inp: RunInput, status: str, step: int, checkpoint_id: str | None, final: bool = False) -> None:
        """Show where the run is in the Web UI (current details: no history cost)."""
        self._status, self._step, self._checkpoint_id = status, step, checkpoint_id
        workflow.set_current_details(
            f"**{inp.graph_name or 'graph'}** · thread `{inp.thread_id}` · step {step} · {status}\n\n"
            f"checkpoint `{checkpoint_id}`"
        )
        if final and workflow.info().typed_search_attributes.get(_THREAD_KEY) is not None:
            workflow.upsert_search_attributes([_STEP_KEY.value_set(step)])

    def _new_id(self, after: str | None) -> str:
        """The next checkpoint id: after ``after``, from the run's start time and its random stream.

        Nothing a retried workflow task sees differently goes in (``workflow.now()``
        would: it is the retried task's own start), so a local activity that runs
        again after a lost workflow task writes under the same id, and the store
        keeps one checkpoint per step (invariant 2).
        """
        start = workflow.info().workflow_start_time
        return _ids.checkpoint_id(int(start.timestamp() * 1000), workflow.random().getrandbits(62), after=after)

    @workflow.run
    async def run(self, inp: RunInput) -> RunResult:
        last = inp.last_checkpoint_id
        new_id = self._new_id(last)
        if inp.mode == RunMode.UPDATE:
            # update_state runs under the thread's workflow id, so Temporal's
            # one-run-per-id rule refuses it while a run is in flight.
            return await _local(
                inp,
                UPDATE_STATE,
                UpdateInput(
                    graph_key=inp.graph_key,
                    thread_id=inp.thread_id,
                    checkpoint_ns=inp.checkpoint_ns,
                    checkpoint_id=inp.checkpoint_id,
                    values=inp.update_values,
                    skip=inp.update_skip,
                    as_node=inp.as_node,
                    new_checkpoint_id=new_id,
                    created_at=workflow.now().isoformat(),
                    config=inp.config,
                ),
                result_type=RunResult,
                summary=f"update_state as {inp.as_node or 'inferred node'}",
            )
        start: StartResult = await _local(
            inp,
            START_RUN,
            StartInput(
                graph_key=inp.graph_key,
                thread_id=inp.thread_id,
                checkpoint_ns=inp.checkpoint_ns,
                mode=inp.mode,
                input=inp.input,
                checkpoint_id=inp.checkpoint_id,
                resume=inp.resume,
                new_checkpoint_id=new_id,
                created_at=workflow.now().isoformat(),
                stream_modes=list(inp.stream_modes),
                run_key=workflow.info().first_execution_run_id,
                parents=inp.parents,
                last_checkpoint_id=inp.last_checkpoint_id,
            ),
            result_type=StartResult,
            summary=f"open run ({inp.mode})",
        )
        checkpoint_id, step, tasks, done = start.checkpoint_id, start.step, start.tasks, set(start.done)
        self._report(inp, "running", step, checkpoint_id)
        # After everything the thread holds (a reset run finds its own earlier checkpoints there).
        last = max(filter(None, [last, new_id, checkpoint_id, start.head_checkpoint_id]))
        # Counted down from LangGraph's allowance for how this run opened (engine.recursion_allowance);
        # behind a patch marker, so runs started before it replay as they ran.
        steps_done = inp.steps_done
        if workflow.patched("graphcompat-recursion-allowance"):
            steps_done -= engine.recursion_allowance(inp.mode, start.resumed)
        skip_before = inp.skip_interrupt_before or engine.skips_interrupt_before(inp.mode, start.resumed)
        steps_this_run = 0
        while True:
            pending = [t for t in tasks if t.id not in done]
            if engine.recursion_exceeded(steps_done, inp.recursion_limit):
                self._report(inp, "recursion limit", step, checkpoint_id, final=True)
                raise ApplicationError(
                    f"Recursion limit of {inp.recursion_limit} reached without hitting a stop condition. "
                    "You can increase the limit by setting the `recursion_limit` config key.",
                    {"thread_id": inp.thread_id, "checkpoint_id": checkpoint_id, "step": step},
                    type="GraphRecursionError",
                    non_retryable=True,
                )
            if not tasks:
                self._report(inp, "done", step, checkpoint_id, final=True)
                return RunResult(RunStatus.DONE, checkpoint_id, step)
            names = {t.name for t in pending}
            if not skip_before and engine.interrupts_before(names, pending, inp.interrupt_before):
                self._report(inp, "interrupted", step, checkpoint_id, final=True)
                return RunResult(RunStatus.INTERRUPTED, checkpoint_id, step)
            skip_before = False
            if engine.runs_nodes(pending):
                steps_done += 1
            self._report(inp, f"running {', '.join(sorted(names))}", step, checkpoint_id)
            node_tasks = [t for t in pending if t.kind != engine.TaskKind.INPUT]
            resuming = inp.mode == RunMode.COMMAND and steps_this_run == 0
            # a resumed step may have @task results saved by the run that stopped in it
            saved_calls = start.resumed and steps_this_run == 0
            outcomes = await asyncio.gather(
                *(self._run_node(inp, start.plan, checkpoint_id, step, t, resuming, saved_calls) for t in node_tasks),
                return_exceptions=True,
            )
            results: list[TaskResult] = []
            errors: list[TaskError] = []
            failure: BaseException | None = None
            for task, outcome in zip(node_tasks, outcomes):
                if isinstance(outcome, BaseException):
                    failure = failure or outcome
                    errors.append(TaskError(task.id, task.name, _describe(outcome)))
                else:
                    results.append(outcome)
            interrupted = [r for r in results if r.interrupts]
            if failure is not None or interrupted:
                await self._save_writes(inp, checkpoint_id, results, errors)
                if failure is not None:
                    self._report(inp, f"failed in {errors[0].name}", step, checkpoint_id, final=True)
                    raise _node_failure(failure, {"name": errors[0].name, **errors[0].info}, inp, checkpoint_id, step)
                self._report(inp, "interrupted", step, checkpoint_id, final=True)
                return RunResult(RunStatus.INTERRUPTED, checkpoint_id, step)
            new_id = self._new_id(last)
            last = new_id
            try:
                committed = await self._commit(inp, checkpoint_id, new_id, results, bool(done) or saved_calls)
            except (ActivityError, ApplicationError) as commit_failure:
                # e.g. two nodes wrote one plain key: keep their writes, so a resume
                # re-raises from them instead of re-running the nodes (as LangGraph does).
                if results:
                    await self._save_writes(inp, checkpoint_id, results, [])
                error = {"name": None, **_describe(commit_failure)}
                self._report(inp, "failed in commit", step, checkpoint_id, final=True)
                raise _node_failure(commit_failure, error, inp, checkpoint_id, step) from None
            checkpoint_id, step, tasks, done = committed.checkpoint_id, committed.step, committed.tasks, set()
            self._report(inp, "running", step, checkpoint_id)
            steps_this_run += 1
            if engine.interrupts_after(names, tasks, inp.interrupt_after):
                self._report(inp, "interrupted", step, checkpoint_id, final=True)
                return RunResult(RunStatus.INTERRUPTED, checkpoint_id, step)
            if tasks and (steps_this_run >= STEPS_PER_RUN or workflow.info().is_continue_as_new_suggested()):
                workflow.continue_as_new(
                    dataclasses.replace(
                        inp,
                        mode=RunMode.CONTINUE,
                        input=None,
                        resume=None,
                        checkpoint_id=checkpoint_id,
                        steps_done=steps_done,
                        skip_interrupt_before=False,
                        last_checkpoint_id=last,
                    )
                )

    async def _save_writes(
        self, inp: RunInput, checkpoint_id: str, results: list[TaskResult], errors: list[TaskError]
    ) -> None:
        await _local(
            inp,
            SAVE_WRITES,
            SaveWritesInput(inp.graph_key, inp.thread_id, inp.checkpoint_ns, checkpoint_id, results, errors),
            summary="save pending writes",
        )

    async def _commit(
        self, inp: RunInput, parent_id: str, new_id: str, results: list[TaskResult], load_pending: bool
    ) -> CommitResult:
        return await _local(
            inp,
            COMMIT_STEP,
            CommitInput(
                graph_key=inp.graph_key,
                thread_id=inp.thread_id,
                checkpoint_ns=inp.checkpoint_ns,
                parent_checkpoint_id=parent_id,
                new_checkpoint_id=new_id,
                created_at=workflow.now().isoformat(),
                results=results,
                config=inp.config,
                load_pending=load_pending,
            ),
            result_type=CommitResult,
            summary=f"commit step {self._step + 1}",
        )

    async def _run_node(
        self,
        inp: RunInput,
        plan: dict[str, NodePlan],
        checkpoint_id: str,
        step: int,
        task: TaskRef,
        resuming: bool,
        saved_calls: bool,
    ) -> TaskResult:
        """Run a node to its result; in between, the ``@task`` calls it waits on.

        A node that calls tasks comes back with ``calls`` instead of a result
        (``_calls``): they run here as activities, in parallel, their results
        are saved against the checkpoint, and the node runs again, replaying
        against the saved results, until it returns. A task's interrupt is
        the node's interrupt. A task's error (after its retries) is handed to
        the node's next run, where ``.result()`` raises it (the node may catch
        it); it is not saved, so a resumed run runs that task again.
        """
        node = plan.get(task.name) or NodePlan()
        timeout = node.timeout_s or inp.node_timeout_s
        rounds = 0
        call_errors: dict[str, dict[str, Any]] = {}
        while True:
            result: TaskResult = await self._attempts(
                RUN_NODE,
                NodeInput(
                    inp.graph_key, inp.thread_id, inp.checkpoint_ns, checkpoint_id, step, task, inp.config, resuming,
                    timeout, saved_calls or rounds > 0, dict(call_errors), list(inp.stream_modes),
                ),
                TaskResult,
                node,
                timeout,
                inp.heartbeat_timeout_s,
                f"{task.name} (step {step + 1})" + (f", round {rounds + 1}" if rounds else ""),
            )
            if not result.calls:
                return result
            rounds += 1
            outcomes = await asyncio.gather(
                *(self._run_call(inp, checkpoint_id, step, task, call) for call in result.calls),
                return_exceptions=True,
            )
            finished = [o for o in outcomes if isinstance(o, CallResult)]
            if finished:
                await _local(
                    inp,
                    SAVE_CALLS,
                    SaveCallsInput(inp.graph_key, inp.thread_id, inp.checkpoint_ns, checkpoint_id, finished),
                    summary=f"save {len(finished)} task result(s) of {task.name}",
                )
            for call, outcome in zip(result.calls, outcomes):
                if isinstance(outcome, BaseException):
                    call_errors[str(call["id"])] = _describe(outcome)
            interrupts = [i for o in finished for i in o.interrupts]
            if interrupts:
                return TaskResult(task.id, task.name, interrupts=interrupts)

    async def _run_call(self, inp: RunInput, checkpoint_id: str, step: int, node: TaskRef, call: dict[str, Any]) -> CallResult:
        plan = NodePlan(**(call.get("plan") or {}))
        timeout = plan.timeout_s or inp.node_timeout_s
        result: CallResult = await self._attempts(
            RUN_CALL,
            CallInput(
                inp.graph_key, inp.thread_id, inp.checkpoint_ns, checkpoint_id, node, call, inp.config, timeout,
                list(inp.stream_modes),
            ),
            CallResult,
            plan,
            timeout,
            inp.heartbeat_timeout_s,
            f"{call['name']} (task of {node.name}, step {step + 1})",
        )
        return result

    async def _attempts(
        self, name: str, arg: Any, result_type: type, plan: NodePlan, timeout: float, heartbeat_s: float, summary: str
    ) -> Any:
        """One activity of user code, retried on its own errors as ``plan`` says (Temporal retries only faults)."""
        attempt = 1
        while True:
            try:
                schedule_to_close = timedelta(seconds=plan.schedule_to_close_s) if plan.schedule_to_close_s else None
                if plan.local:  # on this worker, recorded with the step (see add_node(local=True))
                    return await workflow.execute_local_activity(
                        name,
                        arg,
                        result_type=result_type,
                        schedule_to_close_timeout=schedule_to_close,
                        start_to_close_timeout=timedelta(seconds=timeout + NODE_TIMEOUT_MARGIN_S),
                        retry_policy=_INFRA_RETRY,
                        summary=f"{summary}, local",
                    )
                return await workflow.execute_activity(
                    name,
                    arg,
                    result_type=result_type,
                    # None: the run's own task queue and no overall bound (add_node's per-node options).
                    task_queue=plan.task_queue,
                    schedule_to_close_timeout=schedule_to_close,
                    start_to_close_timeout=timedelta(seconds=timeout + NODE_TIMEOUT_MARGIN_S),
                    heartbeat_timeout=timedelta(seconds=plan.heartbeat_timeout_s or heartbeat_s),
                    retry_policy=_INFRA_RETRY,
                    summary=summary,
                )
            except (ActivityError, ApplicationError) as err:  # a local activity's failure is the latter
                details = _node_details(_root(err))
                if details is None or not details.get("retryable") or attempt >= plan.max_attempts:
                    raise
                jitter = workflow.random().uniform(0, 1) if plan.jitter else 0.0
                await workflow.sleep(timedelta(seconds=engine.retry_delay(plan, attempt, jitter)))
                attempt += 1


def _root(exc: BaseException) -> BaseException:
    """The failure that carries graphcompat's details: activity and local-activity
    failures arrive wrapped (``ActivityError``, or an ``ApplicationError`` whose cause
    is the activity's own)."""
    while isinstance(exc, (ActivityError, ApplicationError)) and _node_details(exc) is None and exc.cause is not None:
        exc = exc.cause
    return exc


def _node_details(cause: BaseException | None) -> dict[str, Any] | None:
    if isinstance(cause, ApplicationError) and cause.details:
        first = cause.details[0]
        if isinstance(first, dict) and first.get(NODE_ERROR):
            return first
    return None


def _describe(exc: BaseException) -> dict[str, Any]:
    cause = _root(exc)
    details = _node_details(cause)
    if details is not None and isinstance(cause, ApplicationError):
        return {"type": cause.type, "message": cause.message, **details}
    return {"type": type(cause).__name__, "message": str(cause), NODE_ERROR: False}


def _node_failure(exc: BaseException, error: dict[str, Any], inp: RunInput, checkpoint_id: str, step: int) -> ApplicationError:
    cause = _root(exc)
    info = {
        **{k: v for k, v in error.items() if k != "traceback"},
        "node": error.get("name") or error.get("node"),
        "thread_id": inp.thread_id,
        "checkpoint_ns": inp.checkpoint_ns,
        "checkpoint_id": checkpoint_id,
        "step": step,
        "traceback": error.get("traceback"),
    }
    if isinstance(cause, ApplicationError):
        return ApplicationError(cause.message, info, type=cause.type, non_retryable=True)
    return ApplicationError(str(cause), info, type=type(cause).__name__, non_retryable=True)
