"""LangGraph's "Use the graph API" how-to (langchain-ai/docs, src/oss/use-graph-api.mdx), on both libraries.

Each test re-states one example of the page as a program that imports from
``langgraph``; ``same_output`` runs it as written and with the imports
swapped to ``graphcompat`` and compares what it prints (doc_harness.py).
Chat models are replaced by langchain_core's fake models. Not here (other
helpers' scope): input/output schemas, private state, runtime configuration
(``context_schema``), node caching, ``defer``, subgraphs and parent commands.
"""

import pytest

from .doc_harness import same_output

pytest.importorskip("langgraph")
pytest.importorskip("langchain_core")


def test_update_state_node_returns_the_whole_message_list(env):
    """"Update state": a node without reducers returns the full list; invoke without a checkpointer."""

    def program():
        from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
        from typing_extensions import TypedDict

        from langgraph.graph import StateGraph

        class State(TypedDict):
            messages: list[AnyMessage]
            extra_field: int

        def node(state: State):
            return {"messages": state["messages"] + [AIMessage("Hello there!")], "extra_field": 10}

        builder = StateGraph(State)
        builder.add_node(node)
        builder.set_entry_point("node")
        graph = builder.compile()
        result = graph.invoke({"messages": [HumanMessage("Hi")]})
        print(result)
        for message in result["messages"]:
            message.pretty_print()

    same_output(env, program)


def test_process_state_updates_with_reducers(env):
    """"Process state updates with reducers": a hand-written add reducer, chained builder calls."""

    def program():
        from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
        from typing_extensions import Annotated, TypedDict

        from langgraph.graph import START, StateGraph

        def add(left, right):
            return left + right

        class State(TypedDict):
            messages: Annotated[list[AnyMessage], add]
            extra_field: int

        def node(state: State):
            return {"messages": [AIMessage("Hello back!")], "extra_field": 10}

        graph = StateGraph(State).add_node(node).add_edge(START, "node").compile()
        result = graph.invoke({"messages": [HumanMessage("Hi")]})
        for message in result["messages"]:
            message.pretty_print()
        print(result)

    same_output(env, program)


def test_add_messages_reducer_takes_openai_style_dicts(env):
    """"MessagesState": add_messages turns {"role": "user", ...} into a HumanMessage."""

    def program():
        from langchain_core.messages import AIMessage, AnyMessage
        from typing_extensions import Annotated, TypedDict

        from langgraph.graph import StateGraph
        from langgraph.graph.message import add_messages

        class State(TypedDict):
            messages: Annotated[list[AnyMessage], add_messages]
            extra_field: int

        def node(state: State):
            return {"messages": [AIMessage("Hello!")], "extra_field": 10}

        graph = StateGraph(State).add_node(node).set_entry_point("node").compile()
        result = graph.invoke({"messages": [{"role": "user", "content": "Hi"}]})
        for message in result["messages"]:
            message.pretty_print()
        print([type(m).__name__ for m in result["messages"]], result["extra_field"])

    same_output(env, program)


def test_messages_state_subclass_with_an_extra_field(env):
    """"MessagesState": ``class State(MessagesState): extra_field: int``."""

    def program():
        from langchain_core.messages import AIMessage

        from langgraph.graph import START, MessagesState, StateGraph

        class State(MessagesState):
            extra_field: int

        def node(state: State):
            return {"messages": [AIMessage(f"you said {state['messages'][-1].content}")], "extra_field": 1}

        graph = StateGraph(State).add_node(node).add_edge(START, "node").compile()
        print(graph.invoke({"messages": [("user", "hello")]}))

    same_output(env, program)


def test_pydantic_state(env):
    """"Use Pydantic models for graph state": a BaseModel state in, a dict of values out."""

    def program():
        from pydantic import BaseModel

        from langgraph.graph import END, START, StateGraph

        class OverallState(BaseModel):
            a: str

        def node(state: OverallState):
            print("node got", type(state).__name__, state.a)
            return {"a": "goodbye"}

        builder = StateGraph(OverallState)
        builder.add_node(node)
        builder.add_edge(START, "node")
        builder.add_edge("node", END)
        graph = builder.compile()
        print(graph.invoke({"a": "hello"}))

    same_output(env, program)


