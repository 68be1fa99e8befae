"""Cleanup commands (``delete``, ``prune``, ``expire``, ``archive``, ``restore``) and bad input.

Stores are written by real runs on the time-skipping server; a thread is
made old by archiving it, back-dating the archive and restoring it, which is
also the archive round trip users rely on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphcompat.checkpoint.sqlite import SqliteSaver
from tests.cli.conftest import PIPELINE

OLD = "2020-01-01T00:00:00+00:00"


def _run(cli, tid: str) -> None:
    result = cli("run", "--graph", PIPELINE, "--thread", tid, "--input", '{"query": "q"}')
    assert result.code == 0, result.err


def _threads(store) -> dict[str, int]:
    with SqliteSaver(store.path) as saver:
        return {t.thread_id: t.checkpoint_count for t in saver.list_threads()}


def _backdate(cli, store, tid: str, tmp_path: Path) -> None:
    """Make ``tid`` look idle since 2020: archive, rewrite created_at, restore."""
    archive = tmp_path / f"{tid}.jsonl"
    assert cli("archive", tid, "--to", str(archive), "--store", store.url).code == 0
    lines = [json.loads(line) for line in archive.read_text().splitlines()]
    for line in lines:
        line["record"]["created_at"] = OLD
    archive.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert cli("restore", str(archive), "--store", store.url).code == 0


def test_delete_prune_archive_restore(env, store, cli, tmp_path):
    for tid in ("keep", "gone", "pruned"):
        _run(cli, tid)

    refused = cli("delete", "gone", "--store", store.url)  # stdin is not a terminal under pytest
    assert refused.code == 2 and "pass --yes" in refused.err and "gone" in _threads(store)
    deleted = cli("delete", "gone", "--yes", "--store", store.url)
    assert deleted.code == 0 and "5 checkpoints" in deleted.out

    pruned = cli("prune", "pruned", "--keep", "2", "--store", store.url)
    assert pruned.code == 0 and "deleted 3 checkpoints" in pruned.out
    assert _threads(store) == {"keep": 5, "pruned": 2}
    history = json.loads(cli("history", "pruned", "--store", store.url, "--json").out)
    assert [h["step"] for h in history] == [4, 3] and history[-1]["parent_checkpoint_id"] is None

    archive = tmp_path / "out" / "keep.jsonl"
    kept = cli("archive", "keep", "--to", str(archive), "--keep", "--store", store.url)
    assert kept.code == 0 and "kept in the store" in kept.out and _threads(store)["keep"] == 5
    moved = cli("archive", "pruned", "--to", str(archive), "--store", store.url)
    assert moved.code == 0 and "deleted from the store" in moved.out
    assert set(_threads(store)) == {"keep"}
    assert len(archive.read_text().splitlines()) == 5 + 2

    assert cli("delete", "keep", "--yes", "--store", store.url).code == 0
    restored = cli("restore", str(archive), "--store", store.url)
    assert restored.code == 0 and "restored 7 checkpoints" in restored.out
    assert _threads(store) == {"keep": 5, "pruned": 2}
    assert json.loads(cli("state", "keep", "--store", store.url, "--json").out)["status"] == "done"


def test_expire_dry_run_then_expire(env, store, cli, tmp_path):
    for tid in ("old-1", "old-2", "fresh"):
        _run(cli, tid)
    for tid in ("old-1", "old-2"):
        _backdate(cli, store, tid, tmp_path)

    dry = cli("expire", "--older-than", "30d", "--dry-run", "--store", store.url)
    assert dry.code == 0
    assert "would delete 2 threads" in dry.out and "old-1" in dry.out and "old-2" in dry.out
    assert "fresh" not in dry.out
    assert set(_threads(store)) == {"old-1", "old-2", "fresh"}  # a dry run deletes nothing

    expired = cli("expire", "--older-than", "30d", "--store", store.url)
    assert expired.code == 0 and "expired 2 threads" in expired.out
    assert set(_threads(store)) == {"fresh"}
    assert "no thread idle" in cli("expire", "--older-than", "1h30m", "--dry-run", "--store", store.url).out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["expire", "--older-than", "3x"], "--older-than '3x' is not a duration"),
        (["state", "nope"], "thread 'nope' has no checkpoint"),
        (["history", "nope"], "thread 'nope' has no checkpoint"),
        (["prune", "nope", "--keep", "1"], "thread 'nope' has no checkpoint"),
        (["prune", "x", "--keep", "0"], "keep at least 1"),
        (["restore", "/nonexistent/a.jsonl"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(store, cli, argv, message):
    SqliteSaver(store.path).close()  # an empty, existing store
    result = cli(*argv, "--store", store.url)
    assert result.code == 2
    assert result.err.startswith("graphcompat: error: ") and message in result.err
    assert len(result.err.strip().splitlines()) == 1 and result.out == ""


def test_bad_json_and_unknown_checkpoint(env, store, cli):
    bad = cli("run", "--graph", PIPELINE, "--thread", "t", "--input", "{")
    assert bad.code == 2 and "graphcompat: error: --input is not valid JSON" in bad.err
    _run(cli, "t")
    unknown = cli("state", "t", "--checkpoint", "ffffffff", "--store", store.url)
    assert unknown.code == 2 and "checkpoint 'ffffffff' of thread 't' does not exist" in unknown.err
    fork = cli("fork", "--graph", PIPELINE, "t", "--checkpoint", "ffffffff", "--run")
    assert fork.code == 2 and "does not exist" in fork.err
    no_store = cli("threads")
    assert no_store.code == 2 and "pass --store URL" in no_store.err


def test_console_script_errors_are_one_line_without_traceback(tmp_path):
    script = Path(sys.executable).parent / "graphcompat"
    env = {**os.environ, "GRAPHCOMPAT_HOME": str(tmp_path)}
    env.pop("GRAPHCOMPAT_STORE", None)
    missing = subprocess.run(
        [str(script), "state", "nope", "--store", "sqlite:///missing-dir/x.db"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("graphcompat: error: store file ") and "missing-dir/x.db' does not exist" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1 and "Traceback" not in missing.stderr
    assert not (tmp_path / "missing-dir").exists()  # reading never creates a store

    SqliteSaver(tmp_path / "s.db").close()
    unknown = subprocess.run(
        [str(script), "state", "nope"], cwd=tmp_path, env={**env, "GRAPHCOMPAT_STORE": "sqlite:///s.db"},
        capture_output=True, text=True, timeout=60,
    )
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1
    assert "graphcompat: error: thread 'nope' has no checkpoint" in unknown.stderr


def test_worker_options_go_to_worker_py(cli):
    result = cli("worker", "--help")
    assert result.code == 0 and "usage: worker.py" in result.out and "--graph MODULE:ATTR" in result.out
    missing = cli("worker", "--task-queue", "q")
    assert missing.code == 2 and "--graph" in missing.err
