"""Chat messages in state: LangChain message objects, and their stored JSON form.

One owner for how a message crosses into JSON and back, used by
``graphcompat._schema`` (state values) and ``graphcompat.graph.message``
(``add_messages``).

When ``langchain_core`` can be imported, messages in state are
``langchain_core.messages`` objects everywhere a user sees them. Without it,
messages are plain dicts (``{"type": "human", "content": ..., "id": ...}``) and
nothing here is used.

Stored form, version 1 (one JSON object per message)::

    {"lc_message": 1, "type": "<tag>", "data": {<the message's fields>}}

``tag`` is the message class's ``type`` field: ``human``, ``ai``, ``system``,
``tool``, ``chat``, ``function``, ``remove``, and for chunks the class name
(``AIMessageChunk``, ``HumanMessageChunk``, ``SystemMessageChunk``,
``ToolMessageChunk``, ``ChatMessageChunk``, ``FunctionMessageChunk``).
``data`` is ``message.model_dump(mode="json")`` without ``type`` (content,
``id``, ``name``, ``additional_kwargs``, ``response_metadata``, and per class
``tool_calls``, ``invalid_tool_calls``, ``usage_metadata``, ``tool_call_id``,
``status``, ``artifact``, ``role``, ...).

Reading revives a message only from the allow-list :data:`ALLOWED_TAGS`
(tag -> class); a class is never imported by a name found in stored data. An
unknown tag or a newer version raises
:class:`~graphcompat.errors.StateSerializationError`. Messages stored as plain
dicts by older versions (``{"type": "human", "content": "hi", "id": ...}``) are
read through the same allow-list where the state's type says messages.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, get_args, get_origin

from graphcompat.errors import StateSerializationError

__all__ = [
    "FORMAT_VERSION",
    "ALLOWED_TAGS",
    "available",
    "dump_tree",
    "from_json",
    "is_message",
    "load_tree",
    "may_hold_messages",
    "to_json",
]

#: The version written in ``lc_message``; reading refuses newer ones.
FORMAT_VERSION = 1

#: Stored tag -> name of the class in ``langchain_core.messages`` (the allow-list).
ALLOWED_TAGS: dict[str, str] = {
    "human": "HumanMessage",
    "ai": "AIMessage",
    "system": "SystemMessage",
    "tool": "ToolMessage",
    "chat": "ChatMessage",
    "function": "FunctionMessage",
    "remove": "RemoveMessage",
    "HumanMessageChunk": "HumanMessageChunk",
    "AIMessageChunk": "AIMessageChunk",
    "SystemMessageChunk": "SystemMessageChunk",
    "ToolMessageChunk": "ToolMessageChunk",
    "ChatMessageChunk": "ChatMessageChunk",
    "FunctionMessageChunk": "FunctionMessageChunk",
}


@functools.cache
def _lc() -> Any:
    """``langchain_core.messages``, or None when langchain-core is not installed."""
    try:
        import langchain_core.messages as lc_messages
    except ImportError:
        return None
    return lc_messages


def available() -> bool:
    """Whether messages in state are LangChain objects (langchain-core importable)."""
    return _lc() is not None


@functools.cache
def _classes() -> dict[str, type[Any]]:
    lc = _lc()
    return {tag: getattr(lc, name) for tag, name in ALLOWED_TAGS.items()}


def is_message(value: Any) -> bool:
    lc = _lc()
    return lc is not None and isinstance(value, lc.BaseMessage)


def _tag_of(message: Any) -> str:
    classes = _classes()
    tag = getattr(message, "type", None)
    if tag in classes and isinstance(message, classes[tag]):
        return tag
    raise StateSerializationError(
        f"Cannot store message of type {type(message).__name__} (type tag {getattr(message, 'type', None)!r}); "
        f"state can hold these message classes: {', '.join(sorted(ALLOWED_TAGS.values()))}."
    )


def to_json(message: Any) -> dict[str, Any]:
    """A message object as its stored form (see the module docstring)."""
    tag = _tag_of(message)
    data = message.model_dump(mode="json")
    data.pop("type", None)
    return {"lc_message": FORMAT_VERSION, "type": tag, "data": data}


def is_stored(data: Any) -> bool:
    return isinstance(data, dict) and "lc_message" in data and "type" in data


def looks_legacy(data: Any) -> bool:
    """A message as older versions stored it: a plain dict with a str ``type`` and ``content``."""
    return isinstance(data, dict) and isinstance(data.get("type"), str) and "content" in data and "lc_message" not in data


def from_json(data: Mapping[str, Any]) -> Any:
    """A stored message (this form or the older plain-dict form) back as its message object."""
    if "lc_message" in data:
        version = data.get("lc_message")
        if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
            raise StateSerializationError(
                f"Stored message has format version {version!r}; this graphcompat reads version "
                f"{FORMAT_VERSION} and older. Upgrade graphcompat to read this store."
            )
        tag, fields = data.get("type"), data.get("data")
    else:  # older versions: the fields themselves, "type" among them
        fields = {k: v for k, v in data.items() if k != "type"}
        tag = data.get("type")
    cls = _classes().get(tag) if isinstance(tag, str) else None
    if cls is None:
        raise StateSerializationError(
            f"Stored message has unknown type tag {tag!r}; allowed tags are "
            f"{', '.join(map(repr, ALLOWED_TAGS))}. The store holds a message class this "
            "graphcompat does not revive."
        )
    if not isinstance(fields, Mapping):
        raise StateSerializationError(f"Stored {tag!r} message has no field object (got {type(fields).__name__}).")
    try:
        return cls.model_validate(dict(fields))
    except Exception as exc:
        raise StateSerializationError(
            f"Stored {tag!r} message does not fit {cls.__name__}: {str(exc).splitlines()[0]}."
        ) from exc


def dump_tree(value: Any) -> Any:
    """``value`` with every message object (in lists, tuples and dicts) replaced by its stored form."""
    if is_message(value):
        return to_json(value)
    if isinstance(value, (list, tuple)):
        return [dump_tree(v) for v in value]
    if isinstance(value, dict):
        return {k: dump_tree(v) for k, v in value.items()}
    return value


def load_tree(annotation: Any, data: Any) -> Any:
    """Stored JSON with messages revived: every stored-form object, and older plain-dict
    messages where ``annotation`` expects a message."""
    if isinstance(data, dict):
        if is_stored(data):
            return from_json(data)
        if looks_legacy(data) and _wants_message(annotation):
            return from_json(data)
        inner = _value_annotation(annotation)
        return {k: load_tree(inner, v) for k, v in data.items()}
    if isinstance(data, list):
        inner = _item_annotation(annotation)
        return [load_tree(inner, v) for v in data]
    return data


#: Stands for "a message" in annotations: used for ``Annotated[list, add_messages]``.
MESSAGE = object()


def _strip(annotation: Any) -> Any:
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (typing.Union, types.UnionType)


def _wants_message(annotation: Any) -> bool:
    annotation = _strip(annotation)
    if annotation is MESSAGE:
        return True
    if _is_union(annotation):
        return any(_wants_message(a) for a in get_args(annotation))
    lc = _lc()
    return isinstance(annotation, type) and lc is not None and issubclass(annotation, lc.BaseMessage)


def _item_annotation(annotation: Any) -> Any:
    annotation = _strip(annotation)
    if _is_union(annotation):
        for arg in get_args(annotation):
            inner = _item_annotation(arg)
            if inner is not Any:
                return inner
        return Any
    args = get_args(annotation)
    if args and get_origin(annotation) in (list, tuple, set, frozenset, collections.abc.Sequence, collections.abc.MutableSequence):
        return args[0]
    return Any


def _value_annotation(annotation: Any) -> Any:
    annotation = _strip(annotation)
    args = get_args(annotation)
    if len(args) == 2 and get_origin(annotation) in (dict, collections.abc.Mapping, collections.abc.MutableMapping):
        return args[1]
    return Any


_SCALARS = (str, int, float, bool, bytes, type(None))


def may_hold_messages(annotation: Any) -> bool:
    """Whether a value of this type can contain message objects (so dump/load must look for them).

    False only for types built from scalars (``list[str]``, ``int``, ...) and
    from dataclasses / pydantic models, which pydantic itself serializes.
    """
    if not available():
        return False
    return _may_hold(annotation, 0)


def _may_hold(annotation: Any, depth: int) -> bool:
    annotation = _strip(annotation)
    if annotation is MESSAGE or annotation is Any or annotation is object or depth > 6:
        return True
    if isinstance(annotation, typing.TypeVar):
        return True
    origin = get_origin(annotation)
    if origin is typing.Literal:
        return False
    if _is_union(annotation) or origin is not None:
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        return not args or any(_may_hold(a, depth + 1) for a in args)
    if not isinstance(annotation, type):
        return True  # a forward reference or something unusual: look
    if issubclass(annotation, _SCALARS):
        return False
    lc = _lc()
    if issubclass(annotation, lc.BaseMessage):
        return True
    import pydantic

    if issubclass(annotation, pydantic.BaseModel) or dataclasses.is_dataclass(annotation):
        return False
    return True  # bare list / dict / tuple, TypedDicts, other classes: look
