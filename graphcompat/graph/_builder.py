"""``StateGraph``: the LangGraph-shaped builder.

Everything here is plain data about the graph; nothing runs. Mistakes are
refused as early as they can be seen (at ``add_*`` for names, at ``compile``
for edges that need the whole graph), with a :class:`GraphValidationError`
(a ``ValueError``) that says how to fix the graph.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from graphcompat._constants import END, RESERVED_NAMES, START
from graphcompat._schema import StateSchema
from graphcompat.engine import DEFAULT_HEARTBEAT_TIMEOUT, DEFAULT_NODE_TIMEOUT, SUBGRAPH_NODE_TIMEOUT, BranchSpec, GraphSpec, NodeSpec, check_node_names
from graphcompat.errors import GraphTypeError, GraphValidationError
from graphcompat.types import RetryPolicy

if TYPE_CHECKING:
    from graphcompat.checkpoint.base import BaseCheckpointSaver
    from graphcompat.graph._compiled import CompiledStateGraph

__all__ = ["StateGraph"]


def _accepts_config(fn: Callable[..., Any]) -> bool:
    """True when ``fn`` takes ``config``: a parameter named so, or a second required positional one.

    A second parameter with a default (``def node(state, suffix="!")``) is
    the user's own and is left alone, as in LangGraph.
    """
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    params = list(sig.parameters.values())
    if any(p.name == "config" for p in params):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    # ``writer`` is injected by name (the stream writer), never the config.
    return len(positional) >= 2 and positional[1].default is inspect.Parameter.empty and positional[1].name != "writer"


def _is_async(fn: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))


def _code_identity(fn: Callable[..., Any]) -> str:
    """Name plus a hash of the bytecode: two processes with the same code agree on it."""
    # unwrap: a wrapper (functools.wraps) is identified by the code it wraps
    target = inspect.unwrap(getattr(fn, "__func__", fn))
    code = getattr(target, "__code__", None)
    name = f"{getattr(target, '__module__', '')}.{getattr(target, '__qualname__', type(target).__name__)}"
    if code is None:
        return name
    return f"{name}:{hashlib.sha1(code.co_code + repr(code.co_consts).encode()).hexdigest()[:10]}"


def _is_compiled_graph(value: Any) -> bool:
    from graphcompat.graph._compiled import CompiledStateGraph

    return isinstance(value, CompiledStateGraph)


def _state_part(state: Any, keys: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of the parent's state that the subgraph's schema has (its input, as in LangGraph)."""
    if isinstance(state, Mapping):
        return {k: v for k, v in state.items() if k in keys}
    return {k: getattr(state, k) for k in keys if hasattr(state, k)}


def _subgraph_node(subgraph: CompiledStateGraph) -> Callable[..., Any]:
    """The node function of ``add_node(name, compiled_graph)``: run the subgraph on the shared keys.

    The subgraph runs as a subgraph of the node's task (``graphcompat._subgraph``):
    its own durable run, checkpointed under the parent's thread in the
    namespace ``node:task_id``. Its final state comes back as the node's update
    (the engine keeps the keys the parent shares).
    """

    async def run_subgraph(state: Any, config: Any) -> Any:
        return await subgraph.ainvoke(_state_part(state, subgraph.engine.schema.fields), config)

    run_subgraph.__qualname__ = f"subgraph[{subgraph.name}]"
    return run_subgraph


