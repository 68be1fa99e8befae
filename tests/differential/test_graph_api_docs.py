"""LangGraph's "Use the graph API" examples for schemas, private state, pydantic state and runtime
context (langchain-ai/docs, src/oss/use-graph-api.mdx), run on both libraries with only the
imports swapped; what the nodes saw is compared too (``t.log``).
"""

import dataclasses
import operator
from typing import Annotated, Any, TypedDict

import pydantic
import pytest

from .harness import Differential

pytest.importorskip("langgraph")


def tid(thread: dict) -> str:
    return thread["configurable"]["thread_id"]


def same_log(d: Differential) -> None:
    assert d.gc.t.log == d.lg.t.log and d.gc.t.log


# -- "Define input and output schemas" --------------------------------------------------------


class InputState(TypedDict):
    question: str


class OutputState(TypedDict):
    answer: str


class OverallState(InputState, OutputState):
    pass


def make_input_output(StateGraph, START, END, t):
    def answer_node(state: InputState):
        t.log.append(("answer_node", dict(state)))
        return {"answer": "bye", "question": state["question"]}

    builder = StateGraph(OverallState, input_schema=InputState, output_schema=OutputState)
    builder.add_node(answer_node)
    builder.add_edge(START, "answer_node")
    builder.add_edge("answer_node", END)
    return builder


def test_doc_define_input_and_output_schemas(env, thread):
    d = Differential(make_input_output, tid(thread))
    outcomes = d.invoke({"question": "hi"})
    assert outcomes["graphcompat"].value == {"answer": "bye"}  # the doc prints {'answer': 'bye'}
    same_log(d)


# -- "Pass private state between nodes" --------------------------------------------------------


class PublicState(TypedDict):
    a: str


class Node1Output(TypedDict):
    private_data: str


class Node2Input(TypedDict):
    private_data: str


def make_private_state(StateGraph, START, END, t):
    def node_1(state: PublicState) -> Node1Output:
        output = {"private_data": "set by node_1"}
        t.log.append(f"Entered node `node_1`:\n\tInput: {state}.\n\tReturned: {output}")
        return output

    def node_2(state: Node2Input) -> PublicState:
        output = {"a": "set by node_2"}
        t.log.append(f"Entered node `node_2`:\n\tInput: {state}.\n\tReturned: {output}")
        return output

    def node_3(state: PublicState) -> PublicState:
        output = {"a": "set by node_3"}
        t.log.append(f"Entered node `node_3`:\n\tInput: {state}.\n\tReturned: {output}")
        return output

    builder = StateGraph(PublicState).add_sequence([node_1, node_2, node_3])
    builder.add_edge(START, "node_1")
    return builder


def test_doc_pass_private_state_between_nodes(env, thread):
    d = Differential(make_private_state, tid(thread))
    outcomes = d.invoke({"a": "set at start"})
    assert outcomes["graphcompat"].value == {"a": "set by node_3"}
    same_log(d)
    assert d.gc.t.log[1] == "Entered node `node_2`:\n\tInput: {'private_data': 'set by node_1'}.\n\tReturned: {'a': 'set by node_2'}"


# -- multiple schemas (the graph-api concepts page's example) -------------------------------


class MInput(TypedDict):
    user_input: str


class MOutput(TypedDict):
    graph_output: str


class MOverall(TypedDict):
    foo: str
    user_input: str
    graph_output: str


class MPrivate(TypedDict):
    bar: str


def make_multiple_schemas(StateGraph, START, END, t):
    def node_1(state: MInput) -> MOverall:
        t.log.append(("node_1", dict(state)))
        return {"foo": state["user_input"] + " name"}

    def node_2(state: MOverall) -> MPrivate:
        t.log.append(("node_2", dict(state)))
        return {"bar": state["foo"] + " is"}

    def node_3(state: MPrivate) -> MOutput:
        t.log.append(("node_3", dict(state)))
        return {"graph_output": state["bar"] + " Lance"}

    builder = StateGraph(MOverall, input_schema=MInput, output_schema=MOutput)
    builder.add_node("node_1", node_1)
    builder.add_node("node_2", node_2)
    builder.add_node("node_3", node_3)
    builder.add_edge(START, "node_1")
    builder.add_edge("node_1", "node_2")
    builder.add_edge("node_2", "node_3")
    builder.add_edge("node_3", END)
    return builder


