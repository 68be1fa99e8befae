"""What the worker-crash tests share: worker.py subprocesses, a client-only runtime, waiting.

The client process runs no worker: every node runs in a ``worker.py`` process
that the test starts (and SIGKILLs), serving one graph from ``tests/graphs/``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import sys
import time
from collections.abc import Callable
from pathlib import Path

from graphcompat._runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]


def start_worker(address: str, task_queue: str, graph: str, log: Path, env: dict[str, str]) -> subprocess.Popen:
    """``python worker.py --graph <graph>`` on ``task_queue``, output appended to ``log``."""
    full_env = {**os.environ, **env, "TEMPORAL_ADDRESS": address, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py"), "--graph", graph, "--task-queue", task_queue],
        cwd=ROOT,
        env=full_env,
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
    )


def kill_and_replace(
    victim: subprocess.Popen, invoker: threading.Thread, address: str, task_queue: str, graph: str, log: Path, env: dict[str, str]
) -> tuple[subprocess.Popen, float]:
    """SIGKILL ``victim``, start a fresh worker, wait for the run in ``invoker`` to finish.

    Returns the new worker and the seconds from the kill to the run's end.
    """
    os.kill(victim.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    victim.wait()
    replacement = start_worker(address, task_queue, graph, log, env)
    invoker.join(timeout=90)
    recovered_in = time.monotonic() - killed_at
    assert not invoker.is_alive(), "the run did not finish after the crash: " + log.read_text()[-2000:]
    return replacement, recovered_in


def stop_workers(*procs: subprocess.Popen | None) -> None:
    """SIGTERM the workers still running (SIGKILL after 15 s)."""
    for proc in procs:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def client_runtime(address: str, task_queue: str) -> Runtime:
    """A runtime that only talks to the server at ``address`` (no in-process worker)."""

    async def connect():
        from temporalio.client import Client

        from graphcompat.plugin import GraphcompatPlugin

        return await Client.connect(address, plugins=[GraphcompatPlugin()]), None

    return Runtime(connect, in_process_worker=False, task_queue=task_queue, description="client")


class RuntimeEnv:
    """The part of GraphTestEnvironment that replay_thread uses."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @property
    def client(self):
        return self.runtime.run_sync(self.runtime.client())

    def run(self, coro):
        return self.runtime.run_sync(coro)
