"""``run``, ``update``, ``fork`` and the read commands, on stores written by real runs.

Runs go to the time-skipping Temporal server with an in-process worker (the
``env`` fixture); the graphs are imported by the command line itself from
``tests/cli/graphs_for_cli.py``.
"""

from __future__ import annotations

import json
import re

import pytest

from graphcompat._history_drawing import draw_history_mermaid
from graphcompat.checkpoint.sqlite import SqliteSaver
from tests.cli.graphs_for_cli import pipeline
from tests.cli.conftest import APPROVAL, PIPELINE, final_json
from tests.e2e.replay import replay_thread


def _ids(store_path, thread_id: str) -> list[tuple[int, str, str]]:
    """(step, source, checkpoint id) of every checkpoint, oldest first."""
    with SqliteSaver(store_path) as saver:
        return sorted(
            ((r.step, r.source, r.checkpoint_id) for r in saver.list_checkpoints(thread_id)), key=lambda t: t[2]
        )


def test_run_prints_the_updates_stream_then_the_final_values(env, store, cli, thread):
    tid = thread["configurable"]["thread_id"]
    result = cli("run", "--graph", PIPELINE, "--thread", tid, "--input", '{"query": "q"}')
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    final_at = lines.index("{")
    updates = [json.loads(line) for line in lines[:final_at]]
    assert [list(u) for u in updates] == [["gather"], ["analyze"], ["report"]]  # LangGraph's default mode
    assert updates[0] == {"gather": {"sources": ["q-1", "q-2"]}}
    assert final_json(result.out)["summary"] == "Found 2 sources (reported)"
    several = cli("run", "--graph", PIPELINE, "--thread", tid + "-m", "--input", '{"query": "q"}', "--mode", "updates,values")
    assert several.code == 0, several.err
    assert several.out.splitlines()[0] == 'values  {"query": "q", "sources": []}'
    assert several.out.splitlines()[1].startswith('updates  {"gather": ')
    bad = cli("run", "--graph", PIPELINE, "--thread", tid + "-x", "--input", '{"query": "q"}', "--mode", "tokens")
    assert bad.code == 2 and "--mode 'tokens' is not a stream mode; use one of values, updates" in bad.err
    assert replay_thread(env, tid) >= 1


def test_run_mode_checkpoints_prints_each_super_step(env, store, cli, thread):
    tid = thread["configurable"]["thread_id"]
    result = cli("run", "--graph", PIPELINE, "--thread", tid, "--input", '{"query": "q"}', "--mode", "checkpoints")
    assert result.code == 0, result.err
    steps = [line for line in result.out.splitlines() if line.startswith("step")]
    assert [int(line.split()[1]) for line in steps] == [0, 1, 2, 3, 4]
    assert "gather" in steps[2] and "changed sources" in steps[2]
    assert "analyze" in steps[3] and "changed summary" in steps[3]
    final = final_json(result.out)
    assert final == {"query": "q", "sources": ["q-1", "q-2"], "summary": "Found 2 sources (reported)"}
    assert replay_thread(env, tid) >= 1


def test_a_failed_node_exits_1_with_node_thread_and_checkpoint(env, store, cli, thread):
    tid = thread["configurable"]["thread_id"]
    result = cli("run", "--graph", PIPELINE, "--thread", tid, "--input", '{"query": "q", "fail": true}')
    assert result.code == 1
    latest = _ids(store.path, tid)[-1][2]
    line = result.err.strip().splitlines()[-1]
    assert line.startswith("graphcompat: error: node 'analyze' failed on thread")
    assert tid in line and latest in line and "ConnectionError: Simulated API failure!" in line
    assert "Traceback" not in result.err

    threads = cli("threads", "--store", store.url)
    assert re.search(rf"^{tid}\s+3\s+2\s+.*failed: analyze$", threads.out, re.M), threads.out
    state = cli("state", tid, "--store", store.url)
    assert "analyze  [failed]  ConnectionError: Simulated API failure!" in state.out
    assert "next        analyze" in state.out


def test_threads_state_and_history_json(env, store, cli, thread):
    tid = thread["configurable"]["thread_id"]
    assert cli("run", "--graph", PIPELINE, "--thread", tid, "--input", '{"query": "q"}').code == 0
    threads = json.loads(cli("threads", "--store", store.url, "--json").out)
    assert [(t["thread_id"], t["checkpoints"], t["latest_step"], t["status"]) for t in threads] == [(tid, 5, 4, "done")]
    text = cli("threads", "--store", store.url).out.splitlines()
    assert text[0].split() == ["THREAD", "CHECKPOINTS", "STEP", "UPDATED", "STATUS"]

    state = json.loads(cli("state", tid, "--store", store.url, "--json").out)
    assert state["values"]["summary"] == "Found 2 sources (reported)"
    assert state["next"] == [] and state["status"] == "done"
    assert state["metadata"]["source"] == "loop" and state["metadata"]["step"] == 4

    ids = _ids(store.path, tid)
    named = json.loads(cli("state", tid, "--store", store.url, "--checkpoint", ids[2][2][-8:], "--json").out)
    assert named["checkpoint_id"] == ids[2][2] and named["next"] == ["analyze"]

    history = json.loads(cli("history", tid, "--store", store.url, "--json").out)
    assert [h["step"] for h in history] == [4, 3, 2, 1, 0]
    assert history[0]["writers"] == ["report"] and history[-1]["source"] == "input"
    limited = json.loads(cli("history", tid, "--store", store.url, "--json", "--limit", "2").out)
    assert len(limited) == 2


