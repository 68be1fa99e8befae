"""Time-ordered checkpoint ids (UUIDv7 layout), derivable inside a workflow.

Sorting ids sorts checkpoints by creation. The workflow passes its own
deterministic clock and random bits, so a replayed workflow derives the same
ids; ``after`` keeps ids strictly increasing within a thread even when two
are made in the same millisecond.
"""

from __future__ import annotations

import random
import time

__all__ = ["checkpoint_id", "id_millis"]


def _parse(previous: str) -> tuple[int, int]:
    hexed = previous.replace("-", "")
    return int(hexed[:12], 16), int(hexed[13:16], 16)


def checkpoint_id(millis: int | None = None, rand: int | None = None, *, after: str | None = None) -> str:
    """A UUIDv7-shaped id for ``millis`` (default: now), greater than ``after``."""
    ms = int(time.time() * 1000) if millis is None else millis
    seq = 0
    if after:
        try:
            last_ms, last_seq = _parse(after)
        except ValueError:
            last_ms, last_seq = 0, 0
        if ms <= last_ms:
            ms, seq = last_ms, last_seq + 1
            if seq > 0xFFF:
                ms, seq = last_ms + 1, 0
    bits = random.getrandbits(62) if rand is None else rand & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (seq & 0xFFF) << 64 | 0b10 << 62 | bits
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def id_millis(cid: str) -> int:
    return _parse(cid)[0]
