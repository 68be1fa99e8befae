"""Failures and bad input on the durable runtime: typed errors that say what to do, nothing changed."""

from __future__ import annotations

from operator import add
from typing import Annotated, TypedDict

import pytest

from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.errors import (
    ConfigurationError,
    EmptyInputError,
    GraphRecursionError,
    NodeError,
    StateSerializationError,
    UnknownCheckpointError,
    UnknownNodeError,
    UnknownStateKeyError,
)
from graphcompat.graph import END, START, StateGraph
from graphcompat.types import RetryPolicy

from .replay import replay_thread


class S(TypedDict):
    log: Annotated[list[str], add]
    value: str


class QuotaExceeded(Exception):
    """A user-defined exception type: rebuilt with its own class."""


class NeedsTwoArgs(Exception):
    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{code}: {detail}")


def single(fn, **node_options):
    builder = StateGraph(S)
    builder.add_node("work", fn, **node_options)
    builder.add_edge(START, "work")
    builder.add_edge("work", END)
    return builder.compile(checkpointer=InMemorySaver())


def test_node_exception_keeps_type_message_and_says_where(env, thread):
    def work(state: S) -> dict:
        raise QuotaExceeded("quota of 100 calls used up")

    graph = single(work)
    with pytest.raises(QuotaExceeded) as info:
        graph.invoke({"log": []}, thread)
    err = info.value
    assert str(err) == "quota of 100 calls used up"
    assert err.node == "work"
    assert err.thread_id == thread["configurable"]["thread_id"]
    state = graph.get_state(thread)
    assert err.checkpoint_id == state.config["configurable"]["checkpoint_id"]
    assert any(err.checkpoint_id in note and "invoke(None, config)" in note for note in err.__notes__)
    assert any("Remote traceback" in note and "QuotaExceeded" in note for note in err.__notes__)
    assert state.next == ("work",)
    # as LangGraph shows a stored error: the repr of the node's exception
    assert state.tasks[0].error == "QuotaExceeded('quota of 100 calls used up')"


def test_exception_that_cannot_be_rebuilt_becomes_node_error(env, thread):
    def work(state: S) -> dict:
        raise NeedsTwoArgs(429, "slow down")

    with pytest.raises(NodeError, match="429: slow down") as info:
        single(work).invoke({"log": []}, thread)
    assert info.value.original_type.endswith("NeedsTwoArgs")


def test_retry_policy_retries_node_errors_with_backoff(time_skipping_env, thread):
    calls: list[int] = []

    def flaky(state: S) -> dict:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("temporary outage")
        return {"value": f"ok after {len(calls)}"}

    policy = RetryPolicy(initial_interval=30.0, max_attempts=3)  # minutes of back-off, skipped by the server
    graph = single(flaky, retry_policy=policy)
    assert graph.invoke({"log": []}, thread)["value"] == "ok after 3"
    assert len(calls) == 3
    replay_thread(time_skipping_env, thread["configurable"]["thread_id"])


def test_retry_policy_gives_up_after_max_attempts_and_skips_non_matching(env, thread):
    calls: list[int] = []

    def always(state: S) -> dict:
        calls.append(1)
        raise ConnectionError("down")

    with pytest.raises(ConnectionError, match="down"):
        single(always, retry_policy=RetryPolicy(max_attempts=2, initial_interval=1.0)).invoke({"log": []}, thread)
    assert len(calls) == 2

    calls.clear()

    def bad_value(state: S) -> dict:
        calls.append(1)
        raise ValueError("a bug, not an outage")

    other = {"configurable": {"thread_id": thread["configurable"]["thread_id"] + "-b"}}
    with pytest.raises(ValueError):
        single(bad_value, retry_policy=RetryPolicy(max_attempts=5)).invoke({"log": []}, other)
    assert len(calls) == 1  # the default retry_on does not retry ValueError


def test_no_retry_policy_means_one_attempt(env, thread):
    calls: list[int] = []

    def once(state: S) -> dict:
        calls.append(1)
        raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        single(once).invoke({"log": []}, thread)
    assert len(calls) == 1


def test_parallel_failure_keeps_the_sibling_writes_and_resume_skips_it(env, thread):
    calls: dict[str, int] = {"ok": 0, "bad": 0, "join": 0}

    def ok(state: S) -> dict:
        calls["ok"] += 1
        return {"log": ["ok"]}

    def bad(state: S) -> dict:
        calls["bad"] += 1
        if calls["bad"] == 1:
            raise TimeoutError("LLM call timed out")
        return {"log": ["bad"]}

    def join(state: S) -> dict:
        calls["join"] += 1
        return {"value": "+".join(state["log"])}

    builder = StateGraph(S)
    builder.add_node("ok", ok)
    builder.add_node("bad", bad)
    builder.add_node("join", join)
    builder.add_edge(START, "ok")
    builder.add_edge(START, "bad")
    builder.add_edge(["ok", "bad"], "join")
    graph = builder.compile(checkpointer=InMemorySaver())

    with pytest.raises(TimeoutError):
        graph.invoke({"log": []}, thread)
    live = graph.get_state(thread)
    assert live.values["log"] == ["ok"]  # the sibling's writes are applied in the live view
    assert live.next == ("bad",)  # only what is still to run
    errors = {t.name: t.error for t in live.tasks}
    assert errors["bad"] == "TimeoutError('LLM call timed out')" and errors["ok"] is None
    recorded = graph.get_state({"configurable": {**thread["configurable"], "checkpoint_id": live.config["configurable"]["checkpoint_id"]}})
    assert recorded.values.get("log", []) == []  # the record as written
    assert set(recorded.next) == {"ok", "bad"}

    result = graph.invoke(None, thread)
    assert calls == {"ok": 1, "bad": 2, "join": 1}  # ok was not re-run
    assert result["value"] == "bad+ok" or result["value"] == "ok+bad"
    assert result["log"] == ["bad", "ok"]  # writes applied in node-name order
    replay_thread(env, thread["configurable"]["thread_id"])


