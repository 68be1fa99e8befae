"""Which compiled graphs a worker can run.

Every compiled graph registers itself in the process registry, so the
embedded worker runs graphs compiled in the process (closures and lambdas
included) without a registration step. Keys are ``name:fingerprint#instance``:
the fingerprint is equal in every process that has the same graph code, the
instance number tells apart two compilations of that code in one process
(each with its own checkpointer). A worker in another process finds the
graph by ``name:fingerprint``, and, when the code has changed since the run
started, by name alone.
"""

from __future__ import annotations

import itertools
import logging
import threading
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphcompat.graph._compiled import CompiledStateGraph

__all__ = ["GraphRegistry", "process_registry"]

log = logging.getLogger("graphcompat.registry")
_counter = itertools.count(1)


class GraphRegistry:
    def __init__(self, *, weak: bool) -> None:
        self._lock = threading.Lock()
        self._graphs: weakref.WeakValueDictionary[str, CompiledStateGraph] | dict[str, CompiledStateGraph]
        self._graphs = weakref.WeakValueDictionary() if weak else {}

    @staticmethod
    def new_key(name: str, fingerprint: str) -> str:
        return f"{name}:{fingerprint}#{next(_counter)}"

    def add(self, graph: CompiledStateGraph) -> None:
        with self._lock:
            self._graphs[graph.graph_key] = graph

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._graphs.keys())

    def find(self, key: str) -> CompiledStateGraph | None:
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
            log.warning("graph %s not found; running it with the graph named %r whose code differs", key, name)
            return same_name[-1]
        return None


#: Every graph compiled in this process (weak: a graph nobody holds goes away).
process_registry = GraphRegistry(weak=True)
