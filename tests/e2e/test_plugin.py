"""``GraphcompatPlugin`` on a user's own client and worker: the documented way to add graphcompat
to Temporal workers you run yourself."""

from __future__ import annotations

import uuid
from typing import TypedDict

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DataConverter, DefaultPayloadConverter
from temporalio.worker import Worker

from graphcompat._runtime import Runtime, use_runtime
from graphcompat._wire import workflow_id_for
from graphcompat.checkpoint.sqlite import SqliteSaver
from graphcompat.errors import ConfigurationError
from graphcompat.graph import END, START, StateGraph
from graphcompat.plugin import GraphcompatPlugin, data_converter, replayer


class Count(TypedDict):
    n: int


def _graph(store):
    b = StateGraph(Count)
    b.add_node("inc", lambda s: {"n": s["n"] + 1})
    b.add_node("double", lambda s: {"n": s["n"] * 2})
    b.add_edge(START, "inc")
    b.add_edge("inc", "double")
    b.add_edge("double", END)
    return b.compile(checkpointer=store)


def test_a_users_worker_built_from_a_client_with_the_plugin_runs_graphs(env, thread, tmp_path) -> None:
    queue = f"user-worker-{uuid.uuid4().hex[:8]}"
    service, namespace = env.client.service_client, env.client.namespace

    async def connect() -> tuple[Client, None]:
        # No data_converter: the plugin sets graphcompat's.
        return Client(service, namespace=namespace, plugins=[GraphcompatPlugin()]), None

    runtime = Runtime(connect, in_process_worker=False, task_queue=queue, search_attributes=False)

    async def user_worker() -> Worker:
        client = await runtime.client()
        assert issubclass(client.data_converter.payload_converter_class, PydanticPayloadConverter)
        return Worker(client, task_queue=queue)  # workflows and activities come from the client's plugin

    worker = runtime.run_sync(user_worker())
    running = runtime.submit(worker.run())
    # A store other processes can open: this runtime has no in-process worker of its own.
    graph = _graph(SqliteSaver(str(tmp_path / "user.db")))
    try:
        with use_runtime(runtime):
            assert graph.invoke({"n": 3}, thread) == {"n": 8}
            assert graph.get_state(thread).values == {"n": 8}
        thread_id = thread["configurable"]["thread_id"]
        runs = [(w, r) for w, r in runtime.started_runs if w == workflow_id_for(thread_id)]

        async def replay() -> None:
            checker = replayer()
            for workflow_id, run_id in runs:
                history = await (await runtime.client()).get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
                await checker.replay_workflow(history)

        runtime.run_sync(replay())
        assert runs
    finally:
        runtime.run_sync(worker.shutdown())
        running.result(timeout=30)
        runtime.close()


def test_the_plugin_keeps_a_payload_codec_and_refuses_a_foreign_payload_converter() -> None:
    class Codec:
        async def encode(self, payloads):  # pragma: no cover - not called
            return payloads

        async def decode(self, payloads):  # pragma: no cover - not called
            return payloads

    codec = Codec()
    kept = data_converter(DataConverter(payload_codec=codec))  # type: ignore[arg-type]
    assert kept.payload_codec is codec and issubclass(kept.payload_converter_class, PydanticPayloadConverter)

    class Mine(DefaultPayloadConverter):
        pass

    with pytest.raises(ConfigurationError, match=r"payload converter is .*Mine; .*plugins=\[GraphcompatPlugin\(\)\]"):
        data_converter(DataConverter(payload_converter_class=Mine))
