"""Errors raised by graphcompat.

Every error a user can cause says what was wrong and what to do next. The
tree, drawn once::

    GraphCompatError                      base of the project's own errors
    ├── GraphValidationError (ValueError) an invalid graph, refused at add_* / compile
    │   └── GraphTypeError (TypeError)    an argument of the wrong type (a node that is not callable, ...)
    ├── InvalidUpdateError (ValueError)   a write LangGraph would also refuse
    ├── GraphRecursionError (RecursionError) the run hit its recursion_limit
    ├── EmptyInputError (ValueError)      invoke(None) on a thread with nothing to resume
    ├── UnknownThreadError (KeyError)     a thread id with no checkpoint
    ├── UnknownCheckpointError (KeyError) a checkpoint id the store does not hold
    ├── UnknownNodeError (InvalidUpdateError) as_node / goto / router naming no node
    ├── UnknownStateKeyError (InvalidUpdateError) a key that is not in the state schema
    ├── AmbiguousResumeError (RuntimeError) Command(resume=v) with several interrupts pending
    ├── StateSerializationError (TypeError) a value that cannot be stored as JSON
    ├── ThreadBusyError (RuntimeError)    a run is already in flight on the thread
    ├── StoreError (RuntimeError)         the snapshot store refused an operation
    │   └── StoreUnavailableError         the store cannot be reached now (retried by workers)
    ├── PayloadTooLargeError (ValueError) a payload over Temporal's size limits
    ├── ConfigurationError (ValueError)   bad settings or config (store URL, thread_id, recursion_limit, ...)
    │   └── ConfigurationTypeError (TypeError) a config value of the wrong type (recursion_limit="abc", ...)
    ├── RunTerminatedError (RuntimeError) the run's workflow was terminated outside graphcompat
    ├── TemporalUnavailableError (ConnectionError) Temporal did not answer while a caller waited for its run
    ├── NodeTimeoutError (TimeoutError)   a node attempt ran past its timeout (follows its RetryPolicy)
    ├── NodeExitError (RuntimeError)      node code called sys.exit() or raised KeyboardInterrupt
    ├── ParentCommand                     a subgraph node returned Command(graph=Command.PARENT) (not an error: bubbles up)
    ├── StoreNotSupportedError (NotImplementedError) a tool asks for a LangGraph BaseStore
    └── MissingDependencyError (ImportError) an optional extra is not installed

Exceptions raised by node code are *not* wrapped: ``invoke`` re-raises the
node's own exception type with the node's message, carrying ``node``,
``thread_id`` and ``checkpoint_id`` attributes and a PEP 678 note. When the
original type cannot be rebuilt in the caller's process, ``NodeError`` (which
carries the original type name) stands in for it.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AmbiguousResumeError",
    "ConfigurationError",
    "ConfigurationTypeError",
    "EmptyInputError",
    "GraphCompatError",
    "GraphRecursionError",
    "GraphTypeError",
    "GraphValidationError",
    "InvalidUpdateError",
    "MissingDependencyError",
    "NodeError",
    "ParentCommand",
    "PayloadTooLargeError",
    "RunTerminatedError",
    "TemporalUnavailableError",
    "StateSerializationError",
    "StoreError",
    "StoreNotSupportedError",
    "ThreadBusyError",
    "UnknownCheckpointError",
    "UnknownNodeError",
    "UnknownStateKeyError",
    "UnknownThreadError",
]


class GraphCompatError(Exception):
    """Base class of every error graphcompat raises itself.

    ``code`` is a stable, machine-readable identifier (log it, match on it);
    the message is for people and ends with what to do next.
    """

    code: str = "graphcompat_error"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.fields = fields
        for key, value in fields.items():
            setattr(self, key, value)

    def __reduce__(self) -> tuple[Any, ...]:
        # Survive pickling across process boundaries with fields intact.
        return (_rebuild, (type(self), str(self), self.fields))


def _rebuild(cls: type[GraphCompatError], message: str, fields: dict[str, Any]) -> GraphCompatError:
    return cls(message, **fields)


class GraphValidationError(GraphCompatError, ValueError):
    """The graph is invalid; raised by ``add_*`` or ``compile`` before anything runs."""

    code = "invalid_graph"


class GraphTypeError(GraphValidationError, TypeError):
    """An ``add_*`` / ``compile`` argument of the wrong type (LangGraph raises ``TypeError`` there)."""

    code = "invalid_graph_argument"


class InvalidUpdateError(GraphCompatError, ValueError):
    """A state update that cannot be applied (e.g. two writes to a plain field in one step)."""

    code = "invalid_update"


class GraphRecursionError(GraphCompatError, RecursionError):
    """The run reached ``recursion_limit`` super-steps without finishing."""

    code = "recursion_limit"


class EmptyInputError(GraphCompatError, ValueError):
    """``invoke(None, config)`` on a thread that has nothing to resume."""

    code = "empty_input"


class UnknownThreadError(GraphCompatError, KeyError):
    """The thread has no checkpoint in the store."""

    code = "unknown_thread"

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class UnknownCheckpointError(GraphCompatError, KeyError):
    """The checkpoint id is not in the store for that thread."""

    code = "unknown_checkpoint"

    @classmethod
    def of(cls, thread_id: str, checkpoint_id: str | None) -> UnknownCheckpointError:
        return cls(
            f"Checkpoint {checkpoint_id!r} of thread {thread_id!r} does not exist; list the thread's "
            "checkpoints with get_state_history(config) or `graphcompat history THREAD`.",
            thread_id=thread_id,
            checkpoint_id=checkpoint_id,
        )

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownNodeError(InvalidUpdateError):
    """A node name (``as_node``, ``goto``, a router's result) that the graph does not have."""

    code = "unknown_node"


class UnknownStateKeyError(InvalidUpdateError):
    """A key that is not a field of the graph's state schema."""

    code = "unknown_state_key"


class AmbiguousResumeError(GraphCompatError, RuntimeError):
    """``Command(resume=value)`` while several interrupts wait: say which one by id."""

    code = "ambiguous_resume"


class StateSerializationError(GraphCompatError, TypeError):
    """A value that cannot be serialized to JSON for the store or for Temporal."""

    code = "unserializable_state"


class ThreadBusyError(GraphCompatError, RuntimeError):
    """A run is already in flight on this thread (one run per thread at a time)."""

    code = "thread_busy"


class StoreError(GraphCompatError, RuntimeError):
    """The snapshot store could not carry out an operation."""

    code = "store_error"


class StoreUnavailableError(StoreError):
    """The store cannot be reached right now (connection refused, dropped, timed out).

    Workers retry it without limit by default (``GRAPHCOMPAT_STORE_RETRY_ATTEMPTS``
    caps it); a caller's read (``get_state``) gets it at once instead of waiting.
    """

    code = "store_unavailable"


class PayloadTooLargeError(GraphCompatError, ValueError):
    """A payload is larger than Temporal accepts."""

    code = "payload_too_large"


class ConfigurationError(GraphCompatError, ValueError):
    """A setting (store URL, Temporal connection, worker option) is wrong."""

    code = "configuration_error"


class StoreNotSupportedError(GraphCompatError, NotImplementedError):
    """A tool declares an ``InjectedStore`` argument; graphcompat has no ``BaseStore`` yet."""

    code = "store_not_supported"


class MissingDependencyError(GraphCompatError, ImportError):
    """An optional dependency (an extra such as ``graphcompat[langchain]``) is not installed."""

    code = "missing_dependency"


class ConfigurationTypeError(ConfigurationError, TypeError):
    """A config value or argument of the wrong type (``recursion_limit="abc"``, ``limit="x"``)."""

    code = "configuration_type_error"


class RunTerminatedError(GraphCompatError, RuntimeError):
    """The run's workflow was terminated (or timed out) outside graphcompat, e.g. from the
    Temporal UI or CLI. The thread keeps what was stored; ``invoke(None, config)`` continues it."""

    code = "run_terminated"


class TemporalUnavailableError(GraphCompatError, ConnectionError):
    """Temporal did not answer for ``GRAPHCOMPAT_TEMPORAL_RETRY_SECONDS`` while ``invoke`` or
    ``update_state`` waited for its run. The run itself continues on the server; the
    message says how to attach to it."""

    code = "temporal_unavailable"


class NodeError(GraphCompatError):
    """Stands in for a node's exception whose type cannot be rebuilt here.

    ``original_type`` is the qualified name of the exception the node raised.
    """

    code = "node_error"


class NodeTimeoutError(GraphCompatError, TimeoutError):
    """One attempt of a node ran longer than its ``timeout`` (``add_node(timeout=)`` or
    ``compile(node_timeout=)``). It is the node's failure: its ``RetryPolicy`` decides
    whether another attempt runs (``retry_on=TimeoutError`` retries it)."""

    code = "node_timeout"


class NodeExitError(GraphCompatError, RuntimeError):
    """Node code called ``sys.exit()`` or raised ``KeyboardInterrupt``. That would stop the
    worker; instead the node fails once, with this error."""

    code = "node_exit"


class ParentCommand(GraphCompatError):
    """A subgraph's node returned ``Command(graph=Command.PARENT)``: the parent's node applies it.

    Not an error users see. It ends the subgraph's run and travels to the
    parent's node (through the subgraph's workflow failure, which carries
    ``command`` as JSON: ``{"update": {key: json}, "goto": [name or
    {"node", "arg"}]}``), where the engine treats it as that node's own
    ``Command(update=..., goto=...)``, as LangGraph does.
    """

    code = "parent_command"
