"""Settings read from the environment: the one place graphcompat reads ``os.environ``.

Every variable is read when it is needed (not at import), so a test or a
long-lived process that changes the environment sees the change. A value
that cannot be used is refused with a :class:`ConfigurationError` naming the
variable. ``docs/deploy.md`` documents each variable for operators.

=================================== ==========================================================
``GRAPHCOMPAT_TASK_QUEUE``          task queue when neither the call nor the graph names one
``GRAPHCOMPAT_INPROCESS_WORKER``    ``1``: a connected process also runs a worker itself
``GRAPHCOMPAT_TEMPORAL_ADDRESS``    Temporal address when ``TEMPORAL_ADDRESS`` is not set
``TEMPORAL_ADDRESS``, ``TEMPORAL_PROFILE``, ``TEMPORAL_CONFIG_FILE``
                                    a Temporal server is configured (``temporalio.envconfig``)
``GRAPHCOMPAT_HOME``                the embedded default's state directory (``./.graphcompat``)
``GRAPHCOMPAT_UI_PORT``             the embedded server's Web UI port (default: a free one)
``GRAPHCOMPAT_STORE``               the snapshot store of the CLI and ``worker.py --store``
``GRAPHCOMPAT_MAX_CONCURRENT_ACTIVITIES`` nodes a ``worker.py`` runs at once
``GRAPHCOMPAT_LOG_LEVEL``           ``worker.py``'s log level (``WARNING``)
``GRAPHCOMPAT_DEBUG``               ``1``: the CLI shows tracebacks
``GRAPHCOMPAT_STORE_RETRY_ATTEMPTS`` attempts of a run's store operation before the run fails (0: no limit)
``GRAPHCOMPAT_TEMPORAL_RETRY_SECONDS`` how long a caller waiting for its run rides out a Temporal outage (120)
=================================== ==========================================================
"""

from __future__ import annotations

import os
from pathlib import Path

from graphcompat.errors import ConfigurationError

__all__ = [
    "DEFAULT_TASK_QUEUE",
    "debug",
    "home",
    "inprocess_worker",
    "log_level",
    "max_concurrent_activities",
    "store_retry_attempts",
    "store_url",
    "task_queue",
    "temporal_address",
    "temporal_retry_seconds",
    "temporal_configured",
    "ui_port",
]

DEFAULT_TASK_QUEUE = "graphcompat"

_FALSE = ("", "0", "false", "no", "off")


def _get(name: str) -> str | None:
    value = os.environ.get(name)
    return value.strip() if value is not None and value.strip() else None


def _flag(name: str) -> bool:
    return (os.environ.get(name) or "").strip().lower() not in _FALSE


def _int(name: str, *, minimum: int = 0) -> int | None:
    text = _get(name)
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigurationError(f"{name}={text!r} is not a whole number of at least {minimum}; fix or unset it.")
    return value


def task_queue(*explicit: str | None) -> str:
    """The task queue: the first of ``explicit`` that is set (a call's, then the graph's),
    else ``$GRAPHCOMPAT_TASK_QUEUE``, else ``"graphcompat"``. Clients and workers agree by
    using this one rule."""
    for value in explicit:
        if value:
            return value
    return _get("GRAPHCOMPAT_TASK_QUEUE") or DEFAULT_TASK_QUEUE


def inprocess_worker() -> bool:
    """``GRAPHCOMPAT_INPROCESS_WORKER``: a process connected to a Temporal server also runs a worker."""
    return _flag("GRAPHCOMPAT_INPROCESS_WORKER")


def temporal_configured() -> bool:
    """True when the environment names a Temporal server to connect to."""
    if _get("TEMPORAL_ADDRESS") or _get("GRAPHCOMPAT_TEMPORAL_ADDRESS"):
        return True
    return bool(_get("TEMPORAL_PROFILE") or _get("TEMPORAL_CONFIG_FILE"))


def temporal_address() -> str | None:
    """``GRAPHCOMPAT_TEMPORAL_ADDRESS`` when ``TEMPORAL_ADDRESS`` (read by envconfig) is not set."""
    return None if _get("TEMPORAL_ADDRESS") else _get("GRAPHCOMPAT_TEMPORAL_ADDRESS")


def home() -> Path:
    """Where the embedded default keeps its files: ``$GRAPHCOMPAT_HOME`` or ``./.graphcompat``."""
    return Path(_get("GRAPHCOMPAT_HOME") or Path.cwd() / ".graphcompat")


def ui_port() -> int | None:
    return _int("GRAPHCOMPAT_UI_PORT", minimum=1)


def store_url() -> str | None:
    return _get("GRAPHCOMPAT_STORE")


def max_concurrent_activities() -> int | None:
    """None (the SDK's default) when unset or 0."""
    return _int("GRAPHCOMPAT_MAX_CONCURRENT_ACTIVITIES") or None


def log_level() -> str:
    return _get("GRAPHCOMPAT_LOG_LEVEL") or "WARNING"


def store_retry_attempts() -> int:
    """How often a run retries a store operation during an outage before failing (0: without limit)."""
    return _int("GRAPHCOMPAT_STORE_RETRY_ATTEMPTS") or 0


def debug() -> bool:
    return _flag("GRAPHCOMPAT_DEBUG")


def temporal_retry_seconds() -> int:
    """How long ``invoke`` keeps waiting for its run while Temporal does not answer (default 120 s)."""
    value = _int("GRAPHCOMPAT_TEMPORAL_RETRY_SECONDS")
    return 120 if value is None else value
