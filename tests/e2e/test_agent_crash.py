"""A worker is SIGKILLed during a tool call of the ReAct agent; another worker finishes the run.

Issue 9's durability promise for agents: the finished model call is not
repeated, a tool that finished before the kill is not repeated, only the
killed tool call runs again. Real processes (``python worker.py``), a real
dev server, a real SQLite store; the graph is ``tests/graphs/agent_crash_graph.py``
(``create_react_agent``, v2: one ``Send`` task per tool call).
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
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from temporalio.api.enums.v1 import EventType

from graphcompat._runtime import Runtime, install_runtime
from graphcompat._wire import RUN_NODE, workflow_id_for
from graphcompat.testing import GraphTestEnvironment

from .crash_helpers import RuntimeEnv, client_runtime, kill_and_replace, start_worker, stop_workers, wait_for
from .replay import replay_thread

GRAPH = "tests.graphs.agent_crash_graph:graph"
MODULE = "tests.graphs.agent_crash_graph"


@pytest.fixture
def crash_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("AGENT_CRASH_DIR", str(tmp_path))
    sys.modules.pop(MODULE, None)
    return tmp_path


def _finished_node_activities(runtime: Runtime, thread_id: str) -> int:
    """How many RUN_NODE activities of the thread's run the server has recorded as completed."""

    async def count() -> int:
        client = await runtime.client()
        history = await client.get_workflow_handle(workflow_id_for(thread_id)).fetch_history()
        scheduled = {
            e.event_id
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            and e.activity_task_scheduled_event_attributes.activity_type.name == RUN_NODE
        }
        return sum(
            1
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
            and e.activity_task_completed_event_attributes.scheduled_event_id in scheduled
        )

    return runtime.run_sync(count())


def test_sigkill_during_a_tool_call_repeats_only_that_tool(_local: GraphTestEnvironment, crash_dir: Path, capsys) -> None:
    agent_graph = importlib.import_module(MODULE)

    address = _local.client.service_client.config.target_host
    task_queue = f"agent-crash-{uuid.uuid4().hex[:8]}"
    log = crash_dir / "workers.log"
    worker_env = {"AGENT_CRASH_DIR": str(crash_dir)}
    thread_id = f"agent-crash-{uuid.uuid4().hex[:8]}"
    config = {"configurable": {"thread_id": thread_id}}

    runtime = client_runtime(address, task_queue)
    previous = install_runtime(runtime)
    first_worker = start_worker(address, task_queue, GRAPH, log, worker_env)
    second_worker = None
    try:
        outcome: dict = {}

        def run() -> None:
            try:
                outcome["result"] = agent_graph.graph.invoke({"messages": [HumanMessage("look both up")]}, config)
            except BaseException as exc:  # noqa: BLE001 - reported below
                outcome["error"] = exc

        invoker = threading.Thread(target=run)
        invoker.start()
        runs = crash_dir / "runs.log"

        def ran() -> list[str]:
            return runs.read_text().split() if runs.exists() else []

        wait_for(lambda: {"slow_tool", "other_tool"} <= set(ran()), 60, "both tools to start")
        # Kill only once the server has other_tool's result (model call + other_tool), so
        # "other_tool ran once" tests durability, not a race with its completion.
        wait_for(lambda: _finished_node_activities(runtime, thread_id) >= 2, 30, "other_tool's result to be recorded")
        assert ran().count("slow_tool") == 1, "slow_tool finished before the kill"
        second_worker, recovered_in = kill_and_replace(first_worker, invoker, address, task_queue, GRAPH, log, worker_env)
        assert "error" not in outcome, outcome.get("error")

        messages = outcome["result"]["messages"]
        assert [m.type for m in messages] == ["human", "ai", "tool", "tool", "ai"]
        assert isinstance(messages[-1], AIMessage) and messages[-1].content == agent_graph.FINAL_ANSWER
        answers = {m.tool_call_id: m.content for m in messages if isinstance(m, ToolMessage)}
        assert answers == {"call-slow": "slow says done (a)", "call-other": "other says done (b)"}

        counts = {name: ran().count(name) for name in ("model", "slow_tool", "other_tool")}
        # The model's first answer was committed before the tools ran; other_tool's result was
        # recorded before the kill; only the killed slow_tool call ran again.
        assert counts == {"model": 2, "slow_tool": 2, "other_tool": 1}, counts

        history = list(agent_graph.graph.get_state_history(config))
        # One checkpoint per super-step, none repeated by the crash (graphcompat's input checkpoint is step 0).
        assert [(s.metadata["step"], s.metadata["source"], tuple(s.next)) for s in history] == [
            (4, "loop", ()),
            (3, "loop", ("agent",)),
            (2, "loop", ("tools", "tools")),
            (1, "loop", ("agent",)),
            (0, "input", ("__start__",)),
        ]
        assert len({s.config["configurable"]["checkpoint_id"] for s in history}) == len(history)
        with capsys.disabled():
            print(
                f"\n[agent crash test] SIGKILL -> run complete in {recovered_in:.2f}s (heartbeat timeout 2s); "
                f"calls: {counts}"
            )
        assert replay_thread(RuntimeEnv(runtime), thread_id) >= 1
    finally:
        install_runtime(previous)
        stop_workers(first_worker, second_worker)
        runtime.close()
