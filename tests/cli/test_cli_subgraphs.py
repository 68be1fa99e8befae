"""``state`` and ``history`` show a thread's subgraph namespaces and read them with ``--ns``."""

from __future__ import annotations

import json
from typing import TypedDict

from graphcompat.checkpoint.sqlite import SqliteSaver
from graphcompat.graph import START, StateGraph
from graphcompat.types import interrupt
from tests.e2e.replay import replay_thread


class S(TypedDict):
    foo: str


def _graph(path):
    sub = StateGraph(S)
    sub.add_node("ask", lambda s: {"foo": s["foo"] + interrupt("more?")})
    sub.add_edge(START, "ask")
    builder = StateGraph(S)
    builder.add_node("team", sub.compile())
    builder.add_edge(START, "team")
    return builder.compile(checkpointer=SqliteSaver(path))


def test_state_and_history_show_subgraph_namespaces(env, store, cli, thread):
    tid = thread["configurable"]["thread_id"]
    graph = _graph(store.path)
    graph.invoke({"foo": "x"}, thread)
    ns = graph.get_state(thread, subgraphs=True).tasks[0].state.config["configurable"]["checkpoint_ns"]

    state = cli("state", tid, "--store", store.url)
    assert state.code == 0, state.err
    assert "subgraphs (graphcompat state THREAD --ns NS):" in state.out
    assert f"  {ns}  interrupted: ask" in state.out
    as_json = json.loads(cli("state", tid, "--store", store.url, "--json").out)
    assert as_json["subgraphs"] == [{"checkpoint_ns": ns, "status": "interrupted: ask"}]

    inner = json.loads(cli("state", tid, "--store", store.url, "--ns", ns, "--json").out)
    assert inner["checkpoint_ns"] == ns and inner["next"] == ["ask"] and inner["values"] == {"foo": "x"}

    history = cli("history", tid, "--store", store.url)
    assert history.out.rstrip().endswith(f"subgraph namespaces (graphcompat history THREAD --ns NS):\n  {ns}")
    inner_history = json.loads(cli("history", tid, "--store", store.url, "--ns", ns, "--json").out)
    assert [h["source"] for h in inner_history] == ["loop", "input"]
    replay_thread(env, tid, store=graph.store)


def test_unknown_namespace_lists_the_threads_namespaces(env, store, cli, thread):
    tid = thread["configurable"]["thread_id"]
    graph = _graph(store.path)
    graph.invoke({"foo": "x"}, thread)
    ns = graph.get_state(thread, subgraphs=True).tasks[0].state.config["configurable"]["checkpoint_ns"]
    result = cli("history", tid, "--store", store.url, "--ns", "nope:1")
    assert result.code == 2
    assert f"has no checkpoint in namespace 'nope:1'; its subgraph namespaces are: {ns}" in result.err
