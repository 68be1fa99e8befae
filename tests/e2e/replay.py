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
from graphcompat.checkpoint.base import BaseCheckpointSaver
from graphcompat.plugin import replayer
from graphcompat.testing import GraphTestEnvironment


async def _replay(client: Client, runs: list[tuple[str, str]]) -> int:
    checker = replayer()
    for workflow_id, run_id in runs:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        await checker.replay_workflow(history)
    return len(runs)


async def _subgraph_runs(client: Client, store: BaseCheckpointSaver, thread_id: str) -> list[tuple[str, str]]:
    """Every run of the thread's subgraph workflows: one workflow per checkpoint namespace in the
    store, its runs followed back from the latest through the ``previous_run_id`` memo."""
    records = await store.alist_checkpoints(thread_id, None)
    runs = []
    for ns in sorted({r.checkpoint_ns for r in records if r.checkpoint_ns}):
        workflow_id = workflow_id_for(thread_id, ns)
        run_id: str | None = (await client.get_workflow_handle(workflow_id).describe()).run_id
        while run_id:
            runs.append((workflow_id, run_id))
            described = await client.get_workflow_handle(workflow_id, run_id=run_id).describe()
            run_id = (await described.memo()).get("previous_run_id")
    return runs


def replay_thread(env: GraphTestEnvironment, thread_id: str, *, store: BaseCheckpointSaver | None = None) -> int:
    """Replay every run started on ``thread_id`` in this environment; returns how many.

    With ``store``, also every run of the thread's subgraph workflows (started
    by node activities, one workflow per namespace, its runs linked by memo).
    """
    wid = workflow_id_for(thread_id)
    runs = [(w, r) for w, r in env.runtime.started_runs if w == wid]
    assert runs, f"no run was started on thread {thread_id!r}"
    if store is not None:
        children = env.run(_subgraph_runs(env.client, store, thread_id))
        assert children, f"thread {thread_id!r} has no subgraph checkpoints"
        runs += children
    return env.run(_replay(env.client, runs))
