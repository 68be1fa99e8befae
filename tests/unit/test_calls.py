"""The task registry and the call scope of ``_calls`` (pure: no Temporal, no store)."""

from __future__ import annotations

import pytest

from graphcompat import _calls
from graphcompat.errors import StateSerializationError


class _Task:
    def __init__(self, fn):
        self.fn = fn


def _keyed(fn):
    task = _Task(fn)
    return task, _calls.register_task(task, fn)


def test_a_call_finds_its_own_task_then_the_same_code_elsewhere():
    def double(x):
        return 2 * x

    task, key = _keyed(double)
    assert _calls.find_task(key) is task
    module, qualname, digest = key.split("#")[0].split("|")
    # a worker process has its own instance numbers: found by module and code
    assert _calls.find_task(f"{module}|{qualname}|{digest}#999999") is task
    # a script runs as __main__ in the client and is imported by name in the worker
    assert _calls.find_task(f"__main__|{qualname}|{digest}#999999") is task
    # the code changed since the run started: same module and name
    assert _calls.find_task(f"{module}|{qualname}|0000000000#999999") is task
    assert _calls.find_task("nowhere|nothing|0#1") is None


def test_calls_are_submitted_in_order_with_stable_ids_and_saved_results_returned():
    def add(x, y=0):
        return x + y

    task, key = _keyed(add)
    first = _calls.CallScope("node-1", {})
    token = _calls.call_scope().set(first)
    try:
        a = _calls.submit(task, add, key, "add", (1,), {"y": 2})
        b = _calls.submit(task, add, key, "add", (3,), {})
        assert not a.done()
        with pytest.raises(_calls.TaskCallsPending) as pending:
            a.result()
    finally:
        _calls.call_scope().reset(token)
    calls = pending.value.calls
    assert [(c["index"], c["args"], c["kwargs"]) for c in calls] == [(0, [1], {"y": 2}), (1, [3], {})]
    assert [c["id"] for c in calls] == [_calls.call_id("node-1", "add", 0), _calls.call_id("node-1", "add", 1)]

    # the node runs again with the results saved: the same calls get them, nothing is submitted
    second = _calls.CallScope("node-1", {calls[0]["id"]: 3, calls[1]["id"]: 3})
    token = _calls.call_scope().set(second)
    try:
        assert _calls.submit(task, add, key, "add", (1,), {"y": 2}).result() == 3
        assert _calls.submit(task, add, key, "add", (3,), {}).result() == 3
    finally:
        _calls.call_scope().reset(token)
    assert second.unfinished() == []


def test_a_failed_call_raises_its_error_at_result():
    def boom():
        raise AssertionError("not called here")

    task, key = _keyed(boom)
    cid = _calls.call_id("node-2", "boom", 0)
    token = _calls.call_scope().set(_calls.CallScope("node-2", {}, failed={cid: KeyError("missing")}))
    try:
        future = _calls.submit(task, boom, key, "boom", (), {})
        assert future.done()
        with pytest.raises(KeyError, match="missing"):
            future.result()
    finally:
        _calls.call_scope().reset(token)


def test_values_that_cannot_be_serialized_are_refused_with_what_to_do():
    with pytest.raises(StateSerializationError, match=r"An argument of task 't' \(generator\) cannot be serialized: it can be read only once.*plain data"):
        _calls.dump_value((i for i in range(3)), where="An argument of task 't'")


def test_loaded_values_are_rebuilt_faithfully_or_left_as_they_were():
    import dataclasses

    @dataclasses.dataclass
    class Point:
        x: int
        y: int

    assert _calls.load_value({"x": 1, "y": 2}, Point) == Point(1, 2)
    assert _calls.load_value([1, 2], tuple[int, int]) == (1, 2)
    # LangGraph hands back what the function returned: no coercion to the annotation
    assert _calls.load_value("5", int) == "5"
    assert type(_calls.load_value(1, float)) is int
    assert _calls.load_value({"x": "a"}, Point) == {"x": "a"}
