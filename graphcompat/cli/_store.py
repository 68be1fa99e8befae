"""What the command line needs from a snapshot store, read without any graph code.

The store holds JSON records (see ``graphcompat.checkpoint.base``), so a
thread's status, state and history can be read by a process that never
imported the graph: this module does that reading, and the small parsing
jobs (durations, JSON arguments, checkpoint ids) shared by several commands.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from graphcompat import _settings
from graphcompat.checkpoint import BaseCheckpointSaver, CheckpointRecord, saver_from_url
from graphcompat.checkpoint._url import sqlite_path
from graphcompat.errors import ConfigurationError, UnknownCheckpointError, UnknownThreadError

__all__ = [
    "STORE_ENV",
    "open_store",
    "parse_duration",
    "parse_json_arg",
    "require_latest",
    "resolve_checkpoint",
]

#: Environment variable naming the store when ``--store`` is not given.
STORE_ENV = "GRAPHCOMPAT_STORE"


def open_store(url: str, *, must_exist: bool = True) -> BaseCheckpointSaver:
    """Open the store ``url`` names.

    Opening a SQLite URL creates the file, which is right for a worker but
    wrong for ``graphcompat state nope --store sqlite:///typo.db``: a read
    would succeed on a fresh empty store and hide the typo. So commands that
    only read or delete refuse a file that does not exist.
    """
    path = sqlite_path(url)
    if must_exist and path is not None and not path.expanduser().is_file():
        raise ConfigurationError(
            f"store file {str(path.expanduser().resolve())!r} does not exist; check --store "
            "(sqlite:///relative.db is relative to the current directory, sqlite:////abs/path.db is absolute)"
        )
    return saver_from_url(url)


def parse_json_arg(option: str, text: str) -> Any:
    """Parse a JSON command-line argument, naming the option when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"{option} is not valid JSON ({exc.msg} at column {exc.colno}): {text!r}; "
            """quote it for the shell, e.g. '{"query": "x"}'"""
        ) from None


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str, option: str = "--older-than") -> timedelta:
    """``30d``, ``12h``, ``90m``, ``45s``, ``2w`` or a sum such as ``1h30m``."""
    cleaned = text.strip().lower()
    parts = _DURATION_PART.findall(cleaned)
    if not parts or "".join(n + u for n, u in parts) != cleaned:
        raise ConfigurationError(
            f"{option} {text!r} is not a duration; use a number and a unit s, m, h, d or w, e.g. 30d, 12h or 1h30m"
        )
    seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds <= 0:
        raise ConfigurationError(f"{option} {text!r} must be longer than zero")
    return timedelta(seconds=seconds)


def require_latest(store: BaseCheckpointSaver, thread_id: str) -> CheckpointRecord:
    """The thread's latest checkpoint, or an error that says how to find thread ids."""
    record = store.get_checkpoint(thread_id)
    if record is None:
        raise UnknownThreadError(
            f"thread {thread_id!r} has no checkpoint in {store.display_url}; list threads with `graphcompat threads`",
            thread_id=thread_id,
        )
    return record


def require_namespace(store: BaseCheckpointSaver, thread_id: str, ns: str) -> CheckpointRecord:
    """The latest checkpoint of a subgraph namespace (``--ns``), or an error listing the thread's namespaces."""
    latest = require_latest(store, thread_id)
    if not ns:
        return latest
    record = store.get_checkpoint(thread_id, ns)
    if record is None:
        known = namespaces(store, thread_id)
        raise UnknownCheckpointError(
            f"thread {thread_id!r} has no checkpoint in namespace {ns!r}; its subgraph namespaces are: "
            f"{', '.join(known) or '(none)'} (shown by `graphcompat history {thread_id}`)",
            thread_id=thread_id,
            checkpoint_ns=ns,
        )
    return record


def namespaces(store: BaseCheckpointSaver, thread_id: str) -> list[str]:
    """The subgraph namespaces of a thread (``node:task_id``, nested with ``|``), in order of first checkpoint."""
    seen: dict[str, None] = {}
    for record in reversed(list(store.list_checkpoints(thread_id, None))):
        if record.checkpoint_ns:
            seen.setdefault(record.checkpoint_ns, None)
    return list(seen)


def resolve_checkpoint(store: BaseCheckpointSaver, thread_id: str, given: str | None, ns: str = "") -> CheckpointRecord:
    """The checkpoint ``given`` names in namespace ``ns``: a full id or the short id that listings show.

    Short ids are the unique tail (or head) of a full id, so ids copied from
    ``graphcompat history`` work as they are printed.
    """
    if given is None:
        return require_namespace(store, thread_id, ns)
    record = store.get_checkpoint(thread_id, ns, given)
    if record is not None:
        return record
    require_namespace(store, thread_id, ns)  # unknown thread beats unknown checkpoint
    needle = given.replace("-", "").lower()
    matches = [
        r
        for r in store.list_checkpoints(thread_id, ns)
        if len(needle) >= 4
        and (r.checkpoint_id.replace("-", "").endswith(needle) or r.checkpoint_id.replace("-", "").startswith(needle))
    ]
    if len(matches) == 1:
        return matches[0]
    why = "matches several checkpoints; give more characters" if matches else "does not exist"
    raise UnknownCheckpointError(
        f"checkpoint {given!r} of thread {thread_id!r} {why}; list them with `graphcompat history {thread_id}`",
        thread_id=thread_id,
        checkpoint_id=given,
    )


def default_store_url(explicit: str | None) -> str | None:
    """``--store`` if given, else ``$GRAPHCOMPAT_STORE``."""
    return explicit or _settings.store_url()
