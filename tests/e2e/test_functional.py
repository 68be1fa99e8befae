"""The functional API on a real Temporal server: each @task call an activity, results saved and replayed.

Every test replays its thread's workflow histories with ``Replayer``.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import threading

import pydantic

import pytest

from graphcompat import errors
from graphcompat._wire import RUN_CALL, RUN_NODE, workflow_id_for
from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.func import entrypoint, task
from graphcompat.types import Command, RetryPolicy, interrupt

from .replay import replay_thread


def _activities(env, thread_id: str) -> collections.Counter:
    """How many times each activity type was scheduled over the thread's runs."""

    async def count() -> collections.Counter:
        seen: collections.Counter = collections.Counter()
        for wid, rid in env.runtime.started_runs:
            if wid != workflow_id_for(thread_id):
                continue
            history = await env.client.get_workflow_handle(wid, run_id=rid).fetch_history()
            for event in history.events:
                if event.HasField("activity_task_scheduled_event_attributes"):
                    seen[event.activity_task_scheduled_event_attributes.activity_type.name] += 1
        return seen

    return env.run(count())


def test_parallel_tasks_run_as_their_own_activities_at_once(env, thread):
    inside = threading.Barrier(3, timeout=30)  # all three must be running at the same time
    runs: collections.Counter = collections.Counter()

    @task
    def square(x: int) -> int:
        runs[x] += 1
        inside.wait()
        return x * x

    @entrypoint(checkpointer=InMemorySaver())
    def squares(n: int) -> list[int]:
        futures = [square(i) for i in range(n)]
        return [f.result() for f in futures]

    assert squares.invoke(3, thread) == [0, 1, 4]
    assert runs == {0: 1, 1: 1, 2: 1}
    tid = thread["configurable"]["thread_id"]
    scheduled = _activities(env, tid)
    assert scheduled[RUN_CALL] == 3
    # the entrypoint ran twice: once to submit the calls, once replaying their results
    assert scheduled[RUN_NODE] == 2
    assert squares.get_state(thread).values == [0, 1, 4]
    replay_thread(env, tid)


def test_interrupt_in_the_entrypoint_resumes_without_rerunning_finished_tasks(env, thread):
    runs: collections.Counter = collections.Counter()

    @task
    def write_essay(topic: str) -> str:
        runs["write_essay"] += 1
        return f"An essay about {topic}"

    @entrypoint(checkpointer=InMemorySaver())
    def review(topic: str) -> dict:
        essay = write_essay(topic).result()
        approved = interrupt({"essay": essay, "action": "Please approve/reject the essay"})
        return {"essay": essay, "is_approved": approved}

    first = review.invoke("cats", thread)
    assert [i.value for i in first["__interrupt__"]] == [{"essay": "An essay about cats", "action": "Please approve/reject the essay"}]
    state = review.get_state(thread)
    assert state.next == ("review",)
    assert state.values is None
    assert [i.value["essay"] for i in state.interrupts] == ["An essay about cats"]
    assert review.invoke(Command(resume=True), thread) == {"essay": "An essay about cats", "is_approved": True}
    assert runs["write_essay"] == 1
    assert review.get_state(thread).next == ()
    replay_thread(env, thread["configurable"]["thread_id"])


def test_interrupt_inside_a_task_is_answered_to_that_task(env, thread):
    runs: collections.Counter = collections.Counter()

    @task
    def draft(topic: str) -> str:
        runs["draft"] += 1
        return f"draft on {topic}"

    @task
    def ask_human(text: str) -> str:
        runs["ask_human"] += 1
        return interrupt(f"edit? {text}")

    @entrypoint(checkpointer=InMemorySaver())
    def edit(topic: str) -> str:
        text = draft(topic).result()
        return ask_human(text).result()

    out = edit.invoke("eels", thread)
    assert [i.value for i in out["__interrupt__"]] == ["edit? draft on eels"]
    state = edit.get_state(thread)
    assert [t.name for t in state.tasks] == ["edit"] and state.tasks[0].interrupts
    assert edit.invoke(Command(resume="final text"), thread) == "final text"
    assert runs == {"draft": 1, "ask_human": 2}
    replay_thread(env, thread["configurable"]["thread_id"])


