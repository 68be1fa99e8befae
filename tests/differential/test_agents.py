"""LangGraph's documented agent examples, run on both libraries (only the imports swapped).

The programs follow LangGraph's how-tos: the chatbot with tools and memory
(``ToolNode``, ``tools_condition``, ``InMemorySaver``, two turns on one
thread), ``create_react_agent`` (v1 and v2), reviewing tool calls at an
``interrupt_before=["tools"]`` breakpoint (approve; edit the tool call with
``update_state``), and ``interrupt()`` inside a tool resumed with
``Command(resume=...)``. The chat model is the scripted fake tool-calling
model (no network). Each program runs on LangGraph and on graphcompat; what
it prints, every value it returns, ``get_state``, the history and the tool
calls are compared (messages by class and fields, ids only as present:
ALLOWED["message_ids"]).
"""

import contextlib
import io
from typing import Annotated, TypedDict

import pytest

from tests.e2e.replay import replay_thread

from .harness import Differential, norm

pytest.importorskip("langgraph")
pytest.importorskip("langchain_core")

from langchain_core.messages import AIMessage, ToolMessage  # noqa: E402
from langchain_core.tools import tool  # noqa: E402

from tests.prebuilt.fake_model import FakeToolCallingModel, calls  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # LangGraph: create_react_agent moved


def tid(thread: dict) -> str:
    return thread["configurable"]["thread_id"]


def make_tools(t):
    """The how-tos' tools, counting their calls (and their arguments) per side."""

    @tool
    def search(query: str) -> str:
        """Search the web."""
        t.calls["search"] += 1
        t.log.append(("search", query))
        return f"results for {query}: LangGraph is a library for building stateful agents"

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        t.calls["get_weather"] += 1
        t.log.append(("get_weather", city))
        return f"It's always sunny in {city}"

    return [search, get_weather]


def printed(fn) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn()
    return out.getvalue()


# --------------------------------------------------------------------------------------
# a. The chatbot with tools and memory
# --------------------------------------------------------------------------------------


def chatbot_model() -> FakeToolCallingModel:
    return FakeToolCallingModel(
        seen=[],
        responses=[
            calls(("search", {"query": "LangGraph"}, "call_search_1"), id="ai-1"),
            AIMessage("LangGraph is a library for building stateful agents.", id="ai-2"),
            AIMessage("You asked me what LangGraph is.", id="ai-3"),
        ],
    )


def make_chatbot(t):
    """LangGraph's "add tools" + "add memory" tutorial, with the fake model."""
    graph_mod, prebuilt, message = t.imp("graph"), t.imp("prebuilt"), t.imp("graph.message")

    class State(TypedDict):
        messages: Annotated[list, message.add_messages]

    tools = make_tools(t)
    t.model = chatbot_model()
    llm_with_tools = t.model.bind_tools(tools)

    def chatbot(state: State):
        t.calls["chatbot"] += 1
        return {"messages": [llm_with_tools.invoke(state["messages"])]}

    graph_builder = graph_mod.StateGraph(State)
    graph_builder.add_node("chatbot", chatbot)
    graph_builder.add_node("tools", prebuilt.ToolNode(tools=tools))
    graph_builder.add_conditional_edges("chatbot", prebuilt.tools_condition)
    graph_builder.add_edge("tools", "chatbot")
    graph_builder.add_edge(graph_mod.START, "chatbot")
    return graph_builder.compile(checkpointer=t.Saver())


def test_chatbot_with_tools_and_memory_two_turns(env, thread):
    d = Differential(make_chatbot, tid(thread), compiled=True)
    turn1 = d.invoke({"messages": [{"role": "user", "content": "What is LangGraph?"}]})
    assert [type(m).__name__ for m in turn1["graphcompat"].raw["messages"]] == [
        "HumanMessage", "AIMessage", "ToolMessage", "AIMessage",
    ]
    turn2 = d.invoke({"messages": [{"role": "user", "content": "What did I just ask you?"}]})
    assert turn2["graphcompat"].raw["messages"][-1].content == "You asked me what LangGraph is."
    # memory: the second model call saw the whole first turn
    d.same("model inputs", d.each(lambda s: norm(s.t.model.seen)))
    assert len(d.gc.t.model.seen[-1]) == 5
    d.same("history metadata", d.each(lambda s: [
        (h.metadata["source"], h.metadata["step"] - (s.name == "graphcompat"), h.next) for h in s.history()
    ]))
    assert d.gc.t.log == [("search", "LangGraph")]
    assert replay_thread(env, tid(thread)) == 2


