"""Nothing secret reaches Temporal: not the caller's ``configurable`` values, not the store's password.

A thread runs on Postgres through a URL with a password (the server trusts
loopback, so any password connects) with an API key in
``config["configurable"]``: invoke, an interrupt and its resume, an
``update_state`` and a stream. Nodes see the key; every workflow history of
the thread (inputs, activity events, memo, search attributes, summaries) and
every log record graphcompat wrote must not contain it, nor the password.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from operator import add
from typing import Annotated, TypedDict
from urllib.parse import urlsplit, urlunsplit

import pytest

from graphcompat._wire import workflow_id_for
from graphcompat.graph import END, START, StateGraph
from graphcompat.types import Command, interrupt

from .replay import replay_thread

PG = os.environ.get("GRAPHCOMPAT_TEST_POSTGRES_URL")
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG, reason="GRAPHCOMPAT_TEST_POSTGRES_URL is not set")]

API_KEY = "sk-live-" + uuid.uuid4().hex  # unique: any occurrence is this test's leak
PASSWORD = "pw-" + uuid.uuid4().hex


class S(TypedDict):
    log: Annotated[list, add]


def _fingerprint(config: dict) -> str:
    return hashlib.sha256(config["configurable"]["api_key"].encode()).hexdigest()[:12]


def _graph():
    from graphcompat.checkpoint.postgres import PostgresSaver

    parts = urlsplit(PG)
    netloc = f"{parts.username or 'postgres'}:{PASSWORD}@{parts.hostname or '127.0.0.1'}:{parts.port or 5432}"
    store = PostgresSaver(urlunsplit(parts._replace(netloc=netloc)), schema=f"secrets_{uuid.uuid4().hex[:8]}")

    def call(state: S, config) -> dict:  # a node that uses the key, as a model client would
        return {"log": [f"call:{_fingerprint(config)}"]}

    def approve(state: S, config) -> dict:
        answer = interrupt({"question": "approve?"})
        return {"log": [f"approve:{answer}:{_fingerprint(config)}"]}

    builder = StateGraph(S)
    builder.add_node("call", call)
    builder.add_node("approve", approve)
    builder.add_edge(START, "call")
    builder.add_edge("call", "approve")
    builder.add_edge("approve", END)
    return builder.compile(checkpointer=store)


async def _histories(client, runs: list[tuple[str, str]]) -> list[bytes]:
    """Each run's history and description as the server's protobuf bytes (payloads are raw JSON there)."""
    out = []
    for workflow_id, run_id in runs:
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        out.append(b"".join(e.SerializeToString() for e in (await handle.fetch_history()).events))
        out.append((await handle.describe()).raw_description.SerializeToString())
    return out


@pytest.mark.timeout(180)
def test_configurable_values_and_the_store_password_never_reach_temporal(env, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    graph = _graph()
    thread_id = f"secret-{uuid.uuid4().hex[:8]}"
    config = {"configurable": {"thread_id": thread_id, "api_key": API_KEY, "user": {"token": API_KEY}}}
    seen = hashlib.sha256(API_KEY.encode()).hexdigest()[:12]

    paused = graph.invoke({"log": []}, config)
    assert paused["log"] == [f"call:{seen}"]  # the node got the key
    assert [i.value for i in paused["__interrupt__"]] == [{"question": "approve?"}]
    done = graph.invoke(Command(resume="yes"), config)
    assert done["log"] == [f"call:{seen}", f"approve:yes:{seen}"]
    graph.update_state(config, {"log": ["edited"]}, as_node="approve")
    chunks = list(graph.stream({"log": ["again"]}, config, stream_mode="updates"))
    assert chunks[0] == {"call": {"log": [f"call:{seen}"]}}

    runs = [r for r in env.runtime.started_runs if r[0] == workflow_id_for(thread_id)]
    texts = env.run(_histories(env.client, runs))
    assert len(texts) == 2 * 4  # invoke, resume, update_state, stream: each a run with its history
    for raw in texts:
        assert API_KEY.encode() not in raw
        assert PASSWORD.encode() not in raw
    assert b'"approve?"' in b"".join(texts)  # the search would find a value that is there
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert API_KEY not in logged and PASSWORD not in logged
    assert replay_thread(env, thread_id) == 4
