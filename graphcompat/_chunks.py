"""The live stream of a run: chunks that leave a node while it runs.

``custom`` chunks (``get_stream_writer()``, the ``writer`` parameter) and
``messages`` chunks (tokens of LangChain chat models called in a node) never
reach a checkpoint. A node activity collects them in a :class:`ChunkSink`
and appends them, in small batches, to the thread's stream-chunk table in
the snapshot store (``BaseCheckpointSaver.put_stream_chunks``); the client
reads that table with a cursor next to the checkpoints it follows
(``graphcompat._follow.RunFollower``). Why the store and not Temporal
(signals, updates, heartbeats): every chunk in Temporal would be an event in
workflow history, which must not grow with the number of tokens (invariant
3); the store is already shared by every worker and client of the graph, and
a table with a cursor is resumable for free. See docs/architecture.md §3.

This module owns the stored form of a chunk (``value`` of a ``StreamChunk``)::

    {"mode": "custom",   "data": <JSON, messages in their stored form>}
    {"mode": "messages", "data": [<stored message>, <metadata>]}
    {"mode": "__run__",  "run_mode": "input", "start": <checkpoint id>}   # a run's start marker
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from graphcompat import _messages
from graphcompat.checkpoint.base import BaseCheckpointSaver, StreamChunk
from graphcompat.errors import StoreUnavailableError

__all__ = [
    "FLUSH_INTERVAL_S",
    "RETENTION",
    "RUN_MARK",
    "ChunkSink",
    "decode",
    "langchain_context",
    "mark_run_start",
    "message_handler",
    "node_run_config",
    "stream_output_messages",
]

log = logging.getLogger("graphcompat.stream")

#: How long a node's chunks may wait in the worker before they are written: the
#: first chunk of a batch waits this long for company, so a token stream costs a
#: store write every few milliseconds, not one per token.
FLUSH_INTERVAL_S = 0.005
#: Most chunks written in one store transaction.
MAX_BATCH = 500
#: How long chunks stay readable after they were written (a run's start deletes
#: older chunks of its thread, the scheduled cleanup those of every thread;
#: deleting or expiring a thread deletes all of them).
RETENTION = timedelta(hours=1)
#: ``mode`` of a run's start marker.
RUN_MARK = "__run__"

#: Metadata keys LangGraph gives as tuples (JSON turns them into lists).
_TUPLE_KEYS = ("langgraph_triggers", "langgraph_path")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _jsonable(value: Any) -> Any:
    """A custom chunk as JSON: messages in their stored form, other objects through pydantic."""
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(_messages.dump_tree(value), fallback=repr)


class ChunkSink:
    """The chunks of one node attempt, on their way to the store.

    ``write`` may be called from any thread (a sync node runs in one); a
    flusher task on the activity's loop writes what accumulated every
    :data:`FLUSH_INTERVAL_S`. :meth:`aclose` writes the rest before the
    activity returns, so a completed node has every chunk stored.
    """

    def __init__(
        self,
        store: BaseCheckpointSaver,
        thread_id: str,
        checkpoint_ns: str,
        checkpoint_id: str,
        writer: str,
        attempt: int,
    ) -> None:
        self.store, self.thread_id = store, thread_id
        self.checkpoint_ns = checkpoint_ns
        self._key = (checkpoint_ns, checkpoint_id, writer, attempt)
        self._lock = threading.Lock()
        self._pending: list[StreamChunk] = []
        self._count = 0
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._closed = False
        self._flusher = asyncio.ensure_future(self._flush_forever())
        #: The ``messages`` callback handler of the node, when its run streams messages.
        self.handler: Any = None

    def write(self, mode: str, data: Any) -> None:
        """Queue one chunk (``data`` already JSON)."""
        ns, checkpoint_id, writer, attempt = self._key
        with self._lock:
            if self._closed:  # the node has returned: a writer kept past it writes nothing
                return
            chunk = StreamChunk(0, ns, checkpoint_id, writer, attempt, self._count, _now(), {"mode": mode, "data": data})
            self._count += 1
            self._pending.append(chunk)
            first = len(self._pending) == 1
        if first:  # wake the flusher once per batch, not once per token
            try:
                self._loop.call_soon_threadsafe(self._wake.set)
            except RuntimeError:  # the loop is closing: aclose writes what is left
                pass

    def custom(self, value: Any) -> None:
        """The stream writer a node gets: ``writer(value)``."""
        self.write("custom", _jsonable(value))

    def _take(self) -> list[StreamChunk]:
        with self._lock:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            if self._pending:
                self._wake.set()
            return batch

    async def _flush_forever(self) -> None:
        """Write what accumulated, every flush interval; after :meth:`aclose`, write the rest and stop.

        A batch taken from the queue is written (or put back) by this task
        alone, and this task is never cancelled: so no batch is lost between
        taking and writing it.
        """
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._closed:
                await asyncio.sleep(FLUSH_INTERVAL_S)
            batch = self._take()
            if batch:
                try:
                    await self.store.aput_stream_chunks(self.thread_id, batch)
                except Exception as exc:
                    if self._closed:  # the node is done: its chunks must not be lost, Temporal retries it
                        raise exc if isinstance(exc, StoreUnavailableError) else StoreUnavailableError(
                            f"could not write the node's stream chunks: {exc}"
                        ) from exc
                    log.warning("could not write %d stream chunks yet: %s", len(batch), exc)
                    with self._lock:
                        self._pending[:0] = batch
                    await asyncio.sleep(0.2)
                    self._wake.set()
                    continue
            with self._lock:
                if self._closed and not self._pending:
                    return

    async def aclose(self) -> None:
        """Write every queued chunk and stop (raises when the store cannot take them)."""
        with self._lock:
            self._closed = True
        self._wake.set()
        await self._flusher


async def mark_run_start(store: BaseCheckpointSaver, thread_id: str, checkpoint_ns: str, run_mode: str, start: str, run_key: str) -> None:
    """Write a run's start marker (where an attaching reader starts) and drop chunks past retention."""
    now = datetime.now(timezone.utc)
    await store.adelete_stream_chunks(thread_id, before=now - RETENTION)
    # Keyed by the run, so a re-run start_run writes it once.
    value = {"mode": RUN_MARK, "run_mode": run_mode, "start": start, "run": run_key}
    marker = StreamChunk(0, checkpoint_ns, start, f"run:{run_key}", 0, 0, now.isoformat(), value)
    await store.aput_stream_chunks(thread_id, [marker])


