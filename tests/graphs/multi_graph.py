"""A graph for the multi-worker tests: three steps that record which worker process ran them.

The store URL comes from ``MULTI_STORE_URL`` (a Postgres schema per test).
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from operator import add
from typing import Annotated, TypedDict

from graphcompat.graph import END, START, StateGraph


class State(TypedDict):
    n: int
    ran: Annotated[list[str], add]


def _step(name: str):
    def step(state: State) -> dict:
        marks = os.environ.get("MULTI_MARK_DIR")
        if marks:  # the kill test waits for a node to be in flight on its victim
            with open(os.path.join(marks, f"{os.getpid()}.started"), "a") as f:
                f.write(name + "\n")
        time.sleep(float(os.environ.get("MULTI_STEP_SECONDS", "0.2")))
        return {"ran": [f"{name}@{os.getpid()}"]}

    step.__name__ = name
    return step


def build():
    builder = StateGraph(State)
    builder.add_sequence([_step("plan"), _step("work"), _step("report")])
    builder.add_edge(START, "plan")
    builder.add_edge("report", END)
    return builder.compile(
        checkpointer=os.environ["MULTI_STORE_URL"], name="multi-worker", heartbeat_timeout=timedelta(seconds=2)
    )


graph = build()
