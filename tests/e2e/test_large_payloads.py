"""Everything of user size travels by reference: inputs, Send arguments, interrupt values, resumes.

One size rule (``INLINE_WRITE_LIMIT``): a value whose JSON is over it is
stored, and workflow history carries a reference. Each test passes values
of a size Temporal would refuse in one payload (~2 MB) or that would make
history grow with them, checks that the user sees them whole, and that the
history of the run stays small.
"""

from __future__ import annotations

from operator import add
from typing import Annotated, Any, TypedDict

from graphcompat._wire import workflow_id_for
from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.graph import END, START, StateGraph
from graphcompat.types import Command, Send, interrupt

from .replay import replay_thread

MB = 1_000_000
#: What one run's history may hold at most here: ids, refs and small values only.
SMALL_HISTORY = 200_000


class Docs(TypedDict, total=False):
    pages: Annotated[list[str], add]
    sizes: Annotated[list[int], add]
    answer: str


def _history_bytes(env: Any, thread_id: str) -> list[int]:
    """The size of every run's history on the thread, in the order they ran."""
    runs = [r for r in env.runtime.started_runs if r[0] == workflow_id_for(thread_id)]

    async def sizes() -> list[int]:
        out = []
        for wid, run_id in runs:
            history = await env.client.get_workflow_handle(wid, run_id=run_id).fetch_history()
            out.append(sum(e.ByteSize() for e in history.events))
        return out

    return env.run(sizes())


def test_a_3_mb_input_runs_and_history_stays_small(env, thread) -> None:
    page = "i" * (3 * MB)
    builder = StateGraph(Docs)
    builder.add_node("measure", lambda s: {"sizes": [len(p) for p in s["pages"]]})
    builder.add_edge(START, "measure")
    builder.add_edge("measure", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    result = graph.invoke({"pages": [page]}, thread)
    assert result["sizes"] == [3 * MB] and result["pages"] == [page]
    assert graph.get_state(thread).values["pages"] == [page]
    assert max(_history_bytes(env, thread["configurable"]["thread_id"])) < SMALL_HISTORY
    replay_thread(env, thread["configurable"]["thread_id"])


def test_a_1_5_mb_send_argument_reaches_its_node_and_history_stays_small(env, thread) -> None:
    chunk = "s" * (MB + MB // 2)

    def fan_out(state: Docs) -> list[Send]:
        return [Send("worker", {"pages": [chunk]}), Send("worker", {"pages": ["tiny"]})]

    builder = StateGraph(Docs)
    builder.add_node("plan", lambda s: {})
    builder.add_node("worker", lambda s: {"sizes": [len(s["pages"][0])]})
    builder.add_edge(START, "plan")
    builder.add_conditional_edges("plan", fan_out, ["worker"])
    builder.add_edge("worker", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    result = graph.invoke({"pages": []}, thread)
    assert result["sizes"] == [len(chunk), 4]
    assert [[t.name for t in s.tasks] for s in graph.get_state_history(thread)][1] == ["worker", "worker"]
    assert max(_history_bytes(env, thread["configurable"]["thread_id"])) < SMALL_HISTORY
    replay_thread(env, thread["configurable"]["thread_id"])


def test_a_1_5_mb_interrupt_value_and_resume_value_travel_by_reference(env, thread) -> None:
    question = "q" * (MB + MB // 2)
    reply = "r" * (MB + MB // 2)

    def ask(state: Docs) -> dict:
        answer = interrupt({"question": question})
        return {"answer": f"{len(answer)} chars"}

    builder = StateGraph(Docs)
    builder.add_node("ask", ask)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    paused = graph.invoke({"pages": []}, thread)
    assert [i.value for i in paused["__interrupt__"]] == [{"question": question}]
    assert [i.value for i in graph.get_state(thread).interrupts] == [{"question": question}]
    assert [i.value for t in graph.get_state(thread).tasks for i in t.interrupts] == [{"question": question}]
    done = graph.invoke(Command(resume=reply), thread)
    assert done["answer"] == f"{len(reply)} chars"
    sizes = _history_bytes(env, thread["configurable"]["thread_id"])
    assert len(sizes) == 2 and max(sizes) < SMALL_HISTORY
    replay_thread(env, thread["configurable"]["thread_id"])


def test_a_3_mb_update_state_value_is_applied_and_history_stays_small(env, thread) -> None:
    page = "u" * (3 * MB)
    builder = StateGraph(Docs)
    builder.add_node("measure", lambda s: {"sizes": [len(p) for p in s["pages"]]})
    builder.add_edge(START, "measure")
    builder.add_edge("measure", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    graph.invoke({"pages": []}, thread)
    graph.update_state(thread, {"pages": [page]}, as_node="measure")
    assert graph.get_state(thread).values["pages"] == [page]
    assert max(_history_bytes(env, thread["configurable"]["thread_id"])) < SMALL_HISTORY
    replay_thread(env, thread["configurable"]["thread_id"])
