"""LangGraph's functional API: ``@entrypoint`` and ``@task``, durable on Temporal.

``from graphcompat.func import entrypoint, task`` where LangGraph programs
write ``from langgraph.func import ...``. Each ``@task`` call runs as a
Temporal activity and its result is saved, so a resumed entrypoint does not
run finished tasks again; the entrypoint function runs in activities too,
never in the workflow.
"""

from graphcompat.func._api import EntrypointGraph, entrypoint, task

__all__ = ["EntrypointGraph", "entrypoint", "task"]
