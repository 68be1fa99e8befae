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
    """The graph's edges, plus an edge to END from each node nothing leaves (as LangGraph draws them)."""
    edges: list[tuple[str, str, bool]] = [(s, e, False) for s, e in spec.edges]
    for starts, end in spec.waiting_edges:
        edges += [(s, end, False) for s in starts]
    for source, branches in spec.branches.items():
        for branch in branches:
            targets = branch.targets() or [*spec.nodes, END]
            edges += [(source, t, True) for t in targets]
    sources = {s for s, _, _ in edges}
    edges += [(n, END, False) for n in sorted({t for _, t, _ in edges if t != END} - sources)]
    return edges


def _trims(edges: list[tuple[str, str, bool]], names: list[str]) -> tuple[bool, bool]:
    """LangGraph's rule for an opened subgraph: its own START (END) is left out of the drawing when it
    has one edge and the rest of the subgraph still has a single first (last) node."""
    nodes = [START, *names, *([END] if any(t == END for _, t, _ in edges) else [])]
    targets = {t for s, t, _ in edges if s != START}
    sources = {s for s, t, _ in edges if t != END}
    first = [n for n in nodes if n != START and n not in targets]
    last = [n for n in nodes if n != END and n not in sources]
    trim_start = sum(1 for s, _, _ in edges if s == START) == 1 and len(first) == 1
    trim_end = END in nodes and sum(1 for _, t, _ in edges if t == END) == 1 and len(last) == 1
    return trim_start, trim_end


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
        edges = _edges(spec)
        trim_start, trim_end = _trims(edges, list(spec.nodes)) if prefix else (True, True)
        inner: dict[str, tuple[list[str], list[str]]] = {}
        if prefix and not trim_start:
            self.nodes.append(f"{prefix}{START}")
        for name, node in spec.nodes.items():
            full = f"{prefix}{name}"
            if depth > 0 and node.subgraph_spec is not None:
                start = len(self.nodes)
                inner[name] = self._add(node.subgraph_spec, depth - 1, f"{full}:")
                self.clusters.append((full, self.nodes[start:]))
            else:
                self.nodes.append(full)
                inner[name] = ([full], [full])
        if prefix and not trim_end:
            self.nodes.append(f"{prefix}{END}")
        start_id = f"{prefix}{START}" if prefix else START
        end_id = f"{prefix}{END}" if prefix else END
        entries: list[str] = [] if trim_start else [start_id]
        exits: list[str] = [] if trim_end else [end_id]
        for source, target, conditional in edges:
            heads = [start_id] if source == START else inner[source][1]
            tails = [end_id] if target == END else inner[target][0]
            if prefix and source == START and trim_start:
                entries += tails
                continue
            if prefix and target == END and trim_end:
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
