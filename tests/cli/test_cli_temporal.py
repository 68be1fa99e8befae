"""``schedule-expiry`` on the dev server, and ``server`` as users run it.

The schedule test runs the cleanup workflow for real: a worker registered
with ``cleanup_workflows()`` / ``cleanup_activities()`` serves a fresh task
queue, the Schedule is triggered, and the expired thread disappears from the
store. The workflow's history is then replayed to prove it deterministic.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client, ScheduleActionStartWorkflow
from temporalio.worker import Worker

from activities.cleanup import cleanup_activities
from graphcompat.checkpoint.sqlite import SqliteSaver
from graphcompat.plugin import replayer
from tests.cli.conftest import PIPELINE
from workflows.cleanup import CLEANUP_WORKFLOW, CleanupWorkflow, cleanup_workflows


def _old_thread(store, thread_id: str) -> None:
    """Seed a thread with ``update`` (no run needed), then back-date its checkpoint to 2020."""
    with SqliteSaver(store.path) as saver:
        record = saver.get_checkpoint(thread_id)
        saver.delete_thread(thread_id)
        saver.put_checkpoint(dataclasses.replace(record, created_at="2020-01-01T00:00:00+00:00"))


def test_schedule_expiry_creates_a_schedule_that_expires_threads(local_env, store, cli):
    for tid in ("stale", "fresh"):
        seeded = cli("update", "--graph", PIPELINE, tid, "--values", '{"query": "q"}', "--as-node", "__start__")
        assert seeded.code == 0, seeded.err
    _old_thread(store, "stale")

    task_queue = f"cleanup-{uuid.uuid4().hex[:8]}"
    schedule_id = f"expiry-{uuid.uuid4().hex[:8]}"

    async def start_worker() -> tuple[Worker, asyncio.Task[None]]:
        client = await local_env.runtime.client()
        worker = Worker(client, task_queue=task_queue, workflows=cleanup_workflows(), activities=cleanup_activities())
        return worker, asyncio.get_running_loop().create_task(worker.run())

    worker, runner = local_env.run(start_worker())
    client: Client = local_env.client
    handle = client.get_schedule_handle(schedule_id)
    try:
        args = ["schedule-expiry", "--older-than", "30d", "--every", "1h", "--store", store.url,
                "--schedule-id", schedule_id, "--task-queue", task_queue]
        created = cli(*args)
        assert created.code == 0, created.err
        assert f"schedule {schedule_id!r} created" in created.out
        updated = cli(*args[:-4], "--schedule-id", schedule_id, "--task-queue", task_queue)
        assert updated.code == 0 and "updated" in updated.out

        description = local_env.run(handle.describe())
        action = description.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow) and action.workflow == CLEANUP_WORKFLOW
        assert action.task_queue == task_queue
        assert [i.every for i in description.schedule.spec.intervals] == [timedelta(hours=1)]

        local_env.run(handle.trigger())
        deadline = time.monotonic() + 60
        with SqliteSaver(store.path) as saver:
            while "stale" in {t.thread_id for t in saver.list_threads()}:
                assert time.monotonic() < deadline, "the scheduled cleanup did not delete the stale thread"
                time.sleep(0.2)
            assert {t.thread_id for t in saver.list_threads()} == {"fresh"}

        # Replay the cleanup run: the workflow is deterministic.
        runs = local_env.run(handle.describe()).info.recent_actions
        assert runs
        workflow_id = runs[-1].action.workflow_id

        async def replay() -> None:
            wf = client.get_workflow_handle_for(CleanupWorkflow.run, workflow_id)
            result = await wf.result()
            assert result.expired == ["stale"]
            history = await wf.fetch_history()
            await replayer().replay_workflow(history)

        local_env.run(replay())
    finally:
        local_env.run(handle.delete())
        local_env.run(worker.shutdown())
        runner.cancel()


def test_schedule_expiry_refuses_a_store_workers_cannot_open(local_env, cli):
    result = cli("schedule-expiry", "--older-than", "30d", "--every", "1h", "--store", "memory://x")
    assert result.code == 2 and "lives only in this process" in result.err
    bad = cli("schedule-expiry", "--older-than", "30d", "--every", "soon", "--store", "memory://x")
    assert bad.code == 2 and "--every 'soon' is not a duration" in bad.err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_server_prints_its_address_and_stops_on_sigterm(tmp_path: Path):
    port, ui_port = _free_port(), _free_port()
    script = Path(sys.executable).parent / "graphcompat"
    env = {**os.environ, "GRAPHCOMPAT_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [str(script), "server", "--port", str(port), "--ui-port", str(ui_port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.strip() == f"Temporal dev server: 127.0.0.1:{port}", first + (proc.stderr.read() if proc.poll() else "")
        assert proc.stdout.readline().startswith(f"Web UI: http://127.0.0.1:{ui_port}/")

        async def ping() -> str:
            client = await Client.connect(f"127.0.0.1:{port}")
            return (await client.service_client.check_health()) and "ok"

        assert asyncio.run(ping()) == "ok"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "stopped" in out
        assert (tmp_path / "temporal.db").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_expiry_schedule_and_its_runs_carry_no_store_password(local_env, cli, monkeypatch):
    """The Schedule holds the store URL without its password; the worker supplies it from
    its own GRAPHCOMPAT_STORE, and the cleanup runs (the stale thread goes)."""
    from urllib.parse import urlsplit, urlunsplit

    from tests.store.store_helpers import ThreadWriter, postgres_url

    parts = urlsplit(postgres_url())
    password = "pw-" + uuid.uuid4().hex
    schema = f"sched_{uuid.uuid4().hex[:8]}"
    netloc = f"{parts.username or 'postgres'}:{password}@{parts.hostname or '127.0.0.1'}:{parts.port or 5432}"
    url = urlunsplit(parts._replace(netloc=netloc, query=f"schema={schema}"))
    from graphcompat.checkpoint import saver_from_url

    with saver_from_url(url) as saver:
        ThreadWriter(saver, "stale").write()  # created in 2026-01-01: idle for longer than 1s
    monkeypatch.setenv("GRAPHCOMPAT_STORE", url)  # the worker's own environment (this process)

    task_queue = f"cleanup-{uuid.uuid4().hex[:8]}"
    schedule_id = f"expiry-{uuid.uuid4().hex[:8]}"

    async def start_worker() -> tuple[Worker, asyncio.Task[None]]:
        client = await local_env.runtime.client()
        worker = Worker(client, task_queue=task_queue, workflows=cleanup_workflows(), activities=cleanup_activities())
        return worker, asyncio.get_running_loop().create_task(worker.run())

    worker, runner = local_env.run(start_worker())
    handle = local_env.client.get_schedule_handle(schedule_id)
    try:
        created = cli("schedule-expiry", "--older-than", "1s", "--every", "1h", "--store", url,
                      "--schedule-id", schedule_id, "--task-queue", task_queue)
        assert created.code == 0, created.err
        assert password not in created.out + created.err
        assert "the password is not in the Schedule: its workers take it from their GRAPHCOMPAT_STORE" in created.out
        local_env.run(handle.trigger())
        deadline = time.monotonic() + 60
        while not local_env.run(handle.describe()).info.recent_actions:
            assert time.monotonic() < deadline, "the schedule never started its cleanup"
            time.sleep(0.1)
        workflow_id = local_env.run(handle.describe()).info.recent_actions[-1].action.workflow_id

        async def outcome() -> tuple[list[str], bytes]:
            wf = local_env.client.get_workflow_handle_for(CleanupWorkflow.run, workflow_id)
            result = await wf.result()
            history = await wf.fetch_history()
            await replayer().replay_workflow(history)
            description = await handle.describe()
            raw = b"".join(e.SerializeToString() for e in history.events)
            return result.expired, raw + description.raw_description.SerializeToString()

        expired, raw = local_env.run(outcome())
        assert expired == ["stale"]
        assert password.encode() not in raw
        assert f"schema={schema}".encode() in raw  # the store is named, only its password is not
    finally:
        local_env.run(handle.delete())
        local_env.run(worker.shutdown())
        runner.cancel()
