"""Following a thread's run through the store: each new checkpoint (and live chunk), once, in order.

The store is where every committed super-step lands, whichever worker ran
it, so following it works the same with an in-process worker and with
workers on other machines. ``stream`` and ``graphcompat run`` both follow a
run this way; this module is the one owner of "which checkpoints are new".
"""

from __future__ import annotations

import bisect
from collections.abc import Awaitable, Callable

from graphcompat.checkpoint.base import BaseCheckpointSaver, CheckpointRecord, StreamChunk

__all__ = ["RunFollower", "StoreFollower", "SubgraphFollower"]

#: Checkpoints read per poll; more are paged in when a poll finds this many new.
PAGE = 50
#: Stream chunks read per store call.
PAGE_CHUNKS = 1000


class StoreFollower:
    """Remembers which checkpoints of a thread were seen; each poll returns the new ones."""

    def __init__(self, store: BaseCheckpointSaver, thread_id: str, checkpoint_ns: str = "", *, page: int = PAGE) -> None:
        self.store, self.thread_id, self.checkpoint_ns, self.page = store, thread_id, checkpoint_ns, page
        self.seen: set[str] = set()
        #: Checkpoints up to this id count as seen (ids are time-ordered, see the store contract).
        self.watermark = ""

    def skip_through(self, record: CheckpointRecord | None) -> None:
        """Treat ``record`` and everything older as seen (what existed before the run started)."""
        if record is not None:
            self.watermark = max(self.watermark, record.checkpoint_id)

    def _take(self, page: list[CheckpointRecord], fresh: list[CheckpointRecord]) -> str | None:
        """Add the unseen records of one page; return where the next page starts, or None."""
        new = [r for r in page if r.checkpoint_id > self.watermark and r.checkpoint_id not in self.seen]
        fresh += new
        if len(page) < self.page or len(new) < len(page):
            return None
        return page[-1].checkpoint_id

    def _done(self, fresh: list[CheckpointRecord]) -> list[CheckpointRecord]:
        self.seen.update(r.checkpoint_id for r in fresh)
        return sorted(fresh, key=lambda r: r.checkpoint_id)

    def poll(self) -> list[CheckpointRecord]:
        """New checkpoints since the last poll, oldest first (pages back until a seen one)."""
        fresh: list[CheckpointRecord] = []
        before: str | None = None
        while True:
            page = list(self.store.list_checkpoints(self.thread_id, self.checkpoint_ns, before=before, limit=self.page))
            before = self._take(page, fresh)
            if before is None:
                return self._done(fresh)

    async def apoll(self) -> list[CheckpointRecord]:
        """Async twin of :meth:`poll`."""
        fresh: list[CheckpointRecord] = []
        before: str | None = None
        while True:
            page = list(await self.store.alist_checkpoints(self.thread_id, self.checkpoint_ns, before=before, limit=self.page))
            before = self._take(page, fresh)
            if before is None:
                return self._done(fresh)


class RunFollower:
    """A run's checkpoints and its live chunks, merged into the order LangGraph streams them.

    Every chunk carries the checkpoint its task ran from; it belongs after
    that checkpoint and before the next one. A node's chunks are stored
    before the node returns, so before the checkpoint its step commits: read
    the checkpoints first and the chunks second, and every chunk of a step
    whose checkpoint was read is there too. A chunk whose checkpoint has not
    been read yet waits for it. The merged order depends only on what is
    stored, never on when polls happen, so a reader that attaches later (or
    reads a finished run) sees the very same sequence.
    """

    def __init__(self, store: BaseCheckpointSaver, thread_id: str, checkpoint_ns: str = "", *, chunks: bool = False, after: int = 0) -> None:
        self.records = StoreFollower(store, thread_id, checkpoint_ns)
        self.store, self.thread_id, self.chunks, self.cursor = store, thread_id, chunks, after
        self._waiting: list[StreamChunk] = []
        #: The newest checkpoint id read (or skipped): chunks up to it can go out.
        self._known = ""

    def skip_through(self, record: CheckpointRecord | None) -> None:
        self.records.skip_through(record)
        if record is not None:
            self._known = max(self._known, record.checkpoint_id)

    def _ready(self, chunk: StreamChunk) -> bool:
        # A subgraph's chunk goes out as it comes: its checkpoint is in another namespace,
        # whose ids come from its own run's clock (a subgraphs=True reader interleaves them).
        return chunk.checkpoint_ns != self.records.checkpoint_ns or chunk.checkpoint_id <= self._known

    async def apoll(self, *, final: bool = False, arrange: Arrange | None = None) -> list[CheckpointRecord | StreamChunk]:
        """What is new, in stream order; ``final`` (the run has ended) lets every read chunk out.

        ``arrange`` puts other checkpoints among the new ones (a subgraph's, inside the
        parent step that ran it); it runs before the chunks are read, so a chunk is read
        no earlier than the checkpoint its task ran from.
        """
        records: list[CheckpointRecord] = await self.records.apoll()
        if records:
            self._known = max(self._known, records[-1].checkpoint_id)
        if arrange is not None:
            records = await arrange(records, final)
        if self.chunks:
            while True:
                page = await self.store.aget_stream_chunks(self.thread_id, after=self.cursor, limit=PAGE_CHUNKS)
                if page:
                    self.cursor = page[-1].seq
                    self._waiting += page
                if len(page) < PAGE_CHUNKS:
                    break
        ready = [c for c in self._waiting if final or self._ready(c)]
        self._waiting = [c for c in self._waiting if not (final or self._ready(c))]
        return _merge(records, ready)


