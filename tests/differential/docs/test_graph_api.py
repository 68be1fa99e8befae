"""LangGraph's "Graph API" concepts page (langchain-ai/docs, src/oss/graph-api.mdx), on both libraries.

The page's snippets are completed into small programs (each test names the
section), run on LangGraph and with the imports swapped to ``graphcompat``,
comparing what they print (doc_harness.py). Not here: multiple schemas
(input/output/private state), ``Runtime`` and context, node caching,
subgraphs and ``Command(graph=Command.PARENT)``: other helpers' scope.
"""

import pytest

from .doc_harness import same_output

pytest.importorskip("langgraph")


def test_state_default_reducer_overwrites_and_operator_add_appends(env):
    """"Reducers", examples A and B: ``bar`` overwritten, then appended with operator.add."""

    def program():
        from operator import add
        from typing import Annotated

        from typing_extensions import TypedDict

        from langgraph.graph import START, StateGraph

        class StateA(TypedDict):
            foo: int
            bar: list[str]

        class StateB(TypedDict):
            foo: int
            bar: Annotated[list[str], add]

        for State in (StateA, StateB):
            builder = StateGraph(State)
            builder.add_node("node", lambda state: {"bar": ["bye"]})
            builder.add_edge(START, "node")
            print(State.__name__, builder.compile().invoke({"foo": 1, "bar": ["hi"]}))

    same_output(env, program)


def test_messages_in_state_accept_dicts_and_message_objects(env):
    """"Working with Messages in Graph State": both input forms end up as message objects."""

    def program():
        from langchain_core.messages import AIMessage, HumanMessage

        from langgraph.graph import START, MessagesState, StateGraph

        def node(state: MessagesState):
            return {"messages": [AIMessage(f"{len(state['messages'])} so far")]}

        graph = StateGraph(MessagesState).add_node(node).add_edge(START, "node").compile()
        print(graph.invoke({"messages": [HumanMessage(content="message")]}))
        print(graph.invoke({"messages": [{"type": "human", "content": "message"}]}))

    same_output(env, program)


def test_node_receives_config_and_start_end_nodes(env):
    """"Nodes", "START node", "END node": a node taking RunnableConfig reads the thread id."""

    def program():
        from langchain_core.runnables import RunnableConfig
        from typing_extensions import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            input: str
            results: str

        def plain_node(state: State):
            return state

        def node_with_config(state: State, config: RunnableConfig):
            print("In node with thread_id: ", config["configurable"]["thread_id"])
            return {"results": f"Hello, {state['input']}!"}

        builder = StateGraph(State)
        builder.add_node("plain_node", plain_node)
        builder.add_node("node_with_config", node_with_config)
        builder.add_edge(START, "plain_node")
        builder.add_edge("plain_node", "node_with_config")
        builder.add_edge("node_with_config", END)
        graph = builder.compile(checkpointer=InMemorySaver())
        print(graph.invoke({"input": "world"}, {"configurable": {"thread_id": "42"}}))

    same_output(env, program)


def test_entry_point_and_conditional_entry_point(env):
    """"Entry point" and "Conditional entry point": set_entry_point and a router from START with a path map."""

    def program():
        from typing_extensions import TypedDict

        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            x: int
            path: str

        def routing_function(state: State):
            return state["x"] > 0

        for conditional in (False, True):
            builder = StateGraph(State)
            builder.add_node("node_a", lambda s: {"path": "a"})
            builder.add_node("node_b", lambda s: {"path": "b"})
            if conditional:
                builder.add_conditional_edges(START, routing_function, {True: "node_b", False: "node_a"})
            else:
                builder.set_entry_point("node_a")
            builder.add_edge("node_a", END)
            builder.add_edge("node_b", END)
            graph = builder.compile()
            print(conditional, graph.invoke({"x": 1}), graph.invoke({"x": -1}))

    same_output(env, program)


