"""A scripted tool-calling chat model (langchain's fake models cannot bind tools).

Like LangGraph's own test ``FakeToolCallingModel``: it answers with the
scripted message whose position is the number of AI messages already in the
conversation, so the answer depends only on the input. That keeps it right
when Temporal retries an activity or a run resumes in another step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda


class FakeToolCallingModel(BaseChatModel):
    responses: list[AIMessage]
    structured: Any = None
    seen: list[list[BaseMessage]] = []
    bound_tools: list[str] = []

    @property
    def _llm_type(self) -> str:
        return "fake-tool-calling"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        self.seen.append(list(messages))
        turn = sum(isinstance(m, AIMessage) for m in messages)
        reply = self.responses[min(turn, len(self.responses) - 1)].model_copy()
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable:
        self.bound_tools[:] = [getattr(t, "name", str(t)) for t in tools]
        return self

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable:
        return RunnableLambda(lambda _messages: self.structured)


def calls(*items: tuple[str, dict, str], text: str = "", id: str) -> AIMessage:
    return AIMessage(text, id=id, tool_calls=[{"name": n, "args": a, "id": i} for n, a, i in items])
