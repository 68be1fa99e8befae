"""The checkpoint tree of a thread: who follows whom, and a Mermaid drawing of it.

A thread's history is a tree, not a list: ``update_state`` on a past
checkpoint and replays start new branches from it, and nothing is ever
rewritten. Both the command line (``graphcompat history``) and the Python API
need that tree, from either stored records (``CheckpointRecord``) or what
``get_state_history`` yields (``StateSnapshot``), so the tree is built here
once from a small normalized view (:class:`HistoryNode`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["HistoryNode", "HistoryTree", "draw_history_mermaid", "history_nodes", "short_id"]

#: Characters of a checkpoint id shown in listings. Ids are UUIDv7: the first
#: characters are a timestamp shared by neighbours, the last ones are random.
SHORT_ID_CHARS = 8


def short_id(checkpoint_id: str) -> str:
    """The distinctive tail of a checkpoint id (the head is a shared timestamp)."""
    return checkpoint_id.replace("-", "")[-SHORT_ID_CHARS:]


@dataclasses.dataclass(frozen=True)
class HistoryNode:
    """One checkpoint, as much of it as a history view shows."""

    checkpoint_id: str
    parent_id: str | None
    step: int
    source: str
    writers: tuple[str, ...]
    next: tuple[str, ...]
    created_at: str | None

    @property
    def short_id(self) -> str:
        return short_id(self.checkpoint_id)


def _from_record(record: Any) -> HistoryNode:
    metadata = dict(record.metadata or {})
    writes = metadata.get("writes")
    return HistoryNode(
        checkpoint_id=str(record.checkpoint_id),
        parent_id=record.parent_checkpoint_id,
        step=int(metadata.get("step", -1)),
        source=str(metadata.get("source", "")),
        writers=tuple(writes) if isinstance(writes, Mapping) else (),
        next=tuple(str(task.get("name", "")) for task in record.next_tasks),
        created_at=record.created_at,
    )


def _from_snapshot(snapshot: Any) -> HistoryNode:
    metadata = dict(snapshot.metadata or {})
    writes = metadata.get("writes")
    parent = ((snapshot.parent_config or {}).get("configurable") or {}).get("checkpoint_id")
    return HistoryNode(
        checkpoint_id=str(snapshot.config["configurable"]["checkpoint_id"]),
        parent_id=parent,
        step=int(metadata.get("step", -1)),
        source=str(metadata.get("source", "")),
        writers=tuple(writes) if isinstance(writes, Mapping) else (),
        next=tuple(snapshot.next),
        created_at=snapshot.created_at,
    )


def history_nodes(records: Iterable[Any]) -> list[HistoryNode]:
    """Normalize ``CheckpointRecord``s or ``StateSnapshot``s (mixed is fine), oldest first."""
    nodes = []
    for item in records:
        if isinstance(item, HistoryNode):
            nodes.append(item)
        elif hasattr(item, "next_tasks"):
            nodes.append(_from_record(item))
        elif hasattr(item, "config") and hasattr(item, "parent_config"):
            nodes.append(_from_snapshot(item))
        else:
            raise TypeError(f"expected CheckpointRecord or StateSnapshot, got {type(item).__name__}")
    # Checkpoint ids are time-ordered: sorting them sorts by creation.
    return sorted(nodes, key=lambda n: n.checkpoint_id)


@dataclasses.dataclass
class HistoryTree:
    """Checkpoints linked parent -> children.

    A checkpoint whose parent is not among the given records (pruned, or cut
    off by a ``limit``) is a root, so a partial history still draws.
    """

    nodes: dict[str, HistoryNode]
    roots: list[str]
    children: dict[str, list[str]]

    @classmethod
    def build(cls, records: Iterable[Any]) -> HistoryTree:
        ordered = history_nodes(records)
        nodes = {n.checkpoint_id: n for n in ordered}
        children: dict[str, list[str]] = {n.checkpoint_id: [] for n in ordered}
        roots: list[str] = []
        for node in ordered:
            if node.parent_id is not None and node.parent_id in nodes:
                children[node.parent_id].append(node.checkpoint_id)
            else:
                roots.append(node.checkpoint_id)
        return cls(nodes=nodes, roots=roots, children=children)

    @property
    def branch_points(self) -> list[str]:
        """Checkpoints with more than one child: where the history forks."""
        return [cid for cid, kids in self.children.items() if len(kids) > 1]

    @property
    def latest(self) -> str | None:
        """The newest checkpoint: what ``get_state`` reads."""
        return max(self.nodes) if self.nodes else None


_MERMAID_ESCAPES = {'"': "#quot;", "<": "#lt;", ">": "#gt;", "|": "#124;"}


def _mermaid_text(text: str) -> str:
    return "".join(_MERMAID_ESCAPES.get(ch, ch) for ch in text)


def _mermaid_ids(tree: HistoryTree) -> dict[str, str]:
    """Box ids: ``c`` + the short id, or the whole id for the (unlikely) short ids that collide."""
    shorts = [n.short_id for n in tree.nodes.values()]
    return {
        cid: "c" + (n.short_id if shorts.count(n.short_id) == 1 else cid.replace("-", ""))
        for cid, n in tree.nodes.items()
    }


def _mermaid_label(node: HistoryNode) -> str:
    lines = [f"step {node.step} · {node.source or '?'}"]
    if node.writers:
        lines.append("wrote: " + ", ".join(node.writers))
    lines.append("next: " + (", ".join(node.next) if node.next else "(end)"))
    lines.append("#" + node.short_id)
    return "<br/>".join(_mermaid_text(line) for line in lines)


def draw_history_mermaid(records: Iterable[Any]) -> str:
    """A Mermaid flowchart of a thread's checkpoint tree.

    ``records`` are ``CheckpointRecord``s (from the store) or ``StateSnapshot``s
    (from ``get_state_history``), in any order. Each checkpoint is a box
    (step, source, writer nodes, next, short id); an arrow goes from parent to
    child. Checkpoints written by ``update_state`` or by a replay
    (``source`` ``update`` / ``fork``) hang from dotted arrows, so branches
    stand out; the latest checkpoint is drawn with a thick border.
    """
    tree = HistoryTree.build(records)
    ids = _mermaid_ids(tree)
    out = ["flowchart TD"]
    for cid, node in tree.nodes.items():
        out.append(f'    {ids[cid]}["{_mermaid_label(node)}"]')
    for parent, kids in tree.children.items():
        for kid in kids:
            arrow = "-.->" if tree.nodes[kid].source in ("update", "fork") else "-->"
            out.append(f"    {ids[parent]} {arrow} {ids[kid]}")
    styles = {
        "input": "fill:#eef,stroke:#88a",
        "loop": "fill:#efe,stroke:#8a8",
        "update": "fill:#ffe,stroke:#aa8",
        "fork": "fill:#fed,stroke:#a86",
    }
    for source, style in styles.items():
        members = [ids[cid] for cid, n in tree.nodes.items() if n.source == source]
        if members:
            out.append(f"    classDef {source} {style}")
            out.append(f"    class {','.join(members)} {source}")
    if tree.latest is not None:
        out.append(f"    style {ids[tree.latest]} stroke-width:3px")
    return "\n".join(out) + "\n"
