"""LangGraph's "Persistence" page (langchain-ai/docs, src/oss/persistence.mdx), on both libraries.

The page's running example: ``node_a`` then ``node_b`` writing a plain ``foo`` and
an ``operator.add`` list ``bar``, compiled with ``InMemorySaver``, thread ``"1"``.
Each test re-states one section as a program importing from ``langgraph`` and
compares what it prints after the import swap (doc_harness.py). Snapshots print
with LangGraph's step numbers and without ``metadata["writes"]``
(BEHAVIOUR.md's deliberate differences, harness ALLOWED). Not here: the memory
store sections (``InMemoryStore``, semantic search: graphcompat has no
``BaseStore``) and serializer options (``JsonPlusSerializer``, encryption).
"""

import pytest

from .doc_harness import same_output

pytest.importorskip("langgraph")


def test_checkpoints_invoke_then_get_state(env):
    """"Checkpoints" and "Get state": run the two-node graph, print the latest snapshot."""

    def program():
        from operator import add
        from typing import Annotated

        from langchain_core.runnables import RunnableConfig
        from typing_extensions import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            foo: str
            bar: Annotated[list[str], add]

        def node_a(state: State):
            return {"foo": "a", "bar": ["a"]}

        def node_b(state: State):
            return {"foo": "b", "bar": ["b"]}

        workflow = StateGraph(State)
        workflow.add_node(node_a)
        workflow.add_node(node_b)
        workflow.add_edge(START, "node_a")
        workflow.add_edge("node_a", "node_b")
        workflow.add_edge("node_b", END)
        graph = workflow.compile(checkpointer=InMemorySaver())
        config: RunnableConfig = {"configurable": {"thread_id": "1"}}
        print(graph.invoke({"foo": ""}, config))
        snapshot = graph.get_state(config)
        print(snapshot.values, snapshot.next, snapshot.metadata["source"])
        print(snapshot)

    same_output(env, program)


def test_get_state_of_a_specific_checkpoint_id(env):
    """"Get state": a checkpoint_id in the config names an earlier snapshot."""

    def program():
        from operator import add
        from typing import Annotated

        from typing_extensions import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            foo: str
            bar: Annotated[list[str], add]

        workflow = StateGraph(State)
        workflow.add_node("node_a", lambda state: {"foo": "a", "bar": ["a"]})
        workflow.add_node("node_b", lambda state: {"foo": "b", "bar": ["b"]})
        workflow.add_edge(START, "node_a")
        workflow.add_edge("node_a", "node_b")
        workflow.add_edge("node_b", END)
        graph = workflow.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        graph.invoke({"foo": ""}, config)
        after_a = [s for s in graph.get_state_history(config) if s.next == ("node_b",)][0]
        checkpoint_id = after_a.config["configurable"]["checkpoint_id"]
        past = graph.get_state({"configurable": {"thread_id": "1", "checkpoint_id": checkpoint_id}})
        print(past.values, past.next)
        print(past.config["configurable"]["checkpoint_id"] == checkpoint_id)
        # past.config is not printed: LangGraph's InMemorySaver hands back the caller's config
        # (without checkpoint_ns) when it names a checkpoint, its SQL savers the full one (as graphcompat)
        print(past.parent_config, past.metadata["source"], past.created_at, past.interrupts)
        print([(t.name, t.path, t.error, t.interrupts) for t in past.tasks])

    same_output(env, program)


def test_get_state_history(env):
    """"Get state history": every snapshot of the thread, newest first."""

    def program():
        from operator import add
        from typing import Annotated

        from typing_extensions import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            foo: str
            bar: Annotated[list[str], add]

        workflow = StateGraph(State)
        workflow.add_node("node_a", lambda state: {"foo": "a", "bar": ["a"]})
        workflow.add_node("node_b", lambda state: {"foo": "b", "bar": ["b"]})
        workflow.add_edge(START, "node_a")
        workflow.add_edge("node_a", "node_b")
        workflow.add_edge("node_b", END)
        graph = workflow.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        graph.invoke({"foo": ""}, config)
        history = list(graph.get_state_history(config))
        print(len(history))
        # the input checkpoint's values differ by design (BEHAVIOUR.md "Step 0"): printed as a
        # snapshot, where the harness applies ALLOWED["input_checkpoint_values_empty"]
        for snapshot in history[:-1]:
            print(snapshot.next, snapshot.values, snapshot.metadata["source"])
        for snapshot in history:  # metadata printed through the snapshot's view (steps, writes: ALLOWED)
            print(snapshot.config, snapshot.parent_config, snapshot.created_at, snapshot.metadata["parents"])
            print([(t.name, t.path, t.error, t.interrupts) for t in snapshot.tasks])

    same_output(env, program)


