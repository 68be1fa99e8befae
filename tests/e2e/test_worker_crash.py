"""A worker process is SIGKILLed while a node runs; another worker finishes the run.

Real processes (``python worker.py``), a real dev server, a real SQLite store.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from graphcompat._runtime import install_runtime
from graphcompat.testing import GraphTestEnvironment

from .crash_helpers import RuntimeEnv, client_runtime, kill_and_replace, start_worker, stop_workers, wait_for
from .replay import replay_thread

GRAPH = "tests.graphs.crash_graph:graph"


@pytest.fixture(params=["activities", "local nodes"])
def crash_dir(tmp_path, monkeypatch, request) -> Path:
    monkeypatch.setenv("CRASH_DIR", str(tmp_path))
    monkeypatch.setenv("CRASH_LOCAL", "1" if request.param == "local nodes" else "0")
    sys.modules.pop("tests.graphs.crash_graph", None)
    return tmp_path


def test_sigkilled_worker_loses_no_completed_node(_local: GraphTestEnvironment, crash_dir: Path, capsys) -> None:
    crash_graph = importlib.import_module("tests.graphs.crash_graph")
    local = os.environ["CRASH_LOCAL"] == "1"

    address = _local.client.service_client.config.target_host
    task_queue = f"crash-{uuid.uuid4().hex[:8]}"
    log = crash_dir / "workers.log"
    worker_env = {"CRASH_DIR": str(crash_dir), "CRASH_LOCAL": os.environ["CRASH_LOCAL"]}

    # The client process runs no worker: every node runs in a worker.py process.
    runtime = client_runtime(address, task_queue)
    previous = install_runtime(runtime)
    first_worker = start_worker(address, task_queue, GRAPH, log, worker_env)
    second_worker = None
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
        wait_for(lambda: runs.exists() and "slow" in runs.read_text().split(), 60, "node 'slow' to start")
        second_worker, recovered_in = kill_and_replace(first_worker, invoker, address, task_queue, GRAPH, log, worker_env)
        assert "error" not in outcome, outcome.get("error")
        assert outcome["result"] == {"done": ["first", "slow", "last"]}
        counts = {name: runs.read_text().split().count(name) for name in ("first", "slow", "last")}
        if local:
            # A local node's result enters history when the workflow task completes, which
            # waited on 'slow': 'first' ran again on the new worker. Its re-run's commit found
            # the checkpoint already stored and the run went on from that one.
            assert counts == {"first": 2, "slow": 2, "last": 1}
        else:
            # 'first' had completed before the crash: it never ran again.
            assert counts == {"first": 1, "slow": 2, "last": 1}
        history = [s.metadata["step"] for s in crash_graph.graph.get_state_history(config)]
        assert history == [4, 3, 2, 1, 0]
        with capsys.disabled():
            how = "local nodes: workflow task timeout 10s" if local else "heartbeat timeout 2s"
            print(f"\n[crash test] SIGKILL -> run complete in {recovered_in:.2f}s ({how})")
        replay_thread(RuntimeEnv(runtime), config["configurable"]["thread_id"])
    finally:
        install_runtime(previous)
        stop_workers(first_worker, second_worker)
        runtime.close()
