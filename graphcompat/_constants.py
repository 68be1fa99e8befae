"""Names shared by the authoring API, the engine and the runtime."""

from __future__ import annotations

from typing import Final

START: Final = "__start__"
END: Final = "__end__"

#: Pending-write channels with a special meaning (never state keys).
ERROR: Final = "__error__"
INTERRUPT: Final = "__interrupt__"
RESUME: Final = "__resume__"
ROUTE: Final = "__route__"
#: A finished ``@task`` call's result, saved against its node's checkpoint (LangGraph's name).
CALL_RESULT: Final = "__return__"
#: Marks a ``@task`` result that came from the cache (``CachePolicy``): the stream says so, as LangGraph's.
CALL_CACHED: Final = "__cached__"
#: A large write value, stored once under the hash of its JSON (content-addressed).
BLOB: Final = "__blob__"
#: The reference that travels through workflow history instead of a large value.
REF_KEY: Final = "__graphcompat_ref__"
#: A run's arguments that must not travel through history (the caller's ``configurable``),
#: stored by the client as one pending-write row against the pseudo checkpoint ``run:<ref>``.
RUN_ARGS: Final = "__run_args__"

#: Node names users may not take.
RESERVED_NAMES: Final = frozenset({START, END, CALL_RESULT, CALL_CACHED, ERROR, INTERRUPT, RESUME, ROUTE, "__input__", "__pregel_pull", "__pregel_push"})

PULL: Final = "__pregel_pull"
PUSH: Final = "__pregel_push"

#: LangGraph 1.2's default; long loops are fine (the workflow continues as new).
DEFAULT_RECURSION_LIMIT: Final = 10007
