"""A node sent to its own task queue (``add_node(..., task_queue=...)``) runs on the workers of that queue.

Two ``worker.py`` processes, one per queue, share a SQLite store; the client
has no worker. Each node records the process that ran it. In-process (the
embedded default, ``graphcompat.testing``) the runtime's worker serves every
queue of the graph, so the same graph runs unchanged.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType

from graphcompat._runtime import Runtime, install_runtime
from graphcompat._wire import workflow_id_for
from graphcompat.errors import GraphTypeError
from graphcompat.graph import StateGraph

from .replay import replay_thread
from .test_multi_worker import _replay_all, _wait_for_pollers

ROOT = Path(__file__).resolve().parents[2]


def _fresh_graph(monkeypatch, tmp_path, heavy_queue: str):
    monkeypatch.setenv("QUEUE_STORE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("QUEUE_HEAVY", heavy_queue)
    sys.modules.pop("tests.graphs.queue_graph", None)
    return importlib.import_module("tests.graphs.queue_graph").graph  # reads this test's environment


def test_each_node_runs_on_the_workers_of_its_queue(_local, tmp_path, monkeypatch):
    main_queue, heavy_queue = f"main-{uuid.uuid4().hex[:8]}", f"heavy-{uuid.uuid4().hex[:8]}"
    graph = _fresh_graph(monkeypatch, tmp_path, heavy_queue)
    address = _local.client.service_client.config.target_host
    env = {**os.environ, "TEMPORAL_ADDRESS": address, "PYTHONPATH": str(ROOT)}
    log = open(tmp_path / "workers.log", "ab")
    workers = {
        queue: subprocess.Popen(
            [sys.executable, "worker.py", "--graph", "tests.graphs.queue_graph:graph", "--task-queue", queue],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        for queue in (main_queue, heavy_queue)
    }

    async def connect():
        from temporalio.client import Client

        from graphcompat.plugin import GraphcompatPlugin

        return await Client.connect(address, plugins=[GraphcompatPlugin()]), None

    runtime = Runtime(connect, in_process_worker=False, task_queue=main_queue)
    previous = install_runtime(runtime)
    try:
        _wait_for_pollers(_local, main_queue, 1)
        _wait_for_pollers(_local, heavy_queue, 1)
        result = graph.invoke({"ran": []}, {"configurable": {"thread_id": f"q-{uuid.uuid4().hex[:8]}"}})
        main_pid, heavy_pid = str(workers[main_queue].pid), str(workers[heavy_queue].pid)
        assert result["ran"] == [f"prep@{main_pid}", f"heavy@{heavy_pid}", f"report@{main_pid}"]
        _replay_all(runtime)
    finally:
        install_runtime(previous)
        for proc in workers.values():
            proc.send_signal(signal.SIGTERM)
        for proc in workers.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        runtime.close()
        graph.store.close()


def test_an_in_process_worker_serves_the_node_queues_too(env, thread, tmp_path, monkeypatch):
    heavy_queue = f"heavy-{uuid.uuid4().hex[:8]}"
    graph = _fresh_graph(monkeypatch, tmp_path, heavy_queue)
    try:
        result = graph.invoke({"ran": []}, thread)
        pid = os.getpid()
        assert result["ran"] == [f"prep@{pid}", f"heavy@{pid}", f"report@{pid}"]
        thread_id = thread["configurable"]["thread_id"]
        replay_thread(env, thread_id)
        history = env.run(env.client.get_workflow_handle(workflow_id_for(thread_id)).fetch_history())
        scheduled = [
            e.activity_task_scheduled_event_attributes
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        ]
        queues = [a.task_queue.name for a in scheduled]
        assert queues.count(heavy_queue) == 1 and len(queues) == 3
        heavy = next(a for a in scheduled if a.task_queue.name == heavy_queue)
        assert heavy.heartbeat_timeout.ToTimedelta() == timedelta(seconds=5)
        assert heavy.schedule_to_close_timeout.ToTimedelta() == timedelta(minutes=5)
        others = [a for a in scheduled if a.task_queue.name != heavy_queue]
        assert all(a.heartbeat_timeout.ToTimedelta() == graph.heartbeat_timeout for a in others)
    finally:
        graph.store.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"task_queue": ""}, r"Node 'n': task_queue must be a non-empty task queue name \(str\), got ''.*worker.py --task-queue gpu"),
        ({"task_queue": 3}, r"task_queue must be a non-empty task queue name \(str\), got 3"),
        ({"heartbeat_timeout": 5}, r"Node 'n': heartbeat_timeout must be a positive datetime.timedelta, got 5; e.g. heartbeat_timeout=timedelta\(seconds=30\)"),
        ({"schedule_to_close_timeout": timedelta(0)}, r"schedule_to_close_timeout must be a positive datetime.timedelta"),
        ({"timeout": -timedelta(seconds=1)}, r"Node 'n': timeout must be a positive datetime.timedelta"),
    ],
)
def test_bad_node_options_are_refused_and_the_graph_is_unchanged(options, message):
    from typing import TypedDict

    class S(TypedDict):
        x: int

    builder = StateGraph(S)
    with pytest.raises(GraphTypeError, match=message):
        builder.add_node("n", lambda s: s, **options)
    assert "n" not in builder.nodes