def decode(chunk: StreamChunk) -> tuple[str, tuple[str, ...], Any]:
    """``(mode, namespace, payload)`` of a stored chunk, payload as LangGraph streams it."""
    value = chunk.value or {}
    mode = str(value.get("mode"))
    ns = tuple(chunk.checkpoint_ns.split("|")) if chunk.checkpoint_ns else ()
    data = value.get("data")
    if mode == "messages":
        message, metadata = data
        meta = dict(metadata)
        for key in _TUPLE_KEYS:
            if isinstance(meta.get(key), list):
                meta[key] = tuple(meta[key])
        return mode, ns, (_messages.load_tree(Any, message), meta)
    if mode == "custom":
        return mode, ns, _messages.load_tree(Any, data)
    return mode, ns, value


def message_handler(sink: ChunkSink) -> Any:
    """A LangChain callback handler that streams chat-model tokens as ``messages`` chunks.

    What LangGraph's ``StreamMessagesHandler`` does, on our transport: each
    token chunk of a chat model run inside the node (unless tagged
    ``nostream``) with the metadata LangChain hands the model (the node's
    ``langgraph_*`` keys plus the model's ``ls_*``); a model that does not
    stream sends its whole message once, when it ends. None without langchain.
    """
    if not _messages.available():
        return None
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk

    try:  # the marker that makes chat models stream their tokens when invoked (as LangGraph's handler has)
        from langchain_core.tracers._streaming import _StreamingCallbackHandler
    except ImportError:  # pragma: no cover - older langchain-core
        _StreamingCallbackHandler = object  # type: ignore[assignment,misc]

    class _Handler(BaseCallbackHandler, _StreamingCallbackHandler):  # type: ignore[misc,valid-type]
        run_inline = True

        def tap_output_aiter(self, run_id: Any, output: Any) -> Any:
            return output

        def tap_output_iter(self, run_id: Any, output: Any) -> Any:
            return output

        def __init__(self) -> None:
            self.metadata: dict[Any, dict[str, Any]] = {}
            self.seen: set[str] = set()

        def _emit(self, meta: Mapping[str, Any], message: Any, *, dedupe: bool = False) -> None:
            if dedupe and message.id in self.seen:
                return
            if message.id is not None:
                self.seen.add(message.id)
            sink.write("messages", [_messages.to_json(message), meta])

        def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: Any, tags: Sequence[str] | None = None, metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
            if metadata and (not tags or "nostream" not in tags):
                meta = dict(metadata)
                if not meta.get("checkpoint_ns") and meta.get("langgraph_checkpoint_ns"):
                    # LangChain copies checkpoint_ns from the configurable into the metadata once, at
                    # the outermost task: a subgraph's node keeps its root task's ("team:<id>"), as in LangGraph
                    meta["checkpoint_ns"] = str(meta["langgraph_checkpoint_ns"]).split("|")[0]
                user_tags = [t for t in (tags or []) if not t.startswith("seq:step")]
                if user_tags:
                    meta["tags"] = user_tags
                self.metadata[run_id] = _jsonable(meta)  # once per model call, not per token

        def on_llm_new_token(self, token: str, *, chunk: Any = None, run_id: Any, **kwargs: Any) -> None:
            if isinstance(chunk, ChatGenerationChunk) and (meta := self.metadata.get(run_id)) is not None:
                self._emit(meta, chunk.message)

        def on_llm_end(self, response: Any, *, run_id: Any, **kwargs: Any) -> None:
            meta = self.metadata.pop(run_id, None)
            if meta is not None and response.generations and response.generations[0]:
                generation = response.generations[0][0]
                if isinstance(generation, ChatGeneration):
                    self._emit(meta, generation.message, dedupe=True)

        def on_llm_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
            self.metadata.pop(run_id, None)

    return _Handler()


