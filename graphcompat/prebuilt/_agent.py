"""``create_react_agent``: a model node and a tools node in a loop, as ``langgraph.prebuilt`` builds it.

The graph is an ordinary graphcompat ``StateGraph`` (so every model call and
every tool step is a Temporal activity): ``agent`` calls the chat model with
the tools bound, ``tools`` is a :class:`ToolNode`, and the edge after
``agent`` goes to ``tools`` while the last message has tool calls.

Differences from LangGraph, each for a reason:

- ``remaining_steps`` is a plain optional state key, not LangGraph's
  ``RemainingSteps`` managed value (graphcompat has no managed values and a
  node does not know its step). When the state carries it (the caller passes
  it in the input, or a node sets it), the agent answers "Sorry, need more
  steps to process this request." exactly when LangGraph would; without it
  the run's ``recursion_limit`` still stops a runaway loop with
  ``GraphRecursionError``.
- ``version="v2"`` sends one ``Send("tools", ToolCallWithContext)`` per tool
  call, as LangGraph does; the payload (``{"__type":
  "tool_call_with_context", "tool_call": {...}, "state": {...}}``) travels as
  JSON, so the state it carries must be JSON-serializable (graphcompat state
  always is) and its messages are turned back into objects by the ToolNode.
- ``structured_response`` comes back from the store as the declared type:
  a pydantic ``response_format`` as its model, a JSON-schema dict as a dict.
- A model given as a string or as a ``(state, runtime)`` function, and
  ``store``, is not supported yet (``context_schema`` is: ``invoke(..., context=...)``).

graphcompat extensions: ``task_queue``, ``node_timeout`` and
``heartbeat_timeout`` are keyword arguments passed to ``StateGraph.compile``
as they are (the Temporal task queue, the limit on one attempt of a model
call or tool step, how soon a killed worker is noticed). LangGraph has no
such arguments.
"""

from __future__ import annotations

import inspect
from datetime import timedelta
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, NotRequired, TypedDict, get_type_hints

import pydantic
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.runnables import Runnable, RunnableBinding, RunnableConfig, RunnableSequence
from langchain_core.tools import BaseTool

from graphcompat._constants import END
from graphcompat.engine import DEFAULT_HEARTBEAT_TIMEOUT, DEFAULT_NODE_TIMEOUT
from graphcompat.graph._builder import StateGraph
from graphcompat.graph.message import AnyMessage, add_messages
from graphcompat.prebuilt._messages import as_messages, messages_of
from graphcompat.prebuilt._tool_node import ToolNode
from graphcompat.types import Send

if TYPE_CHECKING:
    from graphcompat.checkpoint.base import BaseCheckpointSaver
    from graphcompat.graph._compiled import CompiledStateGraph

__all__ = [
    "AgentState",
    "AgentStatePydantic",
    "AgentStateWithStructuredResponse",
    "AgentStateWithStructuredResponsePydantic",
    "create_react_agent",
]

NEED_MORE_STEPS = "Sorry, need more steps to process this request."

Prompt = str | SystemMessage | Callable[..., Any] | Runnable


class AgentState(TypedDict):
    """The agent's state: the conversation and, optionally, how many steps are left."""

    messages: Annotated[list[AnyMessage], add_messages]
    remaining_steps: NotRequired[int]


class AgentStatePydantic(pydantic.BaseModel):
    """:class:`AgentState` as a pydantic model."""

    messages: Annotated[list[AnyMessage], add_messages]
    remaining_steps: int | None = None


class AgentStateWithStructuredResponse(AgentState):
    """:class:`AgentState` plus the final structured answer."""

    structured_response: Any


class AgentStateWithStructuredResponsePydantic(AgentStatePydantic):
    """:class:`AgentStatePydantic` plus the final structured answer."""

    structured_response: Any = None


def _value(state: Any, key: str, default: Any = None) -> Any:
    return state.get(key, default) if isinstance(state, dict) else getattr(state, key, default)


def _with_objects(state: Any, key: str, messages: list[Any]) -> Any:
    """The state as user code gets it from LangGraph: ``state[key]`` as message objects."""
    if isinstance(state, dict):
        return {**state, key: messages}
    if isinstance(state, pydantic.BaseModel):
        return state.model_copy(update={key: messages})
    return state


def _prompt_messages(prompt: Prompt | None, state: Any, messages: list[Any]) -> Any:
    if prompt is None:
        return messages
    if isinstance(prompt, str):
        return [SystemMessage(content=prompt), *messages]
    if isinstance(prompt, SystemMessage):
        return [prompt, *messages]
    raise AssertionError("callables and runnables are called by the node")


def _bind_tools(model: Any, tools: list[BaseTool]) -> Any:
    """``model.bind_tools(tools)`` unless the model already has tools bound or cannot bind them.

    A model without tool binding (langchain's fake models) is used as it is:
    it decides on tool calls itself, which is what tests need.
    """
    if not tools:
        return model
    inner = next((s for s in model.steps if isinstance(s, (RunnableBinding, BaseChatModel))), model) if isinstance(model, RunnableSequence) else model
    if isinstance(inner, RunnableBinding) and "tools" in inner.kwargs:
        return model
    bind = getattr(model, "bind_tools", None)
    if bind is None:
        return model
    try:
        return bind(tools)
    except NotImplementedError:
        return model


