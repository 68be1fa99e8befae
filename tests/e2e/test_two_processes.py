"""Two processes on the embedded default in one directory: one server, one run per thread.

Each process is a fresh Python (no Temporal configured) using the embedded
default under the same ``GRAPHCOMPAT_HOME`` and one SQLite store. The node
blocks until the test releases it, so "at once" is a fact, not a timing
hope: whichever process starts the thread's run first holds it until then,
and the other must be refused with ``ThreadBusyError``. The histories are
fetched from the shared server while its owner is alive, and replayed.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from temporalio.client import Client

from graphcompat._wire import workflow_id_for
from graphcompat.plugin import GraphcompatPlugin, replayer

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r'''
import json, operator, pathlib, sys, time
from typing import Annotated, TypedDict

from graphcompat.checkpoint.sqlite import SqliteSaver
from graphcompat.errors import ThreadBusyError
from graphcompat.graph import END, START, StateGraph

home, role, action = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]


class State(TypedDict):
    log: Annotated[list, operator.add]


def work(state):
    with open(home / "ran", "a") as out:
        out.write(role + "\n")
    (home / f"started-{role}").touch()
    while not (home / "release").exists():  # held until the test lets it go
        time.sleep(0.02)
    return {"log": [role]}


builder = StateGraph(State)
builder.add_node("work", work)
builder.add_edge(START, "work")
builder.add_edge("work", END)
graph = builder.compile(checkpointer=SqliteSaver.from_conn_string(str(home / "graph.db")), name="two")
config = {"configurable": {"thread_id": "shared"}}
try:
    if action == "invoke":
        outcome = {"outcome": "ran", "values": graph.invoke({"log": [role + "-in"]}, config)}
    else:
        graph.update_state(config, {"log": [role + "-update"]})
        outcome = {"outcome": "updated"}
except ThreadBusyError as exc:
    outcome = {"outcome": "busy", "message": str(exc)}
print(json.dumps(outcome), flush=True)
while not (home / "quit").exists():  # stay up: the test reads the histories from the server
    time.sleep(0.05)
'''


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "GRAPHCOMPAT_"))}
    env["GRAPHCOMPAT_HOME"] = str(home)
    env["PYTHONPATH"] = str(ROOT)
    return env


def _spawn(home: Path, script: Path, role: str, action: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(script), str(home), role, action],
        cwd=home, env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for(predicate, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def _outcome(proc: subprocess.Popen[str]) -> dict:
    line = proc.stdout.readline() if proc.stdout else ""
    assert line, f"process {proc.pid} printed no outcome; stderr: {proc.stderr.read()[-3000:] if proc.stderr else ''}"
    return json.loads(line)


async def _replay_thread(home: Path, thread_id: str) -> int:
    """Fetch every run of the thread from the shared server and replay it."""
    from graphcompat._devserver import claim_state_db

    claim = claim_state_db(home, wait=5)
    assert not isinstance(claim, tuple), "the owner process should still hold the server"
    client = await Client.connect(claim.address, plugins=[GraphcompatPlugin()])
    checker, count = replayer(), 0
    async for run in client.list_workflows(f'WorkflowId = "{workflow_id_for(thread_id)}"'):
        history = await client.get_workflow_handle(run.id, run_id=run.run_id).fetch_history()
        await checker.replay_workflow(history)
        count += 1
    return count


def _stop(*procs: subprocess.Popen[str]) -> list[str]:
    errs = []
    for proc in procs:
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        errs.append(err)
    return errs


@pytest.mark.timeout(300)
def test_two_processes_invoking_one_thread_at_once_run_it_once_on_one_server(tmp_path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    script = tmp_path / "proc.py"
    script.write_text(SCRIPT)
    first, second = _spawn(home, script, "a", "invoke"), _spawn(home, script, "b", "invoke")
    try:
        # Exactly one gets the run; its node blocks, so the other is refused meanwhile.
        _wait_for(lambda: (home / "started-a").exists() or (home / "started-b").exists(), "a node to start")
        winner, loser = (first, second) if (home / "started-a").exists() else (second, first)
        refused = _outcome(loser)
        assert refused["outcome"] == "busy"
        assert "Thread 'shared' already has a run in flight" in refused["message"]
        assert "one run per thread at a time" in refused["message"]
        (home / "release").touch()
        ran = _outcome(winner)
        role = "a" if winner is first else "b"
        assert ran == {"outcome": "ran", "values": {"log": [f"{role}-in", role]}}
        assert (home / "ran").read_text() == f"{role}\n"  # the node ran once, in the winner
        # One server on one history file: no process kept runs in a file of its own.
        assert sorted(p.name for p in home.glob("temporal*.db")) == ["temporal.db"]
        assert asyncio.run(_replay_thread(home, "shared")) == 1
    finally:
        (home / "quit").touch()
        (home / "release").touch()
        errs = _stop(first, second)
    assert sum("using the embedded Temporal server of process" in e for e in errs) == 1, errs


@pytest.mark.timeout(300)
def test_update_state_racing_a_starting_run_is_refused_and_changes_nothing(tmp_path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    script = tmp_path / "proc.py"
    script.write_text(SCRIPT)
    runner = _spawn(home, script, "a", "invoke")
    updater = None
    try:
        _wait_for(lambda: (home / "started-a").exists(), "the run's node to start")
        updater = _spawn(home, script, "b", "update")
        refused = _outcome(updater)
        assert refused["outcome"] == "busy" and "Thread 'shared' already has a run in flight" in refused["message"]
        (home / "release").touch()
        # The update went nowhere: the run's result is exactly its own input and node.
        assert _outcome(runner) == {"outcome": "ran", "values": {"log": ["a-in", "a"]}}
        assert asyncio.run(_replay_thread(home, "shared")) == 1
    finally:
        (home / "quit").touch()
        (home / "release").touch()
        _stop(*(p for p in (runner, updater) if p is not None))
