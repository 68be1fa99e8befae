"""Errors raised by graphcompat.

Every error a user can cause says what was wrong and what to do next. The
tree, drawn once::

    GraphCompatError                      base of the project's own errors
    ├── GraphValidationError (ValueError) an invalid graph, refused at add_* / compile
    │   └── GraphTypeError (TypeError)    an argument of the wrong type (a node that is not callable, ...)
    ├── InvalidUpdateError (ValueError)   a write LangGraph would also refuse
    ├── GraphRecursionError (RecursionError) the run hit its recursion_limit
    ├── EmptyInputError (ValueError)      invoke(None) on a thread with nothing to resume
    │   └── UnknownCheckpointError (KeyError) a checkpoint id the store does not hold
    ├── UnknownThreadError (KeyError)     a thread id with no checkpoint
    ├── UnknownNodeError (InvalidUpdateError, KeyError) as_node / goto / router naming no node
    ├── UnknownStateKeyError (InvalidUpdateError) a key that is not in the state schema
    ├── AmbiguousResumeError (RuntimeError) Command(resume=v) with several interrupts pending
    ├── StateSerializationError (TypeError) a value that cannot be stored as JSON
    ├── ThreadBusyError (RuntimeError)    a run is already in flight on the thread
    ├── StoreError (RuntimeError)         the snapshot store refused an operation
    │   └── StoreUnavailableError         the store cannot be reached now (retried by workers)
    ├── PayloadTooLargeError (ValueError) a payload over Temporal's size limits
    ├── ConfigurationError (ValueError)   bad settings or config (store URL, thread_id, recursion_limit, ...)
    │   ├── ConfigurationTypeError (TypeError) a config value of the wrong type (recursion_limit="abc", ...)
    │   └── MissingThreadIdError (KeyError) a checkpointed call without config["configurable"]["thread_id"]
    ├── OutsideNodeError (RuntimeError)   interrupt() (or another in-node call) outside a running node
    ├── RunTerminatedError (RuntimeError) the run's workflow was terminated outside graphcompat
    ├── TemporalUnavailableError (ConnectionError) Temporal did not answer while a caller waited for its run
    ├── NodeTimeoutError (TimeoutError)   a node attempt ran past its timeout (follows its RetryPolicy)
    ├── NodeExitError (RuntimeError)      node code called sys.exit() or raised KeyboardInterrupt
    ├── ParentCommand (GraphBubbleUp)     a subgraph node returned Command(graph=Command.PARENT) (not an error: bubbles up)
    ├── NotSupportedError (NotImplementedError) a LangGraph feature graphcompat does not have (yet)
    │   └── StoreNotSupportedError        a LangGraph BaseStore is created or injected
    └── MissingDependencyError (ImportError) an optional extra is not installed

LangGraph's own names are here too, so ``from langgraph.errors import X`` works after
the import swap: ``GraphRecursionError``, ``InvalidUpdateError`` and ``EmptyInputError``
are the classes above; ``GraphBubbleUp`` > ``GraphInterrupt`` > ``NodeInterrupt`` (raise
``NodeInterrupt(value)`` in a node to pause it, as in LangGraph), ``ParentCommand``,
``TaskNotFound``, ``UnknownInterruptError``, ``NodeCancelledError``, ``EmptyChannelError``,
``ErrorCode`` and ``create_error_message`` keep LangGraph's meaning. (LangGraph's
``NodeError`` is an error-handler argument; graphcompat's ``NodeError`` below is not that.)

Exceptions raised by node code are *not* wrapped: ``invoke`` re-raises the
node's own exception type with the node's message, carrying ``node``,
``thread_id`` and ``checkpoint_id`` attributes and a PEP 678 note. When the
original type cannot be rebuilt in the caller's process, ``NodeError`` (which
carries the original type name) stands in for it.
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = [
    "AmbiguousResumeError",
    "ConfigurationError",
    "ConfigurationTypeError",
    "EmptyChannelError",
    "EmptyInputError",
    "ErrorCode",
    "GraphBubbleUp",
    "GraphCompatError",
    "GraphInterrupt",
    "GraphRecursionError",
    "GraphTypeError",
    "GraphValidationError",
    "InvalidUpdateError",
    "MissingDependencyError",
    "MissingThreadIdError",
    "NodeCancelledError",
    "NodeError",
    "NodeExitError",
    "NodeInterrupt",
    "NodeTimeoutError",
    "NotSupportedError",
    "OutsideNodeError",
    "ParentCommand",
    "PayloadTooLargeError",
    "RunTerminatedError",
    "TemporalUnavailableError",
    "StateSerializationError",
    "StoreError",
    "StoreNotSupportedError",
    "TaskNotFound",
    "ThreadBusyError",
    "UnknownCheckpointError",
    "UnknownInterruptError",
    "UnknownNodeError",
    "UnknownStateKeyError",
    "UnknownThreadError",
    "create_error_message",
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


class UnknownCheckpointError(EmptyInputError, KeyError):
    """The checkpoint id is not in the store for that thread.

    An ``EmptyInputError`` too: what LangGraph raises for ``invoke(None)`` at a
    checkpoint id its saver does not hold (there is nothing to continue)."""

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


class UnknownNodeError(InvalidUpdateError, KeyError):
    """A node name (``as_node``, ``goto``, a router's result) that the graph does not have.

    A ``KeyError`` too: LangGraph raises one for a router result missing from its path_map."""

    code = "unknown_node"

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


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


class NotSupportedError(GraphCompatError, NotImplementedError):
    """A LangGraph feature that graphcompat does not support: the import works, the use
    raises this, naming the feature and what to do instead."""

    code = "not_supported"


class StoreNotSupportedError(NotSupportedError):
    """LangGraph's ``BaseStore`` is asked for (a store created, a tool with an ``InjectedStore``
    argument); graphcompat has no long-term memory store yet."""

    code = "store_not_supported"


class MissingDependencyError(GraphCompatError, ImportError):
    """An optional dependency (an extra such as ``graphcompat[langchain]``) is not installed."""

    code = "missing_dependency"


class MissingThreadIdError(ConfigurationError, KeyError):
    """A call that needs a thread got no ``config["configurable"]["thread_id"]``.

    LangGraph raises ``ValueError`` (``invoke``) or ``KeyError`` (``get_state({})``) here;
    this is both."""

    code = "missing_thread_id"

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class OutsideNodeError(GraphCompatError, RuntimeError):
    """A call that only works inside a running node (``interrupt()``) was made outside one."""

    code = "outside_node"


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


# -- LangGraph's names ------------------------------------------------------------------


class ErrorCode(enum.Enum):
    """LangGraph's troubleshooting codes (the page each error message links to)."""

    GRAPH_RECURSION_LIMIT = "GRAPH_RECURSION_LIMIT"
    INVALID_CONCURRENT_GRAPH_UPDATE = "INVALID_CONCURRENT_GRAPH_UPDATE"
    INVALID_GRAPH_NODE_RETURN_VALUE = "INVALID_GRAPH_NODE_RETURN_VALUE"
    MULTIPLE_SUBGRAPHS = "MULTIPLE_SUBGRAPHS"
    INVALID_CHAT_HISTORY = "INVALID_CHAT_HISTORY"