def test_conditional_edges_with_a_path_map(env):
    """"Conditional Edges": ``add_conditional_edges("node_a", routing_function, {True: "node_b", False: "node_c"})``."""

    def program():
        from typing_extensions import TypedDict

        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            x: int
            visited: str

        def routing_function(state: State):
            return state["x"] % 2 == 0

        builder = StateGraph(State)
        builder.add_node("node_a", lambda s: {"visited": "a"})
        builder.add_node("node_b", lambda s: {"visited": s["visited"] + "b"})
        builder.add_node("node_c", lambda s: {"visited": s["visited"] + "c"})
        builder.add_edge(START, "node_a")
        builder.add_conditional_edges("node_a", routing_function, {True: "node_b", False: "node_c"})
        builder.add_edge("node_b", END)
        builder.add_edge("node_c", END)
        graph = builder.compile()
        print(graph.invoke({"x": 2}), graph.invoke({"x": 3}))

    same_output(env, program)


def test_send_from_a_conditional_edge(env):
    """"Send": ``[Send("generate_joke", {"subject": s}) for s in state['subjects']]``."""

    def program():
        import operator
        from typing import Annotated

        from typing_extensions import TypedDict

        from langgraph.graph import END, START, StateGraph
        from langgraph.types import Send

        class State(TypedDict):
            subjects: list[str]
            jokes: Annotated[list[str], operator.add]

        def continue_to_jokes(state: State):
            return [Send("generate_joke", {"subject": s}) for s in state["subjects"]]

        builder = StateGraph(State)
        builder.add_node("generate_joke", lambda s: {"jokes": [f"joke about {s['subject']}"]})
        builder.add_conditional_edges(START, continue_to_jokes)
        builder.add_edge("generate_joke", END)
        graph = builder.compile()
        print(graph.invoke({"subjects": ["cats", "dogs"]}))
        print(graph.invoke({"subjects": []}))

    same_output(env, program)


def test_command_from_a_node(env):
    """"Command": ``return Command(update={"foo": "bar"}, goto="my_other_node")``, also chosen by a condition."""

    def program():
        from typing import Literal

        from typing_extensions import TypedDict

        from langgraph.graph import START, StateGraph
        from langgraph.types import Command

        class State(TypedDict):
            foo: str

        def my_node(state: State) -> Command[Literal["my_other_node", "elsewhere"]]:
            if state["foo"] == "bar":
                return Command(update={"foo": "baz"}, goto="my_other_node")
            return Command(update={"foo": "bar"}, goto="elsewhere")

        builder = StateGraph(State)
        builder.add_node(my_node)
        builder.add_node("my_other_node", lambda s: {"foo": s["foo"] + "!"})
        builder.add_node("elsewhere", lambda s: {"foo": s["foo"] + "?"})
        builder.add_edge(START, "my_node")
        graph = builder.compile()
        print(graph.invoke({"foo": "bar"}), graph.invoke({"foo": "x"}))

    same_output(env, program)


def test_recursion_limit_in_the_config(env):
    """"Recursion Limit": ``graph.invoke(inputs, config={"recursion_limit": 5})``."""

    def program():
        from typing_extensions import TypedDict

        from langgraph.errors import GraphRecursionError
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            n: int

        builder = StateGraph(State)
        builder.add_node("count", lambda s: {"n": s["n"] + 1})
        builder.add_edge(START, "count")
        builder.add_conditional_edges("count", lambda s: "count" if s["n"] < 4 else END)
        graph = builder.compile()
        print(graph.invoke({"n": 0}, config={"recursion_limit": 5}))
        try:
            graph.invoke({"n": 0}, config={"recursion_limit": 3})
        except GraphRecursionError as e:
            print("GraphRecursionError:", str(e).splitlines()[0])

    same_output(env, program)


def test_invoke_with_stream_mode_updates(env):
    """"Node Caching" without the cache: ``graph.invoke({"x": 5}, stream_mode="updates")`` returns the update chunks."""

    def program():
        from typing_extensions import TypedDict

        from langgraph.graph import StateGraph

        class State(TypedDict):
            x: int
            result: int

        def expensive_node(state: State) -> dict[str, int]:
            return {"result": state["x"] * 2}

        builder = StateGraph(State)
        builder.add_node("expensive_node", expensive_node)
        builder.set_entry_point("expensive_node")
        builder.set_finish_point("expensive_node")
        graph = builder.compile()
        print(graph.invoke({"x": 5}, stream_mode="updates"))

    same_output(env, program)