def test_previous_and_final(env, thread):
    @entrypoint(checkpointer=InMemorySaver())
    def accumulate(n: int, *, previous: int | None = None) -> entrypoint.final[int, int]:
        previous = previous or 0
        return entrypoint.final(value=previous, save=previous + n)

    assert accumulate.invoke(3, thread) == 0
    assert accumulate.invoke(4, thread) == 3
    assert accumulate.invoke(1, thread) == 7
    assert accumulate.get_state(thread).values == 7
    replay_thread(env, thread["configurable"]["thread_id"])


def test_retry_policy_of_a_task_and_resume_after_a_failure(env, thread):
    runs: collections.Counter = collections.Counter()

    @task(retry_policy=RetryPolicy(max_attempts=3, initial_interval=0.01, jitter=False))
    def flaky(x: int) -> int:
        runs["flaky"] += 1
        if runs["flaky"] < 3:
            raise ConnectionError("transient")
        return x + 1

    @task
    def once(x: int) -> int:
        runs["once"] += 1
        return x * 2

    @task
    def fails_first_time(x: int) -> int:
        runs["fails"] += 1
        if runs["fails"] == 1:
            raise ValueError("bad luck")
        return x

    @entrypoint(checkpointer=InMemorySaver())
    def job(x: int) -> list[int]:
        a = flaky(x).result()
        b = once(a).result()
        return [a, b, fails_first_time(b).result()]

    with pytest.raises(ValueError, match="bad luck"):
        job.invoke(1, thread)
    assert runs == {"flaky": 3, "once": 1, "fails": 1}
    assert job.invoke(None, thread) == [2, 4, 4]
    # the finished tasks were not run again on the resume
    assert runs == {"flaky": 3, "once": 1, "fails": 2}
    replay_thread(env, thread["configurable"]["thread_id"])


def test_async_entrypoint_awaits_and_gathers_tasks(env, thread):
    @task
    async def fetch(i: int) -> str:
        await asyncio.sleep(0)
        return f"item {i}"

    @task
    def join(items: list[str]) -> str:
        return ", ".join(items)

    @entrypoint(checkpointer=InMemorySaver())
    async def collect(n: int) -> str:
        items = await asyncio.gather(*[fetch(i) for i in range(n)])
        return await join(list(items))

    async def go() -> tuple[str, list]:
        out = await collect.ainvoke(3, thread)
        chunks = [c async for c in collect.astream(2, thread)]
        return out, chunks

    out, chunks = asyncio.run(go())
    assert out == "item 0, item 1, item 2"
    assert chunks == [{"fetch": "item 0"}, {"fetch": "item 1"}, {"join": "item 0, item 1"}, {"collect": "item 0, item 1"}]
    replay_thread(env, thread["configurable"]["thread_id"])


def test_messages_and_models_cross_the_task_boundary(env, thread):
    from langchain_core.messages import AIMessage, HumanMessage

    @task
    def reply(message: HumanMessage) -> AIMessage:
        assert isinstance(message, HumanMessage)
        return AIMessage(content=f"echo: {message.content}")

    @entrypoint(checkpointer=InMemorySaver())
    def chat(text: str) -> list:
        answer = reply(HumanMessage(content=text)).result()
        assert isinstance(answer, AIMessage)
        return [answer]

    (answer,) = chat.invoke("hi", thread)
    assert isinstance(answer, AIMessage) and answer.content == "echo: hi"
    replay_thread(env, thread["configurable"]["thread_id"])


# -- bad input: typed errors that say what to do -------------------------------------------


def test_a_task_called_outside_an_entrypoint_says_where_to_call_it():
    @task
    def alone(x: int) -> int:
        return x

    with pytest.raises(errors.ConfigurationError, match=r"Task 'alone' was called outside a running workflow; call @task"):
        alone(1)


def test_unsupported_entrypoint_options_are_refused():
    with pytest.raises(errors.StoreNotSupportedError, match=r"@entrypoint\(store=\.\.\.\) is not supported"):
        entrypoint(checkpointer=InMemorySaver(), store=object())
    with pytest.raises(errors.ConfigurationError, match=r"unknown option\(s\) 'bogus'"):
        entrypoint(bogus=1)
    with pytest.raises(errors.ConfigurationError, match=r"asks for `runtime`, which is not supported"):

        @entrypoint()
        def needs_runtime(x, *, runtime=None):
            return x


def test_an_argument_that_cannot_be_serialized_is_named(env, thread):
    @task
    def takes(x: object) -> int:
        return 1

    @entrypoint(checkpointer=InMemorySaver())
    def bad(x: int) -> int:
        return takes(threading.Lock()).result()

    with pytest.raises(errors.StateSerializationError, match=r"An argument of task 'takes' \(lock\) cannot be serialized"):
        bad.invoke(1, thread)
    assert bad.get_state(thread).next == ("bad",)
    replay_thread(env, thread["configurable"]["thread_id"])


