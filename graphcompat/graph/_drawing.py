"""Mermaid drawings of a graph (``graph.get_graph().draw_mermaid()``), as LangGraph offers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphcompat._constants import END, START

if TYPE_CHECKING:
    from graphcompat.engine import GraphSpec

__all__ = ["DrawableGraph"]


def _id(name: str) -> str:
    return {START: "__start__", END: "__end__"}.get(name, name).replace(" ", "_")


class DrawableGraph:
    """The nodes and edges of a graph, drawable as Mermaid text."""

    def __init__(self, spec: GraphSpec) -> None:
        self.nodes = [START, *spec.nodes, END]
        self.edges: list[tuple[str, str, bool]] = [(s, e, False) for s, e in spec.edges]
        for starts, end in spec.waiting_edges:
            self.edges += [(s, end, False) for s in starts]
        for source, branches in spec.branches.items():
            for branch in branches:
                targets = branch.targets() or [*spec.nodes, END]
                self.edges += [(source, t, True) for t in targets]

    def draw_mermaid(self) -> str:
        lines = ["graph TD;"]
        for node in self.nodes:
            label = {START: "__start__", END: "__end__"}.get(node, node)
            shape = f"([{label}])" if node in (START, END) else f"({label})"
            lines.append(f"\t{_id(node)}{shape}")
        for source, target, conditional in self.edges:
            arrow = "-.->" if conditional else "-->"
            lines.append(f"\t{_id(source)} {arrow} {_id(target)};")
        return "\n".join(lines) + "\n"
