"""A worker process is SIGKILLed while a node runs; another worker finishes the run.

Real processes (``python worker.py``), a real dev server, a real SQLite store.
"""

from __future__ import annotations

import collections
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


FUNC_GRAPH = "tests.graphs.func_crash_graph:graph"


def test_sigkill_during_a_task_reruns_only_that_task(_local: GraphTestEnvironment, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CRASH_DIR", str(tmp_path))
    sys.modules.pop("tests.graphs.func_crash_graph", None)
    func_graph = importlib.import_module("tests.graphs.func_crash_graph")

    address = _local.client.service_client.config.target_host
    task_queue = f"crash-func-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "workers.log"
    worker_env = {"CRASH_DIR": str(tmp_path)}
    runtime = client_runtime(address, task_queue)
    previous = install_runtime(runtime)
    first_worker = start_worker(address, task_queue, FUNC_GRAPH, log, worker_env)
    second_worker = None
    try:
        config = {"configurable": {"thread_id": f"crash-func-{uuid.uuid4().hex[:8]}"}}
        outcome: dict = {}

        def run() -> None:
            try:
                outcome["result"] = func_graph.graph.invoke(3, config)
            except BaseException as exc:  # noqa: BLE001 - reported below
                outcome["error"] = exc

        invoker = threading.Thread(target=run)
        invoker.start()
        runs = tmp_path / "runs.log"
        wait_for(lambda: runs.exists() and "slow" in runs.read_text().split(), 60, "task 'slow' to start")
        second_worker, recovered_in = kill_and_replace(first_worker, invoker, address, task_queue, FUNC_GRAPH, log, worker_env)
        assert "error" not in outcome, outcome.get("error")
        assert outcome["result"] == {"values": [0, 10, 20], "slow": 31}
        counts = collections.Counter(runs.read_text().split())
        # the fetch tasks had finished before the crash: none ran again; only 'slow' did
        assert counts == {"fetch0": 1, "fetch1": 1, "fetch2": 1, "slow": 2}
        assert func_graph.graph.get_state(config).values == {"values": [0, 10, 20], "slow": 31}
        with capsys.disabled():
            print(f"\n[crash test, @task] SIGKILL -> run complete in {recovered_in:.2f}s (heartbeat timeout 2s)")
        replay_thread(RuntimeEnv(runtime), config["configurable"]["thread_id"])
    finally:
        install_runtime(previous)
        stop_workers(first_worker, second_worker)
        runtime.close()


FUNC_ENTRY_GRAPH = "tests.graphs.func_crash_entry_graph:graph"


def test_sigkill_in_the_entrypoint_replays_it_without_rerunning_finished_tasks(
    _local: GraphTestEnvironment, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("CRASH_DIR", str(tmp_path))
    sys.modules.pop("tests.graphs.func_crash_entry_graph", None)
    func_graph = importlib.import_module("tests.graphs.func_crash_entry_graph")

    address = _local.client.service_client.config.target_host
    task_queue = f"crash-entry-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "workers.log"
    worker_env = {"CRASH_DIR": str(tmp_path)}
    runtime = client_runtime(address, task_queue)
    previous = install_runtime(runtime)
    first_worker = start_worker(address, task_queue, FUNC_ENTRY_GRAPH, log, worker_env)
    second_worker = None
    try:
        config = {"configurable": {"thread_id": f"crash-entry-{uuid.uuid4().hex[:8]}"}}
        outcome: dict = {}

        def run() -> None:
            try:
                outcome["result"] = func_graph.graph.invoke(2, config)
            except BaseException as exc:  # noqa: BLE001 - reported below
                outcome["error"] = exc

        invoker = threading.Thread(target=run)
        invoker.start()
        runs = tmp_path / "runs.log"
        wait_for(lambda: runs.exists() and "after-fetch" in runs.read_text().split(), 60, "the entrypoint to block")
        second_worker, _ = kill_and_replace(first_worker, invoker, address, task_queue, FUNC_ENTRY_GRAPH, log, worker_env)
        assert "error" not in outcome, outcome.get("error")
        assert outcome["result"] == (100 + 101) * 2
        counts = collections.Counter(runs.read_text().split())
        # the entrypoint ran again from its start; the tasks it had finished did not
        assert counts == {"fetch0": 1, "fetch1": 1, "after-fetch": 3, "finish": 1}
        replay_thread(RuntimeEnv(runtime), config["configurable"]["thread_id"])
    finally:
        install_runtime(previous)
        stop_workers(first_worker, second_worker)
        runtime.close()


SUBGRAPH = "tests.graphs.subgraph_crash_graph:graph"


def test_sigkilled_worker_during_a_subgraph_node_reruns_no_finished_node(
    _local: GraphTestEnvironment, crash_dir: Path, capsys
) -> None:
    sys.modules.pop("tests.graphs.subgraph_crash_graph", None)
    crash_graph = importlib.import_module("tests.graphs.subgraph_crash_graph")

    address = _local.client.service_client.config.target_host
    task_queue = f"crash-{uuid.uuid4().hex[:8]}"
    log = crash_dir / "workers.log"
    worker_env = {"CRASH_DIR": str(crash_dir)}
    runtime = client_runtime(address, task_queue)
    previous = install_runtime(runtime)
    first_worker = start_worker(address, task_queue, SUBGRAPH, log, worker_env)
    second_worker = None
    try:
        config = {"configurable": {"thread_id": f"crash-{uuid.uuid4().hex[:8]}"}}
        outcome: dict = {}

        def run() -> None:
            try:
                outcome["result"] = crash_graph.graph.invoke({"done": [], "team": []}, config)
            except BaseException as exc:  # noqa: BLE001 - reported below
                outcome["error"] = exc

        invoker = threading.Thread(target=run)
        invoker.start()
        runs = crash_dir / "runs.log"
        wait_for(lambda: runs.exists() and "s_slow" in runs.read_text().split(), 60, "subgraph node 's_slow' to start")
        second_worker, recovered_in = kill_and_replace(first_worker, invoker, address, task_queue, SUBGRAPH, log, worker_env)
        assert "error" not in outcome, outcome.get("error")
        assert outcome["result"] == {"done": ["first", "last"], "team": ["s_first", "s_slow", "s_last"]}
        names = ("first", "s_first", "s_slow", "s_last", "last")
        counts = {name: runs.read_text().split().count(name) for name in names}
        # Nodes finished before the crash (the parent's and the subgraph's) never ran again.
        assert counts == {"first": 1, "s_first": 1, "s_slow": 2, "s_last": 1, "last": 1}
        state = crash_graph.graph.get_state(config)
        team_ns = [ns for ns in {r.checkpoint_ns for r in crash_graph.graph.store.list_checkpoints(config["configurable"]["thread_id"], None)} if ns]
        assert len(team_ns) == 1 and team_ns[0].startswith("team:")
        sub_history = list(crash_graph.graph.get_state_history({"configurable": {**config["configurable"], "checkpoint_ns": team_ns[0]}}))
        assert [s.metadata["step"] for s in sub_history] == [4, 3, 2, 1, 0]
        assert state.next == () and [s.metadata["step"] for s in crash_graph.graph.get_state_history(config)] == [4, 3, 2, 1, 0]
        with capsys.disabled():
            print(f"\n[crash test] SIGKILL in a subgraph node -> run complete in {recovered_in:.2f}s (heartbeat timeout 2s)")
        replay_thread(RuntimeEnv(runtime), config["configurable"]["thread_id"], store=crash_graph.graph.store)
    finally:
        install_runtime(previous)
        stop_workers(first_worker, second_worker)
        runtime.close()
