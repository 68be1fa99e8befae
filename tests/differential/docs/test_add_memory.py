"""LangGraph's "Add memory" how-to (langchain-ai/docs, src/oss/add-memory.mdx): short-term memory.

Each test re-states one example as a program importing from ``langgraph`` and
compares what it prints, on LangGraph and with the imports swapped to
``graphcompat`` (doc_harness.py). The chat model is langchain_core's
``GenericFakeChatModel``. Not here: long-term memory (``InMemoryStore``,
``get_store``, semantic search: no ``BaseStore`` in graphcompat), memory in
subgraphs, tools reading state through ``get_runtime``/``InjectedState`` with
``create_react_agent`` (tests/differential/test_agents.py covers the agent),
Postgres/Redis/Mongo savers, ``checkpointer.delete_thread`` (saver parity).
"""

import pytest

from .doc_harness import same_output

pytest.importorskip("langgraph")
pytest.importorskip("langchain_core")


def test_short_term_memory_two_turns_on_one_thread(env):
    """"Add short-term memory": the second turn on thread "1" sees the first."""

    def program():
        from langchain_core.language_models import GenericFakeChatModel
        from langchain_core.messages import AIMessage

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import START, MessagesState, StateGraph

        model = GenericFakeChatModel(messages=iter([AIMessage("Hi Bob!", id="r1"), AIMessage("Your name is Bob.", id="r2")]))

        def call_model(state: MessagesState):
            response = model.invoke(state["messages"])
            return {"messages": response}

        builder = StateGraph(MessagesState)
        builder.add_node(call_model)
        builder.add_edge(START, "call_model")
        graph = builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        for chunk in graph.stream({"messages": [{"role": "user", "content": "hi! I'm bob"}]}, config, stream_mode="values"):
            chunk["messages"][-1].pretty_print()
        for chunk in graph.stream({"messages": [{"role": "user", "content": "what's my name?"}]}, config, stream_mode="values"):
            chunk["messages"][-1].pretty_print()

    same_output(env, program)


def test_a_new_thread_starts_empty(env):
    """"Add short-term memory": another thread id does not see the first thread's messages."""

    def program():
        from langchain_core.messages import AIMessage

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import START, MessagesState, StateGraph

        def call_model(state: MessagesState):
            return {"messages": AIMessage(f"I have seen {len(state['messages'])} message(s).")}

        builder = StateGraph(MessagesState)
        builder.add_node(call_model)
        builder.add_edge(START, "call_model")
        graph = builder.compile(checkpointer=InMemorySaver())
        for thread_id in ("1", "1", "2"):
            result = graph.invoke({"messages": [{"role": "user", "content": "hi"}]}, {"configurable": {"thread_id": thread_id}})
            print(thread_id, result["messages"][-1].content)

    same_output(env, program)


def test_delete_messages_with_remove_message(env):
    """"Delete messages": a node returns RemoveMessage for the two earliest messages."""

    def program():
        from langchain_core.language_models import GenericFakeChatModel
        from langchain_core.messages import AIMessage, RemoveMessage

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import START, MessagesState, StateGraph

        model = GenericFakeChatModel(messages=iter([AIMessage("Hello Bob!", id="r1"), AIMessage("You are Bob.", id="r2")]))

        def delete_messages(state):
            messages = state["messages"]
            if len(messages) > 2:
                return {"messages": [RemoveMessage(id=m.id) for m in messages[:2]]}

        def call_model(state: MessagesState):
            return {"messages": model.invoke(state["messages"])}

        builder = StateGraph(MessagesState)
        builder.add_sequence([call_model, delete_messages])
        builder.add_edge(START, "call_model")
        app = builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        for text in ("hi! I'm bob", "what's my name?"):
            for event in app.stream({"messages": [{"role": "user", "content": text}]}, config, stream_mode="values"):
                print([(message.type, message.content) for message in event["messages"]])

    same_output(env, program)


def test_delete_messages_with_remove_message_invoked(env):
    """"Delete messages", the same graph run with invoke: what is left after each turn."""

    def program():
        from langchain_core.language_models import GenericFakeChatModel
        from langchain_core.messages import AIMessage, RemoveMessage

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import START, MessagesState, StateGraph

        model = GenericFakeChatModel(messages=iter([AIMessage("Hello Bob!", id="r1"), AIMessage("You are Bob.", id="r2")]))

        def delete_messages(state):
            messages = state["messages"]
            if len(messages) > 2:
                return {"messages": [RemoveMessage(id=m.id) for m in messages[:2]]}

        def call_model(state: MessagesState):
            return {"messages": model.invoke(state["messages"])}

        builder = StateGraph(MessagesState)
        builder.add_sequence([call_model, delete_messages])
        builder.add_edge(START, "call_model")
        app = builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        for text in ("hi! I'm bob", "what's my name?"):
            result = app.invoke({"messages": [{"role": "user", "content": text}]}, config)
            print([(message.type, message.content) for message in result["messages"]])

    same_output(env, program)