def test_doc_multiple_schemas_with_private_state(env, thread):
    d = Differential(make_multiple_schemas, tid(thread))
    outcomes = d.invoke({"user_input": "My"})
    assert outcomes["graphcompat"].value == {"graph_output": "My name is Lance"}
    same_log(d)
    # update_state may set a private key; the next run reads it through node_3's schema.
    d.update_state({"bar": "Your name is"}, as_node="node_2")
    d.invoke(None)


# -- "Use Pydantic models for graph state" ------------------------------------------------


class PydanticOverall(pydantic.BaseModel):
    a: str


def make_pydantic(StateGraph, START, END, t):
    def node(state: PydanticOverall):
        t.log.append(repr(state))
        return {"a": "goodbye"}

    builder = StateGraph(PydanticOverall)
    builder.add_node(node)
    builder.add_edge(START, "node")
    builder.add_edge("node", END)
    return builder


def test_doc_pydantic_state_valid_input(env, thread):
    d = Differential(make_pydantic, tid(thread))
    d.invoke({"a": "hello"})
    same_log(d)


def test_doc_pydantic_state_invalid_input_raises_pydantics_validation_error(env, thread):
    d = Differential(make_pydantic, tid(thread))
    # The same exception class and message on both (the doc prints the message). LangGraph
    # stores the input checkpoints before it raises; graphcompat refuses the input first
    # (BEHAVIOUR.md "Bad input": nothing stored changes), so the state is not compared.
    outcomes = d.invoke({"a": 123}, check=False)
    error = outcomes["graphcompat"].error
    assert error is not None and error.type == "pydantic_core._pydantic_core.ValidationError"
    assert error.message.startswith("1 validation error for PydanticOverall\na\n  Input should be a valid string")
    assert d.gc.graph.get_state(d.gc.config).values == {}


# -- "Add runtime configuration" ----------------------------------------------------------


class ContextSchema(TypedDict):
    my_runtime_value: str


class ValueState(TypedDict):
    my_state_value: str


def make_runtime_context(StateGraph, START, END, t):
    Runtime = t.imp("runtime").Runtime

    def node(state: ValueState, runtime: Runtime[ContextSchema]):
        if runtime.context["my_runtime_value"] == "a":
            return {"my_state_value": 1}
        elif runtime.context["my_runtime_value"] == "b":
            return {"my_state_value": 2}
        else:
            raise ValueError("Unknown values.")

    builder = StateGraph(ValueState, context_schema=ContextSchema)
    builder.add_node(node)
    builder.add_edge(START, "node")
    builder.add_edge("node", END)
    return builder


def test_doc_add_runtime_configuration(env, thread):
    d = Differential(make_runtime_context, tid(thread))
    assert d.invoke({}, context={"my_runtime_value": "a"})["graphcompat"].value == {"my_state_value": 1}
    assert d.invoke({}, context={"my_runtime_value": "b"})["graphcompat"].value == {"my_state_value": 2}
    # A node's own exception: same class and message on both.
    outcomes = d.invoke({}, context={"my_runtime_value": "c"})
    assert outcomes["graphcompat"].error.message == "Unknown values."


@dataclasses.dataclass
class ProviderContext:
    model_provider: str = "anthropic"


class Messages(TypedDict, total=False):
    reply: str
    route: str


def make_dataclass_context(StateGraph, START, END, t):
    Runtime = t.imp("runtime").Runtime
    get_runtime = t.imp("runtime").get_runtime

    def call_model(state: Messages, runtime: Runtime[ProviderContext]):
        t.log.append(("call_model", runtime.context))
        return {"reply": f"answered by {runtime.context.model_provider}"}

    def route(state: Messages) -> str:
        t.log.append(("route", get_runtime(ProviderContext).context))
        return END

    builder = StateGraph(Messages, context_schema=ProviderContext)
    builder.add_node("model", call_model)
    builder.add_edge(START, "model")
    builder.add_conditional_edges("model", route)
    return builder


def test_doc_runtime_context_dataclass_with_defaults_and_get_runtime(env, thread):
    """The "specifying LLM at runtime" example, without a network model: a dict context is
    coerced to the dataclass, a missing context leaves runtime.context None."""
    d = Differential(make_dataclass_context, tid(thread))
    d.invoke({"reply": ""}, context={"model_provider": "openai"})
    d.invoke({"reply": ""}, context=lambda t: ProviderContext())
    same_log(d)
    assert d.gc.t.log[0] == ("call_model", ProviderContext("openai"))


def make_configurable(StateGraph, START, END, t):
    get_config = t.imp("config").get_config

    def node(state: Messages, config):
        t.log.append(("node", config["configurable"].get("user_id"), get_config()["configurable"].get("user_id")))
        return {"reply": "hi " + config["configurable"].get("user_id", "?")}

    builder = StateGraph(Messages)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    return builder


