"""An ``@entrypoint`` for the worker-crash test: three parallel ``fetch`` tasks, then ``slow``.

Each task appends its name to ``$CRASH_DIR/runs.log`` when it starts, so the
test can count how often each ran across processes. ``slow`` blocks on its
first run (the test kills the worker meanwhile) and finishes at once on the next.
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
    return i * 10


@task
def slow(total: int) -> int:
    if _mark("slow") == 1:
        time.sleep(120)  # the test SIGKILLs the worker during this sleep
    return total + 1


@entrypoint(checkpointer=SqliteSaver.from_conn_string(str(CRASH_DIR / "store.db")))
def pipeline(n: int) -> dict:
    values = [f.result() for f in [fetch(i) for i in range(n)]]
    return {"values": values, "slow": slow(sum(values)).result()}


graph = pipeline
