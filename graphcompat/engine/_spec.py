"""The frozen graph spec: what ``compile()`` hands to everything that runs a graph.

``StateGraph`` is mutable and user-facing; the spec is the immutable
description taken from it at ``compile()`` time. The engine, the activities,
the registry and the drawings read only the spec, so adding a node to a
builder after compiling changes nothing that runs, and nothing on the run
side depends on the authoring API.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from graphcompat._schema import StateSchema
from graphcompat.errors import GraphCompatError, UnknownNodeError
from graphcompat.types import RetryPolicy

__all__ = [
    "DEFAULT_HEARTBEAT_TIMEOUT",
    "DEFAULT_NODE_TIMEOUT",
    "SUBGRAPH_NODE_TIMEOUT",
    "BranchSpec",
    "GraphSpec",
    "NodePlan",
    "NodeSpec",
    "check_node_names",
    "node_plans",
]

#: ``compile(node_timeout=...)`` when not given: the limit on one attempt of a node.
DEFAULT_NODE_TIMEOUT = timedelta(minutes=10)
#: ``add_node(name, compiled_graph)`` without ``timeout=``: the node waits for a whole subgraph run
#: (whose own nodes have their own timeouts), so it is bounded loosely; a killed worker is still
#: noticed by the heartbeat timeout.
SUBGRAPH_NODE_TIMEOUT = timedelta(days=7)
#: ``compile(heartbeat_timeout=...)`` when not given: how soon a killed worker is noticed.
DEFAULT_HEARTBEAT_TIMEOUT = timedelta(seconds=2)


@dataclasses.dataclass(frozen=True)
class NodeSpec:
    """One node: its function and how it is called and scheduled."""

    name: str
    fn: Callable[..., Any]
    takes_config: bool
    is_async: bool
    retry_policy: RetryPolicy | None
    metadata: Mapping[str, Any]
    timeout: timedelta | None
    #: ``add_node(name, compiled_graph)``: the subgraph the node runs (a ``CompiledStateGraph``,
    #: typed loosely: the engine never imports the client). Drawings and namespaced configs read it.
    subgraph: Any = None
    #: The subgraph's spec, for ``get_graph(xray=...)``.
    subgraph_spec: GraphSpec | None = None
    #: Temporal task queue of this node's activities (None: the run's own queue).
    task_queue: str | None = None
    #: How soon a lost worker running this node is noticed (None: the graph's).
    heartbeat_timeout: timedelta | None = None
    #: Bound on one attempt including Temporal's retries after worker loss (None: no bound).
    schedule_to_close_timeout: timedelta | None = None
    #: Run as a Temporal local activity on the workflow's worker (cheap nodes: no task round trip).
    local: bool = False


@dataclasses.dataclass(frozen=True)
class BranchSpec:
    """Conditional edges after ``source``: ``path(state)`` picks the next node(s)."""

    source: str
    path: Callable[..., Any]
    path_map: Mapping[Hashable, str] | None
    takes_config: bool
    is_async: bool

    def targets(self) -> list[str] | None:
        return None if self.path_map is None else list(self.path_map.values())


@dataclasses.dataclass(frozen=True)
class GraphSpec:
    """A compiled graph as data: nodes, edges, branches, schema, policies, interrupts."""

    name: str
    schema: StateSchema
    nodes: Mapping[str, NodeSpec]
    edges: tuple[tuple[str, str], ...]
    waiting_edges: tuple[tuple[tuple[str, ...], str], ...]
    branches: Mapping[str, tuple[BranchSpec, ...]]
    interrupt_before: tuple[str, ...] = ()
    interrupt_after: tuple[str, ...] = ()
    #: Equal in every process with the same graph code (see ``StateGraph.fingerprint``).
    fingerprint: str = ""
    task_queue: str | None = None
    node_timeout: timedelta = DEFAULT_NODE_TIMEOUT
    heartbeat_timeout: timedelta = DEFAULT_HEARTBEAT_TIMEOUT

    @classmethod
    def freeze(
        cls,
        *,
        nodes: Mapping[str, NodeSpec],
        branches: Mapping[str, list[BranchSpec] | tuple[BranchSpec, ...]],
        edges: list[tuple[str, str]] | tuple[tuple[str, str], ...],
        waiting_edges: list[tuple[tuple[str, ...], str]] | tuple[tuple[tuple[str, ...], str], ...],
        **rest: Any,
    ) -> GraphSpec:
        """A spec from a builder's (mutable) collections, copied so later edits do not leak in."""
        return cls(
            nodes=MappingProxyType(dict(nodes)),
            branches=MappingProxyType({k: tuple(v) for k, v in branches.items()}),
            edges=tuple(edges),
            waiting_edges=tuple((tuple(s), e) for s, e in waiting_edges),
            **rest,
        )


@dataclasses.dataclass(frozen=True)
class NodePlan:
    """What the workflow needs to know about a node to schedule it (data, not code)."""

    max_attempts: int = 1
    initial_interval: float = 0.5
    backoff_factor: float = 2.0
    max_interval: float = 128.0
    jitter: bool = True
    timeout_s: float | None = None
    task_queue: str | None = None
    heartbeat_timeout_s: float | None = None
    schedule_to_close_s: float | None = None
    local: bool = False


def node_plans(spec: GraphSpec) -> dict[str, NodePlan]:
    """Each node's retry policy, timeouts and task queue, as the workflow applies them."""
    plans = {}
    for name, node in spec.nodes.items():
        policy = node.retry_policy
        plans[name] = NodePlan(
            max_attempts=policy.max_attempts if policy else 1,
            initial_interval=policy.initial_interval if policy else 0.5,
            backoff_factor=policy.backoff_factor if policy else 2.0,
            max_interval=policy.max_interval if policy else 128.0,
            jitter=policy.jitter if policy else False,
            timeout_s=node.timeout.total_seconds() if node.timeout else None,
            task_queue=node.task_queue,
            heartbeat_timeout_s=node.heartbeat_timeout.total_seconds() if node.heartbeat_timeout else None,
            schedule_to_close_s=(
                node.schedule_to_close_timeout.total_seconds() if node.schedule_to_close_timeout else None
            ),
            local=node.local,
        )
    return plans


def check_node_names(
    nodes: GraphSpec | Collection[str],
    names: Iterable[str],
    what: str,
    *,
    allow: tuple[str, ...] = (),
    error: type[GraphCompatError] = UnknownNodeError,
) -> None:
    """Refuse names that are not nodes of the graph (``interrupt_before``, ``as_node``, ...).

    The one check for every place a caller names nodes: ``compile()`` (raising
    ``GraphValidationError``), ``invoke``'s interrupt lists and ``update_state``.
    ``allow`` lists extra accepted names (``"*"`` for interrupts, START for ``as_node``).
    """
    known = list(nodes.nodes if isinstance(nodes, GraphSpec) else nodes)
    for name in names:
        if name in allow or name in known:
            continue
        extra = f" (or {', '.join(allow)})" if allow else ""
        raise error(
            f"{what} {name!r} is not a node of this graph; known nodes: {', '.join(known) or '(none)'}{extra}.",
            node=name,
        )
