"""``graphcompat.Cleanup``: expire idle threads of a snapshot store, run by a Temporal Schedule.

``graphcompat schedule-expiry`` creates a Schedule whose action starts this
workflow. The workflow does no I/O itself (workflow code must be
deterministic); it calls one activity that opens the store by URL and
deletes threads idle longer than the TTL. Temporal then owns the "every
hour, even if the machine that set it up is gone" part, with retries and a
visible record of each cleanup in the Web UI.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

__all__ = ["CLEANUP_WORKFLOW", "EXPIRE_ACTIVITY", "CleanupInput", "CleanupResult", "CleanupWorkflow", "cleanup_workflows"]

CLEANUP_WORKFLOW = "graphcompat.Cleanup"
EXPIRE_ACTIVITY = "graphcompat.expire_threads"


@dataclasses.dataclass
class CleanupInput:
    """What to clean: the store (a URL every worker can open, without its password: the
    worker supplies it, ``activities.cleanup.worker_store_url``) and the idle time, in seconds."""

    store_url: str
    older_than_seconds: float


@dataclasses.dataclass
class CleanupResult:
    """The threads one cleanup deleted."""

    expired: list[str]


@workflow.defn(name=CLEANUP_WORKFLOW)
class CleanupWorkflow:
    """Expire idle threads once. Scheduled; overlapping runs are skipped by the Schedule's policy."""

    @workflow.run
    async def run(self, input: CleanupInput) -> CleanupResult:
        # A bad store URL is a non-retryable error raised by the activity; a
        # store that is briefly unreachable is retried a few times, then the
        # next scheduled run tries again.
        return await workflow.execute_activity(
            EXPIRE_ACTIVITY,
            input,
            result_type=CleanupResult,
            start_to_close_timeout=timedelta(hours=1),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=5), maximum_attempts=5),
        )


def cleanup_workflows() -> list[type]:
    """Workflow classes a worker registers to run scheduled cleanups (see ``activities.cleanup``)."""
    return [CleanupWorkflow]
