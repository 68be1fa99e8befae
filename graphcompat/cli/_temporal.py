"""``graphcompat server`` and ``graphcompat schedule-expiry``: commands about Temporal itself."""

from __future__ import annotations

import argparse
import signal
import threading
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from graphcompat._devserver import STATE_DB, DevServer, lock_db, publish_server, state_dir, withdraw_server
from graphcompat import _settings
from graphcompat._runtime import current_runtime
from graphcompat._settings import temporal_configured
from graphcompat.checkpoint._masking import mask_password, strip_password
from graphcompat.cli._run import store_url_for, temporal_runtime
from graphcompat.cli._store import open_store, parse_duration
from graphcompat.errors import ConfigurationError

__all__ = ["cmd_schedule_expiry", "cmd_server"]


def cmd_server(args: argparse.Namespace) -> int:
    """Run the embedded dev server in the foreground until Ctrl-C or SIGTERM.

    It holds the same lock as the embedded runtime and publishes its address
    the same way, so a script using the embedded default in this directory
    meanwhile runs on this server instead of starting a second one.
    """
    directory = state_dir()
    db = Path(args.db).expanduser().resolve() if args.db else directory / STATE_DB
    db.parent.mkdir(parents=True, exist_ok=True)
    lock = lock_db(db)  # held while the server runs
    if lock is None:
        raise ConfigurationError(f"another graphcompat process is using {db}; stop it, or pass --db OTHER.db")
    try:
        server = DevServer(db=db, log_path=directory / "temporal.log", ui=not args.headless, ui_port=args.ui_port, port=args.port)
        return _serve(server)
    finally:
        lock.close()


def _serve(server: DevServer) -> int:
    import asyncio

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        asyncio.run(server.start())
        if server.db is not None:
            publish_server(server.db, server.address, server.ui_url)
        print(f"Temporal dev server: {server.address}", flush=True)
        if server.ui_url:
            print(f"Web UI: {server.ui_url}", flush=True)
        print(f"History: {server.db}   log: {server.log_path}", flush=True)
        print(
            f"Use it from other shells with: export TEMPORAL_ADDRESS={server.address}   (Ctrl-C stops the server)",
            flush=True,
        )
        while not stop.wait(0.5):
            if server.process is not None and server.process.poll() is not None:
                raise ConfigurationError(
                    f"the Temporal dev server exited with code {server.process.returncode}; see {server.log_path}"
                )
    finally:
        if server.db is not None:
            withdraw_server(server.db)
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("Temporal dev server stopped", flush=True)
    return 0


def cmd_schedule_expiry(args: argparse.Namespace) -> int:
    """Create or update a Temporal Schedule that expires idle threads every ``--every``."""
    from temporalio.client import (
        Schedule,
        ScheduleActionStartWorkflow,
        ScheduleAlreadyRunningError,
        ScheduleIntervalSpec,
        ScheduleOverlapPolicy,
        SchedulePolicy,
        ScheduleSpec,
        ScheduleState,
        ScheduleUpdate,
        ScheduleUpdateInput,
    )

    from workflows.cleanup import CleanupInput, CleanupWorkflow

    idle = parse_duration(args.older_than)
    every = parse_duration(args.every, "--every")
    if not (args.address or current_runtime() is not None or temporal_configured()):
        raise ConfigurationError(
            "schedule-expiry needs a Temporal server that outlives this command: pass --address HOST:PORT "
            "or set TEMPORAL_ADDRESS (`graphcompat server` runs one locally)"
        )
    store = open_store(store_url_for(args))
    store_url_text = store.url
    try:
        if store.in_process_only:
            raise ConfigurationError(
                f"store {store.url} lives only in this process; schedule expiry of a store workers can open "
                "(sqlite:////absolute/path.db or postgresql://...)"
            )
        # Absolute (the worker's working directory is not ours) and without its password: a
        # Schedule's arguments are kept and shown by Temporal; the worker supplies it.
        url = strip_password(store.url)
    finally:
        store.close()
    task_queue = _settings.task_queue(args.task_queue)
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            CleanupWorkflow.run,
            CleanupInput(store_url=url, older_than_seconds=idle.total_seconds()),
            id=f"graphcompat-cleanup:{args.schedule_id}",
            task_queue=task_queue,
            execution_timeout=timedelta(hours=2),
            static_summary=f"expire threads idle > {args.older_than}",
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(note=f"graphcompat expire --older-than {args.older_than} --store {mask_password(url)}"),
    )

    async def upsert(client: Any) -> str:
        try:
            await client.create_schedule(args.schedule_id, schedule)
            return "created"
        except ScheduleAlreadyRunningError:

            def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=schedule)

            await client.get_schedule_handle(args.schedule_id).update(replace)
            return "updated"

    with temporal_runtime(args) as runtime:

        async def on_loop() -> str:
            return await upsert(await runtime.client())

        outcome = runtime.run_sync(on_loop())
    print(
        f"schedule {args.schedule_id!r} {outcome}: every {args.every}, delete threads idle for more than "
        f"{args.older_than} in {mask_password(url)}; runs workflow {CleanupWorkflow.__name__} on task queue "
        f"{task_queue!r} (its workers must register workflows.cleanup / activities.cleanup)"
        + (
            "; the password is not in the Schedule: its workers take it from their GRAPHCOMPAT_STORE "
            "(the same URL with the password) or from PGPASSWORD / ~/.pgpass"
            if url != store_url_text
            else ""
        )
    )
    return 0
