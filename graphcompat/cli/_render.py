"""Text output of the command line: aligned tables, the checkpoint tree, state views.

Everything here turns data into strings and prints nothing, so the layout
can be tested without a terminal and the commands stay short.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from graphcompat._history_drawing import HistoryNode, HistoryTree, short_id
from graphcompat.checkpoint import CheckpointRecord
from graphcompat._views import TaskView
from graphcompat._views import json_state_values as state_values

__all__ = [
    "compact_json",
    "history_tree_lines",
    "json_default",
    "relative_time",
    "state_lines",
    "step_line",
    "table",
    "truncate",
]

#: Widest a table cell or inline JSON value gets before it is cut with "…".
MAX_CELL = 60


def json_default(value: Any) -> Any:
    """Make graph values JSON: pydantic models, dataclasses (``Interrupt``), the rest as text."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def compact_json(value: Any, width: int = MAX_CELL) -> str:
    """One-line JSON, truncated to ``width``."""
    return truncate(json.dumps(value, default=json_default, ensure_ascii=False, separators=(", ", ": ")), width)


def truncate(text: str, width: int = MAX_CELL) -> str:
    text = str(text).replace("\r", " ").replace("\n", " ").replace("\t", " ")  # one line, indentation kept
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, width: int = MAX_CELL) -> str:
    """Left-aligned columns separated by two spaces; long cells are cut with "…"."""
    cells = [[truncate(str(c), width) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def _parse_time(iso: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def relative_time(iso: str | None, now: datetime | None = None) -> str:
    """``"3m ago (2026-11-27T13:40:47Z)"``: how long ago, then when exactly (UTC, to the second)."""
    moment = _parse_time(iso or "")
    if moment is None:
        return iso or "?"
    now = now or datetime.now(timezone.utc)
    delta = int((now - moment).total_seconds())
    seconds = abs(delta)
    amount = f"{seconds}s"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            amount = f"{seconds // size}{unit}"
            break
    # A clock ahead of ours (another machine, a time-skipping test server) reads "in ...".
    ago = f"{amount} ago" if delta >= 0 else f"in {amount}"
    exact = moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return f"{ago} ({exact})"


# -- history ----------------------------------------------------------------------------


def _node_columns(node: HistoryNode) -> list[str]:
    wrote = ", ".join(node.writers) if node.writers else "-"
    nxt = ", ".join(node.next) if node.next else "(end)"
    return [node.short_id, f"step {node.step}", node.source, f"wrote {wrote}", f"next {nxt}"]


def history_tree_lines(records: Sequence[Any]) -> list[str]:
    """The checkpoint tree, oldest at the top, one line per checkpoint.

    A chain of checkpoints stays in one column; where a checkpoint has
    several children (a fork) each branch is indented under ``├─`` / ``└─``,
    so the shape shows where ``update_state`` or a replay branched off. The
    latest checkpoint (what ``get_state`` reads) is marked ``*``.
    """
    tree = HistoryTree.build(records)
    rows: list[tuple[str, HistoryNode]] = []

    def walk(cid: str, lead: str, rest: str) -> None:
        # Iterative along a chain, recursive only at branch points: long
        # histories do not hit the recursion limit.
        while True:
            rows.append((lead, tree.nodes[cid]))
            kids = tree.children[cid]
            if len(kids) != 1:
                break
            cid, lead = kids[0], rest
        for i, kid in enumerate(kids):
            last = i == len(kids) - 1
            walk(kid, rest + ("└─ " if last else "├─ "), rest + ("   " if last else "│  "))

    for root in tree.roots:
        walk(root, "", "")
    latest = tree.latest
    body = [[lead + ("* " if node.checkpoint_id == latest else "o "), *_node_columns(node)] for lead, node in rows]
    return table(["", "ID", "STEP", "SOURCE", "WROTE", "NEXT"], body, width=80).splitlines()[1:]


# -- state --------------------------------------------------------------------------------


def _task_line(view: TaskView) -> str:
    if view.status == "failed" and view.error:
        detail = f"{view.error.get('type', 'Error')}: {view.error.get('message', '')}"
    elif view.status == "interrupted":
        detail = "interrupt " + ", ".join(compact_json(v, 40) for v in view.interrupt_values)
    elif view.status == "done":
        detail = "wrote " + compact_json(view.update, 50) + " (saved; not applied until the step completes)"
    else:
        detail = "not run yet"
    return f"{view.name}  [{view.status}]  {truncate(detail, 100)}"


def state_lines(record: CheckpointRecord, tasks: Sequence[TaskView], status: str) -> list[str]:
    """A checkpoint for people: where it sits, its values, what runs next and how that went."""
    meta = record.metadata
    lines = table(
        ["", ""],
        [
            ["thread", record.thread_id],
            ["checkpoint", record.checkpoint_id],
            ["parent", record.parent_checkpoint_id or "-"],
            ["step", f"{record.step} (source {record.source})"],
            ["created", relative_time(record.created_at)],
            ["status", status],
            ["next", ", ".join(str(t.get("name")) for t in record.next_tasks) or "(end)"],
        ],
        width=100,
    ).splitlines()[1:]
    values = state_values(record)
    lines.append("values:")
    if values:
        lines += ["  " + line for line in table(["", ""], [[k, compact_json(v, 90)] for k, v in values.items()], width=100).splitlines()[1:]]
    else:
        lines.append("  (empty)")
    if tasks:
        lines.append("tasks:")
        lines += ["  " + _task_line(t) for t in tasks]
    extra = {k: v for k, v in meta.items() if k not in ("step", "source")}
    if extra:
        lines.append("metadata:")
        lines += ["  " + line for line in table(["", ""], [[k, compact_json(v, 90)] for k, v in extra.items()], width=100).splitlines()[1:]]
    return lines


# -- live run -------------------------------------------------------------------------------


def changed_keys(record: CheckpointRecord, parent: CheckpointRecord | None) -> list[str]:
    """State keys whose value differs from the parent checkpoint's."""
    before = state_values(parent) if parent is not None else {}
    after = state_values(record)
    return [k for k in after if k not in before or before[k] != after[k]] + [k for k in before if k not in after]


def step_line(record: CheckpointRecord, parent: CheckpointRecord | None) -> str:
    """One committed super-step: step, source, writer node(s), keys changed, writes, short id."""
    writes = record.metadata.get("writes")
    writers = ", ".join(writes) if isinstance(writes, Mapping) and writes else "-"
    changed = ", ".join(changed_keys(record, parent)) or "-"
    shown = compact_json(writes, 50) if writes else "-"
    return (
        f"step {record.step:>3}  {record.source:<6}  {truncate(writers, 24):<24}  "
        f"changed {truncate(changed, 30):<30}  writes {shown}  [{short_id(record.checkpoint_id)}]"
    )
