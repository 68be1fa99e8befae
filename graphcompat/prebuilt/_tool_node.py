"""``ToolNode`` and ``tools_condition``: run the tool calls of the last AI message.

Behaves as ``langgraph.prebuilt.ToolNode`` 1.x: the same inputs (a state
dict, a list of messages, a list of tool calls, or the per-call
``ToolCallWithContext`` payload that ``create_react_agent(version="v2")``
sends), the same ``ToolMessage`` contents and the same error handling.

In a graphcompat graph the node is async (``__call__``): every tool call of
one step runs concurrently with ``asyncio.gather`` (langchain runs a sync
tool's ``ainvoke`` in a thread), inside the node's Temporal activity.
Messages that arrive as JSON dicts (graphcompat's stored form, and always
for a ``Send`` payload) are turned into ``langchain_core`` objects first.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypedDict, Union, get_type_hints

from langchain_core.messages import ToolMessage
from langchain_core.messages.tool import ToolCall
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, ToolException
from langchain_core.tools import tool as create_tool
from pydantic import ValidationError

from graphcompat._constants import END
from graphcompat._interrupts import GraphInterrupt
from graphcompat.prebuilt._injection import InjectedArgs, inject, injected_args_of
from graphcompat.prebuilt._messages import last_ai_message, messages_of, tool_calls_of, with_message_objects
from graphcompat.types import Command

__all__ = [
    "INVALID_TOOL_NAME_ERROR_TEMPLATE",
    "TOOL_CALL_ERROR_TEMPLATE",
    "TOOL_INVOCATION_ERROR_TEMPLATE",
    "ToolCallWithContext",
    "ToolInvocationError",
    "ToolNode",
    "msg_content_output",
    "tools_condition",
]

#: LangGraph's wording, so a model sees the same text on either runtime.
INVALID_TOOL_NAME_ERROR_TEMPLATE = "Error: {requested_tool} is not a valid tool, try one of [{available_tools}]."
TOOL_CALL_ERROR_TEMPLATE = "Error: {error}\n Please fix your mistakes."
TOOL_INVOCATION_ERROR_TEMPLATE = (
    "Error invoking tool '{tool_name}' with kwargs {tool_kwargs} with error:\n"
    " {error}\n"
    " Please fix the error and try again."
)

#: Content block types a ToolMessage may carry as a list (LangGraph's set).
_BLOCK_TYPES = frozenset({"text", "image_url", "image", "json", "search_result", "custom_tool_call_output", "document", "file"})

ErrorHandler = Union[bool, str, Callable[..., str], type[Exception], tuple[type[Exception], ...]]
InputType = Literal["list", "dict", "tool_calls"]


class ToolCallWithContext(TypedDict):
    """The per-call input ``create_react_agent(version="v2")`` sends to the tools node.

    ``{"__type": "tool_call_with_context", "tool_call": {...}, "state": {...}}``
    as in LangGraph. In graphcompat a ``Send`` argument travels as JSON, so
    the state's messages arrive as dicts and are turned back into objects.
    """

    __type: Literal["tool_call_with_context"]
    tool_call: ToolCall
    state: Any


def msg_content_output(output: Any) -> str | list[dict[str, Any]]:
    """A tool's result as ``ToolMessage`` content: strings and content blocks as they are, anything else JSON."""
    if isinstance(output, str):
        return output
    if isinstance(output, list) and all(isinstance(x, dict) and x.get("type") in _BLOCK_TYPES for x in output):
        return output
    try:
        return json.dumps(output, ensure_ascii=False)
    except Exception:
        return str(output)


class ToolInvocationError(ToolException):
    """A tool call whose arguments did not validate (LangGraph's class of the same name).

    ``message`` is what the model is told (the default ``handle_tool_errors``
    answers with it): the tool, the arguments the model gave and the
    validation errors of those arguments (errors of injected arguments left out).
    """

    def __init__(
        self,
        tool_name: str,
        source: ValidationError | None = None,
        tool_kwargs: dict[str, Any] | None = None,
        injected: frozenset[str] = frozenset(),
    ) -> None:
        if source is None:  # ToolInvocationError(message): rebuilt for the caller from the node's failure
            self.message, self.tool_name, self.tool_kwargs, self.source = tool_name, "", {}, None
            super().__init__(tool_name)
            return
        lines = []
        for error in source.errors():
            if error["loc"] and error["loc"][0] in injected:
                continue
            lines.append(f"{'.'.join(str(loc) for loc in error.get('loc', ()))}: {error.get('msg', 'Unknown error')}")
        self.message = TOOL_INVOCATION_ERROR_TEMPLATE.format(tool_name=tool_name, tool_kwargs=tool_kwargs, error="\n".join(lines))
        self.tool_name = tool_name
        self.tool_kwargs = tool_kwargs
        self.source = source
        super().__init__(self.message)


