"""LangGraph's "Use time-travel" how-to (langchain-ai/docs, src/oss/use-time-travel.mdx), on both libraries.

The page's program: ``generate_topic`` then ``write_joke``, each calling a chat
model (here langchain_core's ``GenericFakeChatModel``), checkpointed in
``InMemorySaver`` under a ``uuid.uuid4()`` thread id. Steps 1-4 of the page
(run, identify a checkpoint, update it, resume from it) and the variants of
the concept page (replay without an update) are compared on LangGraph and
with the imports swapped to ``graphcompat`` (doc_harness.py).
"""

import pytest

from .doc_harness import same_output

pytest.importorskip("langgraph")
pytest.importorskip("langchain_core")


def test_run_identify_update_and_resume_from_a_checkpoint(env):
    """Steps 1 to 4 of the page, as one program."""

    def program():
        import uuid

        from langchain_core.language_models import GenericFakeChatModel
        from langchain_core.messages import AIMessage
        from typing_extensions import NotRequired, TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            topic: NotRequired[str]
            joke: NotRequired[str]

        llm = GenericFakeChatModel(
            messages=iter([AIMessage("penguins"), AIMessage("A penguin walks into a bar..."), AIMessage("Chickens cross roads.")])
        )

        def generate_topic(state: State):
            msg = llm.invoke("Give me a funny topic for a joke")
            return {"topic": msg.content}

        def write_joke(state: State):
            msg = llm.invoke(f"Write a short joke about {state['topic']}")
            return {"joke": msg.content}

        workflow = StateGraph(State)
        workflow.add_node("generate_topic", generate_topic)
        workflow.add_node("write_joke", write_joke)
        workflow.add_edge(START, "generate_topic")
        workflow.add_edge("generate_topic", "write_joke")
        workflow.add_edge("write_joke", END)
        graph = workflow.compile(checkpointer=InMemorySaver())

        # 1. Run the graph
        config = {"configurable": {"thread_id": uuid.uuid4()}}
        state = graph.invoke({}, config)
        print(state["topic"])
        print()
        print(state["joke"])

        # 2. Identify a checkpoint
        states = list(graph.get_state_history(config))
        for state in states:
            print(state.next)
            print(bool(state.config["configurable"]["checkpoint_id"]))
            print()
        selected_state = states[1]
        print(selected_state.next)
        print(selected_state.values)

        # 3. Update the state
        new_config = graph.update_state(selected_state.config, values={"topic": "chickens"})
        print(sorted(new_config["configurable"]))
        print(graph.get_state(new_config).values, graph.get_state(new_config).next)

        # 4. Resume execution from the checkpoint
        print(graph.invoke(None, new_config))
        print([(s.metadata["source"], s.next, s.values) for s in graph.get_state_history(config)][:3])

    same_output(env, program)


def test_replay_a_checkpoint_without_changing_it(env):
    """Time travel, "Replay": invoke(None, past config) re-runs write_joke on a new branch; history keeps both."""

    def program():
        from langchain_core.language_models import GenericFakeChatModel
        from langchain_core.messages import AIMessage
        from typing_extensions import NotRequired, TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            topic: NotRequired[str]
            joke: NotRequired[str]

        llm = GenericFakeChatModel(messages=iter([AIMessage("owls"), AIMessage("Owl joke one."), AIMessage("Owl joke two.")]))

        def generate_topic(state: State):
            return {"topic": llm.invoke("topic?").content}

        def write_joke(state: State):
            return {"joke": llm.invoke(f"joke about {state['topic']}").content}

        workflow = StateGraph(State)
        workflow.add_node("generate_topic", generate_topic)
        workflow.add_node("write_joke", write_joke)
        workflow.add_edge(START, "generate_topic")
        workflow.add_edge("generate_topic", "write_joke")
        workflow.add_edge("write_joke", END)
        graph = workflow.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        graph.invoke({}, config)
        before_joke = next(s for s in graph.get_state_history(config) if s.next == ("write_joke",))
        print(graph.invoke(None, before_joke.config))
        print(graph.get_state(config).values)
        history = list(graph.get_state_history(config))
        print(len(history), [(s.metadata["source"], s.next) for s in history])

    same_output(env, program)


def test_fork_twice_from_one_checkpoint(env):
    """Time travel, "Fork": two updates of the same past checkpoint give two branches."""

    def program():
        from typing_extensions import NotRequired, TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            topic: NotRequired[str]
            joke: NotRequired[str]

        workflow = StateGraph(State)
        workflow.add_node("generate_topic", lambda s: {"topic": "cats"})
        workflow.add_node("write_joke", lambda s: {"joke": f"a joke about {s['topic']}"})
        workflow.add_edge(START, "generate_topic")
        workflow.add_edge("generate_topic", "write_joke")
        workflow.add_edge("write_joke", END)
        graph = workflow.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        graph.invoke({}, config)
        selected = next(s for s in graph.get_state_history(config) if s.next == ("write_joke",))
        for topic in ("dogs", "birds"):
            fork = graph.update_state(selected.config, values={"topic": topic})
            print(graph.invoke(None, fork))
        print(graph.get_state(config).values)
        print([(s.metadata["source"], s.next, s.values) for s in graph.get_state_history(config)])

    same_output(env, program)
