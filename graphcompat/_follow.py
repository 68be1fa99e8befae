"""Following a thread's run through the store: each new checkpoint, once, oldest first.

The store is where every committed super-step lands, whichever worker ran
it, so following it works the same with an in-process worker and with
workers on other machines. ``stream`` and ``graphcompat run`` both follow a
run this way; this module is the one owner of "which checkpoints are new".
"""

from __future__ import annotations

from graphcompat.checkpoint.base import BaseCheckpointSaver, CheckpointRecord

__all__ = ["StoreFollower"]

#: Checkpoints read per poll; more are paged in when a poll finds this many new.
PAGE = 50


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
