"""Subgraphs on the durable runtime: each subgraph run is its own workflow, checkpointed by namespace."""

from __future__ import annotations

import os
import uuid
from operator import add
from typing import Annotated, TypedDict

import pytest

from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.errors import ConfigurationError, InvalidUpdateError
from graphcompat.graph import START, StateGraph
from graphcompat.types import Command, interrupt

from .replay import replay_thread

PG = os.environ.get("GRAPHCOMPAT_TEST_POSTGRES_URL")


class Shared(TypedDict):
    foo: str
    trail: Annotated[list[str], add]


class SubState(TypedDict):
    foo: str
    bar: str


def _shared_subgraph():
    def sub_1(state: SubState) -> dict:
        return {"bar": "bar"}

    def sub_2(state: SubState) -> dict:
        return {"foo": state["foo"] + state["bar"]}

    sub = StateGraph(SubState)
    sub.add_node("sub_1", sub_1)
    sub.add_node("sub_2", sub_2)
    sub.add_edge(START, "sub_1")
    sub.add_edge("sub_1", "sub_2")
    return sub.compile()


def test_compiled_graph_as_node_shares_keys(env, thread):
    subgraph = _shared_subgraph()
    builder = StateGraph(Shared)
    builder.add_node("node_1", lambda s: {"foo": "hi! " + s["foo"], "trail": ["node_1"]})
    builder.add_node("node_2", subgraph)
    builder.add_edge(START, "node_1")
    builder.add_edge("node_1", "node_2")
    graph = builder.compile(checkpointer=InMemorySaver())
    result = graph.invoke({"foo": "foo", "trail": []}, thread)
    assert result == {"foo": "hi! foobar", "trail": ["node_1"]}
    last = graph.get_state(thread)
    assert last.metadata["writes"] == {"node_2": {"foo": "hi! foobar"}}
    replay_thread(env, thread["configurable"]["thread_id"], store=graph.store)


class Parent(TypedDict):
    foo: str


class Other(TypedDict):
    bar: str
    baz: str


def test_compiled_graph_invoked_from_a_node_maps_its_schema(env, thread):
    def sub_1(state: Other) -> dict:
        return {"baz": "baz"}

    def sub_2(state: Other) -> dict:
        return {"bar": state["bar"] + state["baz"]}

    sub = StateGraph(Other)
    sub.add_node("sub_1", sub_1)
    sub.add_node("sub_2", sub_2)
    sub.add_edge(START, "sub_1")
    sub.add_edge("sub_1", "sub_2")
    subgraph = sub.compile()

    def call_subgraph(state: Parent) -> dict:
        out = subgraph.invoke({"bar": state["foo"]})
        return {"foo": out["bar"]}

    builder = StateGraph(Parent)
    builder.add_node("node_1", lambda s: {"foo": "hi! " + s["foo"]})
    builder.add_node("node_2", call_subgraph)
    builder.add_edge(START, "node_1")
    builder.add_edge("node_1", "node_2")
    graph = builder.compile(checkpointer=InMemorySaver())
    assert graph.invoke({"foo": "foo"}, thread) == {"foo": "hi! foobaz"}
    replay_thread(env, thread["configurable"]["thread_id"], store=graph.store)


def _interrupting_subgraph():
    def ask(state: SubState) -> dict:
        return {"bar": interrupt("bar?")}

    sub = StateGraph(SubState)
    sub.add_node("ask", ask)
    sub.add_node("join", lambda s: {"foo": s["foo"] + s["bar"]})
    sub.add_edge(START, "ask")
    sub.add_edge("ask", "join")
    return sub.compile(name="asker")


def test_interrupt_in_subgraph_resumes_and_every_history_replays(env, thread):
    runs: list[str] = []

    def first(state: Shared) -> dict:
        runs.append("first")
        return {"trail": ["first"]}

    builder = StateGraph(Shared)
    builder.add_node("first", first)
    builder.add_node("team", _interrupting_subgraph())
    builder.add_edge(START, "first")
    builder.add_edge("first", "team")
    graph = builder.compile(checkpointer=InMemorySaver())
    paused = graph.invoke({"foo": "x", "trail": []}, thread)
    assert [i.value for i in paused["__interrupt__"]] == ["bar?"]
    state = graph.get_state(thread, subgraphs=True)
    assert state.next == ("team",)
    sub = state.tasks[0].state
    assert sub.next == ("ask",) and sub.values == {"foo": "x"}
    ns = sub.config["configurable"]["checkpoint_ns"]
    assert ns == f"team:{state.tasks[0].id}"
    assert [s.metadata["source"] for s in graph.get_state_history({"configurable": {**thread["configurable"], "checkpoint_ns": ns}})] == ["loop", "input"]
    assert graph.invoke(Command(resume="!"), thread) == {"foo": "x!", "trail": ["first"]}
    assert runs == ["first"]
    # the parent's two runs and the subgraph's two (interrupted, resumed) all replay
    assert replay_thread(env, thread["configurable"]["thread_id"], store=graph.store) == 4