@pytest.mark.xfail(
    strict=True,
    reason="PregelTask.result: LangGraph 1.2 shows a completed task's writes on past checkpoints; "
    "graphcompat shows None unless the step was interrupted or failed (its writes are saved only then)",
)
def test_get_state_history_printed_whole(env):
    """"Get state history" as the page prints it: each StateSnapshot whole."""

    def program():
        from operator import add
        from typing import Annotated

        from typing_extensions import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            foo: str
            bar: Annotated[list[str], add]

        workflow = StateGraph(State)
        workflow.add_node("node_a", lambda state: {"foo": "a", "bar": ["a"]})
        workflow.add_node("node_b", lambda state: {"foo": "b", "bar": ["b"]})
        workflow.add_edge(START, "node_a")
        workflow.add_edge("node_a", "node_b")
        workflow.add_edge("node_b", END)
        graph = workflow.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        graph.invoke({"foo": ""}, config)
        for snapshot in graph.get_state_history(config):
            print(snapshot)

    same_output(env, program)


def test_replay_from_a_checkpoint(env):
    """"Replay": invoke(None, config with a checkpoint_id) re-runs what followed it, on a new branch."""

    def program():
        from operator import add
        from typing import Annotated

        from typing_extensions import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            foo: str
            bar: Annotated[list[str], add]

        ran = []

        def node_a(state: State):
            ran.append("node_a")
            return {"foo": "a", "bar": ["a"]}

        def node_b(state: State):
            ran.append("node_b")
            return {"foo": "b", "bar": ["b"]}

        workflow = StateGraph(State)
        workflow.add_node(node_a)
        workflow.add_node(node_b)
        workflow.add_edge(START, "node_a")
        workflow.add_edge("node_a", "node_b")
        workflow.add_edge("node_b", END)
        graph = workflow.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        graph.invoke({"foo": ""}, config)
        after_a = [s for s in graph.get_state_history(config) if s.next == ("node_b",)][0]
        print(graph.invoke(None, config=after_a.config))
        print(ran)
        print([(s.metadata["source"], s.next) for s in graph.get_state_history(config)])

    same_output(env, program)


def test_update_state_goes_through_reducers(env):
    """"Update state": foo (no reducer) is overwritten, bar (operator.add) is appended to."""

    def program():
        from operator import add
        from typing import Annotated

        from typing_extensions import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            foo: int
            bar: Annotated[list[str], add]

        workflow = StateGraph(State)
        workflow.add_node("node_a", lambda state: {"bar": ["a"]})
        workflow.add_edge(START, "node_a")
        workflow.add_edge("node_a", END)
        graph = workflow.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        graph.invoke({"foo": 1, "bar": ["a"]}, config)
        print(graph.get_state(config).values)
        returned = graph.update_state(config, {"foo": 2, "bar": ["b"]})
        print(sorted(returned["configurable"]))
        snapshot = graph.get_state(config)
        print(snapshot.values, snapshot.next, snapshot.metadata["source"])

    same_output(env, program)


def test_update_state_as_node_decides_what_runs_next(env):
    """"Update state", ``as_node``: the update counts as that node's write; what follows it is next."""

    def program():
        from operator import add
        from typing import Annotated

        from typing_extensions import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            foo: str
            bar: Annotated[list[str], add]

        workflow = StateGraph(State)
        workflow.add_node("node_a", lambda state: {"foo": "a", "bar": ["a"]})
        workflow.add_node("node_b", lambda state: {"foo": "b", "bar": ["b"]})
        workflow.add_edge(START, "node_a")
        workflow.add_edge("node_a", "node_b")
        workflow.add_edge("node_b", END)
        graph = workflow.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        graph.invoke({"foo": ""}, config)
        graph.update_state(config, {"foo": "edited"}, as_node="node_a")
        print(graph.get_state(config).next)
        print(graph.invoke(None, config))

    same_output(env, program)


def test_memory_checkpointer_threads_are_independent(env):
    """"Threads": two thread ids on one checkpointer keep separate histories."""

    def program():
        from operator import add
        from typing import Annotated

        from typing_extensions import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import START, StateGraph

        class State(TypedDict):
            bar: Annotated[list[str], add]

        workflow = StateGraph(State)
        workflow.add_node("node_a", lambda state: {"bar": ["a"]})
        workflow.add_edge(START, "node_a")
        graph = workflow.compile(checkpointer=InMemorySaver())
        one = {"configurable": {"thread_id": "1"}}
        two = {"configurable": {"thread_id": "2"}}
        print(graph.invoke({"bar": ["x"]}, one))
        print(graph.invoke({"bar": ["y"]}, one))
        print(graph.invoke({"bar": ["z"]}, two))
        print(len(list(graph.get_state_history(one))), len(list(graph.get_state_history(two))))

    same_output(env, program)