Arrange = Callable[[list[CheckpointRecord], bool], Awaitable[list[CheckpointRecord]]]


def _merge(records: list[CheckpointRecord], chunks: list[StreamChunk]) -> list[CheckpointRecord | StreamChunk]:
    """``records`` (in order) with each chunk after the checkpoint its task ran from, or, when that
    one went out earlier, before the next checkpoint of its namespace (else first)."""
    at = {(r.checkpoint_ns, r.checkpoint_id): i for i, r in enumerate(records)}
    by_ns: dict[str, list[tuple[str, int]]] = {}
    for i, r in enumerate(records):
        by_ns.setdefault(r.checkpoint_ns, []).append((r.checkpoint_id, i))
    keyed: list[tuple[float, int, CheckpointRecord | StreamChunk]] = [(float(i), 0, r) for i, r in enumerate(records)]
    for chunk in chunks:
        own = at.get((chunk.checkpoint_ns, chunk.checkpoint_id))
        if own is not None:
            slot = own + 0.5
        else:
            later = by_ns.get(chunk.checkpoint_ns, [])
            j = bisect.bisect_right(later, (chunk.checkpoint_id, len(records)))
            slot = later[j][1] - 0.5 if j < len(later) else -1.0
        keyed.append((slot, 1 + chunk.seq, chunk))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [item for _, _, item in keyed]


class SubgraphFollower:
    """The checkpoints of the subgraphs a run's tasks run, each where LangGraph streams it.

    A subgraph's checkpoints belong after the parent checkpoint its task ran
    from and before the parent's next checkpoint (the parent's step waits for
    the subgraph's run). Their ids come from the subgraph run's own clock, so
    they cannot be merged by id; instead, each branch follows its namespace
    and, whenever its parent namespace moves on, is read to its end first.
    ``children_of(record)`` names the namespaces of the subgraphs the tasks
    of ``record`` run; a subgraph checkpoint counts only under the parent
    checkpoint it records in ``metadata["parents"]`` (a subgraph with its own
    memory keeps one namespace across calls).
    """

    def __init__(
        self,
        store: BaseCheckpointSaver,
        thread_id: str,
        children_of: Callable[[CheckpointRecord], list[str]],
        *,
        parent_ns: str = "",
        parent_id: str | None = None,
        ns: str = "",
    ) -> None:
        self.store, self.thread_id, self.children_of = store, thread_id, children_of
        self.parent_ns, self.parent_id, self.ns = parent_ns, parent_id, ns
        self.records = StoreFollower(store, thread_id, ns)
        self.children: list[SubgraphFollower] = []

    def _branch(self, record: CheckpointRecord) -> list[SubgraphFollower]:
        return [
            SubgraphFollower(self.store, self.thread_id, self.children_of, parent_ns=record.checkpoint_ns, parent_id=record.checkpoint_id, ns=ns)
            for ns in self.children_of(record)
        ]

    async def aseed(self, record: CheckpointRecord | None) -> list[CheckpointRecord]:
        """Follow the subgraphs of the tasks of ``record`` (the checkpoint the run starts from),
        past what they hold already: a resumed subgraph continues its namespace. Returns the
        checkpoints those subgraphs continue from, outermost first (nested ones too)."""
        if record is None:
            return []
        self.children = self._branch(record)
        heads: list[CheckpointRecord] = []
        for child in self.children:
            head = await self.store.aget_checkpoint(self.thread_id, child.ns)
            child.records.skip_through(head)
            if head is not None and child._mine(head):
                heads.append(head)
                heads += await child.aseed(head)
        return heads

    def _mine(self, record: CheckpointRecord) -> bool:
        parents = record.metadata.get("parents") or {}
        return not isinstance(parents, dict) or parents.get(self.parent_ns) == self.parent_id

    def waiting(self) -> list[str]:
        """The namespaces of the subgraphs followed now, innermost first (where an interrupt surfaces first)."""
        return [ns for child in self.children for ns in [*child.waiting(), child.ns]]

    async def _read(self, final: bool) -> list[CheckpointRecord]:
        out: list[CheckpointRecord] = []
        for record in await self.records.apoll():
            if not self._mine(record):
                continue
            for child in self.children:  # this record exists: the subgraphs of the step before it are done
                out += await child._read(final=True)
            out.append(record)
            self.children = self._branch(record)
        for child in self.children:
            out += await child._read(final)
        return out

    async def arrange(self, records: list[CheckpointRecord], final: bool) -> list[CheckpointRecord]:
        """``records`` (the root's new checkpoints, in order) with the subgraphs' checkpoints in place."""
        out: list[CheckpointRecord] = []
        for record in records:
            for child in self.children:
                out += await child._read(final=True)
            self.children = self._branch(record)
            out.append(record)
        for child in self.children:
            out += await child._read(final)
        return out