def pretty_stream(side, user_input: str, thread_id: str) -> str:
    """The tutorial's ``stream_graph_updates``: stream values, pretty-print the last message."""
    config = {"configurable": {"thread_id": thread_id}}

    def run():
        for event in side.graph.stream({"messages": [{"role": "user", "content": user_input}]}, config,
                                       stream_mode="values"):
            event["messages"][-1].pretty_print()

    return printed(run)


def test_chatbot_streamed_values_print_the_same(env, thread):
    d = Differential(make_chatbot, tid(thread), compiled=True)
    for question in ("What is LangGraph?", "What did I just ask you?"):
        out = d.each(lambda s: pretty_stream(s, question, tid(thread)))
        d.same(f"printed stream of {question!r}", out)
        d.check(f"after streaming {question!r}")
    assert "Tool Calls:" in out["graphcompat"] or "You asked me" in out["graphcompat"]
    assert replay_thread(env, tid(thread)) == 2


@pytest.mark.parametrize("mode", ["values", "updates"])
def test_chatbot_stream_chunks(env, thread, mode):
    d = Differential(make_chatbot, tid(thread), compiled=True)
    for question in ("What is LangGraph?", "What did I just ask you?"):
        chunks = d.each(lambda s: [norm(c) for c in s.graph.stream(
            {"messages": [{"role": "user", "content": question}]}, s.cfg(), stream_mode=mode)])
        d.same(f"stream({question!r}, stream_mode={mode!r})", chunks)
        d.check(f"after stream {mode}")
    assert replay_thread(env, tid(thread)) == 2


# --------------------------------------------------------------------------------------
# b. create_react_agent, v1 and v2
# --------------------------------------------------------------------------------------


def agent_model() -> FakeToolCallingModel:
    return FakeToolCallingModel(
        seen=[],
        responses=[
            calls(("get_weather", {"city": "sf"}, "call_w1"), ("search", {"query": "sf events"}, "call_s1"), id="ai-1"),
            AIMessage("It's sunny in sf, and there are events.", id="ai-2"),
            AIMessage("Still sunny.", id="ai-3"),
        ],
    )


def make_react(version: str, **kwargs):
    def make(t):
        t.model = agent_model()
        return t.imp("prebuilt").create_react_agent(
            t.model, make_tools(t), checkpointer=t.Saver(), version=version, **kwargs
        )

    return make


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_create_react_agent(env, thread, version):
    d = Differential(make_react(version, prompt="You are a helpful assistant"), tid(thread), compiled=True)
    out = d.invoke({"messages": [{"role": "user", "content": "what is the weather in sf"}]})
    messages = out["graphcompat"].raw["messages"]
    assert [type(m).__name__ for m in messages] == ["HumanMessage", "AIMessage", "ToolMessage", "ToolMessage", "AIMessage"]
    assert messages[-1].content == "It's sunny in sf, and there are events."
    d.invoke({"messages": [("user", "and now?")]})
    d.same("model inputs", d.each(lambda s: norm(s.t.model.seen)))
    assert sorted(d.gc.t.log) == [("get_weather", "sf"), ("search", "sf events")]
    assert replay_thread(env, tid(thread)) == 2


# --------------------------------------------------------------------------------------
# c. Review tool calls: interrupt_before=["tools"], approve
# --------------------------------------------------------------------------------------


def pending_call(side):
    state = side.graph.get_state(side.config)
    return state.next, state.values["messages"][-1].tool_calls


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_interrupt_before_tools_then_approve(env, thread, version):
    d = Differential(make_react(version, interrupt_before=["tools"]), tid(thread), compiled=True)
    out = d.invoke({"messages": [("user", "what is the weather in sf")]})
    assert out["graphcompat"].raw["messages"][-1].tool_calls
    nexts = d.same("next and the pending tool calls", d.each(lambda s: norm(pending_call(s))))
    assert set(nexts[0]) == {"tools"}
    assert d.gc.t.log == []
    out = d.invoke(None)
    assert out["graphcompat"].raw["messages"][-1].content == "It's sunny in sf, and there are events."
    assert sorted(d.gc.t.log) == [("get_weather", "sf"), ("search", "sf events")]
    assert replay_thread(env, tid(thread)) == 2


