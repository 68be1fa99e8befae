"""Snapshot stores (checkpoint savers): the contract and how to open one by URL.

The savers themselves live where LangGraph keeps them:
``graphcompat.checkpoint.memory.InMemorySaver``,
``graphcompat.checkpoint.sqlite.SqliteSaver`` and
``graphcompat.checkpoint.postgres.PostgresSaver``.
"""

from ._url import saver_from_url
from .base import FORMAT_VERSION, BaseCheckpointSaver, CheckpointRecord, PendingWrite, ThreadInfo

__all__ = [
    "FORMAT_VERSION",
    "BaseCheckpointSaver",
    "CheckpointRecord",
    "PendingWrite",
    "ThreadInfo",
    "saver_from_url",
]
