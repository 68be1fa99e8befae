"""LangGraph's checkpointer API on graphcompat's savers: ``get_tuple``, ``list``, ``put``,
``put_writes(config, writes, task_id)``, ``delete_thread`` and their async twins.

Code written for LangGraph reads a checkpointer directly (the docs' memory
pages: ``checkpointer.get_tuple(config)``, ``list(checkpointer.list(config))``,
``checkpointer.delete_thread(thread_id)``). This mixin answers those calls
with LangGraph's shapes (:class:`CheckpointTuple`, the ``Checkpoint`` dict with
``v``, ``id``, ``ts``, ``channel_values``, ``channel_versions``,
``versions_seen``, ``updated_channels``) over graphcompat's own store contract
(:mod:`graphcompat.checkpoint.base`), which the engine keeps using. It is a
view: records are translated on the way out and in, never stored twice.

Values come back as the store holds them, with chat messages revived from the
message codec's allow-list (a saver does not know the graph's schema, so
dataclasses and pydantic models stay JSON). Step numbers are graphcompat's
(BEHAVIOUR.md: 0-based).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from graphcompat import _messages
from graphcompat._constants import ERROR, INTERRUPT, RESUME
from graphcompat.errors import ConfigurationError

if TYPE_CHECKING:
    from graphcompat.checkpoint.base import CheckpointRecord, PendingWrite

__all__ = ["CHECKPOINT_FORMAT", "CheckpointTuple", "LangGraphCheckpointAPI", "langgraph_writes"]

#: ``checkpoint["v"]``: the version of LangGraph's ``Checkpoint`` dict these views follow.
CHECKPOINT_FORMAT = 4

#: Pending-write channels shown to LangGraph code besides state keys (LangGraph's own names).
_SHOWN_SPECIAL = (ERROR, INTERRUPT, RESUME)

F = TypeVar("F", bound=Callable[..., Any])


class CheckpointTuple(NamedTuple):
    """A checkpoint with its config, metadata, parent and pending writes (LangGraph's shape)."""

    config: dict[str, Any]
    checkpoint: dict[str, Any]
    metadata: dict[str, Any]
    parent_config: dict[str, Any] | None = None
    pending_writes: list[tuple[str, str, Any]] | None = None


def _where(config: Any, call: str) -> tuple[str, str, str | None]:
    """``(thread_id, checkpoint_ns, checkpoint_id)`` of a LangGraph config, checked."""
    conf = config.get("configurable") if isinstance(config, Mapping) else None
    if not isinstance(conf, Mapping) or conf.get("thread_id") in (None, ""):
        raise ConfigurationError(
            f"{call} needs a config with a thread id: {{'configurable': {{'thread_id': 'some-id'}}}} "
            f"(optionally with 'checkpoint_id'), got {config!r:.80}."
        )
    return str(conf["thread_id"]), str(conf.get("checkpoint_ns") or ""), conf.get("checkpoint_id") or None


def _config(thread_id: str, ns: str, checkpoint_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint_id}}


def _revive(value: Any) -> Any:
    return _messages.load_tree(Any, value) if _messages.available() else value


def _to_json(value: Any, what: str) -> Any:
    from pydantic import TypeAdapter

    if _messages.available():
        value = _messages.dump_tree(value)
    try:
        return TypeAdapter(Any).dump_python(value, mode="json")
    except Exception as exc:
        raise ConfigurationError(f"{what} cannot be stored as JSON ({exc.__class__.__name__}: {exc}); store plain data.") from exc


def checkpoint_tuple(record: CheckpointRecord, writes: Sequence[PendingWrite]) -> CheckpointTuple:
    """A stored record as LangGraph's ``CheckpointTuple``."""
    from graphcompat.checkpoint._layout import is_state_channel

    values = {k: _revive(v) for k, v in record.channel_values.items() if is_state_channel(k)}
    checkpoint = {
        "v": CHECKPOINT_FORMAT,
        "id": record.checkpoint_id,
        "ts": record.created_at,
        "channel_values": values,
        "channel_versions": dict(record.channel_versions),
        "versions_seen": {},
        "updated_channels": None,
    }
    parent = (
        _config(record.thread_id, record.checkpoint_ns, record.parent_checkpoint_id)
        if record.parent_checkpoint_id
        else None
    )
    pending = [
        (w.task_id, w.channel, _revive(w.value))
        for w in writes
        if is_state_channel(w.channel) or w.channel in _SHOWN_SPECIAL
    ]
    return CheckpointTuple(
        _config(record.thread_id, record.checkpoint_ns, record.checkpoint_id),
        checkpoint,
        dict(record.metadata),
        parent,
        pending,
    )


