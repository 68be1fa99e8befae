"""A worker process is SIGKILLed while a node runs; another worker finishes the run.

Real processes (``python worker.py``), a real dev server, a real SQLite store.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from graphcompat._runtime import Runtime, install_runtime
from graphcompat.testing import GraphTestEnvironment

from .replay import replay_thread

ROOT = Path(__file__).resolve().parents[2]


def _start_worker(address: str, task_queue: str, crash_dir: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "TEMPORAL_ADDRESS": address, "CRASH_DIR": str(crash_dir), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py"), "--graph", "tests.graphs.crash_graph:graph", "--task-queue", task_queue],
        cwd=ROOT,
        env=env,
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
    )


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def crash_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CRASH_DIR", str(tmp_path))
    sys.modules.pop("tests.graphs.crash_graph", None)
    return tmp_path


def test_sigkilled_worker_loses_no_completed_node(_local: GraphTestEnvironment, crash_dir: Path, capsys) -> None:
    crash_graph = importlib.import_module("tests.graphs.crash_graph")

    address = _local.client.service_client.config.target_host
    task_queue = f"crash-{uuid.uuid4().hex[:8]}"
    log = crash_dir / "workers.log"

    async def connect():
        from temporalio.client import Client
        from graphcompat.plugin import GraphcompatPlugin

        return await Client.connect(address, plugins=[GraphcompatPlugin()]), None

    # The client process runs no worker: every node runs in a worker.py process.
    client_runtime = Runtime(connect, in_process_worker=False, task_queue=task_queue, description="client")
    previous = install_runtime(client_runtime)
    first_worker = _start_worker(address, task_queue, crash_dir, log)
    second_worker: subprocess.Popen | None = None
    try:
        config = {"configurable": {"thread_id": f"crash-{uuid.uuid4().hex[:8]}"}}
        outcome: dict = {}

        def run() -> None:
            try:
                outcome["result"] = crash_graph.graph.invoke({"done": []}, config)
            except BaseException as exc:  # noqa: BLE001 - reported below
                outcome["error"] = exc

        invoker = threading.Thread(target=run)
        invoker.start()
        runs = crash_dir / "runs.log"
        _wait_for(lambda: runs.exists() and "slow" in runs.read_text().split(), 60, "node 'slow' to start")
        os.kill(first_worker.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        first_worker.wait()
        second_worker = _start_worker(address, task_queue, crash_dir, log)
        invoker.join(timeout=90)
        recovered_in = time.monotonic() - killed_at
        assert not invoker.is_alive(), "the run did not finish after the crash: " + log.read_text()[-2000:]
        assert "error" not in outcome, outcome.get("error")
        assert outcome["result"] == {"done": ["first", "slow", "last"]}
        counts = {name: runs.read_text().split().count(name) for name in ("first", "slow", "last")}
        # 'first' had completed before the crash: it never ran again.
        assert counts == {"first": 1, "slow": 2, "last": 1}
        history = [s.metadata["step"] for s in crash_graph.graph.get_state_history(config)]
        assert history == [4, 3, 2, 1, 0]
        with capsys.disabled():
            print(f"\n[crash test] SIGKILL -> run complete in {recovered_in:.2f}s (heartbeat timeout 2s)")
        replay_thread(_RuntimeEnv(client_runtime), config["configurable"]["thread_id"])
    finally:
        install_runtime(previous)
        for proc in (first_worker, second_worker):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        client_runtime.close()


class _RuntimeEnv:
    """The part of GraphTestEnvironment that replay_thread uses."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @property
    def client(self):
        return self.runtime.run_sync(self.runtime.client())

    def run(self, coro):
        return self.runtime.run_sync(coro)