def test_recursion_limit(env, thread):
    builder = StateGraph(S)
    builder.add_node("spin", lambda s: {"log": ["x"]})
    builder.add_edge(START, "spin")
    builder.add_conditional_edges("spin", lambda s: "spin")
    graph = builder.compile(checkpointer=InMemorySaver())
    with pytest.raises(GraphRecursionError, match="Recursion limit of 7 reached without hitting a stop condition"):
        graph.invoke({"log": []}, {**thread, "recursion_limit": 7})
    assert len(graph.get_state(thread).values["log"]) == 7


def test_router_naming_no_node_is_an_error(env, thread):
    builder = StateGraph(S)
    builder.add_node("a", lambda s: {"value": "a"})
    builder.add_edge(START, "a")
    builder.add_conditional_edges("a", lambda s: "nowhere")
    with pytest.raises(UnknownNodeError, match="returned 'nowhere', which names no node"):
        builder.compile(checkpointer=InMemorySaver()).invoke({"log": []}, thread)


def test_bad_input_is_refused_before_anything_is_stored(env, thread):
    graph = single(lambda s: {"value": "x"})
    with pytest.raises(UnknownStateKeyError, match="unknown state key.*'bogus'"):
        graph.invoke({"bogus": 1}, thread)
    with pytest.raises(StateSerializationError, match="'value'"):
        graph.invoke({"value": object()}, thread)
    assert list(graph.get_state_history(thread)) == []
    with pytest.raises(EmptyInputError, match="no checkpoint to resume"):
        graph.invoke(None, thread)
    with pytest.raises(ConfigurationError, match="thread_id"):
        graph.invoke({"log": []}, {})
    missing = {"configurable": {**thread["configurable"], "checkpoint_id": "01a00000-0000-7000-8000-000000000000"}}
    with pytest.raises(UnknownCheckpointError, match="does not exist"):
        graph.get_state(missing)


def test_unserializable_node_output_names_node_and_key(env, thread):
    with pytest.raises(StateSerializationError, match="Node 'work'.*'value'"):
        single(lambda s: {"value": object()}).invoke({"log": []}, thread)


def test_payloads_over_temporal_limits_go_to_the_store(env, thread):
    # A large node write goes to the store (history carries its hash) ...
    assert len(single(lambda s: {"value": "x" * 2_500_000}).invoke({"log": []}, thread)["value"]) == 2_500_000
    # ... and so does a large input (tests/e2e/test_large_payloads.py measures the history).
    other = {"configurable": {"thread_id": thread["configurable"]["thread_id"] + "-in"}}
    graph = single(lambda s: {})
    assert len(graph.invoke({"value": "x" * 2_500_000}, other)["value"]) == 2_500_000


def test_in_memory_saver_needs_an_in_process_worker(thread):
    from graphcompat._runtime import Runtime, use_runtime

    async def never():  # pragma: no cover - must not be reached
        raise AssertionError("connected")

    remote = Runtime(never, in_process_worker=False)
    try:
        with use_runtime(remote), pytest.raises(ConfigurationError, match="only this process can see"):
            single(lambda s: {}).invoke({"log": []}, thread)
    finally:
        remote.close()


def test_failure_log_line_carries_thread_run_and_checkpoint(env, thread, caplog):
    def work(state: S) -> dict:
        raise QuotaExceeded("over quota")

    graph = single(work)
    with caplog.at_level("WARNING", logger="graphcompat.activities"), pytest.raises(QuotaExceeded):
        graph.invoke({"log": []}, thread)
    checkpoint_id = graph.get_state(thread).config["configurable"]["checkpoint_id"]
    _, run_id = env.runtime.started_runs[-1]
    line = next(r.getMessage() for r in caplog.records if "over quota" in r.getMessage())
    assert "node 'work' raised QuotaExceeded" in line
    assert thread["configurable"]["thread_id"] in line and run_id in line and checkpoint_id in line


def test_store_urls_are_shown_without_passwords():
    from graphcompat.checkpoint.memory import InMemorySaver

    class Fake(InMemorySaver):
        @property
        def url(self) -> str:
            return "postgresql://app:s3cret@db.internal:5432/graphs?schema=x"

    assert Fake().display_url == "postgresql://app:***@db.internal:5432/graphs?schema=x"
    builder = StateGraph(S)
    builder.add_node("work", lambda s: {})
    builder.add_edge(START, "work")
    graph = builder.compile(checkpointer=Fake())
    assert "s3cret" not in repr(graph) and "app:***@db.internal" in repr(graph)
