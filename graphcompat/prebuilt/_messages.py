"""Messages as ``langchain_core`` objects, whatever form a caller hands them in.

State values reach nodes as message objects already (``graphcompat._messages``
revives them); a caller may still pass message dicts (``{"type": "ai",
"content": ..., "tool_calls": [...]}``) to ``ToolNode`` directly, as LangGraph
allows. The prebuilt pieces hand user code (tools, prompts, chat models) the
same ``AIMessage``/``ToolMessage`` objects LangGraph would; dicts are revived
by the one message codec, with its allow-list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.tool import ToolCall

from graphcompat import _messages

__all__ = ["as_message", "as_messages", "is_message_dict", "last_ai_message", "messages_of", "tool_calls_of", "with_message_objects"]

_MESSAGE_TYPES = frozenset({"ai", "human", "system", "tool", "function", "chat", "remove", "developer"})


def is_message_dict(value: Any) -> bool:
    """A dict that is a stored message (it has a known ``type``), not a tool call or a state."""
    return isinstance(value, Mapping) and value.get("type") in _MESSAGE_TYPES and "content" in value


def as_message(value: Any) -> Any:
    """``value`` as a message object when it is a stored message dict; anything else is returned as is."""
    if isinstance(value, BaseMessage) or not (is_message_dict(value) or _messages.is_stored(value)):
        return value
    return _messages.from_json(value)


def as_messages(values: Sequence[Any]) -> list[Any]:
    return [as_message(v) for v in values]


def messages_of(state: Any, messages_key: str) -> list[Any]:
    """The messages of a state given as a list, a dict or an object with a messages attribute."""
    if isinstance(state, list):
        return state
    if isinstance(state, Mapping):
        found = state.get(messages_key)
    else:
        found = getattr(state, messages_key, None)
    return list(found) if found else []


def tool_calls_of(message: Any) -> list[ToolCall]:
    """The tool calls of an AI message (object or dict); none for any other message."""
    message = as_message(message)
    if isinstance(message, AIMessage):
        return list(message.tool_calls)
    return list(getattr(message, "tool_calls", None) or [])


def last_ai_message(messages: Sequence[Any]) -> AIMessage | None:
    for message in reversed(messages):
        message = as_message(message)
        if isinstance(message, AIMessage):
            return message
    return None


def with_message_objects(state: Any, messages_key: str) -> Any:
    """A copy of a dict state whose messages are objects (other states are returned as they are)."""
    if isinstance(state, Mapping) and isinstance(state.get(messages_key), list):
        return {**state, messages_key: as_messages(state[messages_key])}
    if isinstance(state, list):
        return as_messages(state)
    return state
