"""``MessagesState``, the ``add_messages`` reducer and ``REMOVE_ALL_MESSAGES``.

With langchain-core installed (``pip install graphcompat[langchain]``),
messages in state are ``langchain_core.messages`` objects, as in LangGraph:
``AnyMessage`` is LangChain's, ``add_messages`` takes strings (human
messages), ``(role, content)`` tuples, dicts (``{"role": "user", ...}`` or
``{"type": "ai", ...}``), message objects or lists of these, and returns
message objects; ``RemoveMessage(id=...)`` deletes a message and
``RemoveMessage(id=REMOVE_ALL_MESSAGES)`` everything before it. How messages
are stored is described in :mod:`graphcompat._messages`.

Without langchain-core, messages are plain JSON objects (``{"type": "human",
"content": "hi", "id": "..."}``) so a store can be read without any chat
library; ``{"type": "remove", "id": X}`` deletes message X.

Unlike LangGraph, which gives a message without an id a random uuid4,
graphcompat derives the id from the write (sha1 of where it is written, its
position and its content): a retried node writes the same ids, so the store
stays consistent with Temporal's history. The message objects passed in are
not modified (a copy gets the id).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Annotated, Any, TypedDict

from graphcompat import _messages
from graphcompat.errors import NotSupportedError

__all__ = ["REMOVE_ALL_MESSAGES", "AnyMessage", "MessageGraph", "MessagesState", "add_messages"]

#: ``RemoveMessage(id=REMOVE_ALL_MESSAGES)`` clears every message before it (LangGraph's value).
REMOVE_ALL_MESSAGES = "__remove_all__"

_lc = _messages._lc()

if _lc is not None:
    AnyMessage = _lc.AnyMessage
else:
    AnyMessage = dict[str, Any]  # type: ignore[misc]


class UnsupportedMessageFormatError(NotSupportedError, ValueError):
    """``add_messages(format=...)``: graphcompat does not reformat messages (a ``NotSupportedError``;
    a ``ValueError`` too, what LangGraph raises for a format it does not know)."""


_ROLE_TO_TYPE = {"user": "human", "human": "human", "assistant": "ai", "ai": "ai", "system": "system", "tool": "tool"}


def _message_id(salt: str, position: int, fields: Any) -> str:
    digest = hashlib.sha1(f"{salt}:{position}:{json.dumps(fields, sort_keys=True, default=str)}".encode()).hexdigest()
    return f"msg-{digest[:20]}"


# -- without langchain-core: plain dicts ------------------------------------------------


def _to_dict_message(item: Any, position: int, salt: str | None) -> dict[str, Any]:
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
    if not msg.get("id") and salt is not None:
        # Deterministic ids: the same write gets the same id on every retry.
        msg["id"] = _message_id(salt, position, msg)
    return msg


def _add_dict_messages(left: Any, right: Any) -> list[dict[str, Any]]:
    existing = [_to_dict_message(m, i, "l") for i, m in enumerate(_as_list(left))]
    salt = hashlib.sha1(json.dumps([m["id"] for m in existing]).encode()).hexdigest()[:8]
    incoming = [_to_dict_message(m, i, salt) for i, m in enumerate(_as_list(right))]
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


# -- with langchain-core: message objects -------------------------------------------------


def _to_lc_message(item: Any, position: int, salt: str | None) -> Any:
    if isinstance(item, _lc.BaseMessage):
        msg = item
    else:
        # LangChain's own coercion, as LangGraph uses: str, (role, content), dicts
        msg = _lc.convert_to_messages([item])[0]
    if isinstance(msg, _lc.BaseMessageChunk):
        msg = _lc.message_chunk_to_message(msg)
    if msg.id is None and salt is not None:
        fields = msg.model_dump(mode="json")
        msg = msg.model_copy(update={"id": _message_id(salt, position, fields)})
    return msg


def _add_lc_messages(left: Any, right: Any) -> list[Any]:
    existing = [_to_lc_message(m, i, "l") for i, m in enumerate(_as_list(left))]
    salt = hashlib.sha1(json.dumps([m.id for m in existing]).encode()).hexdigest()[:8]
    incoming = [_to_lc_message(m, i, salt) for i, m in enumerate(_as_list(right))]
    for i in range(len(incoming) - 1, -1, -1):
        msg = incoming[i]
        if isinstance(msg, _lc.RemoveMessage) and msg.id == REMOVE_ALL_MESSAGES:
            return incoming[i + 1 :]
    merged = list(existing)
    index = {m.id: i for i, m in enumerate(merged)}
    removed: set[str] = set()
    for msg in incoming:
        at = index.get(msg.id)
        if at is not None:
            if isinstance(msg, _lc.RemoveMessage):
                removed.add(msg.id)
            else:
                removed.discard(msg.id)
                merged[at] = msg
        elif isinstance(msg, _lc.RemoveMessage):
            raise ValueError(f"Attempting to delete a message with an ID that doesn't exist ('{msg.id}')")
        else:
            index[msg.id] = len(merged)
            merged.append(msg)
    return [m for m in merged if m.id not in removed] if removed else merged


# -- the reducer ------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, dict, tuple)) or hasattr(value, "model_dump"):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    return [value]


def add_messages(left: Any = None, right: Any = None, *, format: str | None = None) -> Any:
    """Append ``right`` to ``left``; a message whose id is already there replaces it.

    ``RemoveMessage(id=X)`` deletes message X (a ``ValueError`` if there is
    none); ``RemoveMessage(id=REMOVE_ALL_MESSAGES)`` drops everything before
    it. Messages without an id get a deterministic one. Without
    langchain-core, messages are dicts and ``{"type": "remove", "id": X}``
    deletes. ``add_messages()`` with no arguments returns the reducer itself
    (for ``Annotated[list, add_messages()]``).
    """
    if format is not None:
        raise UnsupportedMessageFormatError(
            f"add_messages(format={format!r}) is not supported by graphcompat: messages are kept as "
            "they are written. Drop format= and convert messages where you send them to a model."
        )
    if left is None and right is None:
        return add_messages
    if left is None or right is None:
        raise ValueError(
            "Must specify non-null arguments for both 'left' and 'right'. Only "
            f"received: '{'left' if left is not None else 'right'}'."
        )
    if _lc is None:
        return _add_dict_messages(left, right)
    return _add_lc_messages(left, right)


def _normalize(value: Any, salt: str | None) -> list[Any]:
    """A write as the list of messages it stands for (before it becomes JSON).

    Called where the write is made, so a ``("user", "hi")`` tuple stays one
    message instead of turning into a two-item JSON list. ``salt`` (the task's
    id) makes the ids of messages without one deterministic; with ``None``
    (the caller's input) ids are left to the reducer, which derives them from
    the messages already in the state.
    """
    convert = _to_dict_message if _lc is None else _to_lc_message
    return [convert(m, i, salt) for i, m in enumerate(_as_list(value))]


add_messages.normalize = _normalize  # type: ignore[attr-defined]
add_messages.holds_messages = True  # type: ignore[attr-defined]


class MessagesState(TypedDict):
    """A state with a ``messages`` list that ``add_messages`` extends."""

    messages: Annotated[list[AnyMessage], add_messages]


class MessageGraph:
    """LangGraph's deprecated ``MessageGraph`` (a graph whose whole state is a message list).

    Importing it works; building one raises :class:`~graphcompat.errors.NotSupportedError`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotSupportedError(
            "MessageGraph is not supported by graphcompat (LangGraph deprecated it); build "
            "StateGraph(MessagesState) instead and read state['messages'].",
            feature="MessageGraph",
        )