# --------------------------------------------------------------------------------------
# d. Edit a tool call at the breakpoint
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_edit_tool_call_at_breakpoint(env, thread, version):
    d = Differential(make_react(version, interrupt_before=["tools"]), tid(thread), compiled=True)
    d.invoke({"messages": [("user", "what is the weather in sf")]})

    def edit(side):
        state = side.graph.get_state(side.config)
        last = state.values["messages"][-1]
        edited = last.model_copy(deep=True)
        edited.tool_calls[0]["args"] = {"city": "San Francisco, USA"}
        assert edited.id == last.id
        return side.graph.update_state(side.config, {"messages": [edited]})

    d.transcript.append("update_state(edited tool call)")
    for side in d.sides.values():
        edit(side)
    d.check("after editing the tool call")
    d.same("next after edit", d.each(lambda s: norm(pending_call(s))))
    d.invoke(None)
    assert ("get_weather", "San Francisco, USA") in d.gc.t.log and ("get_weather", "sf") not in d.gc.t.log
    d.same("tool calls", d.each(lambda s: sorted(s.t.log)))
    messages = d.gc.graph.get_state(d.gc.config).values["messages"]
    assert [m.content for m in messages if isinstance(m, ToolMessage)][0] == "It's always sunny in San Francisco, USA"
    assert replay_thread(env, tid(thread)) >= 2


# --------------------------------------------------------------------------------------
# e. Human review inside a tool: interrupt() and Command(resume=...)
# --------------------------------------------------------------------------------------


def make_hitl_tool_agent(t):
    interrupt = t.imp("types").interrupt

    @tool
    def book_hotel(hotel_name: str):
        """Book a hotel"""
        t.calls["book_hotel"] += 1
        response = interrupt(
            f"Trying to call `book_hotel` with args {{'hotel_name': {hotel_name}}}. "
            "Please approve or suggest edits."
        )
        if response["type"] == "accept":
            pass
        elif response["type"] == "edit":
            hotel_name = response["args"]["hotel_name"]
        else:
            raise ValueError(f"Unknown response type: {response['type']}")
        t.log.append(("book_hotel", hotel_name))
        return f"Successfully booked a stay at {hotel_name}."

    t.model = FakeToolCallingModel(
        seen=[],
        responses=[
            calls(("book_hotel", {"hotel_name": "McKittrick Hotel"}, "call_b1"), id="ai-1"),
            AIMessage("Your stay is booked.", id="ai-2"),
        ],
    )
    return t.imp("prebuilt").create_react_agent(t.model, [book_hotel], checkpointer=t.Saver())


@pytest.mark.parametrize("answer", [{"type": "accept"}, {"type": "edit", "args": {"hotel_name": "McKittrick H"}}])
def test_interrupt_inside_a_tool_resumed_with_command(env, thread, answer):
    d = Differential(make_hitl_tool_agent, tid(thread), compiled=True)
    out = d.invoke({"messages": [{"role": "user", "content": "book a stay at McKittrick hotel"}]})
    assert out["graphcompat"].interrupts and "book_hotel" in out["graphcompat"].interrupts[0]
    out = d.resume(answer)
    hotel = answer.get("args", {}).get("hotel_name", "McKittrick Hotel")
    tool_message = out["graphcompat"].raw["messages"][2]
    assert tool_message.content == f"Successfully booked a stay at {hotel}."
    assert d.gc.t.log == [("book_hotel", hotel)]
    assert replay_thread(env, tid(thread)) == 2


