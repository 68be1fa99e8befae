"""A reader killed mid-run; another process attaches to the same run and continues.

Three processes besides the test: a ``worker.py`` that runs the nodes, and
readers (``python -m tests.graphs.stream_graph``). The node streams ten
chunks, then waits for a mark the test creates only once the second reader
is attached, so the attach happens while the run is in flight. The first
reader is SIGKILLed after five chunks; the second continues from there
(``stream(None, config)`` skipping the five it had); a third joins after the
run finished (``join_stream``) and reads it all from the start. Together they
must see every chunk exactly once, in the run's order.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from graphcompat._wire import workflow_id_for

from .replay import _replay

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = (
    [["custom", {"chunk": i}] for i in range(20)]
    + [["updates", {"produce": {"n": 20}}], ["custom", {"chunk": "last"}], ["updates", {"finish": {"n": 21}}]]
)


PG = os.environ.get("GRAPHCOMPAT_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    """The run's store: a SQLite file, or a fresh Postgres schema (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    if not PG:
        pytest.skip("set GRAPHCOMPAT_TEST_POSTGRES_URL to run the Postgres case")
    import psycopg

    schema = f"sr_{uuid.uuid4().hex[:10]}"
    yield f"{PG}{'&' if '?' in PG else '?'}schema={schema}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def setup(_local, tmp_path, store_url):
    address = _local.client.service_client.config.target_host
    task_queue = f"stream-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": address,
        "GRAPHCOMPAT_TASK_QUEUE": task_queue,
        "STREAM_STORE_URL": store_url,
        "STREAM_GO": str(tmp_path / "go"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("GRAPHCOMPAT_INPROCESS_WORKER", None)
    log = open(tmp_path / "worker.log", "ab")
    worker = subprocess.Popen(
        [sys.executable, "worker.py", "--graph", "tests.graphs.stream_graph:graph", "--task-queue", task_queue],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield env, tmp_path
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def reader(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.graphs.stream_graph", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def lines(proc: subprocess.Popen, count: int) -> list:
    out = []
    while len(out) < count:
        line = proc.stdout.readline()
        assert line, f"the reader ended after {len(out)} chunks: {proc.stderr.read()[-2000:]}"
        assert line.startswith("["), f"the reader printed {line!r}"
        out.append(json.loads(line))
    return out


def finish(proc: subprocess.Popen) -> list:
    out = proc.stdout.read()  # through the same buffer readline used (communicate would bypass it)
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0, err[-2000:]
    return [json.loads(line) for line in out.splitlines()]


def test_a_new_reader_continues_where_a_killed_one_stopped(setup, _local):
    env, tmp_path = setup
    thread_id = f"resume-{uuid.uuid4().hex[:8]}"
    first = reader(env, "start", thread_id)
    got_first = lines(first, 5)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)

    second = reader(env, "attach", thread_id, str(len(got_first)))
    got_second = lines(second, 1)  # attached while the node waits for the mark
    (tmp_path / "go").touch()
    got_second += finish(second)

    assert got_first + got_second == EXPECTED  # every chunk once, in order

    third = reader(env, "join", thread_id)  # the run is over: its chunks are still there
    assert finish(third) == EXPECTED

    _replay_latest(_local, thread_id)


def _replay_latest(server, thread_id: str) -> None:
    """Replay the thread's run (the readers, not this process, started it)."""

    async def runs() -> list:
        handle = server.client.get_workflow_handle(workflow_id_for(thread_id))
        return [(handle.id, (await handle.describe()).run_id)]

    assert server.run(_replay(server.client, server.run(runs()))) == 1


def test_join_stream_on_a_thread_that_never_ran_says_so(setup):
    env, _ = setup
    proc = reader(env, "join", f"never-{uuid.uuid4().hex[:8]}")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "has no run to join" in err and "start one with graph.stream(input, config)" in err


def test_invoke_none_on_a_thread_with_a_run_in_flight_returns_that_runs_result(setup, _local):
    env, tmp_path = setup
    thread_id = f"invoke-{uuid.uuid4().hex[:8]}"
    first = reader(env, "start", thread_id)
    lines(first, 2)  # the run is in flight, its node waiting for the mark
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    caller = reader(env, "invoke", thread_id)
    (tmp_path / "go").touch()
    # The run in flight's result (before, ThreadBusyError: the caller would have exited with an error).
    assert finish(caller) == [{"n": 21}]
    _replay_latest(_local, thread_id)
