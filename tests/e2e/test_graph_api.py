"""The graph API's schemas and run context on a real server: input/output schemas, private state,
``context=`` with ``Runtime``, injected ``config``/``writer``/``store``, ``get_config``/``get_runtime``.

Every test replays the thread's workflow histories (``replay_thread``).
"""

import dataclasses
import uuid
import warnings
from operator import add
from typing import Annotated, Any, TypedDict

import pydantic
import pytest

from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.config import get_config, get_stream_writer
from graphcompat.errors import ConfigurationError, StoreNotSupportedError, UnknownStateKeyError
from graphcompat.graph import END, START, StateGraph
from graphcompat.runtime import Runtime, get_runtime

from .replay import replay_thread


def tid(thread: dict) -> str:
    return thread["configurable"]["thread_id"]


# -- input / output schemas and private state --------------------------------------------


class InputState(TypedDict):
    user_input: str


class OutputState(TypedDict):
    graph_output: str


class OverallState(TypedDict):
    foo: str
    user_input: str
    graph_output: str


class PrivateState(TypedDict):
    bar: str


def multiple_schemas(seen: dict[str, Any]):
    def node_1(state: InputState) -> OverallState:
        seen["node_1"] = dict(state)
        return {"foo": state["user_input"] + " name"}

    def node_2(state: OverallState) -> PrivateState:
        seen["node_2"] = dict(state)
        return {"bar": state["foo"] + " is"}

    def node_3(state: PrivateState) -> OutputState:
        seen["node_3"] = dict(state)
        return {"graph_output": state["bar"] + " Lance"}

    builder = StateGraph(OverallState, input_schema=InputState, output_schema=OutputState)
    builder.add_node("node_1", node_1)
    builder.add_node("node_2", node_2)
    builder.add_node("node_3", node_3)
    builder.add_edge(START, "node_1")
    builder.add_edge("node_1", "node_2")
    builder.add_edge("node_2", "node_3")
    builder.add_edge("node_3", END)
    return builder.compile(checkpointer=InMemorySaver())


def test_output_schema_filters_invoke_and_nodes_read_through_their_own_schema(env, thread):
    seen: dict[str, Any] = {}
    graph = multiple_schemas(seen)
    assert graph.invoke({"user_input": "My"}, thread) == {"graph_output": "My name is Lance"}
    # Each node sees the keys of the schema its first parameter is annotated with, no more.
    assert seen == {
        "node_1": {"user_input": "My"},
        "node_2": {"foo": "My name", "user_input": "My"},
        "node_3": {"bar": "My name is"},
    }
    # The private key is state like any other: get_state shows it, as LangGraph's does.
    assert graph.get_state(thread).values == {
        "foo": "My name",
        "user_input": "My",
        "graph_output": "My name is Lance",
        "bar": "My name is",
    }
    replay_thread(env, tid(thread))


def test_stream_shows_private_keys_and_updates(env, thread):
    graph = multiple_schemas({})
    assert list(graph.stream({"user_input": "My"}, thread, stream_mode="updates")) == [
        {"node_1": {"foo": "My name"}},
        {"node_2": {"bar": "My name is"}},
        {"node_3": {"graph_output": "My name is Lance"}},
    ]
    replay_thread(env, tid(thread))


def test_input_keys_outside_the_input_schema_are_refused_before_anything_runs(env, thread):
    graph = multiple_schemas({})
    with pytest.raises(UnknownStateKeyError, match=r"'foo'.*input schema InputState.*'user_input'"):
        graph.invoke({"user_input": "My", "foo": "x"}, thread)
    assert graph.get_state(thread).values == {}  # nothing stored
    # update_state may still write any state key, private ones included.
    graph.update_state(thread, {"foo": "set", "bar": "private"}, as_node="node_1")
    assert graph.get_state(thread).values == {"foo": "set", "bar": "private"}
    replay_thread(env, tid(thread))


class Overall(TypedDict):
    a: str


class Node1Output(TypedDict):
    private_data: str


class Node2Input(TypedDict):
    private_data: str


