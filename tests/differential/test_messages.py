"""LangChain messages in state, both libraries: a tool-calling loop, RemoveMessage, reopening a store.

The chat model is langchain_core's GenericFakeChatModel (no network); the
tool runs in a hand-written node. Messages are compared by class and every
field; ids only as present (ALLOWED["message_ids"]).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.replay import replay_thread

from .harness import Differential, norm

pytest.importorskip("langgraph")
pytest.importorskip("langchain_core")

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, ToolMessage  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def tid(thread: dict) -> str:
    return thread["configurable"]["thread_id"]


def model_replies():
    return [
        AIMessage(content="", tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "call_1"}]),
        AIMessage(content="3"),
        AIMessage(content="", tool_calls=[{"name": "add", "args": {"a": 3, "b": 4}, "id": "call_2"}]),
        AIMessage(content="7"),
        AIMessage(content="done"),
    ]


def make_agent(StateGraph, START, END, t):
    """A tool-calling loop over MessagesState: agent -> tools -> agent ... -> END."""
    model = GenericFakeChatModel(messages=iter(model_replies()))
    t.seen = []

    def agent(state):
        t.calls["agent"] += 1
        t.seen.append([type(m).__name__ for m in state["messages"]])
        return {"messages": [model.invoke(state["messages"])]}

    def tools(state):
        t.calls["tools"] += 1
        last = state["messages"][-1]
        out = []
        for call in last.tool_calls:
            result = call["args"]["a"] + call["args"]["b"]
            out.append(ToolMessage(content=str(result), tool_call_id=call["id"], name=call["name"]))
        return {"messages": out}

    def route(state):
        last = state["messages"][-1]
        return "tools" if isinstance(last, AIMessage) and last.tool_calls else END

    b = StateGraph(t.MessagesState)
    b.add_node("agent", agent)
    b.add_node("tools", tools)
    b.add_edge(START, "agent")
    b.add_conditional_edges("agent", route, ["tools", END])
    b.add_edge("tools", "agent")
    return b


def test_tool_calling_loop_with_a_fake_chat_model(env, thread):
    d = Differential(make_agent, tid(thread))
    out = d.invoke({"messages": [("user", "what is 1 + 2?")]})
    gc = out["graphcompat"].raw["messages"]
    assert [type(m) for m in gc] == [HumanMessage, AIMessage, ToolMessage, AIMessage]
    assert gc[1].tool_calls == [{"name": "add", "args": {"a": 1, "b": 2}, "id": "call_1", "type": "tool_call"}]
    assert (gc[2].content, gc[2].tool_call_id, gc[3].content) == ("3", "call_1", "3")
    assert all(m.id for m in gc) and len({m.id for m in gc}) == 4
    # nodes saw message objects too
    assert d.gc.t.seen == d.lg.t.seen == [["HumanMessage"], ["HumanMessage", "AIMessage", "ToolMessage"]]
    # get_state and history hold objects (compared with LangGraph by the harness; types here)
    snapshot = d.gc.graph.get_state(d.gc.config)
    assert [type(m) for m in snapshot.values["messages"]] == [HumanMessage, AIMessage, ToolMessage, AIMessage]
    for past in d.gc.history():
        assert all(isinstance(m, (HumanMessage, AIMessage, ToolMessage)) for m in past.values.get("messages", []))

    assert replay_thread(env, tid(thread)) >= 1


def test_tool_calling_loop_streamed(env, thread):
    d = Differential(make_agent, tid(thread))
    chunks = {}
    for name, side in d.sides.items():
        chunks[name] = [norm(c) for c in side.graph.stream({"messages": [("user", "1 + 2?")]}, side.cfg(),
                                                          stream_mode="values")]
    d.same("stream(values)", chunks)
    assert [[m[1] for m in c["messages"]] for c in chunks["graphcompat"]] == [
        ["HumanMessage"],
        ["HumanMessage", "AIMessage"],
        ["HumanMessage", "AIMessage", "ToolMessage"],
        ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"],
    ]
    d.check("after stream")
    updates = {}
    for name, side in d.sides.items():
        side.config = {"configurable": {"thread_id": tid(thread) + "-updates"}}
        updates[name] = [norm(c) for c in side.graph.stream({"messages": [("user", "3 + 4?")]}, side.cfg(),
                                                           stream_mode="updates")]
    d.same("stream(updates)", updates)
    assert [list(u) for u in updates["graphcompat"]] == [["agent"], ["tools"], ["agent"]]
    assert replay_thread(env, tid(thread)) >= 1


def make_chat(StateGraph, START, END, t):
    def bot(state):
        t.calls["bot"] += 1
        return {"messages": [AIMessage(content=f"echo: {state['messages'][-1].content}")]}

    b = StateGraph(t.MessagesState)
    b.add_node("bot", bot)
    b.add_edge(START, "bot")
    b.add_edge("bot", END)
    return b


def test_same_input_twice_appends_and_update_state_removes_and_replaces(env, thread):
    d = Differential(make_chat, tid(thread))
    d.invoke({"messages": [("user", "hi")]})
    d.invoke({"messages": [("user", "hi")]})  # the same text again is a new message, as in LangGraph
    ids = {name: [m.id for m in side.graph.get_state(side.config).values["messages"]] for name, side in d.sides.items()}
    assert len(ids["graphcompat"]) == 4 and len(set(ids["graphcompat"])) == 4

    # replace message 0 and remove message 1, by their ids on each side
    def update(side):
        msgs = side.graph.get_state(side.config).values["messages"]
        return side.graph.update_state(
            side.config, {"messages": [HumanMessage(content="edited", id=msgs[0].id), RemoveMessage(id=msgs[1].id)]}
        )

    for side in d.sides.values():
        update(side)
    d.check("update_state(replace + RemoveMessage)")
    gc = d.gc.graph.get_state(d.gc.config).values["messages"]
    assert [(type(m).__name__, m.content) for m in gc] == [("HumanMessage", "edited"), ("HumanMessage", "hi"),
                                                          ("AIMessage", "echo: hi")]
    # removing an id that is not there: the same error type on both
    d.update_state({"messages": [RemoveMessage(id="nope")]})
    d.update_state({"messages": [RemoveMessage(id="__remove_all__"), ("user", "fresh start")]}, as_node="bot")
    assert [m.content for m in d.gc.graph.get_state(d.gc.config).values["messages"]] == ["fresh start"]
    assert replay_thread(env, tid(thread)) >= 1


CHILD = """
import json, sys
from tests.differential.harness import graphcompat_lib
from tests.differential.test_messages import make_chat
from graphcompat.checkpoint.sqlite import SqliteSaver
from graphcompat.testing import GraphTestEnvironment