def test_pydantic_state_nested_models_and_a_model_as_input(env):
    """"Use Pydantic models for graph state": nested models, the input given as a model instance."""

    def program():
        from pydantic import BaseModel

        from langgraph.graph import END, START, StateGraph

        class NestedModel(BaseModel):
            value: str

        class ComplexState(BaseModel):
            text: str
            count: int
            nested: NestedModel

        def process_node(state: ComplexState):
            print(f"Input state type: {type(state).__name__}")
            print(f"Nested type: {type(state.nested).__name__}")
            return {"text": state.text + " processed", "count": state.count + 1}

        builder = StateGraph(ComplexState)
        builder.add_node("process", process_node)
        builder.add_edge(START, "process")
        builder.add_edge("process", END)
        graph = builder.compile()
        input_state = ComplexState(text="hello", count=0, nested=NestedModel(value="test"))
        result = graph.invoke(input_state)
        print(f"Output type: {type(result).__name__}")
        print(f"Output content: {result}")
        print(f"Converted back: {ComplexState(**result)!r}")

    same_output(env, program)


def test_retry_policy_on_a_node(env):
    """"Add retry policies": RetryPolicy(retry_on=...) and max_attempts; a flaky node succeeds on a retry."""

    def program():
        import sqlite3

        from langchain_core.messages import AIMessage

        from langgraph.graph import END, START, MessagesState, StateGraph
        from langgraph.types import RetryPolicy

        attempts = {"query_database": 0}

        def query_database(state: MessagesState):
            attempts["query_database"] += 1
            if attempts["query_database"] < 2:
                raise sqlite3.OperationalError("database is locked")
            return {"messages": [AIMessage(content="[('AC/DC',), ('Accept',)]")]}

        def call_model(state: MessagesState):
            return {"messages": [AIMessage("Let me look that up.")]}

        builder = StateGraph(MessagesState)
        builder.add_node(
            "query_database",
            query_database,
            retry_policy=RetryPolicy(retry_on=sqlite3.OperationalError, initial_interval=0.01, jitter=False),
        )
        builder.add_node("model", call_model, retry_policy=RetryPolicy(max_attempts=5))
        builder.add_edge(START, "model")
        builder.add_edge("model", "query_database")
        builder.add_edge("query_database", END)
        graph = builder.compile()
        result = graph.invoke({"messages": [("user", "which artists?")]})
        print([m.content for m in result["messages"]])

    same_output(env, program)


def test_create_a_sequence_of_steps(env):
    """"Create a sequence of steps": three nodes chained by add_edge."""

    def program():
        from typing_extensions import TypedDict

        from langgraph.graph import START, StateGraph

        class State(TypedDict):
            value_1: str
            value_2: int

        def step_1(state: State):
            return {"value_1": "a"}

        def step_2(state: State):
            current_value_1 = state["value_1"]
            return {"value_1": f"{current_value_1} b"}

        def step_3(state: State):
            return {"value_2": 10}

        builder = StateGraph(State)
        builder.add_node(step_1)
        builder.add_node(step_2)
        builder.add_node(step_3)
        builder.add_edge(START, "step_1")
        builder.add_edge("step_1", "step_2")
        builder.add_edge("step_2", "step_3")
        graph = builder.compile()
        print(graph.invoke({"value_1": "c"}))

    same_output(env, program)


def test_add_sequence_shorthand(env):
    """"Create a sequence of steps": ``StateGraph(State).add_sequence([...])``."""

    def program():
        from typing_extensions import TypedDict

        from langgraph.graph import START, StateGraph

        class State(TypedDict):
            value_1: str
            value_2: int

        def step_1(state: State):
            return {"value_1": "a"}

        def step_2(state: State):
            return {"value_1": f"{state['value_1']} b"}

        def step_3(state: State):
            return {"value_2": 10}

        builder = StateGraph(State).add_sequence([step_1, step_2, step_3])
        builder.add_edge(START, "step_1")
        graph = builder.compile()
        print(graph.invoke({"value_1": "c"}))

    same_output(env, program)


def test_run_graph_nodes_in_parallel_fan_out_fan_in(env):
    """"Run graph nodes in parallel": a -> (b, c) -> d with an operator.add list, with a thread id."""

    def program():
        import operator
        from typing import Annotated

        from typing_extensions import TypedDict

        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            aggregate: Annotated[list, operator.add]

        def node(name):
            def run(state: State):
                return {"aggregate": [name]}

            run.__name__ = name
            return run

        builder = StateGraph(State)
        for name in ("a", "b", "c", "d"):
            builder.add_node(node(name))
        builder.add_edge(START, "a")
        builder.add_edge("a", "b")
        builder.add_edge("a", "c")
        builder.add_edge("b", "d")
        builder.add_edge("c", "d")
        builder.add_edge("d", END)
        graph = builder.compile()
        print(graph.invoke({"aggregate": []}, {"configurable": {"thread_id": "foo"}}))

    same_output(env, program)