def test_private_state_passes_between_nodes_and_stays_out_of_the_output(env, thread):
    """LangGraph's "pass private state between nodes" example."""

    def node_1(state: Overall) -> Node1Output:
        return {"private_data": "set by node_1"}

    def node_2(state: Node2Input) -> Overall:
        return {"a": f"set by node_2 from {state['private_data']}"}

    def node_3(state: Overall) -> Overall:
        return {"a": state["a"] + "!"}

    builder = StateGraph(Overall).add_sequence([node_1, node_2, node_3])
    builder.add_edge(START, "node_1")
    graph = builder.compile(checkpointer=InMemorySaver())
    assert graph.invoke({"a": "start"}, thread) == {"a": "set by node_2 from set by node_1!"}
    assert graph.get_state(thread).values["private_data"] == "set by node_1"
    replay_thread(env, tid(thread))


class PMNode(pydantic.BaseModel):
    a: str
    b: int = 0


class Wide(TypedDict, total=False):
    a: str
    b: int
    c: str


def test_node_input_schema_given_to_add_node_and_pydantic_node_input(env, thread):
    seen: list[Any] = []

    def node(state):
        seen.append(state)
        return {"c": f"{state.a}-{state.b}"}

    builder = StateGraph(Wide)
    builder.add_node("node", node, input_schema=PMNode)
    builder.add_edge(START, "node")
    graph = builder.compile(checkpointer=InMemorySaver())
    assert graph.invoke({"a": "x"}, thread) == {"a": "x", "c": "x-0"}
    assert seen == [PMNode(a="x", b=0)]
    replay_thread(env, tid(thread))


def test_deprecated_schema_keywords_still_work_with_a_warning():
    with pytest.warns(DeprecationWarning) as caught:
        builder = StateGraph(OverallState, input=InputState, output=OutputState)
    assert [str(w.message) for w in caught] == [
        "`input` is deprecated and will be removed. Please use `input_schema` instead.",
        "`output` is deprecated and will be removed. Please use `output_schema` instead.",
    ]
    assert builder.input_schema is InputState and builder.output_schema is OutputState
    with pytest.warns(DeprecationWarning, match="`config_schema` is deprecated.*context_schema"):
        assert StateGraph(OverallState, config_schema=InputState).context_schema is InputState
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        StateGraph(OverallState, input_schema=InputState)  # the current names warn about nothing


def test_unknown_state_graph_keyword_is_refused_with_the_accepted_ones():
    with pytest.raises(TypeError, match=r"'inputs'.*input_schema"):
        StateGraph(OverallState, inputs=InputState)


# -- context= and Runtime -------------------------------------------------------------------


@dataclasses.dataclass
class ContextSchema:
    llm_provider: str = "openai"
    user_id: str = "anonymous"


class Answer(TypedDict, total=False):
    question: str
    answer: str
    route: str


def context_graph(seen: dict[str, Any]):
    def node(state: Answer, runtime: Runtime[ContextSchema]) -> dict:
        seen["context"] = runtime.context
        seen["info_thread"] = runtime.execution_info.thread_id if runtime.execution_info else None
        seen["same_as_get_runtime"] = get_runtime(ContextSchema) is runtime
        return {"answer": f"{runtime.context.llm_provider} for {runtime.context.user_id}"}

    def router(state: Answer, runtime: Runtime[ContextSchema]) -> str:
        seen["router_context"] = runtime.context
        return END

    builder = StateGraph(Answer, context_schema=ContextSchema)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    builder.add_conditional_edges("node", router)
    return builder.compile(checkpointer=InMemorySaver())


def test_context_reaches_nodes_and_routers_as_the_context_schema(env, thread):
    seen: dict[str, Any] = {}
    graph = context_graph(seen)
    # A dict is coerced to the dataclass, as LangGraph does.
    out = graph.invoke({"question": "hi"}, thread, context={"llm_provider": "anthropic", "user_id": "ada"})
    assert out == {"question": "hi", "answer": "anthropic for ada"}
    assert seen["context"] == ContextSchema("anthropic", "ada")
    assert seen["router_context"] == ContextSchema("anthropic", "ada")
    assert seen["info_thread"] == tid(thread)
    assert seen["same_as_get_runtime"] is True
    # An instance travels as itself; stream takes context= too.
    chunks = list(graph.stream({"question": "again"}, thread, stream_mode="updates", context=ContextSchema(user_id="bo")))
    assert chunks == [{"node": {"answer": "openai for bo"}}]
    replay_thread(env, tid(thread))


async def test_async_twins_take_context(env, thread):
    seen: dict[str, Any] = {}
    graph = context_graph(seen)
    out = await graph.ainvoke({"question": "q"}, thread, context=ContextSchema(user_id="cy"))
    assert out["answer"] == "openai for cy"
    chunks = [c async for c in graph.astream({"question": "q"}, thread, stream_mode="updates", context={"user_id": "di"})]
    assert chunks == [{"node": {"answer": "openai for di"}}]
    replay_thread(env, tid(thread))


