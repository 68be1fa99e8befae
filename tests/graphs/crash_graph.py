"""A 3-node graph for the worker-crash test: ``first -> slow -> last``.

Each node appends its name to ``$CRASH_DIR/runs.log`` when it starts, so the
test can count how often each node ran across processes. ``slow`` blocks on
its first run (the test kills the worker meanwhile) and finishes at once on
the next. With ``CRASH_LOCAL=1`` every node is a local node.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from operator import add
from pathlib import Path
from typing import Annotated, TypedDict

from graphcompat.checkpoint.sqlite import SqliteSaver
from graphcompat.graph import END, START, StateGraph

CRASH_DIR = Path(os.environ.get("CRASH_DIR", "/tmp/graphcompat-crash"))


class State(TypedDict):
    done: Annotated[list[str], add]


def _mark(name: str) -> int:
    CRASH_DIR.mkdir(parents=True, exist_ok=True)
    with open(CRASH_DIR / "runs.log", "a") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    return (CRASH_DIR / "runs.log").read_text().split().count(name)


def first(state: State) -> dict:
    _mark("first")
    return {"done": ["first"]}


def slow(state: State) -> dict:
    if _mark("slow") == 1:
        time.sleep(120)  # the test SIGKILLs the worker during this sleep
    return {"done": ["slow"]}


def last(state: State) -> dict:
    _mark("last")
    return {"done": ["last"]}


def build() -> object:
    builder = StateGraph(State)
    local = os.environ.get("CRASH_LOCAL") == "1"  # every node add_node(..., local=True)
    for node in (first, slow, last):
        builder.add_node(node.__name__, node, local=local)
    builder.add_edge("first", "slow")
    builder.add_edge("slow", "last")
    builder.add_edge(START, "first")
    builder.add_edge("last", END)
    saver = SqliteSaver.from_conn_string(str(CRASH_DIR / "store.db"))
    return builder.compile(checkpointer=saver, name="crash-test", heartbeat_timeout=timedelta(seconds=2))


graph = build()
