"""Following a thread's run through the store: each new checkpoint (and live chunk), once, in order.

The store is where every committed super-step lands, whichever worker ran
it, so following it works the same with an in-process worker and with
workers on other machines. ``stream`` and ``graphcompat run`` both follow a
run this way; this module is the one owner of "which checkpoints are new".
"""

from __future__ import annotations

from graphcompat.checkpoint.base import BaseCheckpointSaver, CheckpointRecord, StreamChunk

__all__ = ["RunFollower", "StoreFollower"]

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

    async def apoll(self, *, final: bool = False) -> list[CheckpointRecord | StreamChunk]:
        """What is new, in stream order; ``final`` (the run has ended) lets every read chunk out."""
        records = await self.records.apoll()
        if records:
            self._known = max(self._known, records[-1].checkpoint_id)
        if self.chunks:
            while True:
                page = await self.store.aget_stream_chunks(self.thread_id, after=self.cursor, limit=PAGE_CHUNKS)
                if page:
                    self.cursor = page[-1].seq
                    self._waiting += page
                if len(page) < PAGE_CHUNKS:
                    break
        ready = [c for c in self._waiting if final or c.checkpoint_id <= self._known]
        self._waiting = [c for c in self._waiting if not (final or c.checkpoint_id <= self._known)]
        items: list[tuple[tuple[str, int, int], CheckpointRecord | StreamChunk]] = [
            ((r.checkpoint_id, 0, 0), r) for r in records
        ]
        items += [((c.checkpoint_id, 1, c.seq), c) for c in ready]
        items.sort(key=lambda item: item[0])
        return [item for _, item in items]