def _chat_model(model: Any) -> Any:
    """The chat model under a binding or a prompt sequence (for ``with_structured_output``)."""
    if isinstance(model, RunnableSequence):
        model = next((s for s in model.steps if isinstance(s, (RunnableBinding, BaseChatModel))), model)
    if isinstance(model, RunnableBinding):
        model = model.bound
    return model


def _structured_schema(state_schema: type[Any], response_schema: Any) -> type[Any]:
    """A state schema whose ``structured_response`` has the response's own type (so it loads back as it)."""
    if not (isinstance(response_schema, type) and issubclass(response_schema, pydantic.BaseModel)):
        return state_schema
    if isinstance(state_schema, type) and issubclass(state_schema, pydantic.BaseModel):
        return pydantic.create_model(
            f"{state_schema.__name__}With{response_schema.__name__}",
            __base__=state_schema,
            structured_response=(response_schema | None, None),
        )
    hints = get_type_hints(state_schema, include_extras=True)
    hints["structured_response"] = response_schema
    return TypedDict(f"{state_schema.__name__}With{response_schema.__name__}", hints, total=False)  # type: ignore[operator]


def create_react_agent(
    model: BaseChatModel | Runnable,
    tools: Sequence[BaseTool | Callable[..., Any]] | ToolNode,
    *,
    prompt: Prompt | None = None,
    response_format: Any | tuple[str, Any] | None = None,
    pre_model_hook: Callable[..., Any] | None = None,
    post_model_hook: Callable[..., Any] | None = None,
    state_schema: type[Any] | None = None,
    checkpointer: BaseCheckpointSaver | str | None | bool = None,
    interrupt_before: list[str] | None = None,
    interrupt_after: list[str] | None = None,
    debug: bool = False,
    version: Literal["v1", "v2"] = "v2",
    name: str | None = None,
    task_queue: str | None = None,
    node_timeout: timedelta = DEFAULT_NODE_TIMEOUT,
    heartbeat_timeout: timedelta = DEFAULT_HEARTBEAT_TIMEOUT,
    **unsupported: Any,
) -> CompiledStateGraph:
    """Build and compile a ReAct agent: call the model, run its tool calls, repeat until it answers.

    Same arguments and graph as ``langgraph.prebuilt.create_react_agent``
    (nodes ``agent`` and ``tools``, plus ``pre_model_hook``,
    ``post_model_hook`` and ``generate_structured_response`` when asked
    for); see the module docstring for what differs.
    """
    if version not in ("v1", "v2"):
        raise ValueError(f"Invalid version {version}. Supported versions are 'v1' and 'v2'.")
    context_schema = unsupported.pop("context_schema", None)
    if (config_schema := unsupported.pop("config_schema", None)) is not None:
        import warnings

        warnings.warn(
            "`config_schema` is deprecated and will be removed. Please use `context_schema` instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        context_schema = context_schema or config_schema
    for key in ("store",):
        if unsupported.pop(key, None) is not None:
            from graphcompat.errors import StoreNotSupportedError

            raise StoreNotSupportedError(
                f"create_react_agent({key}=...) is not supported by graphcompat yet; leave it out "
                "(keep long-term data in the state, pass settings in config['configurable']).",
                argument=key,
            )
    if unsupported:
        raise TypeError(f"create_react_agent() got unexpected keyword arguments: {sorted(unsupported)}")
    if isinstance(model, str) or not isinstance(model, Runnable):
        raise TypeError(
            f"graphcompat's create_react_agent needs a chat model object (e.g. ChatOpenAI(...) or "
            f"model.bind_tools(...)), got {type(model).__name__}; model strings and model functions "
            "are not supported yet."
        )
    if state_schema is not None:
        required = {"messages"} | ({"structured_response"} if response_format is not None else set())
        if missing := required - set(get_type_hints(state_schema)):
            raise ValueError(f"Missing required key(s) {missing} in state_schema")
    else:
        state_schema = AgentStateWithStructuredResponse if response_format is not None else AgentState
    if response_format is not None:
        schema = response_format[1] if isinstance(response_format, tuple) else response_format
        state_schema = _structured_schema(state_schema, schema)

    tool_node = tools if isinstance(tools, ToolNode) else ToolNode(list(tools))
    tool_list = list(tool_node.tools_by_name.values())
    bound = _bind_tools(model, tool_list)
    return_direct = {t.name for t in tool_list if t.return_direct}
    uses_pydantic = isinstance(state_schema, type) and issubclass(state_schema, pydantic.BaseModel)

    async def model_input(state: Any) -> Any:
        """What the model is called with: the prompt applied to the (hook's) messages, as objects."""
        source = _value(state, "llm_input_messages") if pre_model_hook is not None else None
        messages = as_messages(list(source or _value(state, "messages") or []))
        state = _with_objects(state, "messages", messages)
        if isinstance(prompt, Runnable):
            return await prompt.ainvoke(state)
        if callable(prompt) and not isinstance(prompt, SystemMessage):
            out = prompt(state)
            return await out if inspect.isawaitable(out) else out
        return _prompt_messages(prompt, state, messages)

    def more_steps_needed(state: Any, response: BaseMessage) -> bool:
        calls = response.tool_calls if isinstance(response, AIMessage) else []
        remaining = _value(state, "remaining_steps")
        if remaining is None:
            return False
        all_direct = bool(calls) and all(c["name"] in return_direct for c in calls)
        return (remaining < 1 and all_direct) or (remaining < 2 and bool(calls))

    async def agent(state: Any, config: RunnableConfig) -> dict[str, Any]:
        """Call the model once; its answer (maybe with tool calls) is appended to the messages."""
        response = await bound.ainvoke(await model_input(state), config)
        response.name = name
        if more_steps_needed(state, response):
            return {"messages": [AIMessage(id=response.id, content=NEED_MORE_STEPS)]}
        return {"messages": [response]}

    async def generate_structured_response(state: Any, config: RunnableConfig) -> dict[str, Any]:
        """One more model call, with structured output, writing ``structured_response``."""
        messages = as_messages(list(_value(state, "messages") or []))
        schema = response_format
        if isinstance(response_format, tuple):
            system, schema = response_format
            messages = [SystemMessage(content=system), *messages]
        structured = _chat_model(bound).with_structured_output(schema)
        return {"structured_response": await structured.ainvoke(messages, config)}

    def tool_sends(state: Any, calls: list[Any]) -> list[Send]:
        payload_state = dict(state) if isinstance(state, dict) else state.model_dump() if uses_pydantic else state
        return [Send("tools", {"__type": "tool_call_with_context", "tool_call": dict(c), "state": payload_state}) for c in calls]

    after_model = "post_model_hook" if post_model_hook is not None else None
    finish = "generate_structured_response" if response_format is not None else END
    entry = "pre_model_hook" if pre_model_hook is not None else "agent"

    def should_continue(state: Any) -> str | list[Send]:
        """After the model: to the tools while it asks for them, else finish."""
        messages = messages_of(state, "messages")
        last = as_messages(messages[-1:])[-1] if messages else None
        calls = last.tool_calls if isinstance(last, AIMessage) else []
        if not calls:
            return after_model or finish
        if version == "v1":
            return "tools"
        if after_model:
            return after_model
        return tool_sends(state, calls)

    def post_model_hook_router(state: Any) -> str | list[Send]:
        """After the post-model hook: the tool calls still unanswered, else back to the model or finish."""
        messages = as_messages(messages_of(state, "messages"))
        answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
        last_ai = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
        pending = [c for c in (last_ai.tool_calls if last_ai else []) if c["id"] not in answered]
        if pending:
            return tool_sends(state, pending)
        if messages and isinstance(messages[-1], ToolMessage):
            return entry
        return finish

    def route_tool_responses(state: Any) -> str:
        """After the tools: stop when a ``return_direct`` tool answered, else back to the model."""
        message: Any = None
        for message in reversed(as_messages(messages_of(state, "messages"))):
            if not isinstance(message, ToolMessage):
                break
            if message.name in return_direct:
                return END
        if isinstance(message, AIMessage) and any(c["name"] in return_direct for c in message.tool_calls):
            return END
        return entry

    workflow = StateGraph(state_schema, context_schema=context_schema)

    def compile_graph() -> CompiledStateGraph:
        return workflow.compile(
            checkpointer=checkpointer,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            debug=debug,
            name=name,
            task_queue=task_queue,
            node_timeout=node_timeout,
            heartbeat_timeout=heartbeat_timeout,
        )

    workflow.add_node("agent", agent)
    if pre_model_hook is not None:
        workflow.add_node("pre_model_hook", pre_model_hook)
        workflow.add_edge("pre_model_hook", "agent")
    workflow.set_entry_point(entry)
    if post_model_hook is not None:
        workflow.add_node("post_model_hook", post_model_hook)
        workflow.add_edge("agent", "post_model_hook")
    if response_format is not None:
        workflow.add_node("generate_structured_response", generate_structured_response)
        workflow.add_edge("generate_structured_response", END)

    if not tool_list:
        if post_model_hook is None:
            workflow.add_edge("agent", finish)
        elif response_format is not None:
            workflow.add_edge("post_model_hook", "generate_structured_response")
        return compile_graph()

    workflow.add_node("tools", tool_node)
    agent_paths = [after_model] if after_model else ["tools", finish]
    workflow.add_conditional_edges("agent", should_continue, path_map=agent_paths)
    if post_model_hook is not None:
        workflow.add_conditional_edges("post_model_hook", post_model_hook_router, path_map=[entry, "tools", finish])
    if return_direct:
        workflow.add_conditional_edges("tools", route_tool_responses, path_map=[entry, END])
    else:
        workflow.add_edge("tools", entry)
    return compile_graph()