def test_configurable_keys_reach_nodes_and_get_config(env, thread):
    d = Differential(make_configurable, tid(thread))
    d.invoke({"reply": ""}, configurable={"thread_id": tid(thread), "user_id": "ada"})
    same_log(d)
    assert d.gc.t.log == [("node", "ada", "ada")]


# -- "Add node caching" ---------------------------------------------------------------------


class CacheState(TypedDict, total=False):
    x: int
    result: int


def make_cached(t):
    CachePolicy = t.imp("types").CachePolicy
    InMemoryCache = t.imp("cache.memory").InMemoryCache
    StateGraph = t.imp("graph").StateGraph

    def expensive_node(state: CacheState) -> dict:
        t.calls["expensive_node"] += 1
        return {"result": 10 * state["x"]}

    builder = StateGraph(CacheState)
    builder.add_node("expensive_node", expensive_node, cache_policy=CachePolicy(ttl=120))
    builder.add_edge(t.imp("graph").START, "expensive_node")
    builder.add_edge("expensive_node", t.imp("graph").END)
    return builder.compile(checkpointer=t.Saver(), cache=InMemoryCache())


def test_doc_add_node_caching(env, thread):
    d = Differential(make_cached, tid(thread), compiled=True)
    d.invoke({"x": 5})
    # The same input on another thread is a cache hit on both: the node does not run again.
    d.invoke({"x": 5}, configurable={"thread_id": tid(thread) + "-other"})
    assert d.gc.t.calls["expensive_node"] == 1
    # The same thread again: its state now holds `result`, so the node's input differs: it runs.
    d.invoke({"x": 5})
    d.invoke({"x": 6})
    assert d.gc.t.calls["expensive_node"] == 3


# -- "Defer node execution" ------------------------------------------------------------------


class Aggregate(TypedDict):
    aggregate: Annotated[list, operator.add]


def make_deferred(StateGraph, START, END, t):
    def node(name):
        def fn(state: Aggregate):
            t.log.append(f'Adding "{name}" to {state["aggregate"]}')
            t.calls[name] += 1
            return {"aggregate": [name]}

        fn.__name__ = name.lower()
        return fn

    builder = StateGraph(Aggregate)
    builder.add_node("a", node("A"))
    builder.add_node("b", node("B"))
    builder.add_node("b_2", node("B_2"))
    builder.add_node("c", node("C"))
    builder.add_node("d", node("D"), defer=True)
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("a", "c")
    builder.add_edge("b", "b_2")
    builder.add_edge("b_2", "d")
    builder.add_edge("c", "d")
    builder.add_edge("d", END)
    return builder


def test_doc_defer_node_execution(env, thread):
    d = Differential(make_deferred, tid(thread))
    outcomes = d.invoke({"aggregate": []})
    assert outcomes["graphcompat"].value == {"aggregate": ["A", "B", "C", "B_2", "D"]}
    # B and C run in parallel (one super-step): their lines may come in either order, on both.
    log = d.gc.t.log
    assert [log[0], sorted(log[1:3]), *log[3:]] == [
        'Adding "A" to []',
        ['Adding "B" to [\'A\']', 'Adding "C" to [\'A\']'],
        'Adding "B_2" to [\'A\', \'B\', \'C\']',
        'Adding "D" to [\'A\', \'B\', \'C\', \'B_2\']',
    ]
    assert sorted(d.lg.t.log) == sorted(log)


def make_deferred_join(StateGraph, START, END, t):
    def node(name):
        def fn(state: Aggregate):
            t.calls[name] += 1
            return {"aggregate": [name]}

        return fn

    builder = StateGraph(Aggregate)
    for name in ("a", "b", "b_2", "c"):
        builder.add_node(name, node(name))
    builder.add_node("d", node("d"), defer=True)
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("a", "c")
    builder.add_edge("b", "b_2")
    builder.add_edge(["b_2", "c"], "d")
    return builder


def test_deferred_node_behind_a_waiting_edge_and_a_second_run(env, thread):
    d = Differential(make_deferred_join, tid(thread))
    d.invoke({"aggregate": []})
    d.invoke({"aggregate": ["again"]})


# -- a router that reads the state through its own schema -----------------------------------


class RouteState(TypedDict, total=False):
    a: str
    hidden: str


class RouterView(TypedDict):
    flag: str


