"""A graph with a subgraph node for the worker-crash test: ``first -> team -> last``.

``team`` is a compiled graph added as a node: ``s_first -> s_slow -> s_last``,
writing the ``team`` key the parent shares.
Each node appends its name to ``$CRASH_DIR/runs.log`` when it starts, so the
test can count how often each node ran across processes. ``s_slow`` blocks on
its first run (the test kills the worker meanwhile) and finishes at once on
the next.
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
    team: Annotated[list[str], add]


class TeamState(TypedDict):
    team: Annotated[list[str], add]


def _mark(name: str) -> int:
    CRASH_DIR.mkdir(parents=True, exist_ok=True)
    with open(CRASH_DIR / "runs.log", "a") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    return (CRASH_DIR / "runs.log").read_text().split().count(name)


def _node(name: str, *, key: str = "done", slow: bool = False):
    def node(state: dict) -> dict:
        if _mark(name) == 1 and slow:
            time.sleep(120)  # the test SIGKILLs the worker during this sleep
        return {key: [name]}

    node.__name__ = name
    return node


def build() -> object:
    team = StateGraph(TeamState)
    team.add_sequence([_node("s_first", key="team"), _node("s_slow", key="team", slow=True), _node("s_last", key="team")])
    team.add_edge(START, "s_first")
    subgraph = team.compile(name="crash-team", heartbeat_timeout=timedelta(seconds=2))

    builder = StateGraph(State)
    builder.add_node("first", _node("first"))
    builder.add_node("team", subgraph)
    builder.add_node("last", _node("last"))
    builder.add_edge(START, "first")
    builder.add_edge("first", "team")
    builder.add_edge("team", "last")
    builder.add_edge("last", END)
    saver = SqliteSaver.from_conn_string(str(CRASH_DIR / "store.db"))
    return builder.compile(checkpointer=saver, name="subgraph-crash-test", heartbeat_timeout=timedelta(seconds=2))


graph = build()
