"""Several worker.py processes on one task queue share a Postgres store; one is killed mid-run.

Needs Postgres: set GRAPHCOMPAT_TEST_POSTGRES_URL (``.ci/run`` does).
"""

from __future__ import annotations

import concurrent.futures
import importlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from graphcompat._runtime import Runtime, install_runtime

ROOT = Path(__file__).resolve().parents[2]
PG = os.environ.get("GRAPHCOMPAT_TEST_POSTGRES_URL")

pytestmark = pytest.mark.skipif(
    not PG,
    reason="set GRAPHCOMPAT_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test to run the multi-worker tests",
)


@pytest.fixture
def cluster(_local, tmp_path, monkeypatch):
    """Two worker.py processes on a fresh task queue, a fresh Postgres schema, a client runtime with no worker."""
    import psycopg

    schema = f"mw_{uuid.uuid4().hex[:10]}"
    url = f"{PG}{'&' if '?' in PG else '?'}schema={schema}"
    monkeypatch.setenv("MULTI_STORE_URL", url)
    sys.modules.pop("tests.graphs.multi_graph", None)
    multi_graph = importlib.import_module("tests.graphs.multi_graph")  # fresh: reads this test's environment

    address = _local.client.service_client.config.target_host
    task_queue = f"multi-{uuid.uuid4().hex[:8]}"
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": address,
        "MULTI_STORE_URL": url,
        "MULTI_MARK_DIR": str(marks),
        "PYTHONPATH": str(ROOT),
    }
    log = open(tmp_path / "workers.log", "ab")

    def start() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "worker.py", "--graph", "tests.graphs.multi_graph:graph", "--task-queue", task_queue,
             "--max-concurrent-activities", "3"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )

    async def connect():
        from temporalio.client import Client
        from graphcompat.plugin import GraphcompatPlugin

        return await Client.connect(address, plugins=[GraphcompatPlugin()]), None

    runtime = Runtime(connect, in_process_worker=False, task_queue=task_queue)
    previous = install_runtime(runtime)
    workers = [start(), start()]
    _wait_for_pollers(_local, task_queue, 2)
    try:
        yield multi_graph.graph, workers, marks
        _replay_all(runtime)
    finally:
        install_runtime(previous)
        for proc in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        runtime.close()
        multi_graph.graph.store.close()
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _replay_all(runtime: Runtime) -> None:
    """Replay every run the workers executed (a killed worker's runs included)."""
    from graphcompat.plugin import replayer

    async def replay() -> int:
        client, checker = await runtime.client(), replayer()
        for workflow_id, run_id in runtime.started_runs:
            await checker.replay_workflow(await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history())
        return len(runtime.started_runs)

    assert runtime.run_sync(replay()) > 0


def _wait_for_pollers(env, task_queue: str, count: int) -> None:
    """Block until ``count`` workers poll the task queue for activities (they take a second to start)."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    client = env.client

    async def pollers() -> int:
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            )
        )
        return len({p.identity for p in response.pollers})

    deadline = time.monotonic() + 60
    while env.run(pollers()) < count:
        assert time.monotonic() < deadline, f"{count} workers did not start polling {task_queue}"
        time.sleep(0.1)


def _run_many(graph, count: int) -> dict[str, dict]:
    configs = {f"mw-{uuid.uuid4().hex[:8]}": None for _ in range(count)}
    with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
        futures = {
            tid: pool.submit(graph.invoke, {"n": i, "ran": []}, {"configurable": {"thread_id": tid}})
            for i, tid in enumerate(configs)
        }
        return {tid: f.result(timeout=120) for tid, f in futures.items()}


def test_two_workers_share_the_work_and_the_store(cluster):
    graph, workers, _ = cluster
    results = _run_many(graph, 16)
    pids = set()
    for tid, result in results.items():
        assert [r.split("@")[0] for r in result["ran"]] == ["plan", "work", "report"]
        pids.update(r.split("@")[1] for r in result["ran"])
        history = list(graph.get_state_history({"configurable": {"thread_id": tid}}))
        assert [h.metadata["step"] for h in history] == [4, 3, 2, 1, 0]
        assert [h.metadata["source"] for h in history] == ["loop"] * 4 + ["input"]
    assert pids == {str(w.pid) for w in workers}  # both workers ran nodes


def test_killing_one_worker_mid_run_the_other_finishes(cluster):
    graph, workers, marks = cluster
    victim, survivor = workers
    started = marks / f"{victim.pid}.started"
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(_run_many, graph, 8)
        deadline = time.monotonic() + 60
        while not started.exists():  # bounded poll: the victim has a node in flight
            assert time.monotonic() < deadline, "the victim never started a node"
            time.sleep(0.02)
        os.kill(victim.pid, signal.SIGKILL)
        results = pending.result(timeout=120)
    assert len(results) == 8
    for result in results.values():
        assert [r.split("@")[0] for r in result["ran"]] == ["plan", "work", "report"]
    victim_started = len(started.read_text().split())
    victim_finished = sum(r.endswith(f"@{victim.pid}") for result in results.values() for r in result["ran"])
    # at least one node the victim had started never finished there: the survivor ran it again
    assert victim_finished < victim_started
    assert any(r.endswith(f"@{survivor.pid}") for result in results.values() for r in result["ran"])