def test_unknown_namespace_is_refused_with_what_to_do(env, thread):
    graph = StateGraph(Parent)
    graph.add_node("plain", lambda s: {"foo": "x"})
    graph.add_edge(START, "plain")
    compiled = graph.compile(checkpointer=InMemorySaver())
    compiled.invoke({"foo": ""}, thread)
    bad = {"configurable": {**thread["configurable"], "checkpoint_ns": "plain:123"}}
    with pytest.raises(ConfigurationError, match=r"names node 'plain', which is not a subgraph node.*subgraphs=True"):
        compiled.get_state(bad)
    with pytest.raises(ConfigurationError, match="not a subgraph node"):
        compiled.update_state(bad, {"foo": "y"})
    sub = {"configurable": {**thread["configurable"], "checkpoint_ns": "plain:123"}}
    with pytest.raises(ConfigurationError, match=r"a subgraph runs inside its parent's node.*update_state\(subgraph_config"):
        compiled.invoke(None, sub)
    assert compiled.get_state(thread).values == {"foo": "x"}  # nothing changed


def test_command_parent_from_the_root_graph_is_an_invalid_update(env, thread):
    builder = StateGraph(Parent)
    builder.add_node("boss", lambda s: Command(update={"foo": "x"}, goto="boss", graph=Command.PARENT))
    builder.add_edge(START, "boss")
    graph = builder.compile(checkpointer=InMemorySaver())
    with pytest.raises(InvalidUpdateError, match="not running as a subgraph: there is no parent graph"):
        graph.invoke({"foo": ""}, thread)


