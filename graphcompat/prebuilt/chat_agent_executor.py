"""``langgraph.prebuilt.chat_agent_executor`` counterpart (the same names, for imports that name the module)."""

from graphcompat.prebuilt._agent import (
    AgentState,
    AgentStatePydantic,
    AgentStateWithStructuredResponse,
    AgentStateWithStructuredResponsePydantic,
    create_react_agent,
)

#: LangGraph keeps the old name too.
create_tool_calling_executor = create_react_agent

__all__ = [
    "AgentState",
    "AgentStatePydantic",
    "AgentStateWithStructuredResponse",
    "AgentStateWithStructuredResponsePydantic",
    "create_react_agent",
    "create_tool_calling_executor",
]
