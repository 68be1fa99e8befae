"""The Temporal dev server SIGKILLed mid-run and restarted on its database.

The test runs its own dev server (persisted to a file, on a fixed port), a
runtime with an in-process worker on it, and a graph whose node waits for
the test. While the node waits the server is killed; it is restarted only
once the caller has noticed the outage (graphcompat logs that it is
waiting), so the caller's wait has really outlived the SDK's own retries.
Then the node is released: the run completes and ``invoke`` returns its
result. With a retry limit shorter than the outage, ``invoke`` raises
``TemporalUnavailableError`` saying how to attach, and the run still
completes on the restarted server.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
import uuid
from operator import add
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest

from graphcompat._devserver import DevServer
from graphcompat._runtime import Runtime, use_runtime
from graphcompat._wire import workflow_id_for
from graphcompat.checkpoint.sqlite import SqliteSaver
from graphcompat.errors import TemporalUnavailableError
from graphcompat.graph import END, START, StateGraph
from graphcompat.plugin import replayer


class Log(TypedDict):
    log: Annotated[list, add]


class _Noticed(logging.Handler):
    """Set when graphcompat logs that the caller waits out a Temporal outage."""

    def __init__(self) -> None:
        super().__init__()
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "Temporal is not answering" in record.getMessage():
            self.event.set()


class _Server:
    """One dev server history file, served by a process that can be killed and started again."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.current = DevServer(db=directory / "temporal.db", log_path=directory / "temporal.log", ui=False)
        self.port = self.current.port

    def start(self) -> None:
        asyncio.run(self.current.start())

    def kill(self) -> None:
        assert self.current.process is not None
        self.current.process.send_signal(signal.SIGKILL)
        self.current.process.wait(timeout=30)

    def restart(self) -> None:
        self.current = DevServer(db=self.directory / "temporal.db", log_path=self.directory / "temporal.log", ui=False, port=self.port)
        self.start()

    def stop(self) -> None:
        self.current.stop()


def _graph(tmp_path: Path, entered: threading.Event, release: threading.Event) -> Any:
    def wait(state: Log) -> dict:
        entered.set()
        assert release.wait(120), "the test never released the node"
        return {"log": ["waited"]}

    builder = StateGraph(Log)
    builder.add_node("wait", wait)
    builder.add_node("after", lambda s: {"log": ["after"]})
    builder.add_edge(START, "wait")
    builder.add_edge("wait", "after")
    builder.add_edge("after", END)
    return builder.compile(checkpointer=SqliteSaver(tmp_path / "graph.db"))


def _runtime(server: _Server) -> Runtime:
    from temporalio.client import Client

    from graphcompat.plugin import GraphcompatPlugin

    async def connect() -> tuple[Client, None]:
        return await Client.connect(server.current.address, plugins=[GraphcompatPlugin()]), None

    runtime = Runtime(connect, in_process_worker=True, search_attributes=True, description="outage test")
    runtime.task_queue_override = f"outage-{uuid.uuid4().hex[:8]}"
    return runtime


def _replay(runtime: Runtime, thread_id: str) -> int:
    async def replay() -> int:
        client = await runtime.client()
        runs = [r for r in runtime.started_runs if r[0] == workflow_id_for(thread_id)]
        for wid, run_id in runs:
            await replayer().replay_workflow(await client.get_workflow_handle(wid, run_id=run_id).fetch_history())
        return len(runs)

    return runtime.run_sync(replay())


def _outage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, retry_seconds: int | None) -> tuple[dict, Any, Runtime, _Server, str]:
    if retry_seconds is not None:
        monkeypatch.setenv("GRAPHCOMPAT_TEMPORAL_RETRY_SECONDS", str(retry_seconds))
    server = _Server(tmp_path)
    server.start()
    runtime = _runtime(server)
    entered, release = threading.Event(), threading.Event()
    graph = _graph(tmp_path, entered, release)
    thread_id = f"outage-{uuid.uuid4().hex[:8]}"
    config = {"configurable": {"thread_id": thread_id}}
    noticed = _Noticed()
    logging.getLogger("graphcompat").addHandler(noticed)
    box: dict = {}

    def call() -> None:
        try:
            with use_runtime(runtime):
                box["result"] = graph.invoke({"log": []}, config)
        except BaseException as exc:  # noqa: BLE001 - checked by the test
            box["error"] = exc

    caller = threading.Thread(target=call, daemon=True)
    try:
        caller.start()
        assert entered.wait(60), "the node never started"
        started = time.monotonic()
        server.kill()
        assert noticed.event.wait(90), "the caller never noticed the outage"
        if retry_seconds is not None:
            caller.join(timeout=retry_seconds + 60)
            assert not caller.is_alive()
        down = time.monotonic() - started
        server.restart()
        release.set()
        caller.join(timeout=120)
        assert not caller.is_alive(), "invoke did not return after the server came back"
        print(f"server down {down:.1f} s; caller: {sorted(box)}")
    finally:
        release.set()
        logging.getLogger("graphcompat").removeHandler(noticed)
    return box, graph, runtime, server, thread_id


@pytest.mark.timeout(300)
def test_invoke_returns_its_result_across_a_temporal_server_kill_and_restart(tmp_path, monkeypatch) -> None:
    box, graph, runtime, server, thread_id = _outage(tmp_path, monkeypatch, None)
    try:
        assert "error" not in box, repr(box.get("error"))
        assert box["result"] == {"log": ["waited", "after"]}
        assert graph.get_state({"configurable": {"thread_id": thread_id}}).next == ()
        assert _replay(runtime, thread_id) == 1
    finally:
        runtime.close()
        server.stop()


@pytest.mark.timeout(300)
def test_an_outage_longer_than_the_limit_is_a_typed_error_and_the_run_still_completes(tmp_path, monkeypatch) -> None:
    box, graph, runtime, server, thread_id = _outage(tmp_path, monkeypatch, 1)
    try:
        error = box.get("error")
        assert isinstance(error, TemporalUnavailableError) and isinstance(error, ConnectionError), repr(error)
        message = str(error)
        assert message.startswith(f"Temporal did not answer for 1 s while this call waited for the run on thread {thread_id!r}")
        assert "The run continues on the server and its workers. When Temporal is back, attach to it with " \
               "graph.invoke(None, config)" in message
        assert "set GRAPHCOMPAT_TEMPORAL_RETRY_SECONDS to wait longer" in message

        async def finished() -> Any:
            client = await runtime.client()
            return await client.get_workflow_handle(workflow_id_for(thread_id)).result()

        runtime.run_sync(finished())  # the run went on without its caller
        assert graph.get_state({"configurable": {"thread_id": thread_id}}).values == {"log": ["waited", "after"]}
        assert _replay(runtime, thread_id) == 1
    finally:
        runtime.close()
        server.stop()
