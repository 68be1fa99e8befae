"""Who may use a dev-server history file: one process at a time (``graphcompat._devserver.lock_db``).

The embedded runtime falls back to a file of its own when ``temporal.db`` is
taken; ``graphcompat server`` refuses to start on a taken file. Both go
through the same lock, so either one sees the other.
"""

from __future__ import annotations

import re
import subprocess
import sys

from graphcompat._devserver import STATE_DB, lock_db, lock_state_db


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


def test_lock_state_db_falls_back_to_a_file_of_its_own(tmp_path, capsys):
    db, lock = lock_state_db(tmp_path)
    assert db == tmp_path / "temporal.db" and lock is not None
    try:
        own, no_lock = lock_state_db(tmp_path)
        assert no_lock is None and own.parent == tmp_path
        assert re.fullmatch(r"temporal-\d+-[0-9a-f]{6}\.db", own.name), own.name
        err = capsys.readouterr().err
        assert err == f"graphcompat: another process uses {tmp_path / 'temporal.db'}; this one keeps its runs in {own}\n"
    finally:
        lock.close()
    db, lock = lock_state_db(tmp_path)
    assert db == tmp_path / "temporal.db" and lock is not None
    lock.close()


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
