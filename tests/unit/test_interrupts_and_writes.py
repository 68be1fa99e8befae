"""interrupt() inside nodes, pending-write generations, resume matching and the live view."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from engine_driver import CONFIG, new_id, run_step
from graphcompat._constants import ERROR, INTERRUPT, RESUME, ROUTE
from graphcompat.checkpoint._layout import (
    GENERATION,
    RESUME_BASE,
    TaskResult,
    TaskSpec,
    completed_results,
    next_generation,
    task_states,
)
from graphcompat.engine import Engine
from graphcompat.checkpoint.base import PendingWrite
from graphcompat.errors import AmbiguousResumeError
from graphcompat.graph import START, StateGraph
from graphcompat.types import interrupt


class S(TypedDict, total=False):
    items: Annotated[list, operator.add]
    text: str
    answer: str


async def _first_step(engine: Engine, input: dict) -> tuple[dict, dict, list[TaskSpec], str]:
    """Apply the input; return (values, versions, next tasks, checkpoint id)."""
    cid = new_id()
    task = engine.input_task(cid, engine.dump_input(input))
    results = await run_step(engine, {}, [task])
    nxt = new_id(cid)
    out = engine.commit({}, {}, [task], results, nxt)
    return out.values, out.versions, out.next_tasks, nxt


def ask_graph(node) -> Engine:
    b = StateGraph(S)
    b.add_node("ask", node)
    b.add_node("after", lambda s: {"items": ["after"]})
    b.add_edge(START, "ask")
    b.add_edge("ask", "after")
    return b.compile().engine


# -- interrupt() ------------------------------------------------------------------------


async def test_interrupt_then_resume_returns_the_value() -> None:
    calls: list[Any] = []

    def ask(state: dict) -> dict:
        calls.append("start")
        answer = interrupt({"question": "approve?", "text": state["text"]})
        calls.append(answer)
        return {"answer": answer}

    engine = ask_graph(ask)
    values, versions, tasks, cid = await _first_step(engine, {"text": "draft"})
    [task] = tasks

    first = await engine.run_task(task, values, CONFIG)
    assert first.writes == [] and first.targets == []
    assert len(first.interrupts) == 1
    assert first.interrupts[0]["value"] == {"question": "approve?", "text": "draft"}
    assert first.interrupts[0]["index"] == 0

    second = await engine.run_task(task, values, CONFIG, resume=["yes"])
    assert second.interrupts == []
    assert second.writes == [("answer", "yes")]
    assert calls == ["start", "start", "yes"]  # the node re-ran from its start

    out = engine.commit(values, versions, tasks, {task.id: second}, new_id(cid))
    assert out.values["answer"] == "yes"
    assert [t.name for t in out.next_tasks] == ["after"]


async def test_two_interrupts_resumed_in_sequence() -> None:
    def ask(state: dict) -> dict:
        a = interrupt("first?")
        b = interrupt("second?")
        return {"answer": f"{a}+{b}"}

    engine = ask_graph(ask)
    values, _, [task], _ = await _first_step(engine, {})

    r0 = await engine.run_task(task, values, CONFIG)
    r1 = await engine.run_task(task, values, CONFIG, resume=["A"])
    r2 = await engine.run_task(task, values, CONFIG, resume=["A", "B"])
    assert [(i["value"], i["index"]) for i in r0.interrupts] == [("first?", 0)]
    assert [(i["value"], i["index"]) for i in r1.interrupts] == [("second?", 1)]
    assert r0.interrupts[0]["id"] != r1.interrupts[0]["id"]
    assert r2.writes == [("answer", "A+B")]
    # the same interrupt of the same task keeps its id across runs
    again = await engine.run_task(task, values, CONFIG)
    assert again.interrupts[0]["id"] == r0.interrupts[0]["id"]


def test_interrupt_outside_a_node_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="outside a running node"):
        interrupt("x")


# -- pending-write generations ---------------------------------------------------------


def _result(task_id: str, name: str, **kw: Any) -> TaskResult:
    return TaskResult(task_id, name, **kw)


def test_completed_result_round_trips_through_pending_writes() -> None:
    res = _result("t1", "a", writes=[("text", "x"), ("items", ["i"])], targets=["b"], update={"text": "x"})
    rows = res.to_pending_writes(0)
    assert [r.channel for r in rows] == ["text", "items", ROUTE]
    done = completed_results(rows)
    assert set(done) == {"t1"}
    assert done["t1"].writes == [("text", "x"), ("items", ["i"])]
    assert done["t1"].targets == ["b"]
    assert done["t1"].update == {"text": "x"}


def test_newest_generation_wins() -> None:
    old = _result("t1", "a", writes=[("text", "old")]).to_pending_writes(0)
    new = _result("t1", "a", writes=[("text", "new")]).to_pending_writes(1)
    for rows in (old + new, new + old):  # whatever order the store returns them in
        done = completed_results(rows)
        assert done["t1"].writes == [("text", "new")]
        assert task_states(rows)["t1"].generation == 1
    assert next_generation(old + new, "t1") == 2
    assert next_generation(old, "other") == 0


def test_interrupted_task_is_not_completed() -> None:
    interrupted = _result("t1", "a", interrupts=[{"id": "i0", "value": "q", "index": 0}])
    rows = interrupted.to_pending_writes(0)
    assert [r.channel for r in rows] == [INTERRUPT]
    assert completed_results(rows) == {}
    state = task_states(rows)["t1"]
    assert state.interrupts == [{"id": "i0", "value": "q", "index": 0}] and state.result is None

    # a newer generation that completed supersedes the interrupt
    rows += _result("t1", "a", writes=[("answer", "ok")]).to_pending_writes(1)
    state = task_states(rows)["t1"]
    assert state.interrupts == [] and state.result is not None
    assert completed_results(rows)["t1"].writes == [("answer", "ok")]


def test_failed_task_is_not_completed_and_newer_success_counts() -> None:
    ok = _result("t1", "a", writes=[("text", "ok")]).to_pending_writes(0)
    failed = [PendingWrite("t1", "a", 1 * GENERATION, ERROR, {"type": "ConnectionError", "message": "down"})]
    state = task_states(ok + failed)["t1"]
    assert state.error == {"type": "ConnectionError", "message": "down"}
    assert state.result is None
    assert completed_results(ok + failed) == {}

    retried = _result("t1", "a", writes=[("text", "retried")]).to_pending_writes(2)
    state = task_states(ok + failed + retried)["t1"]
    assert state.error is None
    assert completed_results(ok + failed + retried)["t1"].writes == [("text", "retried")]


def test_resume_rows_are_collected_and_not_a_generation() -> None:
    rows = _result("t1", "a", interrupts=[{"id": "i0", "value": "q", "index": 0}]).to_pending_writes(0)
    rows += [PendingWrite("t1", "a", RESUME_BASE + 1, RESUME, "second"), PendingWrite("t1", "a", RESUME_BASE, RESUME, "first")]
    state = task_states(rows)["t1"]
    assert state.resume == ["first", "second"]
    assert state.interrupts and state.generation == 0
    assert next_generation(rows, "t1") == 1


def test_task_results_json_round_trip() -> None:
    res = _result("t1", "a", writes=[("text", "x")], targets=["b"], sends=[("w", {"n": 1})], update={"text": "x"})
    assert TaskResult.from_json(res.to_json()) == res
    spec = TaskSpec("id", "w", "push", 3, {"n": 1})
    assert TaskSpec.from_json(spec.to_json()) == spec
    pull = TaskSpec("id2", "a", "pull")
    assert TaskSpec.from_json(pull.to_json()) == pull


# -- match_resume ---------------------------------------------------------------------


def _waiting(task: TaskSpec, iid: str) -> list[PendingWrite]:
    return _result(task.id, task.name, interrupts=[{"id": iid, "value": "?", "index": 0}]).to_pending_writes(0)


def test_match_resume_single_and_by_id() -> None:
    t1, t2, t3 = TaskSpec("t1", "a", "pull"), TaskSpec("t2", "b", "pull"), TaskSpec("t3", "c", "pull")
    rows = _waiting(t1, "i1") + _waiting(t2, "i2") + _result("t3", "c").to_pending_writes(0)
    states = task_states(rows)
    # one value answers every waiting task, not the completed one
    with pytest.raises(AmbiguousResumeError, match="you must specify the interrupt id"):
        Engine.match_resume([t1, t2, t3], states, "yes")  # two interrupts pending: say which
    # a dict keyed by interrupt id answers each by id
    assert Engine.match_resume([t1, t2, t3], states, {"i2": "two"}) == {"t2": ("b", "two")}
    # a dict that is not keyed by interrupt ids is a plain value
    assert Engine.match_resume([t1], task_states(_waiting(t1, "i1")), {"k": 1}) == {"t1": ("a", {"k": 1})}


def test_match_resume_without_pending_interrupt_resumes_plainly() -> None:
    t1 = TaskSpec("t1", "a", "pull")
    # As in LangGraph: nothing to answer, the thread simply resumes.
    assert Engine.match_resume([t1], task_states(_result("t1", "a").to_pending_writes(0)), "yes") == {}


# -- live values -----------------------------------------------------------------------


async def test_live_values_apply_completed_tasks_of_an_unfinished_step() -> None:
    b = StateGraph(S)
    b.add_node("ok", lambda s: {"items": ["ok"], "text": "from ok"})
    b.add_node("fails", lambda s: {"items": ["never"]})
    b.add_edge(START, "ok")
    b.add_edge(START, "fails")
    engine = b.compile().engine
    values, _, tasks, _ = await _first_step(engine, {"items": ["in"], "text": "in"})
    ok = next(t for t in tasks if t.name == "ok")
    res = await engine.run_task(ok, values, CONFIG)
    done = completed_results(res.to_pending_writes(0))
    live = engine.live_values(values, tasks, done)
    assert engine.state_values(live) == {"items": ["in", "ok"], "text": "from ok"}
    assert engine.state_values(values) == {"items": ["in"], "text": "in"}  # the checkpoint is untouched
    assert engine.live_values(values, tasks, {}) == values