def test_parallel_nodes_see_the_state_of_the_previous_step(env):
    """"Run graph nodes in parallel": each node prints the aggregate it sees (the page's output)."""

    def program():
        import operator
        from typing import Annotated

        from typing_extensions import TypedDict

        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            aggregate: Annotated[list, operator.add]

        seen = {}

        def a(state: State):
            seen["A"] = list(state["aggregate"])
            return {"aggregate": ["A"]}

        def b(state: State):
            seen["B"] = list(state["aggregate"])
            return {"aggregate": ["B"]}

        def c(state: State):
            seen["C"] = list(state["aggregate"])
            return {"aggregate": ["C"]}

        def d(state: State):
            seen["D"] = list(state["aggregate"])
            return {"aggregate": ["D"]}

        builder = StateGraph(State)
        for fn in (a, b, c, d):
            builder.add_node(fn)
        builder.add_edge(START, "a")
        builder.add_edge("a", "b")
        builder.add_edge("a", "c")
        builder.add_edge("b", "d")
        builder.add_edge("c", "d")
        builder.add_edge("d", END)
        graph = builder.compile()
        result = graph.invoke({"aggregate": []})
        for name in sorted(seen):
            print(f'Adding "{name}" to {seen[name]}')
        print(result)

    same_output(env, program)


def test_conditional_branching(env):
    """"Conditional branching": the router reads a key the node just wrote; Literal return hints."""

    def program():
        import operator
        from typing import Annotated, Literal

        from typing_extensions import TypedDict

        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            aggregate: Annotated[list, operator.add]
            which: str

        def a(state: State):
            print(f'Adding "A" to {state["aggregate"]}')
            return {"aggregate": ["A"], "which": "c"}

        def b(state: State):
            print(f'Adding "B" to {state["aggregate"]}')
            return {"aggregate": ["B"]}

        def c(state: State):
            print(f'Adding "C" to {state["aggregate"]}')
            return {"aggregate": ["C"]}

        builder = StateGraph(State)
        builder.add_node(a)
        builder.add_node(b)
        builder.add_node(c)
        builder.add_edge(START, "a")
        builder.add_edge("b", END)
        builder.add_edge("c", END)

        def conditional_edge(state: State) -> Literal["b", "c"]:
            return state["which"]

        builder.add_conditional_edges("a", conditional_edge)
        graph = builder.compile()
        print(graph.invoke({"aggregate": []}))

    same_output(env, program)


def test_conditional_branching_to_several_nodes(env):
    """"Conditional branching": a router returning a list of node names fans out."""

    def program():
        import operator
        from collections.abc import Sequence
        from typing import Annotated

        from typing_extensions import TypedDict

        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            aggregate: Annotated[list, operator.add]
            which: str

        def mark(name):
            def run(state: State):
                return {"aggregate": [name.upper()]}

            run.__name__ = name
            return run

        builder = StateGraph(State)
        for name in ("a", "b", "c", "d", "e"):
            builder.add_node(mark(name))
        builder.add_edge(START, "a")

        def route_bc_or_cd(state: State) -> Sequence[str]:
            if state["which"] == "cd":
                return ["c", "d"]
            return ["b", "c"]

        builder.add_conditional_edges("a", route_bc_or_cd, ["b", "c", "d"])
        for name in ("b", "c", "d"):
            builder.add_edge(name, "e")
        builder.add_edge("e", END)
        graph = builder.compile()
        print(graph.invoke({"aggregate": [], "which": "bc"}))
        print(graph.invoke({"aggregate": [], "which": "cd"}))

    same_output(env, program)