def _default_handle_tool_errors(e: Exception) -> str:
    """LangGraph 1.x's default: a model's bad arguments go back to it as a message; any other
    exception of a tool fails the node (and the run, which ``invoke(None, config)`` resumes)."""
    if isinstance(e, ToolInvocationError):
        return e.message
    raise e


def _handled_types(handler: Callable[..., str]) -> tuple[type[Exception], ...]:
    """The exceptions a handler function declares in its first parameter's annotation (all when none)."""
    try:
        params = list(inspect.signature(handler).parameters.values())
        hints = get_type_hints(handler)
    except Exception:
        return (Exception,)
    if params and params[0].name in ("self", "cls") and len(params) == 2:
        params = params[1:]
    if not params or params[0].name not in hints:
        return (Exception,)
    hint = hints[params[0].name]
    options = typing.get_args(hint) if typing.get_origin(hint) in (Union, types.UnionType) else (hint,)
    if all(isinstance(o, type) and issubclass(o, Exception) for o in options):
        return tuple(options)
    raise ValueError(
        f"The first argument of handle_tool_errors {handler!r} must be annotated with exception types, got {hint!r}."
    )


def _error_content(exc: Exception, flag: ErrorHandler) -> str:
    if isinstance(flag, (bool, tuple)) or (isinstance(flag, type) and issubclass(flag, Exception)):
        return TOOL_CALL_ERROR_TEMPLATE.format(error=repr(exc))
    if isinstance(flag, str):
        return flag
    if callable(flag):
        return flag(exc)
    raise ValueError(f"Got unexpected type of `handle_tool_error`. Expected bool, str or callable. Received: {flag}")