def test_context_that_does_not_fit_the_schema_is_refused_at_invoke(env, thread):
    graph = context_graph({})
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        graph.invoke({"question": "q"}, thread, context={"nope": 1})
    assert graph.get_state(thread).values == {}


def test_context_that_cannot_travel_is_refused_with_what_to_do(env, thread):
    builder = StateGraph(Answer)
    builder.add_node("node", lambda s: {"answer": "x"})
    builder.add_edge(START, "node")
    graph = builder.compile(checkpointer=InMemorySaver())
    with pytest.raises(ConfigurationError, match="context= must be plain data.*module-level globals"):
        graph.invoke({"question": "q"}, thread, context={"client": object()})
    assert graph.get_state(thread).values == {}


def test_without_context_runtime_context_is_none(env, thread):
    seen: dict[str, Any] = {}

    def node(state: Answer, runtime: Runtime) -> dict:
        seen["context"] = runtime.context
        return {"answer": "ok"}

    builder = StateGraph(Answer)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    graph = builder.compile(checkpointer=InMemorySaver())
    assert graph.invoke({"question": "q"}, thread)["answer"] == "ok"
    assert seen == {"context": None}
    replay_thread(env, tid(thread))


# -- config, writer, store ----------------------------------------------------------------


def test_configurable_get_config_and_writer_inside_nodes(env, thread):
    from langchain_core.runnables import RunnableConfig

    from langgraph.types import StreamWriter  # graphcompat.types.StreamWriter is the same alias (helper "parity")

    seen: dict[str, Any] = {}

    def node(state: Answer, config: RunnableConfig, writer: StreamWriter) -> dict:
        seen["user"] = config["configurable"]["user_id"]
        seen["get_config"] = get_config()["configurable"]["user_id"]
        seen["writer_is_get_stream_writer"] = writer is get_stream_writer()
        writer({"progress": 1})  # without a custom stream: a no-op, as in LangGraph
        return {"answer": "ok"}

    def router(state: Answer, config: RunnableConfig) -> str:
        seen["router_thread"] = config["configurable"]["thread_id"]
        return END

    builder = StateGraph(Answer)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    builder.add_conditional_edges("node", router)
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {**thread["configurable"], "user_id": "ada"}}
    assert graph.invoke({"question": "q"}, config)["answer"] == "ok"
    assert seen == {
        "user": "ada",
        "get_config": "ada",
        "writer_is_get_stream_writer": True,
        "router_thread": tid(thread),
    }
    replay_thread(env, tid(thread))


def test_a_node_that_needs_a_store_gets_a_typed_error_and_an_optional_store_gets_none(env, thread):
    from langgraph.store.base import BaseStore

    seen: dict[str, Any] = {}

    def optional(state: Answer, store: BaseStore | None = None) -> dict:
        seen["store"] = store
        return {"answer": "ok"}

    def needs(state: Answer, *, store: BaseStore) -> dict:
        return {"answer": "never"}

    builder = StateGraph(Answer)
    builder.add_node("optional", optional)
    builder.add_edge(START, "optional")
    graph = builder.compile(checkpointer=InMemorySaver())
    assert graph.invoke({"question": "q"}, thread)["answer"] == "ok"
    assert seen == {"store": None}

    builder = StateGraph(Answer)
    builder.add_node("needs", needs)
    builder.add_edge(START, "needs")
    other = {"configurable": {"thread_id": tid(thread) + "-b"}}
    with pytest.raises(StoreNotSupportedError, match="`store` parameter.*BaseStore \\| None = None"):
        builder.compile(checkpointer=InMemorySaver()).invoke({"question": "q"}, other)
    replay_thread(env, tid(thread))


def test_get_config_get_runtime_and_get_stream_writer_outside_a_node_raise_runtime_error():
    with pytest.raises(RuntimeError, match="outside a running node"):
        get_config()
    with pytest.raises(RuntimeError, match="outside a running node"):
        get_runtime()
    with pytest.raises(RuntimeError, match="outside a running node"):
        get_stream_writer()


# -- thread ids ------------------------------------------------------------------------------