def _triggers(task: Any) -> tuple[str, ...]:
    """LangGraph's ``langgraph_triggers`` of a task: what made it run."""
    from graphcompat.checkpoint._layout import TaskKind

    return ("__pregel_push",) if task.kind == TaskKind.PUSH else (f"branch:to:{task.name}",)


def node_run_config(
    config: Mapping[str, Any],
    task: Any,
    step: int,
    caller_config: Mapping[str, Any],
    sink: ChunkSink,
    modes: Sequence[str],
) -> dict[str, Any]:
    """The node's RunnableConfig when its run streams: LangGraph's run metadata, and the
    ``messages`` callback handler, so chat models called in the node stream their tokens.

    ``step`` is the step of the checkpoint the task runs from, which (our step
    numbers start at 0 with the input checkpoint, LangGraph's at -1) is
    LangGraph's ``langgraph_step`` of the task.
    """
    out = dict(config)
    metadata = dict(caller_config.get("metadata") or {})
    for key, value in (caller_config.get("configurable") or {}).items():
        # What LangChain's ensure_config copies from the caller's configurable.
        if not key.startswith("__") and isinstance(value, (str, int, float, bool)) and key not in metadata:
            metadata[key] = value
    # The task's namespace inside its graph's: a subgraph's node is "parent:task|node:task", as in LangGraph.
    task_ns = f"{sink.checkpoint_ns}|{task.name}:{task.id}" if sink.checkpoint_ns else f"{task.name}:{task.id}"
    metadata.update(
        ls_integration="langgraph",
        langgraph_step=step,
        langgraph_node=task.name,
        langgraph_triggers=_triggers(task),
        langgraph_path=task.path,
        langgraph_checkpoint_ns=task_ns,
    )
    out["metadata"] = metadata
    if "messages" in modes and (handler := message_handler(sink)) is not None:
        out["callbacks"] = [handler]
        sink.handler = handler
    return out


def _stored_messages(value: Any) -> Iterator[dict[str, Any]]:
    """Messages (in their stored form) at the top of a write: the value itself or the items of a list."""
    if _messages.is_stored(value):
        yield value
    elif isinstance(value, list):
        yield from (v for v in value if _messages.is_stored(v))


def stream_output_messages(sink: ChunkSink, writes: Sequence[tuple[str, Any]], input_values: Mapping[str, Any], metadata: Mapping[str, Any]) -> None:
    """LangGraph's ``messages`` mode also streams the messages a node returns (a ToolMessage, a
    hand-made AIMessage), once: not those it got as input, nor those a model already streamed."""
    handler = getattr(sink, "handler", None)
    if handler is None:
        return
    seen = set(handler.seen)
    for value in input_values.values():
        seen.update(str(m["data"].get("id")) for m in _stored_messages(value) if m["data"].get("id"))
    for _, value in writes:
        for stored in _stored_messages(value):
            message_id = stored["data"].get("id")
            if message_id and message_id in seen:
                continue
            if message_id:
                seen.add(message_id)
            sink.write("messages", [stored, _jsonable(dict(metadata))])


class _NoContext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class _LangChainContext:
    """Makes ``config`` the parent RunnableConfig of LangChain calls inside the node,
    as LangGraph does: ``model.invoke(messages)`` without a config finds the callbacks."""

    def __init__(self, config: Mapping[str, Any], caller_config: Mapping[str, Any]) -> None:
        from langchain_core.runnables.config import var_child_runnable_config

        self._var = var_child_runnable_config
        self._config = {
            "callbacks": config.get("callbacks"),
            "metadata": dict(config.get("metadata") or {}),
            "tags": list(config.get("tags") or []),
            # LangChain copies these into a model's metadata: the caller's, and the namespace of the
            # outermost task (a subgraph's node runs inside its root task's config, as in LangGraph).
            "configurable": {
                **dict(caller_config.get("configurable") or {}),
                "checkpoint_ns": str((config.get("metadata") or {}).get("langgraph_checkpoint_ns", "")).split("|")[0],
            },
        }
        self._token: Any = None

    def __enter__(self) -> None:
        self._token = self._var.set(self._config)  # type: ignore[arg-type]

    def __exit__(self, *exc: object) -> None:
        self._var.reset(self._token)


def langchain_context(config: Mapping[str, Any], caller_config: Mapping[str, Any]) -> _NoContext | _LangChainContext:
    """The LangChain parent-config scope of a streaming node (nothing when it needs none)."""
    if not config.get("callbacks") or not _messages.available():
        return _NoContext()
    return _LangChainContext(config, caller_config)
