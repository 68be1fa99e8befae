"""A 5-node chain for the random-kill fault suite: ``n1 -> n2 -> n3 -> n4 -> n5``.

Each node appends ``start <name>`` and ``end <name>`` to
``$CRASH_DIR/marks-<thread_id>.log`` (fsynced), so the test can tell which
nodes ran, and how often, across worker processes. Each node takes a
moment (``$CHAIN_NODE_S``), so a kill at a random time lands in nodes and
in commits alike.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from operator import add
from pathlib import Path
from typing import Annotated, Any, TypedDict

from graphcompat.checkpoint.sqlite import SqliteSaver
from graphcompat.graph import END, START, StateGraph

CRASH_DIR = Path(os.environ.get("CRASH_DIR", "/tmp/graphcompat-crash"))
NODE_S = float(os.environ.get("CHAIN_NODE_S", "0.3"))
NODES = ["n1", "n2", "n3", "n4", "n5"]


class State(TypedDict):
    done: Annotated[list[str], add]


def _mark(thread_id: str, line: str) -> None:
    with open(CRASH_DIR / f"marks-{thread_id}.log", "a") as out:
        out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())


def _node(name: str) -> Any:
    def run(state: State, config: dict) -> dict:
        thread_id = config["configurable"]["thread_id"]
        _mark(thread_id, f"start {name}")
        time.sleep(NODE_S)  # the work the kill may interrupt
        _mark(thread_id, f"end {name}")
        return {"done": [name]}

    run.__name__ = name
    return run


def build() -> object:
    CRASH_DIR.mkdir(parents=True, exist_ok=True)
    builder = StateGraph(State)
    builder.add_sequence([_node(n) for n in NODES])
    builder.add_edge(START, NODES[0])
    builder.add_edge(NODES[-1], END)
    saver = SqliteSaver.from_conn_string(str(CRASH_DIR / "store.db"))
    return builder.compile(checkpointer=saver, name="chain-faults", heartbeat_timeout=timedelta(seconds=2))


graph = build()
