"""``GraphTestEnvironment.from_client``: graphs on a server the user's suite already has.

The server is the SDK's own time-skipping environment
(``temporalio.testing.WorkflowEnvironment.start_time_skipping``), started once
for the module on the test loop; graphcompat's environment runs its worker on
its own loop and uses the same connection.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
import uuid
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypedDict

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.contrib.pydantic import PydanticPayloadConverter, pydantic_data_converter
from temporalio.converter import DataConverter, DefaultPayloadConverter
from temporalio.testing import WorkflowEnvironment

from graphcompat._devserver import temporal_binary
from graphcompat._runtime import current_runtime
from graphcompat._wire import workflow_id_for
from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.errors import ConfigurationError
from graphcompat.graph import END, START, StateGraph
from graphcompat.testing import GraphTestEnvironment
from graphcompat.types import RetryPolicy

from .replay import replay_thread


class Order(TypedDict):
    items: list[str]
    total: int
    status: str


def order_graph(failures: int = 0, back_off: float = 60.0):
    """price -> ship; ``price`` fails ``failures`` times first, retried after ``back_off`` s (doubling)."""
    calls: list[int] = []

    def price(state: Order) -> dict:
        calls.append(1)
        if len(calls) <= failures:
            raise ConnectionError("pricing service down")
        return {"total": 10 * len(state["items"]), "status": "priced"}

    def ship(state: Order) -> dict:
        return {"status": f"shipped {state['total']}"}

    builder = StateGraph(Order)
    builder.add_node("price", price, retry_policy=RetryPolicy(initial_interval=back_off, max_attempts=failures + 1))
    builder.add_node("ship", ship)
    builder.add_edge(START, "price")
    builder.add_edge("price", "ship")
    builder.add_edge("ship", END)
    return builder.compile(checkpointer=InMemorySaver())


ORDER = {"items": ["a", "b", "c"], "total": 0, "status": "new"}
DONE = {"items": ["a", "b", "c"], "total": 30, "status": "shipped 30"}


def on_a_throwaway_loop(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coro`` with ``asyncio.run`` in another thread: its loop is closed when this returns."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def sdk_env() -> AsyncIterator[WorkflowEnvironment]:
    """The SDK's time-skipping environment, as a user's conftest would start it."""
    workflow_env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    yield workflow_env
    await workflow_env.shutdown()


async def test_from_a_workflow_environment_runs_the_graph_with_its_time_skipping(sdk_env, thread):
    before = current_runtime()
    async with await GraphTestEnvironment.afrom_client(sdk_env) as env:
        assert current_runtime() is env.runtime
        assert env.kind == "time-skipping"
        assert env.workflow_environment is sdk_env
        assert env.client is sdk_env.client  # its converter is graphcompat's already: used as given
        graph = order_graph(failures=2, back_off=60.0)  # 1 + 2 minutes of back-off
        started = time.monotonic()
        assert await graph.ainvoke(ORDER, thread) == DONE
        assert time.monotonic() - started < 30
        state = await graph.aget_state(thread)
        assert state.values == DONE
        assert state.next == ()
        assert state.metadata["step"] == 3
        assert [s.metadata["step"] for s in graph.get_state_history(thread)] == [3, 2, 1, 0]
        assert replay_thread(env, thread["configurable"]["thread_id"]) == 1
    assert current_runtime() is before
    # closing the graphcompat environment left the SDK's server and client running
    description = await sdk_env.client.get_workflow_handle(workflow_id_for(thread["configurable"]["thread_id"])).describe()
    assert description.task_queue.startswith("graphcompat-test-")


def test_from_a_client_connected_on_a_loop_that_has_since_closed(sdk_env, thread):
    client = on_a_throwaway_loop(sdk_env.connect_client(data_converter=pydantic_data_converter))
    task_queue = f"mine-{uuid.uuid4().hex[:8]}"
    with GraphTestEnvironment.from_client(client, task_queue=task_queue) as env:
        assert env.kind == "client"
        assert env.task_queue == task_queue
        graph = order_graph()
        assert graph.invoke(ORDER, thread) == DONE
        assert graph.get_state(thread).values == DONE
        wid = workflow_id_for(thread["configurable"]["thread_id"])
        assert env.run(env.client.get_workflow_handle(wid).describe()).task_queue == task_queue
        assert replay_thread(env, thread["configurable"]["thread_id"]) == 1
        with pytest.raises(RuntimeError, match="from_client"):
            env.workflow_environment  # noqa: B018


async def test_a_client_on_the_sdk_default_converter_gets_graphcompats(sdk_env, thread):
    default = Client(**{**sdk_env.client.config(), "data_converter": DataConverter.default})
    assert default.data_converter.payload_converter_class is DefaultPayloadConverter
    async with await GraphTestEnvironment.afrom_client(default) as env:
        assert env.client is not default
        assert issubclass(env.client.data_converter.payload_converter_class, PydanticPayloadConverter)
        assert env.client.service_client is default.service_client  # same connection
        assert env.client.namespace == default.namespace
        graph = order_graph(failures=1, back_off=120.0)  # the time-skipping interceptor came along
        started = time.monotonic()
        assert await graph.ainvoke(ORDER, thread) == DONE
        assert time.monotonic() - started < 30
        assert (await graph.aget_state(thread)).values == DONE
        assert replay_thread(env, thread["configurable"]["thread_id"]) == 1


class UpperCaseConverter(DefaultPayloadConverter):
    """Some other payload converter graphcompat knows nothing about."""


async def test_a_client_with_another_payload_converter_is_refused(sdk_env):
    custom = Client(
        **{**sdk_env.client.config(), "data_converter": DataConverter(payload_converter_class=UpperCaseConverter)}
    )
    with pytest.raises(ConfigurationError, match="UpperCaseConverter") as info:
        await GraphTestEnvironment.afrom_client(custom)
    assert "data_converter=temporalio.contrib.pydantic.pydantic_data_converter" in str(info.value)
    with pytest.raises(ConfigurationError, match="pydantic_data_converter"):
        GraphTestEnvironment.from_client(custom)


async def test_a_lazy_client_is_refused_with_what_to_do(sdk_env):
    target = sdk_env.client.service_client.config.target_host
    lazy = await Client.connect(target, lazy=True, data_converter=pydantic_data_converter)
    with pytest.raises(ConfigurationError, match="lazy=True"):
        await GraphTestEnvironment.afrom_client(lazy)
    with pytest.raises(ConfigurationError, match="Client or a temporalio.testing.WorkflowEnvironment"):
        await GraphTestEnvironment.afrom_client(target)  # type: ignore[arg-type]
