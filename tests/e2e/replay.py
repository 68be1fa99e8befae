"""Replay a thread's workflow histories with ``temporalio.worker.Replayer``.

A cheap, strong proof that the workflow is deterministic: every run of the
thread (continue-as-new chains included) is fetched and replayed against the
current workflow code, with the replayer ``GraphcompatPlugin`` configures
(the same workflows and converter as the workers); a non-determinism error
fails the test.
"""

from __future__ import annotations

from temporalio.client import Client

from graphcompat._wire import workflow_id_for
from graphcompat.plugin import replayer
from graphcompat.testing import GraphTestEnvironment


async def _replay(client: Client, runs: list[tuple[str, str]]) -> int:
    checker = replayer()
    for workflow_id, run_id in runs:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        await checker.replay_workflow(history)
    return len(runs)


def replay_thread(env: GraphTestEnvironment, thread_id: str) -> int:
    """Replay every run started on ``thread_id`` in this environment; returns how many."""
    wid = workflow_id_for(thread_id)
    runs = [(w, r) for w, r in env.runtime.started_runs if w == wid]
    assert runs, f"no run was started on thread {thread_id!r}"
    return env.run(_replay(env.client, runs))
