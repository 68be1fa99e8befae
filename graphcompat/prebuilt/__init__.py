"""Prebuilt agent pieces: ``ToolNode``, ``tools_condition``, ``create_react_agent``.

Mirrors ``langgraph.prebuilt`` 1.x: swap the import and the same agent runs
durably on Temporal. Needs ``langchain_core`` (``pip install
graphcompat[langchain]``): tools, messages and chat models are langchain's.
"""

from __future__ import annotations

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    from graphcompat.errors import MissingDependencyError

    raise MissingDependencyError(
        "graphcompat.prebuilt needs langchain_core (tools, messages and chat models are langchain's); "
        "install it with: pip install graphcompat[langchain]",
        package="langchain-core",
    ) from exc

from langchain_core.tools import InjectedToolCallId

from graphcompat.prebuilt._agent import AgentState, AgentStatePydantic, create_react_agent
from graphcompat.prebuilt._injection import InjectedState, InjectedStore
from graphcompat.prebuilt._tool_node import ToolCallWithContext, ToolNode, tools_condition

__all__ = [
    "AgentState",
    "AgentStatePydantic",
    "InjectedState",
    "InjectedStore",
    "InjectedToolCallId",
    "ToolCallWithContext",
    "ToolNode",
    "create_react_agent",
    "tools_condition",
]
