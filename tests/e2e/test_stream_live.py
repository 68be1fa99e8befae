"""Live chunks: they reach the reader while the node still runs, and they stay out of workflow history.

The node waits for the reader: it writes a chunk (or its model streams a
token), then blocks until the test's reader has received that chunk. If
chunks travelled only with the node's result, the node would wait in vain
and the test would fail (the node gives up after a minute and says so).
"""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from typing import TypedDict

import pytest

from graphcompat._wire import workflow_id_for
from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.config import get_stream_writer
from graphcompat.graph import START, StateGraph

from .replay import replay_thread

WAIT_S = 60


class S(TypedDict):
    n: int


def waiting_writer_graph(received: threading.Event):
    def node(state: S) -> dict:
        get_stream_writer()({"progress": "started"})
        if not received.wait(WAIT_S):
            raise RuntimeError("the reader never got the first chunk while the node ran")
        get_stream_writer()({"progress": "done"})
        return {"n": 1}

    return StateGraph(S).add_node("node", node).add_edge(START, "node").compile(checkpointer=InMemorySaver())


def test_a_custom_chunk_reaches_the_reader_while_the_node_runs(env, thread):
    received = threading.Event()
    chunks = []
    for mode, chunk in waiting_writer_graph(received).stream({"n": 0}, thread, stream_mode=["custom", "updates"]):
        chunks.append((mode, chunk))
        if chunk == {"progress": "started"}:
            received.set()
    assert chunks == [("custom", {"progress": "started"}), ("custom", {"progress": "done"}), ("updates", {"node": {"n": 1}})]
    assert replay_thread(env, thread["configurable"]["thread_id"]) == 1


async def test_astream_gets_live_chunks_too(env, thread):
    received = threading.Event()
    chunks = []
    async for chunk in waiting_writer_graph(received).astream({"n": 0}, thread, stream_mode="custom"):
        chunks.append(chunk)
        received.set()
    assert chunks == [{"progress": "started"}, {"progress": "done"}]


def test_model_tokens_reach_the_reader_while_the_node_runs(env, thread):
    pytest.importorskip("langchain_core")
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    model = GenericFakeChatModel(messages=itertools.cycle([AIMessage(content="one two three")]))
    received = threading.Event()

    def node(state: S) -> dict:
        for i, _ in enumerate(model.stream("count")):
            if i == 0 and not received.wait(WAIT_S):
                raise RuntimeError("the reader never got the first token while the node ran")
        return {"n": 1}

    graph = StateGraph(S).add_node("node", node).add_edge(START, "node").compile(checkpointer=InMemorySaver())
    tokens = []
    for message, metadata in graph.stream({"n": 0}, thread, stream_mode="messages"):
        tokens.append(message.content)
        assert metadata["langgraph_node"] == "node" and metadata["langgraph_step"] == 1
        received.set()
    assert "".join(tokens) == "one two three"
    assert replay_thread(env, thread["configurable"]["thread_id"]) == 1


def test_invoke_writes_no_chunks(env, thread):
    """Live chunks are written only for a reader that streams their mode: invoke pays nothing."""
    received = threading.Event()
    received.set()
    graph = waiting_writer_graph(received)
    assert graph.invoke({"n": 0}, thread) == {"n": 1}
    assert graph.store.get_stream_chunks(thread["configurable"]["thread_id"]) == []
    assert list(graph.stream({"n": 0}, {"configurable": {"thread_id": thread["configurable"]["thread_id"] + "-u"}})) == [
        {"node": {"n": 1}}
    ]
    assert graph.store.get_stream_chunks(thread["configurable"]["thread_id"] + "-u") == []


def _history_bytes(env, thread_id: str) -> int:
    wid, run_id = [r for r in env.runtime.started_runs if r[0] == workflow_id_for(thread_id)][-1]

    async def size() -> int:
        history = await env.client.get_workflow_handle(wid, run_id=run_id).fetch_history()
        return sum(e.ByteSize() for e in history.events)

    return env.run(size())


def test_history_does_not_grow_with_the_number_of_tokens(env, thread):
    """Invariant 3: 10,000 tokens from one node leave workflow history as big as 10 do."""
    pytest.importorskip("langchain_core")
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    def run(tokens: int, thread_id: str) -> tuple[int, int]:
        # GenericFakeChatModel streams each word and each space between words: 2 * words - 1 tokens.
        text = " ".join(f"t{i % 10}" for i in range((tokens + 1) // 2))
        model = GenericFakeChatModel(messages=itertools.cycle([AIMessage(content=text)]))

        def node(state: S) -> dict:
            return {"n": len(model.invoke("go").content)}

        # A generous heartbeat timeout: on a loaded machine a lost heartbeat would re-run the node,
        # whose second attempt streams its tokens again (as a retried node does).
        graph = StateGraph(S).add_node("node", node).add_edge(START, "node").compile(
            checkpointer=InMemorySaver(), heartbeat_timeout=timedelta(seconds=60)
        )
        config = {"configurable": {"thread_id": thread_id}}
        seen = sum(1 for _ in graph.stream({"n": 0}, config, stream_mode="messages"))
        return seen, _history_bytes(env, thread_id)

    base = thread["configurable"]["thread_id"]
    few, few_bytes = run(11, base + "-few")
    many, many_bytes = run(10_001, base + "-many")
    assert (few, many) == (11, 10_001)  # every token reached the reader
    # The same steps: the histories differ by a few bytes (the node's result holds a number with
    # more digits; a loaded machine may add a workflow task's events), not by anything that scales
    # with the tokens, whose text alone is 30 KB.
    assert many_bytes < few_bytes + 2048, (few_bytes, many_bytes)
    assert replay_thread(env, base + "-many") == 1