def test_delete_all_messages(env):
    """"Delete messages": ``RemoveMessage(id=REMOVE_ALL_MESSAGES)`` clears the list."""

    def program():
        from langchain_core.messages import AIMessage, RemoveMessage

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import START, MessagesState, StateGraph
        from langgraph.graph.message import REMOVE_ALL_MESSAGES

        def respond(state: MessagesState):
            return {"messages": [AIMessage("noted")]}

        def delete_messages(state):
            return {"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES)]}

        builder = StateGraph(MessagesState)
        builder.add_sequence([respond, delete_messages])
        builder.add_edge(START, "respond")
        graph = builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        print(graph.invoke({"messages": [("user", "remember this")]}, config))
        print(graph.get_state(config).values)

    same_output(env, program)


def test_remove_all_then_keep_new_messages(env):
    """REMOVE_ALL_MESSAGES followed by messages in the same write: only those after it stay."""

    def program():
        from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import START, MessagesState, StateGraph
        from langgraph.graph.message import REMOVE_ALL_MESSAGES

        def summarize(state: MessagesState):
            summary = f"summary of {len(state['messages'])} messages"
            return {"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES), AIMessage(summary)]}

        builder = StateGraph(MessagesState)
        builder.add_node(summarize)
        builder.add_edge(START, "summarize")
        graph = builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        print(graph.invoke({"messages": [HumanMessage("a"), HumanMessage("b")]}, config))
        print(graph.invoke({"messages": [HumanMessage("c")]}, config))

    same_output(env, program)


def test_trim_messages_before_calling_the_model(env):
    """"Trim messages": langchain_core's trim_messages keeps the last messages within a budget."""

    def program():
        from langchain_core.messages import AIMessage
        from langchain_core.messages.utils import trim_messages

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import START, MessagesState, StateGraph

        def call_model(state: MessagesState):
            messages = trim_messages(
                state["messages"], strategy="last", token_counter=len, max_tokens=3, start_on="human", end_on=("human", "tool")
            )
            return {"messages": [AIMessage(f"model saw {[m.content for m in messages]}")]}

        builder = StateGraph(MessagesState)
        builder.add_node(call_model)
        builder.add_edge(START, "call_model")
        graph = builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        for text in ("hi, I'm bob", "write a poem about cats", "now about dogs", "what's my name?"):
            graph.invoke({"messages": [{"role": "user", "content": text}]}, config)
        for message in graph.get_state(config).values["messages"]:
            print(message.type, message.content)

    same_output(env, program)


def test_summarize_messages_into_a_summary_key(env):
    """"Summarize messages": a summary key beside the messages; old messages removed by id."""

    def program():
        from langchain_core.messages import AIMessage, RemoveMessage

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, MessagesState, StateGraph

        class State(MessagesState):
            summary: str

        def call_model(state: State):
            prefix = f"[summary: {state['summary']}] " if state.get("summary") else ""
            return {"messages": [AIMessage(prefix + f"reply {len(state['messages'])}")]}

        def should_summarize(state: State):
            return "summarize" if len(state["messages"]) > 4 else END

        def summarize(state: State):
            summary = f"{len(state['messages'])} messages about animals"
            return {"summary": summary, "messages": [RemoveMessage(id=m.id) for m in state["messages"][:-2]]}

        builder = StateGraph(State)
        builder.add_node(call_model)
        builder.add_node(summarize)
        builder.add_edge(START, "call_model")
        builder.add_conditional_edges("call_model", should_summarize, ["summarize", END])
        builder.add_edge("summarize", END)
        graph = builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        for text in ("cats?", "dogs?", "birds?", "fish?"):
            result = graph.invoke({"messages": [("user", text)]}, config)
            print(result.get("summary"), [m.content for m in result["messages"]])

    same_output(env, program)


def test_view_thread_state_and_history(env):
    """"Manage checkpoints": get_state and get_state_history of a chat thread."""

    def program():
        from langchain_core.messages import AIMessage

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import START, MessagesState, StateGraph

        def call_model(state: MessagesState):
            return {"messages": [AIMessage("Hi Bob, nice to meet you.")]}

        builder = StateGraph(MessagesState)
        builder.add_node(call_model)
        builder.add_edge(START, "call_model")
        graph = builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "1"}}
        graph.invoke({"messages": [{"role": "user", "content": "hi! I'm bob"}]}, config)
        print(graph.get_state(config))
        for snapshot in graph.get_state_history(config):
            print(snapshot.next, [m.content for m in snapshot.values.get("messages", [])], snapshot.metadata["source"])

    same_output(env, program)
