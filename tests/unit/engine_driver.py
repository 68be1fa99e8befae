"""A Temporal-free driver for the step engine.

``run_to_end`` drives ``Engine`` the way the workflow and its activities do:
an input checkpoint whose only task is ``__start__``, a commit that runs it,
then one super-step at a time: run every next task with ``run_task``, commit
the results, until nothing is left to run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from graphcompat import _ids
from graphcompat.engine import Engine, StepOutcome, TaskResult, TaskSpec
from graphcompat.graph import StateGraph

CONFIG: dict[str, Any] = {"configurable": {"thread_id": "t"}}


@dataclasses.dataclass
class Run:
    """What a driven run produced."""

    engine: Engine
    outcomes: list[StepOutcome]  # outcomes[0]: after __start__; outcomes[k]: after the k-th node super-step
    values: dict[str, Any]  # user-facing final values (engine.state_values)
    steps: list[list[str]]  # names of the tasks run in each super-step, input step first
    results: list[dict[str, TaskResult]]  # the results of each super-step, by task id

    @property
    def last(self) -> StepOutcome:
        return self.outcomes[-1]

    @property
    def raw(self) -> dict[str, Any]:
        return self.last.values

    def writes(self) -> list[dict[str, Any]]:
        return [o.writes_metadata for o in self.outcomes]


def engine_of(graph: Any) -> Engine:
    if isinstance(graph, Engine):
        return graph
    if isinstance(graph, StateGraph):
        return graph.compile().engine
    return graph.engine


def new_id(prev: str | None = None) -> str:
    return _ids.checkpoint_id(after=prev)


async def run_step(
    engine: Engine,
    values: Mapping[str, Any],
    tasks: Sequence[TaskSpec],
    config: Mapping[str, Any] = CONFIG,
) -> dict[str, TaskResult]:
    """Run every task of a super-step against the same checkpoint values."""
    results: dict[str, TaskResult] = {}
    for task in tasks:
        result = await engine.run_task(task, values, config)
        assert not result.interrupts, f"unexpected interrupt from {task.name}: {result.interrupts}"
        results[task.id] = result
    return results


async def run_to_end(
    graph: Any,
    input: Any,
    *,
    max_steps: int = 50,
    config: Mapping[str, Any] = CONFIG,
    values: Mapping[str, Any] | None = None,
    versions: Mapping[str, str] | None = None,
) -> Run:
    """Drive ``graph`` from ``input`` until no task is left; return every StepOutcome."""
    engine = engine_of(graph)
    cid = new_id()
    current_values: dict[str, Any] = dict(values or {})
    current_versions: dict[str, str] = dict(versions or {})
    tasks: list[TaskSpec] = [engine.input_task(cid, engine.dump_input(input))]
    outcomes: list[StepOutcome] = []
    steps: list[list[str]] = []
    all_results: list[dict[str, TaskResult]] = []
    while tasks:
        if len(outcomes) > max_steps:
            raise AssertionError(
                f"graph did not finish within {max_steps} super-steps; still to run: {[t.name for t in tasks]}"
            )
        results = await run_step(engine, current_values, tasks, config)
        new_cid = new_id(cid)
        outcome = engine.commit(current_values, current_versions, tasks, results, new_cid)
        steps.append([t.name for t in tasks])
        all_results.append(results)
        outcomes.append(outcome)
        cid, current_values, current_versions, tasks = new_cid, outcome.values, outcome.versions, outcome.next_tasks
    return Run(engine, outcomes, engine.state_values(current_values), steps, all_results)