def test_map_reduce_with_send(env):
    """"Map-Reduce and the Send API": one Send per subject, streamed with the default mode, as the page does."""

    def program():
        import operator

        from typing_extensions import Annotated, TypedDict

        from langgraph.graph import END, START, StateGraph
        from langgraph.types import Send

        class OverallState(TypedDict):
            topic: str
            subjects: list[str]
            jokes: Annotated[list[str], operator.add]
            best_selected_joke: str

        def generate_topics(state: OverallState):
            return {"subjects": ["lions", "elephants", "penguins"]}

        def generate_joke(state: OverallState):
            return {"jokes": [f"a joke about {state['subject']}"]}

        def continue_to_jokes(state: OverallState):
            return [Send("generate_joke", {"subject": s}) for s in state["subjects"]]

        def best_joke(state: OverallState):
            return {"best_selected_joke": "penguins"}

        builder = StateGraph(OverallState)
        builder.add_node("generate_topics", generate_topics)
        builder.add_node("generate_joke", generate_joke)
        builder.add_node("best_joke", best_joke)
        builder.add_edge(START, "generate_topics")
        builder.add_conditional_edges("generate_topics", continue_to_jokes, ["generate_joke"])
        builder.add_edge("generate_joke", "best_joke")
        builder.add_edge("best_joke", END)
        graph = builder.compile()
        for step in graph.stream({"topic": "animals"}):
            print(step)

    same_output(env, program)


def test_map_reduce_with_send_values_stream(env):
    """"Map-Reduce and the Send API", streamed with stream_mode="values", then invoked."""

    def program():
        import operator

        from typing_extensions import Annotated, TypedDict

        from langgraph.graph import END, START, StateGraph
        from langgraph.types import Send

        class OverallState(TypedDict):
            topic: str
            subjects: list[str]
            jokes: Annotated[list[str], operator.add]
            best_selected_joke: str

        def generate_topics(state: OverallState):
            return {"subjects": ["lions", "elephants", "penguins"]}

        def generate_joke(state: OverallState):
            return {"jokes": [f"a joke about {state['subject']}"]}

        def continue_to_jokes(state: OverallState):
            return [Send("generate_joke", {"subject": s}) for s in state["subjects"]]

        def best_joke(state: OverallState):
            return {"best_selected_joke": "penguins"}

        builder = StateGraph(OverallState)
        builder.add_node("generate_topics", generate_topics)
        builder.add_node("generate_joke", generate_joke)
        builder.add_node("best_joke", best_joke)
        builder.add_edge(START, "generate_topics")
        builder.add_conditional_edges("generate_topics", continue_to_jokes, ["generate_joke"])
        builder.add_edge("generate_joke", "best_joke")
        builder.add_edge("best_joke", END)
        graph = builder.compile()
        for step in graph.stream({"topic": "animals"}, stream_mode="values"):
            print(step)
        print(graph.invoke({"topic": "animals"}))

    same_output(env, program)


def test_create_and_control_loops(env):
    """"Create and control loops": a -> b -> a until the list has 7 items."""

    def program():
        import operator
        from typing import Annotated, Literal

        from typing_extensions import TypedDict

        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            aggregate: Annotated[list, operator.add]

        def a(state: State):
            print(f'Node A sees {state["aggregate"]}')
            return {"aggregate": ["A"]}

        def b(state: State):
            print(f'Node B sees {state["aggregate"]}')
            return {"aggregate": ["B"]}

        builder = StateGraph(State)
        builder.add_node(a)
        builder.add_node(b)

        def route(state: State) -> Literal["b", END]:
            return "b" if len(state["aggregate"]) < 7 else END

        builder.add_edge(START, "a")
        builder.add_conditional_edges("a", route)
        builder.add_edge("b", "a")
        graph = builder.compile()
        print(graph.invoke({"aggregate": []}))

    same_output(env, program)


def test_impose_a_recursion_limit(env):
    """"Impose a recursion limit": the same loop with recursion_limit=4 raises GraphRecursionError."""

    def program():
        import operator
        from typing import Annotated, Literal

        from typing_extensions import TypedDict

        from langgraph.errors import GraphRecursionError
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            aggregate: Annotated[list, operator.add]

        def a(state: State):
            print(f'Node A sees {state["aggregate"]}')
            return {"aggregate": ["A"]}

        def b(state: State):
            print(f'Node B sees {state["aggregate"]}')
            return {"aggregate": ["B"]}

        builder = StateGraph(State)
        builder.add_node(a)
        builder.add_node(b)

        def route(state: State) -> Literal["b", END]:
            return "b" if len(state["aggregate"]) < 7 else END

        builder.add_edge(START, "a")
        builder.add_conditional_edges("a", route)
        builder.add_edge("b", "a")
        graph = builder.compile()
        try:
            graph.invoke({"aggregate": []}, {"recursion_limit": 4})
        except GraphRecursionError:
            print("Recursion Error")

    same_output(env, program)