@pytest.mark.parametrize("mode", ["values", "updates"])
def test_interrupt_inside_a_tool_streamed(env, thread, mode):
    """Streaming the human-in-the-loop run: the interrupt chunk, and the resume's first chunk."""
    d = Differential(make_hitl_tool_agent, tid(thread), compiled=True)

    def stream(input_of):
        return d.each(lambda s: [norm(outcome_chunk(c)) for c in s.graph.stream(input_of(s), s.cfg(), stream_mode=mode)])

    first = d.same("stream to the interrupt", stream(lambda s: {"messages": [("user", "book McKittrick")]}))
    assert "__interrupt__" in first[-1]
    d.check("after streaming to the interrupt")
    d.same("stream the resume", stream(lambda s: s.lib.Command(resume={"type": "accept"})))
    d.check("after streaming the resume")
    assert replay_thread(env, tid(thread)) == 2


def outcome_chunk(chunk):
    """A chunk with its interrupts as their values (interrupt ids are generated: ALLOWED["generated_ids"])."""
    if isinstance(chunk, dict) and "__interrupt__" in chunk:
        return {**chunk, "__interrupt__": [i.value for i in chunk["__interrupt__"]]}
    return chunk


# --------------------------------------------------------------------------------------
# What is re-run on resume after a failing tool (the README's "Agents" section)
# --------------------------------------------------------------------------------------


def make_flaky_react(version: str):
    """Two tool calls in one model turn; ``search`` raises ConnectionError on its first call only."""

    def make(t):
        @tool
        def search(query: str) -> str:
            """Search the web."""
            t.calls["search"] += 1
            if t.calls["search"] == 1:
                raise ConnectionError("search API timeout")
            return f"results for {query}"

        @tool
        def get_weather(city: str) -> str:
            """The weather in a city."""
            t.calls["get_weather"] += 1
            return f"It's always sunny in {city}"

        t.model = agent_model()
        return t.imp("prebuilt").create_react_agent(t.model, [get_weather, search], checkpointer=t.Saver(), version=version)

    return make


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_failing_tool_call_then_resume_reruns_what_langgraph_reruns(env, thread, version):
    """A tool that raises fails the run (LangGraph's default ``handle_tool_errors`` handles only
    argument errors); ``invoke(None)`` resumes. v2: each tool call is its own task, so the call that
    succeeded is not run again; v1: the ToolNode is one task, so both calls run again."""
    d = Differential(make_flaky_react(version), tid(thread), compiled=True)
    out = d.invoke({"messages": [("user", "what is the weather in sf")]})
    assert type(out["graphcompat"].exc) is ConnectionError and str(out["graphcompat"].exc) == "search API timeout"
    assert d.gc.graph.get_state(d.gc.config).next == ("tools",)  # v2: the call that succeeded is done (live view)
    out = d.invoke(None)
    assert out["graphcompat"].raw["messages"][-1].content == "It's sunny in sf, and there are events."
    assert d.gc.t.calls["search"] == 2
    assert d.gc.t.calls["get_weather"] == (1 if version == "v2" else 2)
    assert replay_thread(env, tid(thread)) == 2


# --------------------------------------------------------------------------------------
# ToolNode's error handling (a graph START -> tools: LangGraph's ToolNode needs a graph to run in)
# --------------------------------------------------------------------------------------


def make_tool_node_graph(handle_tool_errors):
    def make(StateGraph, START, END, t):
        @tool
        def divide(a: int, b: int) -> float:
            """Divide a by b."""
            t.calls["divide"] += 1
            return a / b

        kwargs = {} if handle_tool_errors == "default" else {"handle_tool_errors": handle_tool_errors}
        b = StateGraph(t.MessagesState)
        b.add_node("tools", t.imp("prebuilt").ToolNode([divide], **kwargs))
        b.add_edge(START, "tools")
        return b

    return make


@pytest.mark.parametrize("handle_tool_errors", ["default", True, False, "try again"])
@pytest.mark.parametrize("args", [{"a": 1, "b": 0}, {"a": "x", "b": 1}, {"a": 1}], ids=["raises", "bad-type", "missing"])
def test_tool_node_error_handling_as_langgraph(env, thread, handle_tool_errors, args):
    d = Differential(make_tool_node_graph(handle_tool_errors), tid(thread))
    message = AIMessage("", tool_calls=[{"name": "divide", "args": args, "id": "c1"}])
    out = d.invoke({"messages": [message]})
    if out["langgraph"].exc is None:  # the error went to the model as a ToolMessage: same content
        assert out["graphcompat"].raw["messages"][-1].status == "error"
