"""Async nodes and routers."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, TypedDict

from engine_driver import run_to_end
from graphcompat.graph import END, START, StateGraph
from graphcompat.types import Send, interrupt


class S(TypedDict, total=False):
    items: Annotated[list[str], operator.add]
    count: int


async def test_async_node_and_async_router() -> None:
    async def work(state: dict) -> dict:
        await asyncio.sleep(0)
        return {"count": state["count"] + 1, "items": [f"w{state['count']}"]}

    async def again(state: dict) -> str:
        await asyncio.sleep(0)
        return "work" if state["count"] < 3 else END

    b = StateGraph(S)
    b.add_node("work", work)
    b.add_edge(START, "work")
    b.add_conditional_edges("work", again)
    run = await run_to_end(b, {"count": 0})
    assert run.values == {"count": 3, "items": ["w0", "w1", "w2"]}


async def test_async_router_returning_sends_and_async_worker() -> None:
    async def fan(state: dict) -> list[Send]:
        return [Send("worker", {"n": n}) for n in (2, 1)]

    async def worker(arg: dict) -> dict:
        await asyncio.sleep(0.01 * arg["n"])
        return {"items": [str(arg["n"])]}

    b = StateGraph(S)
    b.add_node("start", lambda s: None)
    b.add_node("worker", worker)
    b.add_edge(START, "start")
    b.add_conditional_edges("start", fan)
    run = await run_to_end(b, {})
    assert run.values["items"] == ["2", "1"]


async def test_async_callable_object_node() -> None:
    class Node:
        async def __call__(self, state: dict) -> dict:
            return {"items": ["callable"]}

    b = StateGraph(S)
    b.add_node("obj", Node())
    b.add_edge(START, "obj")
    assert (await run_to_end(b, {})).values["items"] == ["callable"]


async def test_interrupt_inside_async_node(config) -> None:
    async def ask(state: dict) -> dict:
        answer = interrupt("why?")
        return {"items": [answer]}

    b = StateGraph(S)
    b.add_node("ask", ask)
    b.add_edge(START, "ask")
    engine = b.compile().engine
    from graphcompat.engine import TaskSpec

    task = TaskSpec("tid", "ask", "pull")
    first = await engine.run_task(task, {}, config)
    assert [i["value"] for i in first.interrupts] == ["why?"]
    second = await engine.run_task(task, {}, config, resume=["because"])
    assert second.writes == [("items", ["because"])]
