"""Mermaid drawings of a graph (``graph.get_graph(xray=...).draw_mermaid()``), as LangGraph offers.

With ``xray``, a subgraph node is drawn as its own nodes (named
``node:inner``, as LangGraph names them) inside a Mermaid ``subgraph`` block;
edges into the node go to the subgraph's first nodes, edges out of it leave
from its last ones. ``xray=True`` opens every level, an int that many.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphcompat._constants import END, START

if TYPE_CHECKING:
    from graphcompat.engine import GraphSpec

__all__ = ["DrawableGraph"]


def _id(name: str) -> str:
    # LangGraph's escape of ':' in Mermaid ids (subgraph nodes are ``node:inner``).
    return {START: "__start__", END: "__end__"}.get(name, name).replace(" ", "_").replace(":", "\\3a")


def _edges(spec: GraphSpec) -> list[tuple[str, str, bool]]:
    edges: list[tuple[str, str, bool]] = [(s, e, False) for s, e in spec.edges]
    for starts, end in spec.waiting_edges:
        edges += [(s, end, False) for s in starts]
    for source, branches in spec.branches.items():
        for branch in branches:
            targets = branch.targets() or [*spec.nodes, END]
            edges += [(source, t, True) for t in targets]
    return edges


class DrawableGraph:
    """The nodes and edges of a graph, drawable as Mermaid text."""

    def __init__(self, spec: GraphSpec, xray: bool | int = False) -> None:
        depth = (1 << 30) if xray is True else int(xray or 0)
        #: Node names (subgraph nodes opened by xray appear as ``node:inner``).
        self.nodes: list[str] = [START]
        self.edges: list[tuple[str, str, bool]] = []
        #: Opened subgraphs: (subgraph node, its inner node names), drawn as Mermaid blocks.
        self.clusters: list[tuple[str, list[str]]] = []
        self._add(spec, depth, "")
        self.nodes.append(END)

    def _add(self, spec: GraphSpec, depth: int, prefix: str) -> tuple[list[str], list[str]]:
        """Add ``spec``'s nodes under ``prefix``; returns its entry and exit nodes (for the parent's edges)."""
        inner: dict[str, tuple[list[str], list[str]]] = {}
        for name, node in spec.nodes.items():
            full = f"{prefix}{name}"
            if depth > 0 and node.subgraph_spec is not None:
                start = len(self.nodes)
                inner[name] = self._add(node.subgraph_spec, depth - 1, f"{full}:")
                self.clusters.append((full, self.nodes[start:]))
            else:
                self.nodes.append(full)
                inner[name] = ([full], [full])
        entries: list[str] = []
        exits: list[str] = []
        for source, target, conditional in _edges(spec):
            heads = [START] if source == START else inner[source][1]
            tails = [END] if target == END else inner[target][0]
            if prefix and source == START:
                entries += tails
                continue
            if prefix and target == END:
                exits += heads
                continue
            self.edges += [(h, t, conditional) for h in heads for t in tails]
        return entries, exits

    def draw_mermaid(self) -> str:
        lines = ["graph TD;"]
        clustered = {n for _, names in self.clusters for n in names}
        for node in self.nodes:
            if node in clustered:
                continue
            label = {START: "__start__", END: "__end__"}.get(node, node)
            shape = f"([{label}])" if node in (START, END) else f"({label})"
            lines.append(f"\t{_id(node)}{shape}")
        for source, target, conditional in self.edges:
            if source in clustered and target in clustered and source.rsplit(":", 1)[0] == target.rsplit(":", 1)[0]:
                continue  # drawn inside its block
            arrow = "-.->" if conditional else "-->"
            lines.append(f"\t{_id(source)} {arrow} {_id(target)};")
        for cluster, names in self.clusters:
            # each node is drawn in its innermost block (nested subgraphs: one block per level)
            own = [n for n in names if max((c for c, _ in self.clusters if n.startswith(c + ":")), key=len) == cluster]
            lines.append(f"\tsubgraph {cluster}")
            lines += [f"\t{_id(node)}({node.rsplit(':', 1)[-1]})" for node in own]
            lines += [f"\t{_id(s)} {'-.->' if c else '-->'} {_id(t)};" for s, t, c in self.edges if s in own and t in own]
            lines.append("\tend")
        return "\n".join(lines) + "\n"
