"""A graph for the stream-resume test: a node streams 20 custom chunks and, halfway, waits for a go mark.

The store URL comes from ``STREAM_STORE_URL``; the mark file from ``STREAM_GO``.
Run as a module, this is also the test's reader process:
``python -m tests.graphs.stream_graph start|attach|join|invoke THREAD [SKIP]`` prints
each ``(mode, chunk)`` as one JSON line.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
from typing import TypedDict

from graphcompat.config import get_stream_writer
from graphcompat.graph import END, START, StateGraph

MODES = ["custom", "updates"]


class State(TypedDict):
    n: int


def produce(state: State) -> dict:
    writer = get_stream_writer()
    for i in range(10):
        writer({"chunk": i})
    deadline = time.monotonic() + 60
    while not os.path.exists(os.environ["STREAM_GO"]):  # bounded wait: the test says when to go on
        if time.monotonic() > deadline:
            raise RuntimeError("the test never created the go mark")
        time.sleep(0.02)
    for i in range(10, 20):
        writer({"chunk": i})
    return {"n": 20}


def finish(state: State) -> dict:
    get_stream_writer()({"chunk": "last"})
    return {"n": state["n"] + 1}


def build():
    builder = StateGraph(State)
    builder.add_sequence([produce, finish])
    builder.add_edge(START, "produce")
    builder.add_edge("finish", END)
    return builder.compile(checkpointer=os.environ["STREAM_STORE_URL"], name="stream-resume")


graph = build()


def main(how: str, thread_id: str, skip: int = 0) -> None:
    config = {"configurable": {"thread_id": thread_id}}
    if how == "start":
        chunks = graph.stream({"n": 0}, config, stream_mode=MODES)
    elif how == "invoke":
        print(json.dumps(graph.invoke(None, config)), flush=True)
        return
    elif how == "attach":
        chunks = graph.stream(None, config, stream_mode=MODES)
    else:
        chunks = graph.join_stream(config, stream_mode=MODES)
    for mode, chunk in itertools.islice(chunks, skip, None):
        print(json.dumps([mode, chunk]), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0)