def test_recursion_limit_with_branches(env):
    """"Impose a recursion limit": a loop with a fan-out (b -> c, d -> a) hits the limit."""

    def program():
        import operator
        from typing import Annotated, Literal

        from typing_extensions import TypedDict

        from langgraph.errors import GraphRecursionError
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            aggregate: Annotated[list, operator.add]

        def mark(name):
            def run(state: State):
                return {"aggregate": [name.upper()]}

            run.__name__ = name
            return run

        builder = StateGraph(State)
        for name in "abcd":
            builder.add_node(mark(name))

        def route(state: State) -> Literal["b", END]:
            return "b" if len(state["aggregate"]) < 7 else END

        builder.add_edge(START, "a")
        builder.add_conditional_edges("a", route)
        builder.add_edge("b", "c")
        builder.add_edge("b", "d")
        builder.add_edge(["c", "d"], "a")
        graph = builder.compile()
        print(graph.invoke({"aggregate": []}))
        try:
            graph.invoke({"aggregate": []}, {"recursion_limit": 4})
        except GraphRecursionError:
            print("Recursion Error")

    same_output(env, program)


def test_async_nodes_with_ainvoke(env):
    """"Async": an async node calling a chat model's ainvoke, the graph run with ainvoke."""

    def program():
        import asyncio

        from langchain_core.language_models import GenericFakeChatModel
        from langchain_core.messages import AIMessage

        from langgraph.graph import MessagesState, StateGraph

        llm = GenericFakeChatModel(messages=iter([AIMessage("Hi! How can I help?", id="ai-1")]))

        async def node(state: MessagesState):
            new_message = await llm.ainvoke(state["messages"])
            return {"messages": [new_message]}

        builder = StateGraph(MessagesState).add_node(node).set_entry_point("node")
        graph = builder.compile()
        result = asyncio.run(graph.ainvoke({"messages": [{"role": "user", "content": "Hello"}]}))
        print(result)

    same_output(env, program)


def test_command_combines_update_and_goto(env):
    """"Combine control flow and state updates with Command": node_a chooses node_b or node_c."""

    def program():
        from typing_extensions import Literal, TypedDict

        from langgraph.graph import START, StateGraph
        from langgraph.types import Command

        class State(TypedDict):
            foo: str

        def node_a(state: State) -> Command[Literal["node_b", "node_c"]]:
            print("Called A")
            value = "b" if state["foo"] == "" else "c"
            return Command(update={"foo": value}, goto="node_b" if value == "b" else "node_c")

        def node_b(state: State):
            print("Called B")
            return {"foo": state["foo"] + "b"}

        def node_c(state: State):
            print("Called C")
            return {"foo": state["foo"] + "c"}

        builder = StateGraph(State)
        builder.add_edge(START, "node_a")
        builder.add_node(node_a)
        builder.add_node(node_b)
        builder.add_node(node_c)
        graph = builder.compile()
        print(graph.invoke({"foo": ""}))
        print(graph.invoke({"foo": "x"}))
        print(sorted(graph.get_graph().nodes))

    same_output(env, program)


def test_command_returned_from_a_tool(env):
    """"Use inside tools": a tool returns Command(update=...) with a ToolMessage; ToolNode applies it."""

    def program():
        from typing import Annotated

        from langchain_core.messages import AIMessage, ToolMessage
        from langchain_core.runnables import RunnableConfig
        from langchain_core.tools import InjectedToolCallId, tool

        from langgraph.graph import START, MessagesState, StateGraph
        from langgraph.prebuilt import ToolNode
        from langgraph.types import Command

        class State(MessagesState):
            user_info: dict

        @tool
        def lookup_user_info(tool_call_id: Annotated[str, InjectedToolCallId], config: RunnableConfig):
            """Look up the user's information."""
            user_id = config.get("configurable", {}).get("user_id")
            return Command(
                update={
                    "user_info": {"id": user_id, "name": "Ada"},
                    "messages": [ToolMessage("Successfully looked up user information", tool_call_id=tool_call_id)],
                }
            )

        def agent(state: State):
            return {"messages": [AIMessage("", id="ai-1", tool_calls=[{"name": "lookup_user_info", "args": {}, "id": "call-1"}])]}

        builder = StateGraph(State)
        builder.add_node("agent", agent)
        builder.add_node("tools", ToolNode([lookup_user_info]))
        builder.add_edge(START, "agent")
        builder.add_edge("agent", "tools")
        graph = builder.compile()
        result = graph.invoke({"messages": [("user", "who am I?")]}, {"configurable": {"user_id": "u-7"}})
        print(result["user_info"])
        print(result["messages"][-1])

    same_output(env, program)