def _as_named(tup: CheckpointTuple, config: Mapping[str, Any], checkpoint_id: str | None) -> CheckpointTuple:
    """LangGraph's savers hand back the caller's own config when it named the checkpoint."""
    return tup._replace(config=dict(config)) if checkpoint_id is not None else tup


def langgraph_writes(method: F) -> F:
    """Let ``put_writes``/``aput_writes`` also take LangGraph's ``(config, writes, task_id, task_path="")``.

    graphcompat's own form is ``(thread_id, checkpoint_ns, checkpoint_id,
    rows)``; a config (a mapping) as the first argument selects LangGraph's.
    """
    if _is_coroutine(method):

        @functools.wraps(method)
        async def async_wrapper(self: Any, first: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(first, Mapping):
                return await method(self, *self._langgraph_rows(first, *args, **kwargs))
            return await method(self, first, *args, **kwargs)

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(method)
    def wrapper(self: Any, first: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(first, Mapping):
            return method(self, *self._langgraph_rows(first, *args, **kwargs))
        return method(self, first, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _is_coroutine(fn: Callable[..., Any]) -> bool:
    import inspect

    return inspect.iscoroutinefunction(fn)


class LangGraphCheckpointAPI:
    """LangGraph's ``BaseCheckpointSaver`` methods over graphcompat's store contract (see module docstring)."""

    # Provided by BaseCheckpointSaver.
    get_checkpoint: Callable[..., CheckpointRecord | None]
    list_checkpoints: Callable[..., Iterator[CheckpointRecord]]
    get_writes: Callable[..., list[PendingWrite]]
    put_checkpoint: Callable[..., bool]
    list_threads: Callable[..., Any]
    aget_checkpoint: Callable[..., Awaitable[CheckpointRecord | None]]
    alist_checkpoints: Callable[..., Awaitable[list[CheckpointRecord]]]
    aget_writes: Callable[..., Awaitable[list[PendingWrite]]]
    aput_checkpoint: Callable[..., Awaitable[bool]]
    alist_threads: Callable[..., Awaitable[Any]]

    # -- reading -----------------------------------------------------------------

    def get_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        """The checkpoint named in ``config`` (the thread's latest without a ``checkpoint_id``), or None."""
        thread_id, ns, checkpoint_id = _where(config, "get_tuple")
        record = self.get_checkpoint(thread_id, ns, checkpoint_id)
        if record is None:
            return None
        return _as_named(checkpoint_tuple(record, self.get_writes(thread_id, ns, record.checkpoint_id)), config, checkpoint_id)

    async def aget_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        """Async twin of :meth:`get_tuple`."""
        thread_id, ns, checkpoint_id = _where(config, "aget_tuple")
        record = await self.aget_checkpoint(thread_id, ns, checkpoint_id)
        if record is None:
            return None
        return _as_named(checkpoint_tuple(record, await self.aget_writes(thread_id, ns, record.checkpoint_id)), config, checkpoint_id)

    def _list_args(self, config: Any, before: Any, call: str) -> tuple[list[str] | None, str | None, str | None, str | None]:
        threads: list[str] | None = None
        ns: str | None = None
        checkpoint_id = None
        if config is not None:
            thread_id, ns, checkpoint_id = _where(config, call)
            threads = [thread_id]
        before_id = None
        if before is not None:
            before_id = _where(before, f"{call}(before=...)")[2] if isinstance(before, Mapping) else str(before)
        return threads, ns, checkpoint_id, before_id

    def list(
        self,
        config: Mapping[str, Any] | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Checkpoints newest first: of the config's thread (every thread when ``config`` is None).

        A ``checkpoint_id`` in ``config`` lists that checkpoint only, as LangGraph's savers do.
        """
        threads, ns, checkpoint_id, before_id = self._list_args(config, before, "list")
        names = threads if threads is not None else [t.thread_id for t in self.list_threads()]
        left = limit
        for thread_id in names:
            if left is not None and left <= 0:
                return
            if checkpoint_id is not None:
                record = self.get_checkpoint(thread_id, ns or "", checkpoint_id)
                records = [record] if record is not None and (not filter or all(record.metadata.get(k) == v for k, v in filter.items())) else []
            else:
                records = list(self.list_checkpoints(thread_id, ns, filter=filter, before=before_id, limit=left))
            for record in records:
                yield checkpoint_tuple(record, self.get_writes(thread_id, record.checkpoint_ns, record.checkpoint_id))
            if left is not None:
                left -= len(records)

    async def alist(
        self,
        config: Mapping[str, Any] | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """Async twin of :meth:`list`."""
        threads, ns, checkpoint_id, before_id = self._list_args(config, before, "alist")
        names = threads if threads is not None else [t.thread_id for t in await self.alist_threads()]
        left = limit
        for thread_id in names:
            if left is not None and left <= 0:
                return
            if checkpoint_id is not None:
                record = await self.aget_checkpoint(thread_id, ns or "", checkpoint_id)
                records = [record] if record is not None and (not filter or all(record.metadata.get(k) == v for k, v in filter.items())) else []
            else:
                records = list(await self.alist_checkpoints(thread_id, ns, filter=filter, before=before_id, limit=left))
            for record in records:
                yield checkpoint_tuple(record, await self.aget_writes(thread_id, record.checkpoint_ns, record.checkpoint_id))
            if left is not None:
                left -= len(records)

    # -- writing -------------------------------------------------------------------

    def _record(self, config: Any, checkpoint: Mapping[str, Any], metadata: Mapping[str, Any] | None) -> CheckpointRecord:
        from graphcompat.checkpoint.base import CheckpointRecord

        thread_id, ns, parent_id = _where(config, "put")
        if not isinstance(checkpoint, Mapping) or not checkpoint.get("id"):
            raise ConfigurationError(
                "put needs a LangGraph Checkpoint dict with at least 'id' (and 'ts', 'channel_values', "
                f"'channel_versions'), got {checkpoint!r:.80}."
            )
        meta = {"source": "update", "step": -1, "writes": None, "parents": {}, **dict(metadata or {})}
        values = {str(k): _to_json(v, f"put: channel {k!r}") for k, v in dict(checkpoint.get("channel_values") or {}).items()}
        return CheckpointRecord(
            thread_id=thread_id,
            checkpoint_ns=ns,
            checkpoint_id=str(checkpoint["id"]),
            parent_checkpoint_id=parent_id,
            created_at=str(checkpoint.get("ts") or ""),
            metadata=_to_json(meta, "put: metadata"),
            channel_values=values,
            channel_versions={str(k): str(v) for k, v in dict(checkpoint.get("channel_versions") or {}).items()},
            next_tasks=[],
        )

    def put(
        self,
        config: Mapping[str, Any],
        checkpoint: Mapping[str, Any],
        metadata: Mapping[str, Any] | None = None,
        new_versions: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store a LangGraph ``Checkpoint`` as a child of the checkpoint ``config`` names; returns its config.

        The first write of an id wins, as for every graphcompat checkpoint.
        """
        record = self._record(config, checkpoint, metadata)
        self.put_checkpoint(record)
        return _config(record.thread_id, record.checkpoint_ns, record.checkpoint_id)

    async def aput(
        self,
        config: Mapping[str, Any],
        checkpoint: Mapping[str, Any],
        metadata: Mapping[str, Any] | None = None,
        new_versions: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Async twin of :meth:`put`."""
        record = self._record(config, checkpoint, metadata)
        await self.aput_checkpoint(record)
        return _config(record.thread_id, record.checkpoint_ns, record.checkpoint_id)

    def _langgraph_rows(
        self, config: Mapping[str, Any], writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> tuple[str, str, str, list[PendingWrite]]:
        """LangGraph's ``put_writes(config, writes, task_id, task_path)`` as graphcompat's arguments."""
        from graphcompat.checkpoint.base import PendingWrite

        thread_id, ns, checkpoint_id = _where(config, "put_writes")
        if checkpoint_id is None:
            raise ConfigurationError(
                "put_writes needs the checkpoint the writes belong to: a config with 'checkpoint_id' "
                "(the config put() returned)."
            )
        rows = [
            PendingWrite(str(task_id), task_path or "", i, str(channel), _to_json(value, f"put_writes: channel {channel!r}"))
            for i, (channel, value) in enumerate(writes)
        ]
        return thread_id, ns, checkpoint_id, rows
