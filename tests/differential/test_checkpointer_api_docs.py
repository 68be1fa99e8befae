"""LangGraph's "Add memory" page reads the checkpointer directly: ``checkpointer.get_tuple(config)``,
``list(checkpointer.list(config))``, ``checkpointer.delete_thread(thread_id)`` (langchain-ai/docs,
src/oss/add-memory.mdx). The same program on both libraries, comparing what it reads; ids,
timestamps, versions and step numbers are each library's own (harness.ALLOWED)."""

from typing import Annotated, TypedDict

import pytest

from .harness import Differential, norm

pytest.importorskip("langgraph")


def make_chat(t):
    StateGraph = t.imp("graph").StateGraph
    MessagesState = t.MessagesState
    AIMessage = pytest.importorskip("langchain_core.messages").AIMessage

    def call_model(state: MessagesState):
        t.calls["call_model"] += 1
        return {"messages": [AIMessage(content=f"reply {len(state['messages'])}")]}

    builder = StateGraph(MessagesState)
    builder.add_node(call_model)
    builder.add_edge(t.imp("graph").START, "call_model")
    checkpointer = t.Saver()
    graph = builder.compile(checkpointer=checkpointer)
    graph.checkpointer_for_test = checkpointer
    return graph


def view(tup, *, writes=True):
    """What a reader of the tuple sees, minus generated ids, times and versions.

    Only state keys of ``channel_values`` are compared: LangGraph also stores its Pregel
    channels there (``__start__``, ``branch:to:...``), graphcompat its own. Pending writes of
    a checkpoint whose step finished (``writes=False``) are LangGraph's internals too: it keeps
    the writes of every step, graphcompat those of an unfinished step only.
    """
    if tup is None:
        return None
    config, checkpoint, metadata, parent_config, pending_writes = tup
    return {
        "fields": list(tup._fields),
        "config_keys": sorted(config["configurable"]),
        "checkpoint_keys": sorted(k for k in checkpoint if k != "v"),
        "values": norm({k: v for k, v in checkpoint["channel_values"].items() if not k.startswith("__") and ":" not in k}),
        "source": metadata["source"],
        "has_parent": parent_config is not None,
        **({"pending_writes": pending_writes} if writes else {}),
    }


def test_doc_add_memory_checkpointer_api(env, thread):
    d = Differential(make_chat, thread["configurable"]["thread_id"], compiled=True)
    d.invoke({"messages": [{"role": "user", "content": "hi! I'm bob"}]})
    d.invoke({"messages": [{"role": "user", "content": "what's my name?"}]})
    saver = {name: side.graph.checkpointer_for_test for name, side in d.sides.items()}
    config = d.gc.config
    # "View the state of the thread", checkpointer API tab.
    d.same("get_tuple", {n: view(s.get_tuple(config)) for n, s in saver.items()})
    latest = {n: s.get_tuple(config) for n, s in saver.items()}
    assert latest["graphcompat"].checkpoint["channel_values"] == d.gc.graph.get_state(config).values
    # "View the history of the thread": newest first, one tuple per checkpoint, on both.
    d.same("list", {n: [view(t, writes=False) for t in s.list(config)] for n, s in saver.items()})
    assert len(list(saver["graphcompat"].list(config))) == len(list(d.gc.graph.get_state_history(config)))
    # A checkpoint by id.
    by_id = {
        n: view(s.get_tuple({"configurable": {**config["configurable"], "checkpoint_id": latest[n].config["configurable"]["checkpoint_id"]}}))
        for n, s in saver.items()
    }
    d.same("get_tuple by id", by_id)
    # "Delete all checkpoints for a thread".
    for s in saver.values():
        s.delete_thread(config["configurable"]["thread_id"])
    d.same("after delete_thread", {n: (s.get_tuple(config), list(s.list(config))) for n, s in saver.items()})
    assert d.gc.graph.get_state(config).values == {}
