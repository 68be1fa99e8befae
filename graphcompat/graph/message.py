"""``MessagesState`` and the ``add_messages`` reducer.

Messages are stored as plain JSON objects (``{"type": "human", "content":
"hi", "id": "..."}``) so a store can be read without any chat library. Input
may be such dicts, ``(role, content)`` tuples, bare strings (human messages),
or message objects that have ``model_dump()`` (LangChain's), which are
converted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Annotated, Any, TypedDict

__all__ = ["AnyMessage", "MessagesState", "add_messages"]

AnyMessage = dict[str, Any]

_ROLE_TO_TYPE = {"user": "human", "human": "human", "assistant": "ai", "ai": "ai", "system": "system", "tool": "tool"}


def _to_message(item: Any, position: int, salt: str) -> dict[str, Any]:
    if isinstance(item, str):
        msg: dict[str, Any] = {"type": "human", "content": item}
    elif isinstance(item, tuple) and len(item) == 2:
        role, content = item
        msg = {"type": _ROLE_TO_TYPE.get(str(role), str(role)), "content": content}
    elif isinstance(item, dict):
        msg = dict(item)
        if "role" in msg and "type" not in msg:
            msg["type"] = _ROLE_TO_TYPE.get(str(msg.pop("role")), "human")
    elif hasattr(item, "model_dump"):
        msg = item.model_dump()
    else:
        raise TypeError(
            f"Cannot turn {type(item).__name__} into a message; use a dict like "
            "{'type': 'human', 'content': '...'}, a (role, content) tuple or a string."
        )
    if not msg.get("id"):
        # Deterministic ids: the same write gets the same id on every retry.
        digest = hashlib.sha1(f"{salt}:{position}:{json.dumps(msg, sort_keys=True, default=str)}".encode()).hexdigest()
        msg["id"] = f"msg-{digest[:20]}"
    return msg


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, dict, tuple)) or hasattr(value, "model_dump"):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    return [value]


def add_messages(left: Any, right: Any) -> list[dict[str, Any]]:
    """Append ``right`` to ``left``; a message whose id is already there replaces it.

    A message ``{"type": "remove", "id": X}`` deletes message X.
    """
    existing = [_to_message(m, i, "l") for i, m in enumerate(_as_list(left))]
    salt = hashlib.sha1(json.dumps([m["id"] for m in existing]).encode()).hexdigest()[:8]
    incoming = [_to_message(m, i, salt) for i, m in enumerate(_as_list(right))]
    index = {m["id"]: i for i, m in enumerate(existing)}
    out: list[dict[str, Any] | None] = list(existing)
    for msg in incoming:
        if msg.get("type") == "remove":
            if msg["id"] not in index:
                raise ValueError(f"Attempting to delete a message with an id that doesn't exist ('{msg['id']}')")
            out[index[msg["id"]]] = None
            continue
        if msg["id"] in index and out[index[msg["id"]]] is not None:
            out[index[msg["id"]]] = msg
        else:
            index[msg["id"]] = len(out)
            out.append(msg)
    return [m for m in out if m is not None]


def _normalize(value: Any, salt: str) -> list[dict[str, Any]]:
    """A write as the list of message dicts it stands for (before it becomes JSON).

    Called where the write is made, so a ``("user", "hi")`` tuple stays one
    message instead of turning into a two-item JSON list.
    """
    return [_to_message(m, i, salt) for i, m in enumerate(_as_list(value))]


add_messages.normalize = _normalize  # type: ignore[attr-defined]


class MessagesState(TypedDict):
    """A state with a ``messages`` list that ``add_messages`` extends."""

    messages: Annotated[list[AnyMessage], add_messages]