def create_error_message(*, message: str, error_code: ErrorCode) -> str:
    """``message`` followed by the link to LangGraph's troubleshooting page for ``error_code``."""
    return (
        f"{message}\nFor troubleshooting, visit: "
        f"https://docs.langchain.com/oss/python/langgraph/errors/{error_code.value}"
    )


class GraphBubbleUp(Exception):
    """Base of the exceptions that stop a node without being its error (interrupts, parent commands)."""


class GraphInterrupt(GraphBubbleUp):
    """Raised inside a node to pause the run (by ``interrupt()``); never reaches the caller."""

    def __init__(self, value: Any = None, index: int = 0) -> None:
        super().__init__(value)
        self.value = value
        self.index = index


class NodeInterrupt(GraphInterrupt):
    """``raise NodeInterrupt(value)`` in a node pauses the run with ``value``, as in LangGraph
    (deprecated there in favour of ``interrupt()``). Resuming runs the node again, which
    raises again unless the state changed."""

    def __init__(self, value: Any = None, id: str | None = None) -> None:
        super().__init__(value, 0)
        self.id = id


class ParentCommand(GraphCompatError, GraphBubbleUp):
    """A subgraph's node returned ``Command(graph=Command.PARENT)``: the parent's node applies it.

    Not an error users see. It ends the subgraph's run and travels to the
    parent's node (through the subgraph's workflow failure, which carries
    ``command`` as JSON: ``{"update": {key: json}, "goto": [name or
    {"node", "arg"}]}``), where the engine treats it as that node's own
    ``Command(update=..., goto=...)``, as LangGraph does. A ``GraphBubbleUp``,
    as LangGraph's ``ParentCommand`` is.
    """

    code = "parent_command"


class TaskNotFound(Exception):
    """LangGraph's error for a task an executor cannot find (its distributed mode)."""


class UnknownInterruptError(Exception):
    """LangGraph's strict-resume error: a resume that matches no pending interrupt."""

    def __init__(
        self, message: str, *, reason: str = "not_pending", interrupt_ids: Any = (), pending_ids: Any = ()
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.interrupt_ids = tuple(interrupt_ids)
        self.pending_ids = tuple(pending_ids)


class NodeCancelledError(Exception):
    """A node body raised ``asyncio.CancelledError`` itself (LangGraph's name)."""

    def __init__(self, node: str, message: str | None = None) -> None:
        super().__init__(message or f"Node {node!r} raised asyncio.CancelledError")
        self.node = node


class EmptyChannelError(Exception):
    """LangGraph's error for reading a channel that holds no value."""