@pytest.mark.parametrize("make_id", [lambda: uuid.uuid4(), lambda: 4242 + uuid.uuid4().int % 10**6], ids=["uuid", "int"])
def test_thread_ids_of_any_type_langgraph_accepts_are_stored_as_their_string(env, make_id):
    raw = make_id()
    config = {"configurable": {"thread_id": raw}}
    graph = multiple_schemas({})
    assert graph.invoke({"user_input": "My"}, config) == {"graph_output": "My name is Lance"}
    # The same thread, named by the id itself or by its string.
    assert graph.get_state({"configurable": {"thread_id": str(raw)}}).values["bar"] == "My name is"
    snapshot = graph.get_state(config)
    assert snapshot.config["configurable"]["thread_id"] == str(raw)
    assert graph.invoke({"user_input": "Your"}, config) == {"graph_output": "Your name is Lance"}
    replay_thread(env, str(raw))


# -- defer=True ---------------------------------------------------------------------------


class Agg(TypedDict):
    aggregate: Annotated[list, add]


def test_a_deferred_node_runs_once_when_every_branch_has_finished(env, thread):
    from graphcompat.types import Send

    def fan_out(state: Agg) -> list:
        return [Send("work", {"aggregate": [f"w{i}"]}) for i in range(3)]

    builder = StateGraph(Agg)
    builder.add_node("start", lambda s: {"aggregate": ["start"]})
    builder.add_node("work", lambda s: {"aggregate": [s["aggregate"][0] + " done"]})
    builder.add_node("long_1", lambda s: {"aggregate": ["long_1"]})
    builder.add_node("long_2", lambda s: {"aggregate": ["long_2"]})
    builder.add_node("summary", lambda s: {"aggregate": [f"summary of {len(s['aggregate'])}"]}, defer=True)
    builder.add_edge(START, "start")
    builder.add_conditional_edges("start", fan_out)
    builder.add_edge("start", "long_1")
    builder.add_edge("long_1", "long_2")
    builder.add_edge("work", "summary")
    builder.add_edge("long_2", "summary")
    graph = builder.compile(checkpointer=InMemorySaver())
    out = graph.invoke({"aggregate": []}, thread)
    assert out["aggregate"] == ["start", "long_1", "w0 done", "w1 done", "w2 done", "long_2", "summary of 6"]
    history = list(graph.get_state_history(thread))
    # summary waited while long_2 ran, then ran alone, once.
    assert [h.next for h in history[:3]] == [(), ("summary",), ("long_2",)]
    replay_thread(env, tid(thread))


def test_compile_with_a_long_term_store_is_refused_with_what_to_do():
    from langgraph.store.memory import InMemoryStore

    builder = StateGraph(Answer)
    builder.add_node("node", lambda s: {"answer": "x"})
    builder.add_edge(START, "node")
    with pytest.raises(StoreNotSupportedError, match=r"compile\(store=\.\.\.\).*no long-term memory store"):
        builder.compile(checkpointer=InMemorySaver(), store=InMemoryStore())
    builder.compile(checkpointer=InMemorySaver(), store=None)  # the default is fine


# -- pydantic state: nodes read a validated model ----------------------------------------------


class Strict(pydantic.BaseModel):
    a: str
    b: int = 0


def strict_graph():
    builder = StateGraph(Strict)
    builder.add_node("n1", lambda s: {"b": "notint"})
    builder.add_node("n2", lambda s: {"a": "x"})
    builder.add_edge(START, "n1")
    builder.add_edge("n1", "n2")
    return builder.compile(checkpointer=InMemorySaver())


def test_a_node_reading_an_ill_typed_pydantic_state_raises_pydantics_validation_error(env, thread):
    graph = strict_graph()
    with pytest.raises(pydantic.ValidationError, match=r"1 validation error for Strict\nb\n  Input should be a valid integer") as info:
        graph.invoke({"a": "q"}, thread)
    assert "node 'n2' failed" in "".join(info.value.__notes__)  # LangGraph: "Before task with name 'n2'"
    assert graph.get_state(thread).next == ("n2",)
    replay_thread(env, tid(thread))


def test_a_required_pydantic_key_never_given_is_a_validation_error_before_the_first_node(env, thread):
    graph = strict_graph()
    with pytest.raises(pydantic.ValidationError, match=r"1 validation error for Strict\na\n  Field required"):
        graph.invoke({"b": 1}, thread)
    assert graph.get_state(thread).next == ("n1",)
    replay_thread(env, tid(thread))