class StateGraph:
    """Build a graph whose nodes read and update a shared state.

    >>> builder = StateGraph(State)
    >>> builder.add_node("search", search)
    >>> builder.add_edge(START, "search")
    >>> graph = builder.compile(checkpointer=InMemorySaver())
    """

    def __init__(
        self,
        state_schema: type[Any],
        context_schema: type[Any] | None = None,
        *,
        input_schema: type[Any] | None = None,
        output_schema: type[Any] | None = None,
    ) -> None:
        self.state_schema = state_schema
        self.schema = StateSchema(state_schema)
        self.context_schema = context_schema
        self.input_schema = input_schema
        self.output_schema = output_schema
        self.nodes: dict[str, NodeSpec] = {}
        self.edges: list[tuple[str, str]] = []
        self.waiting_edges: list[tuple[tuple[str, ...], str]] = []
        self.branches: dict[str, list[BranchSpec]] = {}
        self.compiled = False

    # -- nodes ------------------------------------------------------------------

    def add_node(
        self,
        node: str | Callable[..., Any],
        action: Callable[..., Any] | None = None,
        *,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        metadata: Mapping[str, Any] | None = None,
        timeout: timedelta | None = None,
        task_queue: str | None = None,
        heartbeat_timeout: timedelta | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        local: bool = False,
        **_ignored: Any,
    ) -> StateGraph:
        """Add a node: ``add_node("name", fn)`` or ``add_node(fn)`` (named after the function).

        graphcompat's own options, for where and how long the node runs (each
        None takes the graph's setting):

        * ``timeout`` bounds one attempt of the node (``compile(node_timeout=...)``);
        * ``task_queue`` sends the node's activities to their own Temporal task
          queue, served by workers started with ``worker.py --task-queue NAME``
          (a GPU pool, a rate-limited API); the rest of the run stays on the
          graph's queue. An in-process worker serves every queue of the graph;
        * ``heartbeat_timeout``: how soon a lost worker running the node is
          noticed and the attempt handed to another (``compile(heartbeat_timeout=...)``);
        * ``schedule_to_close_timeout`` bounds one attempt *including* the time
          it waits for a worker and Temporal's re-runs after worker loss; past
          it the node fails with a timeout (and its ``retry_policy`` decides);
        * ``local=True`` runs the node as a Temporal *local activity* on the
          worker that runs the workflow: no round trip through the server's task
          queue, so a cheap node (a router, a formatter, a small transform) costs
          a fraction of a step. Its result enters history when the workflow
          task completes (the run next waits on the server, or ~8 s of local
          work); a worker lost before that runs those local nodes again (at
          least once, as any node), and each re-run commit continues from the
          checkpoint the store already holds. Not for long or heavy nodes:
          it holds the workflow's worker and has no heartbeat (a lost worker is
          noticed by the workflow task timeout, 10 s). Cannot be combined with
          ``task_queue`` or ``heartbeat_timeout``.
        """
        if not isinstance(node, str):
            action, node = node, getattr(node, "__name__", None) or type(node).__name__
        subgraph = None
        if _is_compiled_graph(action):  # add_node(compiled) is named after the graph, as in LangGraph
            if node == type(action).__name__:
                node = action.name
            subgraph, action = action, _subgraph_node(action)
            timeout = SUBGRAPH_NODE_TIMEOUT if timeout is None else timeout
        if action is None:
            raise GraphValidationError(
                f"add_node({node!r}) needs a function: add_node({node!r}, my_function)."
            )
        if not callable(action):
            raise GraphTypeError(f"Node {node!r}: {action!r} is not callable; pass a function.")
        if node in RESERVED_NAMES:
            raise GraphValidationError(f"Node name {node!r} is reserved; choose another name.")
        if not node or any(ch in node for ch in ":|"):
            raise GraphValidationError(
                f"Node name {node!r} is not allowed: use a non-empty name without ':' or '|'."
            )
        if node in self.nodes:
            raise GraphValidationError(f"Node {node!r} is already present; node names must be unique.")
        _check_node_option(node, "task_queue", task_queue, str)
        for option, value in (
            ("timeout", timeout),
            ("heartbeat_timeout", heartbeat_timeout),
            ("schedule_to_close_timeout", schedule_to_close_timeout),
        ):
            _check_node_option(node, option, value, timedelta)
        if not isinstance(local, bool):
            raise GraphTypeError(f"Node {node!r}: local must be True or False, got {local!r:.60}.")
        if local and (task_queue is not None or heartbeat_timeout is not None):
            raise GraphValidationError(
                f"Node {node!r}: a local node runs on the workflow's own worker, so it has no task_queue and no "
                "heartbeat_timeout; drop local=True to send it to another queue, or drop those options."
            )
        if isinstance(retry_policy, Sequence):
            retry_policy = retry_policy[0] if retry_policy else None
        self.nodes[node] = NodeSpec(
            name=node,
            fn=action,
            takes_config=_accepts_config(action),
            is_async=_is_async(action),
            retry_policy=retry_policy,
            metadata=dict(metadata or {}),
            timeout=timeout,
            subgraph=subgraph,
            subgraph_spec=subgraph.spec if subgraph is not None else None,
            task_queue=task_queue,
            heartbeat_timeout=heartbeat_timeout,
            schedule_to_close_timeout=schedule_to_close_timeout,
            local=local,
        )
        return self

    def add_sequence(self, nodes: Sequence[Callable[..., Any] | tuple[str, Callable[..., Any]]]) -> StateGraph:
        """Add nodes and chain them with edges in the given order."""
        if not nodes:
            raise GraphValidationError("add_sequence needs at least one node.")
        previous: str | None = None
        for item in nodes:
            if isinstance(item, tuple):
                name, fn = item
            else:
                name, fn = getattr(item, "__name__", type(item).__name__), item
            self.add_node(name, fn)
            if previous is not None:
                self.add_edge(previous, name)
            previous = name
        return self

    # -- edges ------------------------------------------------------------------

    def add_edge(self, start_key: str | Sequence[str], end_key: str) -> StateGraph:
        """``add_edge("a", "b")``, or a waiting edge ``add_edge(["a", "b"], "c")``: c runs once both ran."""
        if end_key == START:
            raise GraphValidationError("START cannot be the end of an edge; edges start from START.")
        if isinstance(start_key, str):
            if start_key == END:
                raise GraphValidationError("END cannot be the start of an edge; edges end at END.")
            self.edges.append((start_key, end_key))
            return self
        starts = tuple(start_key)
        if not starts:
            raise GraphValidationError("add_edge with a list needs at least one start node.")
        if END in starts or START in starts:
            raise GraphValidationError("A waiting edge joins nodes; START and END cannot be among its starts.")
        if len(starts) == 1:
            self.edges.append((starts[0], end_key))
        else:
            self.waiting_edges.append((starts, end_key))
        return self

    def add_conditional_edges(
        self,
        source: str,
        path: Callable[..., Any],
        path_map: Mapping[Hashable, str] | Sequence[str] | None = None,
    ) -> StateGraph:
        """After ``source``, call ``path(state)`` to choose the next node(s).

        ``path`` returns a node name, a list of names, ``Send`` objects, or a
        key of ``path_map``. A result that names no node is an error.
        """
        if source == END:
            raise GraphValidationError("END cannot be the source of conditional edges.")
        if not callable(path):
            raise GraphValidationError(f"add_conditional_edges({source!r}, ...): the path must be callable.")
        mapping: dict[Hashable, str] | None
        if path_map is None:
            mapping = None
        elif isinstance(path_map, Mapping):
            mapping = dict(path_map)
        else:
            mapping = {name: name for name in path_map}
        self.branches.setdefault(source, []).append(
            BranchSpec(source, path, mapping, _accepts_config(path), _is_async(path))
        )
        return self

    def set_entry_point(self, key: str) -> StateGraph:
        return self.add_edge(START, key)

    def set_conditional_entry_point(
        self, path: Callable[..., Any], path_map: Mapping[Hashable, str] | Sequence[str] | None = None
    ) -> StateGraph:
        return self.add_conditional_edges(START, path, path_map)

    def set_finish_point(self, key: str) -> StateGraph:
        return self.add_edge(key, END)

    # -- validation and compile -----------------------------------------------

    def validate(self, interrupt: Sequence[str] = ()) -> None:
        known = set(self.nodes)
        hint = f"Known nodes: {', '.join(sorted(known)) or '(none)'}."
        for start, end in self.edges:
            if start != START and start not in known:
                raise GraphValidationError(f"Edge {start!r} -> {end!r} starts at unknown node {start!r}. {hint}")
            if end != END and end not in known:
                raise GraphValidationError(f"Edge {start!r} -> {end!r} ends at unknown node {end!r}. {hint}")
        for starts, end in self.waiting_edges:
            for start in starts:
                if start not in known:
                    raise GraphValidationError(f"Waiting edge {list(starts)} -> {end!r}: unknown node {start!r}. {hint}")
            if end != END and end not in known:
                raise GraphValidationError(f"Waiting edge {list(starts)} -> {end!r}: unknown node {end!r}. {hint}")
        for source, branches in self.branches.items():
            if source != START and source not in known:
                raise GraphValidationError(f"Conditional edges from unknown node {source!r}. {hint}")
            for branch in branches:
                for target in branch.targets() or []:
                    if target != END and target not in known:
                        raise GraphValidationError(
                            f"Conditional edges from {source!r} map to unknown node {target!r}. {hint}"
                        )
        if not any(s == START for s, _ in self.edges) and START not in self.branches:
            raise GraphValidationError(
                "Graph must have an entrypoint: add at least one edge from START to another node, "
                "e.g. builder.add_edge(START, 'first_node') or builder.set_entry_point('first_node')."
            )
        check_node_names(self.nodes, interrupt, "Interrupt node", allow=("*",), error=GraphValidationError)

    def fingerprint(self) -> str:
        """A short hash of the graph's structure and code, equal in every process with the same code."""
        parts: list[str] = [self.state_schema.__qualname__]
        for name, spec in self.nodes.items():
            sub = f":sub:{spec.subgraph_spec.fingerprint}" if spec.subgraph_spec is not None else ""
            parts.append(f"n:{name}:{_code_identity(spec.fn)}{sub}")
        parts += [f"e:{s}>{e}" for s, e in self.edges]
        parts += [f"w:{'+'.join(s)}>{e}" for s, e in self.waiting_edges]
        for source, branches in self.branches.items():
            parts += [f"b:{source}:{_code_identity(b.path)}:{b.path_map}" for b in branches]
        return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:12]

    def compile(
        self,
        checkpointer: BaseCheckpointSaver | str | None | bool = None,
        *,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        name: str | None = None,
        debug: bool = False,
        task_queue: str | None = None,
        node_timeout: timedelta = DEFAULT_NODE_TIMEOUT,
        heartbeat_timeout: timedelta = DEFAULT_HEARTBEAT_TIMEOUT,
        **_ignored: Any,
    ) -> CompiledStateGraph:
        """Check the graph and return a runnable, durable ``CompiledStateGraph``.

        ``checkpointer`` is a saver or a store URL (``sqlite:///path.db``,
        ``postgresql://...``, ``memory://``).

        graphcompat's own options: ``task_queue`` (the Temporal task queue;
        default from ``GRAPHCOMPAT_TASK_QUEUE`` or ``"graphcompat"``),
        ``node_timeout`` (one attempt of a node) and ``heartbeat_timeout``
        (how soon a killed worker is noticed).
        """
        from graphcompat.graph._compiled import CompiledStateGraph

        before = [interrupt_before] if isinstance(interrupt_before, str) else list(interrupt_before or [])
        after = [interrupt_after] if isinstance(interrupt_after, str) else list(interrupt_after or [])
        for given, names in (("interrupt_before", interrupt_before), ("interrupt_after", interrupt_after)):
            if not isinstance(names, str) and names and "*" in names:
                raise GraphValidationError(
                    f"{given} lists '*'; to interrupt at every node pass the string: {given}='*'."
                )
        self.validate([*before, *after])
        if isinstance(checkpointer, str):
            from graphcompat.checkpoint import saver_from_url

            checkpointer = saver_from_url(checkpointer)
        if checkpointer is not None and not isinstance(checkpointer, bool):
            from graphcompat.checkpoint.base import BaseCheckpointSaver

            if not isinstance(checkpointer, BaseCheckpointSaver):
                raise GraphTypeError(
                    f"checkpointer must be a graphcompat saver (InMemorySaver, SqliteSaver, PostgresSaver), "
                    f"got {type(checkpointer).__name__}. Import savers from graphcompat.checkpoint.*."
                )
        self.compiled = True
        spec = GraphSpec.freeze(
            name=name or "LangGraph",
            schema=self.schema,
            nodes=self.nodes,
            edges=self.edges,
            waiting_edges=self.waiting_edges,
            branches=self.branches,
            interrupt_before=tuple(before),
            interrupt_after=tuple(after),
            fingerprint=self.fingerprint(),
            task_queue=task_queue,
            node_timeout=node_timeout,
            heartbeat_timeout=heartbeat_timeout,
        )
        return CompiledStateGraph(
            spec=spec,
            builder=self,
            checkpointer=checkpointer if not isinstance(checkpointer, bool) else None,
            own_memory=checkpointer is True,
        )


def _check_node_option(node: str, option: str, value: Any, kind: type) -> None:
    """Refuse a node option of the wrong type or an empty/non-positive value, naming the fix."""
    if value is None:
        return
    if kind is str:
        if not isinstance(value, str) or not value.strip():
            raise GraphTypeError(
                f"Node {node!r}: {option} must be a non-empty task queue name (str), got {value!r:.60}; "
                f"e.g. add_node({node!r}, fn, {option}='gpu') and start a worker with worker.py --task-queue gpu."
            )
        return
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise GraphTypeError(
            f"Node {node!r}: {option} must be a positive datetime.timedelta, got {value!r:.60}; "
            f"e.g. {option}=timedelta(seconds=30)."
        )