def test_stream_shows_each_task_result_while_the_entrypoint_still_runs(env, thread):
    seen_first = threading.Event()

    @task
    def first(x: int) -> int:
        return x + 1

    @task
    def second(x: int) -> bool:
        # returns True only if the caller saw first's chunk while this task was running
        return seen_first.wait(timeout=60)

    @entrypoint(checkpointer=InMemorySaver())
    def live(x: int) -> dict:
        a = first(x).result()
        return {"a": a, "live": second(a).result()}

    chunks = []
    for chunk in live.stream(1, thread):
        chunks.append(chunk)
        if chunk == {"first": 2}:
            seen_first.set()
    assert chunks == [{"first": 2}, {"second": True}, {"live": {"a": 2, "live": True}}]
    replay_thread(env, thread["configurable"]["thread_id"])


def test_tasks_submitted_before_an_interrupt_still_run_once(env, thread):
    runs: collections.Counter = collections.Counter()

    @task
    def side(x: int) -> int:
        runs[x] += 1
        return x

    @entrypoint(checkpointer=InMemorySaver())
    def submit_then_ask(n: int) -> list[int]:
        futures = [side(i) for i in range(n)]  # not awaited before the interrupt
        answer = interrupt("go on?")
        return [f.result() for f in futures] + [answer]

    chunks = list(submit_then_ask.stream(2, thread))
    assert chunks[:2] == [{"side": 0}, {"side": 1}] and "__interrupt__" in chunks[2]
    assert submit_then_ask.invoke(Command(resume=9), thread) == [0, 1, 9]
    assert runs == {0: 1, 1: 1}
    replay_thread(env, thread["configurable"]["thread_id"])


def test_a_task_called_from_a_graph_node_and_from_a_task(env, thread):
    from typing import TypedDict

    from graphcompat.graph import START, StateGraph

    runs: collections.Counter = collections.Counter()

    @task
    def inner(x: int) -> int:
        runs["inner"] += 1
        return x * 10

    @task
    def outer(x: int) -> int:
        runs["outer"] += 1
        return inner(x).result() + 1  # runs inline, inside outer's activity

    class S(TypedDict):
        x: int

    def node(state: S) -> dict:
        return {"x": outer(state["x"]).result()}

    builder = StateGraph(S)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    graph = builder.compile(checkpointer=InMemorySaver())
    assert graph.invoke({"x": 2}, thread) == {"x": 21}
    assert runs == {"outer": 1, "inner": 1}
    assert _activities(env, thread["configurable"]["thread_id"])[RUN_CALL] == 1
    replay_thread(env, thread["configurable"]["thread_id"])


def test_a_failed_task_raises_in_the_entrypoint_which_may_catch_it(env, thread):
    runs: collections.Counter = collections.Counter()

    @task
    def ok(x: int) -> int:
        runs["ok"] += 1
        return x

    @task
    def bad(x: int) -> int:
        runs["bad"] += 1
        raise KeyError(f"missing {x}")

    @entrypoint(checkpointer=InMemorySaver())
    def careful(x: int) -> list:
        a = ok(x).result()
        try:
            b = bad(x).result()
        except KeyError as e:
            b = f"caught {e!r}"
        return [a, b]

    assert list(careful.stream(1, thread)) == [{"ok": 1}, {"careful": [1, "caught KeyError('missing 1')"]}]
    assert runs == {"ok": 1, "bad": 1}
    replay_thread(env, thread["configurable"]["thread_id"])


def test_parallel_tasks_that_interrupt_are_answered_by_interrupt_id(env, thread):
    runs: collections.Counter = collections.Counter()

    @task
    def ask(question: str) -> str:
        runs[question] += 1
        return interrupt(f"answer {question}")

    @entrypoint(checkpointer=InMemorySaver())
    def both(x: int) -> list[str]:
        a, b = ask("a"), ask("b")
        return [a.result(), b.result()]

    out = both.invoke(1, thread)
    assert sorted(i.value for i in out["__interrupt__"]) == ["answer a", "answer b"]
    ids = {i.value: i.id for i in both.get_state(thread).interrupts}
    with pytest.raises(errors.AmbiguousResumeError, match="specify the interrupt id"):
        both.invoke(Command(resume="x"), thread)
    assert both.invoke(Command(resume={ids["answer a"]: "A", ids["answer b"]: "B"}), thread) == ["A", "B"]
    assert runs == {"a": 2, "b": 2}
    replay_thread(env, thread["configurable"]["thread_id"])