class ToolNode:
    """A node that runs the tool calls of the last ``AIMessage`` and returns their ``ToolMessage``\\ s.

    ``tools`` are langchain ``BaseTool``\\ s or plain functions (turned into
    tools with ``langchain_core.tools.tool``). ``handle_tool_errors`` decides
    what a failing tool does, as in LangGraph 1.x: by default arguments that
    do not validate are answered with LangGraph's ``ToolInvocationError`` text
    and any other exception fails the node; ``True`` answers with LangGraph's error text
    (``status="error"``), a string answers with that string, a function
    with its result (only for the exception types its first parameter is
    annotated with), an exception type or tuple handles only those, and
    ``False`` lets the exception fail the node.
    """

    def __init__(
        self,
        tools: Sequence[BaseTool | Callable[..., Any]],
        *,
        name: str = "tools",
        tags: list[str] | None = None,
        handle_tool_errors: ErrorHandler = _default_handle_tool_errors,
        messages_key: str = "messages",
    ) -> None:
        self.name = name
        self.__name__ = name  # add_node(ToolNode(...)) names the node like LangGraph does
        self.tags = list(tags or [])
        self.handle_tool_errors = handle_tool_errors
        self.messages_key = messages_key
        self.tools_by_name: dict[str, BaseTool] = {}
        self._injected: dict[str, InjectedArgs] = {}
        for item in tools:
            tool_ = item if isinstance(item, BaseTool) else create_tool(item)
            self.tools_by_name[tool_.name] = tool_
            self._injected[tool_.name] = injected_args_of(tool_)
        if callable(handle_tool_errors) and not isinstance(handle_tool_errors, type):
            self._handled = _handled_types(handle_tool_errors)
        elif isinstance(handle_tool_errors, type):
            self._handled = (handle_tool_errors,)
        elif isinstance(handle_tool_errors, tuple):
            self._handled = handle_tool_errors
        else:
            self._handled = (Exception,)

    def __repr__(self) -> str:
        return f"ToolNode(tools={list(self.tools_by_name)}, name={self.name!r})"

    # -- entry points ---------------------------------------------------------------

    async def __call__(self, input: Any, config: RunnableConfig | None = None) -> Any:
        """The graph's entry point: async, so the tool calls of a step run concurrently."""
        return await self.ainvoke(input, config)

    def invoke(self, input: Any, config: RunnableConfig | None = None) -> Any:
        """Run the tool calls in a thread pool (like LangGraph's sync path) and return the update."""
        calls, input_type, state = self._parse_input(input)
        if len(calls) <= 1:
            outputs = [self._run_one(c, state, config) for c in calls]
        else:
            with ThreadPoolExecutor(max_workers=len(calls)) as pool:
                futures = [pool.submit(contextvars.copy_context().run, self._run_one, c, state, config) for c in calls]
                outputs = [f.result() for f in futures]
        return self._combine(outputs, input_type)

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None) -> Any:
        """Run the tool calls concurrently with ``asyncio.gather`` and return the update."""
        calls, input_type, state = self._parse_input(input)
        outputs = await asyncio.gather(*(self._arun_one(c, state, config) for c in calls))
        return self._combine(list(outputs), input_type)

    # -- parsing ---------------------------------------------------------------------------

    def _parse_input(self, input: Any) -> tuple[list[ToolCall], InputType, Any]:
        """The tool calls to run, the shape to answer in, and the state tools may be given."""
        if isinstance(input, Mapping) and input.get("__type") == "tool_call_with_context":
            return [dict(input["tool_call"])], "tool_calls", with_message_objects(input.get("state"), self.messages_key)  # type: ignore[list-item]
        if isinstance(input, Mapping) and input.get("type") == "tool_call":
            return [dict(input)], "tool_calls", {}  # type: ignore[list-item]
        if isinstance(input, list) and input and isinstance(input[-1], Mapping) and input[-1].get("type") == "tool_call":
            return [dict(c) for c in input], "tool_calls", {}  # type: ignore[misc]
        input_type: InputType = "list" if isinstance(input, list) else "dict"
        messages = messages_of(input, self.messages_key)
        if not messages:
            raise ValueError("No message found in input")
        ai = last_ai_message(messages)
        if ai is None:
            raise ValueError("No AIMessage found in input")
        return list(ai.tool_calls), input_type, with_message_objects(input, self.messages_key)

    # -- running one call ----------------------------------------------------------------

    def _prepare(self, call: ToolCall, state: Any) -> tuple[BaseTool | None, dict[str, Any] | ToolMessage]:
        tool_ = self.tools_by_name.get(call["name"])
        if tool_ is None:
            content = INVALID_TOOL_NAME_ERROR_TEMPLATE.format(
                requested_tool=call["name"], available_tools=", ".join(self.tools_by_name)
            )
            return None, ToolMessage(content, name=call["name"], tool_call_id=call["id"], status="error")
        args = inject(dict(call.get("args") or {}), self._injected[tool_.name], state, tool_.name, self.messages_key)
        return tool_, {**call, "args": args, "type": "tool_call"}

    def _run_one(self, call: ToolCall, state: Any, config: RunnableConfig | None) -> Any:
        tool_, prepared = self._prepare(call, state)
        if tool_ is None:
            return prepared
        try:
            try:
                response = tool_.invoke(prepared, config)
            except ValidationError as exc:
                raise self._invocation_error(call, exc) from exc
            return self._normalize(response, call)
        except GraphInterrupt:
            raise
        except Exception as exc:
            return self._on_error(exc, call)

    async def _arun_one(self, call: ToolCall, state: Any, config: RunnableConfig | None) -> Any:
        tool_, prepared = self._prepare(call, state)
        if tool_ is None:
            return prepared
        try:
            try:
                response = await tool_.ainvoke(prepared, config)
            except ValidationError as exc:
                raise self._invocation_error(call, exc) from exc
            return self._normalize(response, call)
        except GraphInterrupt:
            raise
        except Exception as exc:
            return self._on_error(exc, call)

    def _invocation_error(self, call: ToolCall, exc: ValidationError) -> ToolInvocationError:
        """The model's arguments did not fit the tool: LangGraph's error, naming what was sent."""
        return ToolInvocationError(call["name"], exc, dict(call.get("args") or {}), self._injected[call["name"]].keys)

    def _on_error(self, exc: Exception, call: ToolCall) -> ToolMessage:
        if not self.handle_tool_errors or not isinstance(exc, self._handled):
            raise exc
        content = _error_content(exc, self.handle_tool_errors)
        return ToolMessage(content=content, name=call["name"], tool_call_id=call["id"], status="error")

    @staticmethod
    def _normalize(response: Any, call: ToolCall) -> Any:
        if isinstance(response, Command):
            # As LangGraph: the ToolMessage answering this call in the Command's update is
            # named after the tool (the tool wrote it without knowing its own name).
            update = response.update
            messages = update.values() if isinstance(update, Mapping) else (update or ())
            for value in messages:
                for message in value if isinstance(value, list) else [value]:
                    if isinstance(message, ToolMessage) and message.tool_call_id == call["id"]:
                        message.name = call["name"]
            return response
        if isinstance(response, ToolMessage):
            response.content = msg_content_output(response.content)  # type: ignore[assignment]
            return response
        return ToolMessage(content=msg_content_output(response), name=call["name"], tool_call_id=call["id"])

    def _combine(self, outputs: list[Any], input_type: InputType) -> Any:
        """``{messages_key: [...]}`` (a list for list input); with Commands, a list of Commands.

        graphcompat accepts a node's list of Commands; the ToolMessages of the
        other calls go in one more Command so no update is lost.
        """
        messages = [o for o in outputs if not isinstance(o, Command)]
        commands = [o for o in outputs if isinstance(o, Command)]
        if not commands:
            return messages if input_type == "list" else {self.messages_key: messages}
        if messages:
            commands.append(Command(update={self.messages_key: messages}))
        return commands


def tools_condition(state: Any, messages_key: str = "messages") -> Literal["tools", "__end__"]:
    """``"tools"`` when the last message has tool calls, else ``END``: the usual edge after a model node."""
    messages = messages_of(state, messages_key)
    if not messages:
        raise ValueError(f"No messages found in input state to tool_edge: {state}")
    return "tools" if tool_calls_of(messages[-1]) else END
