"""The activity of ``graphcompat.Cleanup``: open a store by URL, expire idle threads, sweep old stream chunks.

Register it with :func:`cleanup_activities` next to
``workflows.cleanup.cleanup_workflows`` in any worker that serves the
Schedule's task queue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from graphcompat._chunks import RETENTION
from graphcompat import _settings
from graphcompat.checkpoint import saver_from_url
from graphcompat.checkpoint._masking import strip_password
from graphcompat.errors import ConfigurationError
from workflows.cleanup import EXPIRE_ACTIVITY, CleanupInput, CleanupResult

__all__ = ["cleanup_activities", "expire_threads", "worker_store_url"]


def worker_store_url(url: str) -> str:
    """The Schedule's password-free store URL, completed from this worker's own environment.

    A Schedule's arguments are kept and shown by Temporal, so they never hold
    the store's password. When this worker's ``GRAPHCOMPAT_STORE`` names the
    same store (equal once its password is removed), its URL, password
    included, is used; otherwise the URL as given, and libpq finds the
    password where it always looks (``PGPASSWORD``, ``~/.pgpass``).
    """
    own = _settings.store_url()
    if own and own != url and strip_password(own) == url:
        return own
    return url


@activity.defn(name=EXPIRE_ACTIVITY)
async def expire_threads(input: CleanupInput) -> CleanupResult:
    """Delete the store's threads idle longer than ``input.older_than_seconds``."""
    try:
        store = saver_from_url(worker_store_url(input.store_url))
    except ConfigurationError as exc:
        # Retrying cannot fix a wrong URL: fail this run, let the next one report it again.
        raise ApplicationError(str(exc), type="ConfigurationError", non_retryable=True) from None
    try:
        expired = await store.aexpire_threads(timedelta(seconds=input.older_than_seconds))
        # Live stream chunks are kept for their retention only, whether or not the thread runs again.
        swept = await store.adelete_stream_chunks(None, before=datetime.now(timezone.utc) - RETENTION)
    finally:
        store.close()
    activity.logger.info("expired %d idle threads, deleted %d old stream chunks", len(expired), swept)
    return CleanupResult(expired=expired)


def cleanup_activities() -> list[Callable[..., Any]]:
    """Activities a worker registers to run scheduled cleanups."""
    return [expire_threads]
