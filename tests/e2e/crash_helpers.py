"""What the worker-crash tests share: worker.py subprocesses, a client-only runtime, waiting.

The client process runs no worker: every node runs in a ``worker.py`` process
that the test starts (and SIGKILLs), serving one graph from ``tests/graphs/``.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from graphcompat._runtime import Runtime, install_runtime

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


@dataclasses.dataclass
class Crash:
    """What a crashed run left: its result, how often each name was logged, how long recovery took."""

    result: Any
    runs: collections.Counter[str]
    recovered_in: float
    config: dict[str, Any]
    env: RuntimeEnv


@contextlib.contextmanager
def crashed_run(
    address: str, graph_path: str, graph: Any, input: Any, crash_dir: Path, started: str, env: dict[str, str] | None = None
) -> Iterator[Crash]:
    """Invoke ``graph`` with its nodes in a ``worker.py`` process; SIGKILL that worker once
    ``started`` is logged in ``crash_dir/runs.log`` and start another; yield the outcome.

    The run must complete without an error. The workers and the client runtime stop
    when the block ends.
    """
    task_queue = f"crash-{uuid.uuid4().hex[:8]}"
    log = crash_dir / "workers.log"
    worker_env = {"CRASH_DIR": str(crash_dir), **(env or {})}
    runtime = client_runtime(address, task_queue)  # the client runs no worker
    previous = install_runtime(runtime)
    first_worker = start_worker(address, task_queue, graph_path, log, worker_env)
    second_worker = None
    try:
        config: dict[str, Any] = {"configurable": {"thread_id": f"crash-{uuid.uuid4().hex[:8]}"}}
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["result"] = graph.invoke(input, config)
            except BaseException as exc:  # noqa: BLE001 - reported below
                outcome["error"] = exc

        invoker = threading.Thread(target=run)
        invoker.start()
        runs = crash_dir / "runs.log"
        wait_for(lambda: runs.exists() and started in runs.read_text().split(), 60, f"{started!r} to start")
        second_worker, recovered_in = kill_and_replace(first_worker, invoker, address, task_queue, graph_path, log, worker_env)
        assert "error" not in outcome, outcome.get("error")
        yield Crash(outcome["result"], collections.Counter(runs.read_text().split()), recovered_in, config, RuntimeEnv(runtime))
    finally:
        install_runtime(previous)
        stop_workers(first_worker, second_worker)
        runtime.close()
