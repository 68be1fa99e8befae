"""An ``@entrypoint`` for the worker-crash test whose own code blocks (not a task's).

``fetch`` tasks run first; then the entrypoint, replaying with their results,
blocks on its first pass (the test kills the worker meanwhile). Each run of a
task and each pass of the entrypoint after the tasks is marked in
``$CRASH_DIR/runs.log``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from graphcompat.checkpoint.sqlite import SqliteSaver
from graphcompat.func import entrypoint, task

CRASH_DIR = Path(os.environ.get("CRASH_DIR", "/tmp/graphcompat-crash"))


def _mark(name: str) -> int:
    CRASH_DIR.mkdir(parents=True, exist_ok=True)
    with open(CRASH_DIR / "runs.log", "a") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    return (CRASH_DIR / "runs.log").read_text().split().count(name)


@task
def fetch(i: int) -> int:
    _mark(f"fetch{i}")
    return i + 100


@task
def finish(total: int) -> int:
    _mark("finish")
    return total * 2


@entrypoint(checkpointer=SqliteSaver.from_conn_string(str(CRASH_DIR / "store.db")))
def blocking(n: int) -> int:
    total = sum(f.result() for f in [fetch(i) for i in range(n)])
    if _mark("after-fetch") == 1:
        time.sleep(120)  # the test SIGKILLs the worker during this sleep, in the entrypoint's own code
    return finish(total).result()


graph = blocking
