"""A graph for the per-node task queue tests: ``heavy`` runs on a queue of its own.

Each node records the worker process that ran it. The store URL comes from
``QUEUE_STORE_URL`` and the heavy node's queue from ``QUEUE_HEAVY``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from operator import add
from typing import Annotated, TypedDict

from graphcompat.graph import END, START, StateGraph


class State(TypedDict):
    ran: Annotated[list[str], add]


def prep(state: State) -> dict:
    return {"ran": [f"prep@{os.getpid()}"]}


def heavy(state: State) -> dict:
    return {"ran": [f"heavy@{os.getpid()}"]}


def report(state: State) -> dict:
    return {"ran": [f"report@{os.getpid()}"]}


def build():
    builder = StateGraph(State)
    builder.add_node("prep", prep)
    builder.add_node(
        "heavy",
        heavy,
        task_queue=os.environ["QUEUE_HEAVY"],
        heartbeat_timeout=timedelta(seconds=5),
        schedule_to_close_timeout=timedelta(minutes=5),
    )
    builder.add_node("report", report)
    builder.add_edge(START, "prep")
    builder.add_edge("prep", "heavy")
    builder.add_edge("heavy", "report")
    builder.add_edge("report", END)
    return builder.compile(checkpointer=os.environ["QUEUE_STORE_URL"], name="per-node-queue")


graph = build()
