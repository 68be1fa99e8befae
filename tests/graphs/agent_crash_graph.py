"""A v2 ReAct agent for the agent-crash test: one model call asks for two tools at once.

Every model call and every tool call appends a line to ``$AGENT_CRASH_DIR/runs.log``
(``model``, ``slow_tool``, ``other_tool``), so the test can count calls made in
other processes. ``slow_tool`` blocks on its first call (the test kills the
worker meanwhile) and returns at once on the next; ``other_tool`` returns at
once. The model is scripted: its first answer calls both tools in parallel
(v2: one ``Send("tools", ...)`` task each), its second is the final answer.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
from langchain_core.tools import tool

from graphcompat.checkpoint.sqlite import SqliteSaver
from graphcompat.prebuilt import create_react_agent
from tests.prebuilt.fake_model import FakeToolCallingModel, calls

CRASH_DIR = Path(os.environ.get("AGENT_CRASH_DIR", "/tmp/graphcompat-agent-crash"))
FINAL_ANSWER = "slow says done, other says done"


def _mark(name: str) -> int:
    """Append ``name`` to the run log (durably: the process may be killed next); how often it ran so far."""
    CRASH_DIR.mkdir(parents=True, exist_ok=True)
    with open(CRASH_DIR / "runs.log", "a") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    return (CRASH_DIR / "runs.log").read_text().split().count(name)


class CountingModel(FakeToolCallingModel):
    """The scripted tool-calling model, logging each call."""

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        _mark("model")
        return super()._generate(messages, stop, run_manager, **kwargs)


@tool
def slow_tool(topic: str) -> str:
    """A slow lookup (blocks on its first call until the worker is killed)."""
    if _mark("slow_tool") == 1:
        time.sleep(120)  # the test SIGKILLs the worker during this sleep
    return f"slow says done ({topic})"


@tool
def other_tool(topic: str) -> str:
    """A fast lookup."""
    _mark("other_tool")
    return f"other says done ({topic})"


def build() -> object:
    model = CountingModel(
        responses=[
            calls(("slow_tool", {"topic": "a"}, "call-slow"), ("other_tool", {"topic": "b"}, "call-other"), id="ai-1"),
            AIMessage(FINAL_ANSWER, id="ai-2"),
        ]
    )
    saver = SqliteSaver.from_conn_string(str(CRASH_DIR / "store.db"))
    return create_react_agent(
        model,
        [slow_tool, other_tool],
        checkpointer=saver,
        version="v2",
        name="agent-crash-test",
        heartbeat_timeout=timedelta(seconds=2),
    )


graph = build()
