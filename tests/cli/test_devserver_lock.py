"""Who may use a dev-server history file: one process at a time (``graphcompat._devserver.lock_db``).

The embedded runtime uses the server of the process that holds
``temporal.db`` (it publishes its address next to it); ``graphcompat server``
refuses to start on a taken file. Both go through the same lock, so either
one sees the other.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from graphcompat._devserver import STATE_DB, SharedServer, claim_state_db, lock_db, publish_server
from graphcompat.errors import ConfigurationError


def test_lock_db_reserves_a_file_until_the_lock_is_closed(tmp_path):
    db = tmp_path / "history.db"
    first = lock_db(db)
    assert first is not None and (tmp_path / "history.db.lock").is_file()
    assert lock_db(db) is None  # a second open file: what another process would see
    assert lock_db(tmp_path / "other.db") is not None
    first.close()
    again = lock_db(db)
    assert again is not None
    again.close()


def test_lock_db_is_seen_by_another_process(tmp_path):
    db = tmp_path / STATE_DB
    held = lock_db(db)
    assert held is not None
    try:
        code = "import sys, pathlib; from graphcompat._devserver import lock_db; sys.exit(lock_db(pathlib.Path(sys.argv[1])) is None)"
        assert subprocess.run([sys.executable, "-c", code, str(db)], timeout=60).returncode == 1
    finally:
        held.close()
    assert subprocess.run([sys.executable, "-c", code, str(db)], timeout=60).returncode == 0


def test_claim_state_db_takes_the_lock_or_returns_the_server_the_holder_publishes(tmp_path):
    claim = claim_state_db(tmp_path)
    assert isinstance(claim, tuple)
    db, lock = claim
    assert db == tmp_path / "temporal.db"
    try:
        with pytest.raises(ConfigurationError) as refused:  # held, nothing published: never a second server
            claim_state_db(tmp_path, wait=0.2)
        assert str(refused.value) == (
            f"Another process holds {db} (its lock, {db}.lock) but has published no Temporal server address "
            "in 0s. Stop that process, or set GRAPHCOMPAT_HOME to another directory for this one."
        )
        publish_server(db, "127.0.0.1:7999", None)
        assert stat.S_IMODE((tmp_path / "temporal.db.server").stat().st_mode) == 0o600
        shared = claim_state_db(tmp_path, wait=0.2)
        assert shared == SharedServer(address="127.0.0.1:7999", ui_url=None, pid=os.getpid(), db=db)
    finally:
        lock.close()
    # The holder is gone (its lock with it): the next process takes the file and clears the stale address.
    claim = claim_state_db(tmp_path)
    assert isinstance(claim, tuple) and not (tmp_path / "temporal.db.server").exists()
    claim[1].close()
    assert not list(tmp_path.glob("temporal-*.db"))


def test_an_address_left_by_a_dead_process_is_not_a_server(tmp_path):
    db = tmp_path / STATE_DB
    held = lock_db(db)
    assert held is not None
    try:
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        (tmp_path / "temporal.db.server").write_text(json.dumps({"address": "127.0.0.1:1", "ui_url": None, "pid": int(dead.stdout)}))
        with pytest.raises(ConfigurationError, match="has published no Temporal server address"):
            claim_state_db(tmp_path, wait=0.2)
    finally:
        held.close()


def test_server_refuses_a_history_file_another_process_uses(tmp_path, monkeypatch, cli):
    monkeypatch.setenv("GRAPHCOMPAT_HOME", str(tmp_path))
    held = lock_db(tmp_path / "temporal.db")
    assert held is not None
    try:
        result = cli("server", "--headless")
    finally:
        held.close()
    assert result.code == 2
    assert result.err == (
        f"graphcompat: error: another graphcompat process is using {tmp_path / 'temporal.db'}; "
        "stop it, or pass --db OTHER.db\n"
    )

    other = tmp_path / "elsewhere" / "h.db"
    other.parent.mkdir()
    held = lock_db(other)
    assert held is not None
    try:
        result = cli("server", "--headless", "--db", str(other))
    finally:
        held.close()
    assert result.code == 2 and f"another graphcompat process is using {other};" in result.err


def test_the_state_directory_and_the_servers_files_are_owner_only(tmp_path, monkeypatch):
    import asyncio
    import stat

    from graphcompat._devserver import DevServer, state_dir

    monkeypatch.setenv("GRAPHCOMPAT_HOME", str(tmp_path / "home"))
    directory = state_dir()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    server = DevServer(db=directory / STATE_DB, log_path=directory / "temporal.log", ui=False)

    async def start() -> None:
        await server.start()

    try:
        asyncio.run(start())
    finally:
        server.stop()
    for name in (STATE_DB, "temporal.log"):
        assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600, name