def make_router_schema(StateGraph, START, END, t):
    def first(state: RouteState):
        return {"flag": "go"}  # a private key: declared only by the router's annotation

    def router(state: RouterView) -> str:
        t.log.append(("router", dict(state)))
        return "second" if state["flag"] == "go" else END

    def second(state: RouteState):
        return {"a": "second ran"}

    builder = StateGraph(RouteState)
    builder.add_node("first", first)
    builder.add_node("second", second)
    builder.add_edge(START, "first")
    builder.add_conditional_edges("first", router, ["second", END])
    return builder


def test_router_input_schema_declares_private_keys_and_filters_what_it_reads(env, thread):
    d = Differential(make_router_schema, tid(thread))
    d.invoke({"a": "start", "hidden": "x"})
    same_log(d)
    assert d.gc.t.log == [("router", {"flag": "go"})]


# -- "Use Pydantic models for graph state": the accordions ---------------------------------


class NestedModel(pydantic.BaseModel):
    value: str


class ComplexState(pydantic.BaseModel):
    text: str
    count: int
    nested: NestedModel


def make_pydantic_nested(StateGraph, START, END, t):
    def process_node(state: ComplexState):
        t.log.append(f"Input state type: {type(state).__name__}")
        t.log.append(f"Nested type: {type(state.nested).__name__}")
        return {"text": state.text + " processed", "count": state.count + 1}

    builder = StateGraph(ComplexState)
    builder.add_node("process", process_node)
    builder.add_edge(START, "process")
    builder.add_edge("process", END)
    return builder


def test_doc_pydantic_serialization_behavior(env, thread):
    d = Differential(make_pydantic_nested, tid(thread))
    outcomes = d.invoke(ComplexState(text="hello", count=0, nested=NestedModel(value="test")))
    result = outcomes["graphcompat"].raw
    assert type(result) is dict  # "Output type: <class 'dict'>"
    assert ComplexState(**result) == ComplexState(text="hello processed", count=1, nested=NestedModel(value="test"))
    same_log(d)


class CoercionExample(pydantic.BaseModel):
    number: int
    flag: bool


def make_coercion(StateGraph, START, END, t):
    def inspect_node(state: CoercionExample):
        t.log.append(f"number: {state.number} (type: {type(state.number).__name__})")
        t.log.append(f"flag: {state.flag} (type: {type(state.flag).__name__})")
        return {}

    builder = StateGraph(CoercionExample)
    builder.add_node("inspect", inspect_node)
    builder.add_edge(START, "inspect")
    builder.add_edge("inspect", END)
    return builder


def test_doc_pydantic_runtime_type_coercion(env, thread):
    """What the doc prints: the node sees coerced values on both. (Known difference, not compared
    here: LangGraph keeps the raw input '42' in the state and returns it from invoke; graphcompat
    stores the value validated against the field's type, 42.)"""
    d = Differential(make_coercion, tid(thread))
    d.each(lambda side: side.graph.invoke({"number": "42", "flag": "true"}, side.cfg()))
    assert d.gc.t.log == ["number: 42 (type: int)", "flag: True (type: bool)"]
    same_log(d)
    # "This would fail with a validation error": pydantic's, on both (nothing stored here).
    outcomes = d.invoke({"number": "not-a-number", "flag": "true"}, check=False)
    assert outcomes["graphcompat"].error.type == "pydantic_core._pydantic_core.ValidationError"


class StrictState(pydantic.BaseModel):
    a: str
    b: int = 0


def make_strict(StateGraph, START, END, t):
    builder = StateGraph(StrictState)
    builder.add_node("n1", lambda s: {"b": "notint"})
    builder.add_node("n2", lambda s: {"a": "x"})
    builder.add_edge(START, "n1")
    builder.add_edge("n1", "n2")
    return builder


def test_pydantic_state_a_node_left_ill_typed_fails_the_next_node_with_validation_error(env, thread):
    """ "Run-time validation only occurs on inputs into nodes": n1's bad write is stored, n2's input fails."""
    d = Differential(make_strict, tid(thread))
    outcomes = d.invoke({"a": "q"}, check=False)
    assert outcomes["graphcompat"].error.type == "pydantic_core._pydantic_core.ValidationError"
    # Only the outcome is compared: LangGraph's get_state and get_state_history prepare n2's
    # input again and raise the ValidationError themselves; graphcompat's show the failed task.
    assert d.gc.graph.get_state(d.gc.config).next == ("n2",)


def test_pydantic_state_a_required_key_never_given_fails_the_first_node(env, thread):
    d = Differential(make_strict, tid(thread))
    d.invoke({"b": 1}, check=False)  # as above: LangGraph's get_state raises the ValidationError again
    assert d.gc.graph.get_state(d.gc.config).next == ("n1",)
