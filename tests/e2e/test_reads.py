"""Reading a thread through the compiled graph's sync API, in a process that only reads.

A web app or a script that shows a thread's state often has no runtime: it
never calls ``invoke``. Its ``get_state`` and ``get_state_history`` calls
read the store directly, in the caller's thread, and keep reusing the same
store connection however many reads it makes.
"""

from __future__ import annotations

import os
from operator import add
from pathlib import Path
from typing import Annotated, TypedDict

import pytest

from graphcompat._runtime import install_runtime
from graphcompat.checkpoint.sqlite import SqliteSaver
from graphcompat.graph import END, START, StateGraph

from .replay import replay_thread


class Log(TypedDict):
    log: Annotated[list[str], add]
    n: int


def _graph(saver):
    builder = StateGraph(Log)
    builder.add_node("tick", lambda s: {"log": [f"entry {s['n']}"], "n": s["n"] + 1})
    builder.add_edge(START, "tick")
    builder.add_conditional_edges("tick", lambda s: END if s["n"] >= 3 else "tick")
    return builder.compile(checkpointer=saver)


def _open_files(path: Path) -> int:
    """How many descriptors of this process are open on ``path``."""
    fd_dir = Path("/proc/self/fd")
    count = 0
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(fd_dir / fd) == str(path):
                count += 1
        except OSError:  # closed meanwhile
            pass
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts open files through /proc")
def test_reads_without_a_runtime_reuse_one_connection(env, thread, tmp_path):
    db = tmp_path / "reads.db"
    saver = SqliteSaver(db)
    graph = _graph(saver)
    assert graph.invoke({"log": [], "n": 0}, thread) == {"log": ["entry 0", "entry 1", "entry 2"], "n": 3}
    replay_thread(env, thread["configurable"]["thread_id"])

    previous = install_runtime(None)  # now a process that only reads
    try:
        first = graph.get_state(thread)
        opened = _open_files(db)
        for _ in range(20):
            assert graph.get_state(thread) == first
            history = list(graph.get_state_history(thread, limit=3))
            assert [s.values["n"] for s in history] == [3, 2, 1]
        # Each read used to run on a fresh event loop whose worker thread opened (and
        # never closed) a connection of its own: more open files at every read.
        assert _open_files(db) == opened
    finally:
        install_runtime(previous)
        saver.close()
    assert first.values == {"log": ["entry 0", "entry 1", "entry 2"], "n": 3}
    assert first.next == ()


def test_history_arguments_are_checked_when_called(env, thread, tmp_path):
    graph = _graph(SqliteSaver(tmp_path / "reads.db"))
    graph.invoke({"log": [], "n": 0}, thread)
    replay_thread(env, thread["configurable"]["thread_id"])
    from graphcompat.errors import ConfigurationError, UnknownCheckpointError

    with pytest.raises(ConfigurationError, match="filter must be a mapping"):
        graph.get_state_history(thread, filter=["source"])  # type: ignore[arg-type]
    with pytest.raises(UnknownCheckpointError):
        graph.get_state_history(thread, before="1f0-no-such-checkpoint")
    # The iterator itself is lazy: the first snapshot comes without reading the rest.
    newest = next(graph.get_state_history(thread))
    assert newest.values["n"] == 3 and newest.next == ()
