"""Worker SIGKILLed at random moments in 20 runs: every run completes, exactly as if nothing happened.

One worker.py process at a time serves a 5-node chain; the client runs no
worker. For each of 20 runs a seeded RNG picks a moment in the run (in a
node or in a commit) at which the worker is SIGKILLed and a fresh one
started. Each run must complete with the full result, its latest checkpoint
must equal the result, its history must hold exactly one checkpoint per
step, and only the node in flight at the kill may have started twice. The
figures (kill moments, what was in flight, detection-to-completion times)
are printed.
"""

from __future__ import annotations

import importlib
import random
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from graphcompat._runtime import install_runtime
from graphcompat.testing import GraphTestEnvironment
from tests.e2e.crash_helpers import RuntimeEnv, client_runtime, start_worker, stop_workers, wait_for
from tests.e2e.replay import replay_thread

GRAPH = "tests.graphs.chain_graph:graph"
RUNS = 20
SEED = 13
NODE_S = 0.3


@pytest.mark.timeout(900)
def test_twenty_runs_each_survive_a_worker_sigkill_at_a_random_moment(_local: GraphTestEnvironment, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CRASH_DIR", str(tmp_path))
    monkeypatch.setenv("CHAIN_NODE_S", str(NODE_S))
    sys.modules.pop("tests.graphs.chain_graph", None)
    chain = importlib.import_module("tests.graphs.chain_graph")
    address = _local.client.service_client.config.target_host
    task_queue = f"kills-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "workers.log"
    worker_env = {"CRASH_DIR": str(tmp_path), "CHAIN_NODE_S": str(NODE_S)}
    rng = random.Random(SEED)
    runtime = client_runtime(address, task_queue)
    previous = install_runtime(runtime)
    worker = start_worker(address, task_queue, GRAPH, log, worker_env)
    figures: list[tuple[int, float, str, float]] = []
    try:
        for trial in range(RUNS):
            thread_id = f"kill-{trial}-{uuid.uuid4().hex[:6]}"
            config = {"configurable": {"thread_id": thread_id}}
            marks = tmp_path / f"marks-{thread_id}.log"
            outcome: dict = {}

            def run() -> None:
                try:
                    outcome["result"] = chain.graph.invoke({"done": []}, config)
                except BaseException as exc:  # noqa: BLE001 - reported below
                    outcome["error"] = exc

            invoker = threading.Thread(target=run)
            invoker.start()
            wait_for(lambda: marks.exists(), 120, f"run {trial} to start its first node")
            delay = rng.uniform(0, len(chain.NODES) * NODE_S)  # anywhere in the run: nodes and commits
            time.sleep(delay)  # the random kill moment (fault injection, not a wait for an outcome)
            at_kill = marks.read_text().split("\n") if marks.exists() else []
            in_flight = next((line.split()[1] for line in reversed(at_kill) if line.startswith("start ")), "")
            worker.kill()
            killed_at = time.monotonic()
            worker.wait()
            worker = start_worker(address, task_queue, GRAPH, log, worker_env)
            invoker.join(timeout=180)
            assert not invoker.is_alive(), f"run {trial} did not finish: " + log.read_text()[-2000:]
            recovered = time.monotonic() - killed_at
            assert "error" not in outcome, (trial, outcome.get("error"))
            assert outcome["result"] == {"done": chain.NODES}, trial
            state = chain.graph.get_state(config)
            assert state.values == outcome["result"] and state.next == ()
            steps = [s.metadata["step"] for s in chain.graph.get_state_history(config)]
            assert steps == list(range(len(chain.NODES) + 1, -1, -1)), (trial, steps)  # one checkpoint per step
            starts = [line.split()[1] for line in marks.read_text().split("\n") if line.startswith("start ")]
            again = {n for n in chain.NODES if starts.count(n) > 1}
            assert all(starts.count(n) >= 1 for n in chain.NODES), (trial, starts)
            assert again <= {in_flight}, (trial, in_flight, starts)  # no finished node ran again
            assert all(starts.count(n) <= 2 for n in chain.NODES), (trial, starts)
            figures.append((trial, delay, in_flight or "(before n1)", recovered))
            replay_thread(RuntimeEnv(runtime), thread_id)
    finally:
        install_runtime(previous)
        stop_workers(worker)
        runtime.close()
    with capsys.disabled():
        print(f"\n[worker kills] seed {SEED}: {len(figures)}/{RUNS} runs completed correctly")
        for trial, delay, node, recovered in figures:
            print(f"  run {trial:2d}: SIGKILL at +{delay:.2f}s (last node started: {node}); run complete {recovered:.2f}s after the kill")
        times = sorted(r for *_, r in figures)
        print(f"  kill -> completion: median {times[len(times) // 2]:.2f}s, max {times[-1]:.2f}s")
