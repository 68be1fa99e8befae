"""A worker process is SIGKILLed while a node runs; another worker finishes the run.

Real processes (``python worker.py``), a real dev server, a real SQLite store.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest

from graphcompat.testing import GraphTestEnvironment

from .crash_helpers import crashed_run
from .replay import replay_thread

GRAPH = "tests.graphs.crash_graph:graph"


@pytest.fixture(params=["activities", "local nodes"])
def crash_dir(tmp_path, monkeypatch, request) -> Path:
    monkeypatch.setenv("CRASH_DIR", str(tmp_path))
    monkeypatch.setenv("CRASH_LOCAL", "1" if request.param == "local nodes" else "0")
    sys.modules.pop("tests.graphs.crash_graph", None)
    return tmp_path


def _address(env: GraphTestEnvironment) -> str:
    return env.client.service_client.config.target_host


def test_sigkilled_worker_loses_no_completed_node(_local: GraphTestEnvironment, crash_dir: Path, capsys) -> None:
    crash_graph = importlib.import_module("tests.graphs.crash_graph")
    local = os.environ["CRASH_LOCAL"] == "1"
    env = {"CRASH_LOCAL": os.environ["CRASH_LOCAL"]}
    with crashed_run(_address(_local), GRAPH, crash_graph.graph, {"done": []}, crash_dir, "slow", env) as crash:
        assert crash.result == {"done": ["first", "slow", "last"]}
        counts = {name: crash.runs[name] for name in ("first", "slow", "last")}
        if local:
            # A local node's result enters history when the workflow task completes, which
            # waited on 'slow': 'first' ran again on the new worker. Its re-run's commit found
            # the checkpoint already stored and the run went on from that one.
            assert counts == {"first": 2, "slow": 2, "last": 1}
        else:
            # 'first' had completed before the crash: it never ran again.
            assert counts == {"first": 1, "slow": 2, "last": 1}
        history = [s.metadata["step"] for s in crash_graph.graph.get_state_history(crash.config)]
        assert history == [4, 3, 2, 1, 0]
        with capsys.disabled():
            how = "local nodes: workflow task timeout 10s" if local else "heartbeat timeout 2s"
            print(f"\n[crash test] SIGKILL -> run complete in {crash.recovered_in:.2f}s ({how})")
        replay_thread(crash.env, crash.config["configurable"]["thread_id"])


FUNC_GRAPH = "tests.graphs.func_crash_graph:graph"


def test_sigkill_during_a_task_reruns_only_that_task(_local: GraphTestEnvironment, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CRASH_DIR", str(tmp_path))
    sys.modules.pop("tests.graphs.func_crash_graph", None)
    func_graph = importlib.import_module("tests.graphs.func_crash_graph")
    with crashed_run(_address(_local), FUNC_GRAPH, func_graph.graph, 3, tmp_path, "slow") as crash:
        assert crash.result == {"values": [0, 10, 20], "slow": 31}
        # the fetch tasks had finished before the crash: none ran again; only 'slow' did
        assert crash.runs == {"fetch0": 1, "fetch1": 1, "fetch2": 1, "slow": 2}
        assert func_graph.graph.get_state(crash.config).values == {"values": [0, 10, 20], "slow": 31}
        with capsys.disabled():
            print(f"\n[crash test, @task] SIGKILL -> run complete in {crash.recovered_in:.2f}s (heartbeat timeout 2s)")
        replay_thread(crash.env, crash.config["configurable"]["thread_id"])


FUNC_ENTRY_GRAPH = "tests.graphs.func_crash_entry_graph:graph"


def test_sigkill_in_the_entrypoint_replays_it_without_rerunning_finished_tasks(
    _local: GraphTestEnvironment, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("CRASH_DIR", str(tmp_path))
    sys.modules.pop("tests.graphs.func_crash_entry_graph", None)
    func_graph = importlib.import_module("tests.graphs.func_crash_entry_graph")
    with crashed_run(_address(_local), FUNC_ENTRY_GRAPH, func_graph.graph, 2, tmp_path, "after-fetch") as crash:
        assert crash.result == (100 + 101) * 2
        # the entrypoint ran again from its start; the tasks it had finished did not
        assert crash.runs == {"fetch0": 1, "fetch1": 1, "after-fetch": 3, "finish": 1}
        replay_thread(crash.env, crash.config["configurable"]["thread_id"])


SUBGRAPH = "tests.graphs.subgraph_crash_graph:graph"


def test_sigkilled_worker_during_a_subgraph_node_reruns_no_finished_node(
    _local: GraphTestEnvironment, crash_dir: Path, capsys
) -> None:
    sys.modules.pop("tests.graphs.subgraph_crash_graph", None)
    crash_graph = importlib.import_module("tests.graphs.subgraph_crash_graph")
    graph = crash_graph.graph
    with crashed_run(_address(_local), SUBGRAPH, graph, {"done": [], "team": []}, crash_dir, "s_slow") as crash:
        assert crash.result == {"done": ["first", "last"], "team": ["s_first", "s_slow", "s_last"]}
        counts = {name: crash.runs[name] for name in ("first", "s_first", "s_slow", "s_last", "last")}
        # Nodes finished before the crash (the parent's and the subgraph's) never ran again.
        assert counts == {"first": 1, "s_first": 1, "s_slow": 2, "s_last": 1, "last": 1}
        thread_id = crash.config["configurable"]["thread_id"]
        team_ns = [ns for ns in {r.checkpoint_ns for r in graph.store.list_checkpoints(thread_id, None)} if ns]
        assert len(team_ns) == 1 and team_ns[0].startswith("team:")
        sub_history = list(graph.get_state_history({"configurable": {"thread_id": thread_id, "checkpoint_ns": team_ns[0]}}))
        assert [s.metadata["step"] for s in sub_history] == [4, 3, 2, 1, 0]
        assert graph.get_state(crash.config).next == ()
        assert [s.metadata["step"] for s in graph.get_state_history(crash.config)] == [4, 3, 2, 1, 0]
        with capsys.disabled():
            print(f"\n[crash test] SIGKILL in a subgraph node -> run complete in {crash.recovered_in:.2f}s (heartbeat timeout 2s)")
        replay_thread(crash.env, thread_id, store=graph.store)
