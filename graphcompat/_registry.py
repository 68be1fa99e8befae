"""Which graphs a worker can run: bindings of a graph spec to its snapshot store.

A :class:`GraphBinding` is everything the run side needs about one compiled
graph (the frozen spec, its engine, the store, the node plans), and nothing
of the client object: activities never see ``CompiledStateGraph``.

Every compiled graph registers its binding in the process registry, so the
embedded worker runs graphs compiled in the process (closures and lambdas
included) without a registration step. Keys are ``name:fingerprint#instance``:
the fingerprint is equal in every process that has the same graph code, the
instance number tells apart two compilations of that code in one process
(each with its own checkpointer). A worker in another process finds the
graph by ``name:fingerprint``, and, when the code has changed since the run
started, by name alone.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
import weakref

from graphcompat.checkpoint.base import BaseCheckpointSaver
from graphcompat.engine import Engine, GraphSpec, NodePlan, node_plans

__all__ = ["SUB_SEP", "GraphBinding", "GraphRegistry", "process_registry"]

log = logging.getLogger("graphcompat.registry")
_counter = itertools.count(1)
#: ``child@@root``: a subgraph's key joined to its root graph's (``graphcompat._subgraph.SUB_SEP``).
SUB_SEP = "@@"


@dataclasses.dataclass(frozen=True, eq=False)
class GraphBinding:
    """A graph as the run side knows it: spec, engine, store and node plans, under a registry key."""

    key: str
    spec: GraphSpec
    store: BaseCheckpointSaver
    engine: Engine = dataclasses.field(init=False)
    plans: dict[str, NodePlan] = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "engine", Engine(self.spec))
        object.__setattr__(self, "plans", node_plans(self.spec))

    @classmethod
    def new(cls, spec: GraphSpec, store: BaseCheckpointSaver) -> GraphBinding:
        """A binding under a fresh key (one per compilation)."""
        return cls(f"{spec.name}:{spec.fingerprint}#{next(_counter)}", spec, store)

    @property
    def name(self) -> str:
        return self.spec.name

    def with_store(self, store: BaseCheckpointSaver) -> GraphBinding:
        """The same graph (same key) on another store (``worker.py --store``, ``--store`` of the CLI)."""
        return GraphBinding(self.key, self.spec, store)


class GraphRegistry:
    def __init__(self, *, weak: bool) -> None:
        self._lock = threading.Lock()
        self._graphs: weakref.WeakValueDictionary[str, GraphBinding] | dict[str, GraphBinding]
        self._graphs = weakref.WeakValueDictionary() if weak else {}
        self._warned: set[str] = set()
        self._derived: dict[str, GraphBinding] = {}

    def add(self, binding: GraphBinding) -> None:
        with self._lock:
            self._graphs[binding.key] = binding

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._graphs.keys())

    def find(self, key: str) -> GraphBinding | None:
        """The binding for ``key``; ``child@@root`` is a subgraph bound to its root graph's store."""
        if SUB_SEP in key:
            return self._subgraph(key)
        with self._lock:
            graphs = dict(self._graphs.items())
        if key in graphs:
            return graphs[key]
        base = key.split("#", 1)[0]
        same_code = [g for k, g in graphs.items() if k.split("#", 1)[0] == base]
        if same_code:
            return same_code[-1]
        name = base.split(":", 1)[0]
        same_name = [g for k, g in graphs.items() if k.split(":", 1)[0] == name]
        if same_name:
            chosen = same_name[-1]
            with self._lock:
                first = base not in self._warned
                self._warned.add(base)
            if first:  # once per graph version and process, not on every activity
                log.warning(
                    "graph %s is not served here; running its runs with the graph named %r of this worker, "
                    "whose code differs (fingerprint %s, the run's is %s): the nodes, edges or schema changed "
                    "since the run started",
                    key,
                    name,
                    chosen.spec.fingerprint,
                    base.split(":", 1)[1] if ":" in base else "?",
                )
            return chosen
        return None


    def _subgraph(self, key: str) -> GraphBinding | None:
        """A subgraph's spec on its root graph's store (its checkpoints live there, by namespace).

        The subgraph itself need not be served by name: a worker that imports the
        root graph's module compiled it too, so the process registry has it.
        """
        child_key, root_key = key.split(SUB_SEP, 1)
        root = self.find(root_key)
        child = self.find(child_key)
        if child is None and self is not process_registry:
            child = process_registry.find(child_key)
        if root is None or child is None:
            return None
        with self._lock:
            cached = self._derived.get(key)
            if cached is None or cached.store is not root.store or cached.spec is not child.spec:
                cached = self._derived[key] = GraphBinding(key, child.spec, root.store)
            return cached


#: Every graph compiled in this process (weak: a graph nobody holds goes away).
process_registry = GraphRegistry(weak=True)