def test_compiled_graph_as_node_without_a_name_is_named_after_the_graph():
    builder = StateGraph(Shared)
    sub = StateGraph(SubState)
    sub.add_node("s", lambda s: {"bar": "b"})
    sub.add_edge(START, "s")
    builder.add_node(sub.compile(name="research_team"))
    assert list(builder.nodes) == ["research_team"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def durable_store(request, tmp_path):
    """A real store of each backend (Postgres in a fresh schema, dropped afterwards)."""
    if request.param == "sqlite":
        from graphcompat.checkpoint.sqlite import SqliteSaver

        yield SqliteSaver(tmp_path / "sub.db")
        return
    if not PG:
        pytest.skip("set GRAPHCOMPAT_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test for Postgres")
    import psycopg

    from graphcompat.checkpoint.postgres import PostgresSaver

    schema = f"gc_sub_{uuid.uuid4().hex[:10]}"
    saver = PostgresSaver(PG, schema=schema)
    try:
        yield saver
    finally:
        saver.close()
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_nested_subgraphs_on_each_store_backend(env, thread, durable_store):
    """A subgraph inside a subgraph: namespaces nest (``a:id|b:id``); interrupts reach the root and resume."""
    inner = _interrupting_subgraph()

    def middle_node(state: SubState) -> dict:
        return {"foo": inner.invoke({"foo": state["foo"]})["foo"] + "/m"}

    middle = StateGraph(SubState)
    middle.add_node("middle_node", middle_node)
    middle.add_edge(START, "middle_node")
    builder = StateGraph(Shared)
    builder.add_node("outer", middle.compile(name="middle"))
    builder.add_edge(START, "outer")
    graph = builder.compile(checkpointer=durable_store)
    paused = graph.invoke({"foo": "x", "trail": []}, thread)
    assert [i.value for i in paused["__interrupt__"]] == ["bar?"]
    outer = graph.get_state(thread, subgraphs=True).tasks[0].state
    deepest = outer.tasks[0].state
    ns = deepest.config["configurable"]["checkpoint_ns"]
    assert ns.startswith("outer:") and "|middle_node:" in ns and deepest.next == ("ask",)
    assert deepest.metadata["parents"] == {
        "": graph.get_state(thread).config["configurable"]["checkpoint_id"],
        outer.config["configurable"]["checkpoint_ns"]: outer.config["configurable"]["checkpoint_id"],
    }
    assert graph.invoke(Command(resume="!"), thread) == {"foo": "x!/m", "trail": []}
    assert replay_thread(env, thread["configurable"]["thread_id"], store=graph.store) == 6  # 2 runs per level


def test_subgraph_runs_are_found_with_their_threads_runs_in_the_web_ui(local_env, thread):
    """The Web UI's query ``GraphThreadId = "<thread>"`` lists the parent's run and the subgraph's."""
    builder = StateGraph(Shared)
    builder.add_node("node_2", _shared_subgraph())
    builder.add_edge(START, "node_2")
    graph = builder.compile(checkpointer=InMemorySaver())
    tid = thread["configurable"]["thread_id"]
    assert graph.invoke({"foo": "foo", "trail": []}, thread)["foo"] == "foobar"

    async def listed() -> list[tuple[str, dict]]:
        found = []
        async for w in local_env.client.list_workflows(f'GraphThreadId = "{tid}"'):
            found.append((w.id, await w.memo()))
        return found

    def ids_and_memos() -> list[tuple[str, dict]]:
        return sorted(local_env.run(listed()))

    from .crash_helpers import wait_for

    wait_for(lambda: len(ids_and_memos()) == 2, 20, "both runs to be visible")  # visibility is eventually consistent
    (parent_id, _), (child_id, memo) = ids_and_memos()
    assert parent_id == f"graphcompat-thread:{tid}"
    assert child_id.startswith(f"graphcompat-thread:{tid}/node_2:")
    assert memo == {"parent_workflow_id": parent_id, "checkpoint_ns": child_id.split("/", 1)[1]}
    replay_thread(local_env, tid, store=graph.store)


def test_a_subgraph_node_activity_run_again_after_the_subgraph_finished_reruns_nothing(env, thread):
    """A retried node activity (the worker died after the subgraph's run ended, before the node's
    result was recorded) finds the subgraph's stored checkpoints and returns the same result."""
    import dataclasses
    from datetime import datetime, timezone

    from temporalio.testing import ActivityEnvironment

    from activities.graph_activities import GraphActivities
    from graphcompat import _ids
    from graphcompat._registry import GraphRegistry
    from graphcompat._wire import CommitInput, NodeInput, RunMode, StartInput

    runs: list[str] = []

    def mark(name: str):
        def node(state: SubState) -> dict:
            runs.append(name)
            return {"bar": name}

        return node

    sub = StateGraph(SubState)
    sub.add_node("s1", mark("s1"))
    sub.add_node("s2", mark("s2"))
    sub.add_edge(START, "s1")
    sub.add_edge("s1", "s2")
    builder = StateGraph(Shared)
    builder.add_node("team", sub.compile())
    builder.add_edge(START, "team")
    graph = builder.compile(checkpointer=InMemorySaver())
    tid = thread["configurable"]["thread_id"]
    registry = GraphRegistry(weak=False)
    registry.add(graph.binding)
    acts = GraphActivities(registry)
    now = datetime.now(timezone.utc).isoformat()

    async def attempts():
        queue = env.runtime.task_queue_for(None)
        await env.runtime.ensure_worker(queue)  # runs the subgraph's workflow
        activity_env = ActivityEnvironment(client=env.client)
        activity_env.info = dataclasses.replace(activity_env.info, task_queue=queue)
        opened = await activity_env.run(
            acts.start_run, StartInput(graph.graph_key, tid, "", RunMode.INPUT, {"foo": "x", "trail": []}, None, None, _ids.checkpoint_id(), now)
        )
        step = await activity_env.run(
            acts.commit_step,
            CommitInput(graph.graph_key, tid, "", opened.checkpoint_id, _ids.checkpoint_id(after=opened.checkpoint_id), now, [], {}),
        )
        node = NodeInput(graph.graph_key, tid, "", step.checkpoint_id, 1, step.tasks[0], {})
        return await activity_env.run(acts.run_node, node), await activity_env.run(acts.run_node, node)

    first, second = env.run(attempts())
    assert first == second and dict(first.writes) == {"foo": "x"}
    assert runs == ["s1", "s2"]  # the second attempt ran no subgraph node


def test_a_sync_invoke_of_a_subgraph_in_an_async_node_says_to_await_ainvoke(env, thread):
    subgraph = _shared_subgraph()

    async def node(state: Shared) -> dict:
        return subgraph.invoke({"foo": state["foo"]})

    builder = StateGraph(Shared)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    graph = builder.compile(checkpointer=InMemorySaver())
    with pytest.raises(RuntimeError, match=r"from an async node; use `await subgraph.ainvoke\(...\)`"):
        graph.invoke({"foo": "f", "trail": []}, thread)


def test_an_async_node_awaits_a_subgraph(env, thread):
    subgraph = _shared_subgraph()

    async def node(state: Shared) -> dict:
        out = await subgraph.ainvoke({"foo": state["foo"]})
        return {"foo": out["foo"] + "!"}

    builder = StateGraph(Shared)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    graph = builder.compile(checkpointer=InMemorySaver())
    assert graph.invoke({"foo": "f", "trail": []}, thread) == {"foo": "fbar!", "trail": []}
    replay_thread(env, thread["configurable"]["thread_id"], store=graph.store)
