"""``langgraph.prebuilt.tool_node`` counterpart (the same names, for imports that name the module)."""

from graphcompat.prebuilt._injection import InjectedState, InjectedStore
from graphcompat.prebuilt._tool_node import (
    INVALID_TOOL_NAME_ERROR_TEMPLATE,
    TOOL_CALL_ERROR_TEMPLATE,
    TOOL_INVOCATION_ERROR_TEMPLATE,
    ToolCallWithContext,
    ToolInvocationError,
    ToolNode,
    msg_content_output,
    tools_condition,
)

__all__ = [
    "INVALID_TOOL_NAME_ERROR_TEMPLATE",
    "TOOL_CALL_ERROR_TEMPLATE",
    "TOOL_INVOCATION_ERROR_TEMPLATE",
    "InjectedState",
    "InjectedStore",
    "ToolCallWithContext",
    "ToolInvocationError",
    "ToolNode",
    "msg_content_output",
    "tools_condition",
]