def test_large_task_arguments_and_results_stay_out_of_history(env, thread):
    big = "x" * 200_000

    @task
    def shout(text: str) -> str:
        return text.upper() + "!"

    @entrypoint(checkpointer=InMemorySaver())
    def loud(text: str) -> int:
        return len(shout(text + big).result())

    assert loud.invoke("a", thread) == 200_002
    assert list(loud.stream("b", thread))[0] == {"shout": "B" + "X" * 200_000 + "!"}
    tid = thread["configurable"]["thread_id"]

    async def histories() -> list[str]:
        return [
            (await env.client.get_workflow_handle(w, run_id=r).fetch_history()).to_json()
            for w, r in env.runtime.started_runs
            if w == workflow_id_for(tid)
        ]

    for history in env.run(histories()):
        # payloads are base64 in the JSON: one 200 kB value inline would be over 260 kB
        assert len(history) < 150_000
    replay_thread(env, tid)


@dataclasses.dataclass
class Order:
    item: str
    qty: int


class Quote(pydantic.BaseModel):
    item: str
    total: float


def test_dataclass_input_and_pydantic_results_come_back_typed(env, thread):
    @task
    def price(order: Order) -> Quote:
        assert isinstance(order, Order)
        return Quote(item=order.item, total=order.qty * 2.5)

    @entrypoint(checkpointer=InMemorySaver())
    def checkout(order: Order) -> dict:
        assert isinstance(order, Order)
        quote = price(order).result()
        assert isinstance(quote, Quote)
        return {"item": quote.item, "total": quote.total}

    assert checkout.invoke(Order("tea", 4), thread) == {"item": "tea", "total": 10.0}
    replay_thread(env, thread["configurable"]["thread_id"])


def _saver(kind: str, tmp_path):
    import os
    import uuid as _uuid

    from graphcompat.checkpoint import saver_from_url

    if kind == "sqlite":
        return saver_from_url(f"sqlite:///{tmp_path / 'func.db'}")
    url = os.environ.get("GRAPHCOMPAT_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("set GRAPHCOMPAT_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test to run the Postgres case")
    return saver_from_url(f"{url}{'&' if '?' in url else '?'}schema=func_{_uuid.uuid4().hex[:10]}")


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_saved_task_results_and_resume_on_sqlite_and_postgres(env, thread, tmp_path, kind):
    runs: collections.Counter = collections.Counter()
    big = "y" * 100_000

    @task
    def fetch(i: int) -> str:
        runs[i] += 1
        return f"{i}:{big}"

    @entrypoint(checkpointer=_saver(kind, tmp_path))
    def gather(n: int) -> list[int]:
        sizes = [len(f.result()) for f in [fetch(i) for i in range(n)]]
        return sizes + [interrupt("ok?")]

    out = gather.invoke(2, thread)
    assert [i.value for i in out["__interrupt__"]] == ["ok?"]
    assert gather.invoke(Command(resume=7), thread) == [100_002, 100_002, 7]
    assert runs == {0: 1, 1: 1}
    assert [s.metadata["source"] for s in gather.get_state_history(thread)] == ["loop", "loop", "input"]
    replay_thread(env, thread["configurable"]["thread_id"])


def test_config_is_injected_and_a_task_timeout_is_the_tasks_error(env, thread):
    @task(timeout=0.2)
    async def slow(x: int) -> int:
        await asyncio.sleep(30)
        return x

    @entrypoint(checkpointer=InMemorySaver())
    def where(x: int, config) -> str:
        return config["configurable"]["thread_id"]

    @entrypoint(checkpointer=InMemorySaver())
    def too_slow(x: int) -> int:
        return slow(x).result()

    assert where.invoke(1, thread) == thread["configurable"]["thread_id"]
    other = {"configurable": {"thread_id": thread["configurable"]["thread_id"] + "-slow"}}
    with pytest.raises(TimeoutError, match=r"Task 'slow' ran longer than its timeout of 0.2 s"):
        too_slow.invoke(1, other)
    assert too_slow.get_state(other).next == ("too_slow",)
    replay_thread(env, thread["configurable"]["thread_id"])
    replay_thread(env, other["configurable"]["thread_id"])