def test_fork_branches_the_history_tree(env, store, cli, thread):
    tid = thread["configurable"]["thread_id"]
    assert cli("run", "--graph", PIPELINE, "--thread", tid, "--input", '{"query": "q"}').code == 0
    after_gather = [cid for step, _, cid in _ids(store.path, tid) if step == 2][0]

    fork = cli(
        "fork", "--graph", PIPELINE, tid, "--checkpoint", after_gather,
        "--values", '{"sources": ["extra"]}', "--as-node", "gather", "--run",
    )
    assert fork.code == 0, fork.err
    assert final_json(fork.out)["summary"] == "Found 3 sources (reported)"
    assert "forked: checkpoint" in fork.err

    tree = cli("history", tid, "--store", store.url).out.splitlines()
    with SqliteSaver(store.path) as saver:
        count = len(list(saver.list_checkpoints(tid)))
    assert len(tree) == count > 5  # one line per checkpoint, the branch included
    assert [line[:3] for line in tree[:3]] == ["o  "] * 3  # the shared trunk: steps 0-2 in one column
    assert tree[3].startswith("├─ ") and "step 3" in tree[3] and "wrote analyze" in tree[3]
    split = next(i for i, line in enumerate(tree) if line.startswith("└─ "))
    assert "update" in tree[split] and "wrote gather" in tree[split]
    assert all(line.startswith("   ") for line in tree[split + 1 :])  # the branch continues under it
    assert "wrote report" in tree[-1] and tree[-1].lstrip().startswith("*")  # the latest, on the branch
    assert sum(line.lstrip("│ ├└─").startswith("*") for line in tree) == 1

    mermaid = cli("history", tid, "--store", store.url, "--mermaid").out
    assert mermaid.startswith("flowchart TD\n")
    assert mermaid.count("-.->") >= 1  # the update (and a replay copy, if any) hang from dotted arrows
    assert mermaid.count("-.->") + mermaid.count(" --> ") == count - 1  # a tree: one arrow per non-root
    assert "classDef update" in mermaid and "step 3 · update" in mermaid

    # The Python function draws the same picture from what get_state_history yields.
    graph = pipeline()
    assert draw_history_mermaid(graph.get_state_history(thread)) == mermaid


def test_update_prints_the_new_checkpoint_id(env, store, cli, thread):
    tid = thread["configurable"]["thread_id"]
    assert cli("run", "--graph", PIPELINE, "--thread", tid, "--input", '{"query": "q"}').code == 0
    result = cli("update", "--graph", PIPELINE, tid, "--values", '{"summary": "edited"}', "--as-node", "report")
    assert result.code == 0, result.err
    new_id = result.out.strip()
    assert _ids(store.path, tid)[-1] == (5, "update", new_id)
    state = json.loads(cli("state", tid, "--graph", PIPELINE, "--json").out)
    assert state["checkpoint_id"] == new_id and state["values"]["summary"] == "edited"


def test_interrupt_then_resume(env, store, cli, thread):
    tid = thread["configurable"]["thread_id"]
    first = cli("run", "--graph", APPROVAL, "--thread", tid, "--input", '{"draft": "d"}')
    assert first.code == 0, first.err
    assert "waiting for" in first.err and "--resume JSON" in first.err
    status = json.loads(cli("threads", "--store", store.url, "--json").out)[0]["status"]
    assert status == "interrupted: approve"
    state = cli("state", tid, "--store", store.url).out
    assert 'approve  [interrupted]  interrupt {"question": "approve?"' in state

    resumed = cli("run", "--graph", APPROVAL, "--thread", tid, "--resume", "true")
    assert resumed.code == 0, resumed.err
    assert final_json(resumed.out) == {"draft": "d", "approved": True}
    assert json.loads(cli("threads", "--store", store.url, "--json").out)[0]["status"] == "done"


def test_run_with_an_explicit_store_overrides_the_graphs(env, store, cli, thread, tmp_path):
    tid = thread["configurable"]["thread_id"]
    other = tmp_path / "other.db"
    result = cli("run", "--graph", PIPELINE, "--store", f"sqlite:///{other}", "--thread", tid, "--input", '{"query": "q"}')
    assert result.code == 0, result.err
    assert len(_ids(other, tid)) == 5
    assert not store.path.exists() or _ids(store.path, tid) == []


def test_run_mode_custom_and_messages_prints_progress_and_tokens(env, store, cli, thread):
    pytest.importorskip("langchain_core")
    tid = thread["configurable"]["thread_id"]
    result = cli("run", "--graph", "tests.cli.graphs_for_cli:chat", "--thread", tid, "--input", '{"topic": "ice cream"}',
                 "--mode", "custom", "--mode", "messages")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    with SqliteSaver(store.path) as saver:
        stored = saver.get_stream_chunks(tid)
    assert lines[:2] == ['custom  {"progress": "joking about ice cream"}', "messages  tell: a sundae joke"], (result.err, stored)
    assert final_json(result.out) == {"topic": "ice cream", "joke": "a sundae joke"}
    assert replay_thread(env, tid) == 1
