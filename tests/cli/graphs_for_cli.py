"""Graphs the command-line tests import with ``--graph tests.cli.graphs_for_cli:<factory>``.

The factories read the store path from ``$GRAPHCOMPAT_CLI_TEST_STORE`` when
they are called (each CLI call compiles a fresh graph), so every test points
them at its own SQLite file with ``monkeypatch.setenv`` and tests never share
a store.
"""

from __future__ import annotations

import os
from operator import add
from typing import Annotated, Any, TypedDict

from graphcompat.checkpoint.sqlite import SqliteSaver
from graphcompat.graph import END, START, StateGraph
from graphcompat.types import interrupt

STORE_ENV = "GRAPHCOMPAT_CLI_TEST_STORE"


def _saver() -> SqliteSaver:
    return SqliteSaver.from_conn_string(os.environ[STORE_ENV])


class PipelineState(TypedDict, total=False):
    query: str
    sources: Annotated[list[str], add]
    summary: str
    fail: bool


def gather(state: PipelineState) -> dict[str, Any]:
    return {"sources": [f"{state['query']}-1", f"{state['query']}-2"]}


def analyze(state: PipelineState) -> dict[str, Any]:
    if state.get("fail"):
        raise ConnectionError("Simulated API failure!")
    return {"summary": f"Found {len(state['sources'])} sources"}


def report(state: PipelineState) -> dict[str, Any]:
    return {"summary": state["summary"] + " (reported)"}


def pipeline() -> Any:
    """``gather -> analyze -> report``; ``analyze`` raises ConnectionError when ``fail`` is true."""
    builder = StateGraph(PipelineState)
    builder.add_sequence([gather, analyze, report])
    builder.add_edge(START, "gather")
    builder.add_edge("report", END)
    return builder.compile(checkpointer=_saver(), name="cli-pipeline")


class ApprovalState(TypedDict, total=False):
    draft: str
    approved: bool


def approve(state: ApprovalState) -> dict[str, Any]:
    answer = interrupt({"question": "approve?", "draft": state["draft"]})
    return {"approved": bool(answer)}


def approval() -> Any:
    """One node that asks a human (``interrupt``) before it finishes."""
    builder = StateGraph(ApprovalState)
    builder.add_node("approve", approve)
    builder.add_edge(START, "approve")
    builder.add_edge("approve", END)
    return builder.compile(checkpointer=_saver(), name="cli-approval")


class ChatState(TypedDict, total=False):
    topic: str
    joke: str


def chat() -> Any:
    """One node that reports progress (``get_stream_writer``) and calls a chat model that streams words."""
    import itertools

    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from graphcompat.config import get_stream_writer

    model = GenericFakeChatModel(messages=itertools.cycle([AIMessage(content="a sundae joke")]))

    def tell(state: ChatState) -> dict[str, Any]:
        get_stream_writer()({"progress": f"joking about {state['topic']}"})
        return {"joke": model.invoke(state["topic"]).content}

    builder = StateGraph(ChatState)
    builder.add_node("tell", tell)
    builder.add_edge(START, "tell")
    return builder.compile(checkpointer=_saver(), name="cli-chat")