with GraphTestEnvironment.start_time_skipping():
    lib = graphcompat_lib()
    graph = make_chat(lib.StateGraph, lib.START, lib.END, lib.namespace()).compile(checkpointer=SqliteSaver(sys.argv[1]))
    config = {"configurable": {"thread_id": sys.argv[2]}}
    before = graph.get_state(config).values["messages"]
    out = graph.invoke({"messages": [("user", "second turn")]}, config)
    print(json.dumps({
        "before": [[type(m).__name__, m.content, m.id] for m in before],
        "after": [[type(m).__name__, m.content, m.id] for m in out["messages"]],
    }))
"""


def test_reopening_a_sqlite_store_in_a_new_process_keeps_message_objects(env, thread, tmp_path):
    from graphcompat.checkpoint.sqlite import SqliteSaver
    from graphcompat.graph import END, START, StateGraph

    from .harness import graphcompat_lib, langgraph_lib

    path = tmp_path / "chat.sqlite"
    gc_lib = graphcompat_lib()
    graph = make_chat(StateGraph, START, END, gc_lib.namespace()).compile(checkpointer=SqliteSaver(str(path)))
    first = graph.invoke({"messages": [HumanMessage(content="first turn", additional_kwargs={"k": 1})]}, thread)
    first_ids = [m.id for m in first["messages"]]

    env_vars = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), tid(thread)], cwd=ROOT, env=env_vars,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["before"] == [["HumanMessage", "first turn", first_ids[0]], ["AIMessage", "echo: first turn", first_ids[1]]]
    assert [m[:2] for m in seen["after"]] == [
        ["HumanMessage", "first turn"], ["AIMessage", "echo: first turn"],
        ["HumanMessage", "second turn"], ["AIMessage", "echo: second turn"]]
    assert [m[2] for m in seen["after"][:2]] == first_ids

    # LangGraph, the same two turns in one process, sees the same messages
    lg_lib = langgraph_lib()
    lg_graph = make_chat(lg_lib.StateGraph, lg_lib.START, lg_lib.END, lg_lib.namespace()).compile(
        checkpointer=lg_lib.Saver())
    lg_graph.invoke({"messages": [HumanMessage(content="first turn", additional_kwargs={"k": 1})]}, thread)
    lg_out = lg_graph.invoke({"messages": [("user", "second turn")]}, thread)
    assert [m[:2] for m in seen["after"]] == [[type(m).__name__, m.content] for m in lg_out["messages"]]
