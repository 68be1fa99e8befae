"""Streaming with ``subgraphs=True``: LangGraph's "Stream subgraph outputs" and its neighbours, on both libraries.

Each program runs as written on LangGraph, then with ``langgraph`` swapped
for ``graphcompat`` in the imports; what the two print must be the same, up
to generated ids (a namespace is ``node:<task id>``; ALLOWED["generated_ids"]).
A subgraph's chunks come inside the parent step that ran it, after the
parent's earlier chunks and before the parent's update for the subgraph node,
whatever clock the subgraph's own run has. Every graphcompat run of a program
with a checkpointer is replayed, its subgraphs' workflows included.
"""

import contextlib
import io
import re
import textwrap
from typing import Any

import pytest

from tests.e2e.replay import replay_thread

from .test_streaming import normalized as _normalized
from .test_streaming import swap

pytest.importorskip("langgraph")
pytest.importorskip("langchain_core")

SUBGRAPH = """
from typing import TypedDict
from langgraph.graph import START, StateGraph
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.config import get_stream_writer
from langgraph.types import Command, interrupt

class SubgraphState(TypedDict):
    foo: str  # note that this key is shared with the parent graph state
    bar: str

def subgraph_node_1(state: SubgraphState):
    return {"bar": "bar"}

def subgraph_node_2(state: SubgraphState):
    return {"foo": state["foo"] + state["bar"]}

subgraph_builder = StateGraph(SubgraphState)
subgraph_builder.add_node(subgraph_node_1)
subgraph_builder.add_node(subgraph_node_2)
subgraph_builder.add_edge(START, "subgraph_node_1")
subgraph_builder.add_edge("subgraph_node_1", "subgraph_node_2")
subgraph = subgraph_builder.compile()

class ParentState(TypedDict):
    foo: str

def node_1(state: ParentState):
    return {"foo": "hi! " + state["foo"]}
"""

PARENT = """
builder = StateGraph(ParentState)
builder.add_node("node_1", node_1)
builder.add_node("node_2", subgraph)
builder.add_edge(START, "node_1")
builder.add_edge("node_1", "node_2")
graph = builder.compile(checkpointer=InMemorySaver())
"""

PROGRAMS: dict[str, str] = {
    # The how-to's extended example, as written (no checkpointer).
    "docs_updates": SUBGRAPH + """
builder = StateGraph(ParentState)
builder.add_node("node_1", node_1)
builder.add_node("node_2", subgraph)
builder.add_edge(START, "node_1")
builder.add_edge("node_1", "node_2")
graph = builder.compile()

for chunk in graph.stream({"foo": "foo"}, stream_mode="updates", subgraphs=True):
    print(chunk)
""",
    "values_and_updates": SUBGRAPH + PARENT + """
THREAD = "values-and-updates"

for chunk in graph.stream({"foo": "foo"}, {"configurable": {"thread_id": THREAD}}, stream_mode=["values", "updates"], subgraphs=True):
    print(chunk)
""",
    # A subgraph inside a subgraph: namespaces nest, each level inside the step of the level above.
    "nested": SUBGRAPH + """
middle = StateGraph(SubgraphState)
middle.add_node("inner", subgraph)
middle.add_node("after", lambda state: {"bar": state["bar"] + "!"})
middle.add_edge(START, "inner")
middle.add_edge("inner", "after")

builder = StateGraph(SubgraphState)
builder.add_node("node_1", node_1)
builder.add_node("middle", middle.compile())
builder.add_node("last", lambda state: {"foo": state["foo"] + "."})
builder.add_edge(START, "node_1")
builder.add_edge("node_1", "middle")
builder.add_edge("middle", "last")
graph = builder.compile(checkpointer=InMemorySaver())
THREAD = "nested"

for chunk in graph.stream({"foo": "foo", "bar": ""}, {"configurable": {"thread_id": THREAD}}, stream_mode="updates", subgraphs=True):
    print(chunk)
""",
    # A subgraph with its own schema invoked inside a node; its node writes custom chunks.
    "invoked_in_a_node_with_custom": SUBGRAPH + """
class Other(TypedDict):
    text: str

def shout(state: Other):
    get_stream_writer()({"progress": "shouting"})
    return {"text": state["text"].upper()}

other_builder = StateGraph(Other)
other_builder.add_node(shout)
other_builder.add_edge(START, "shout")
other = other_builder.compile()

def call_other(state: ParentState):
    return {"foo": other.invoke({"text": state["foo"]})["text"]}

builder = StateGraph(ParentState)
builder.add_node("node_1", node_1)
builder.add_node("call_other", call_other)
builder.add_edge(START, "node_1")
builder.add_edge("node_1", "call_other")
graph = builder.compile(checkpointer=InMemorySaver())
THREAD = "invoked"

for chunk in graph.stream({"foo": "foo"}, {"configurable": {"thread_id": THREAD}}, stream_mode=["updates", "custom"], subgraphs=True):
    print(chunk)
print("without subgraphs=True:")
for chunk in graph.stream({"foo": "again"}, {"configurable": {"thread_id": THREAD}}, stream_mode=["updates", "custom"]):
    print(chunk)
""",
    # A chat model called in a subgraph's node: its tokens, with the task's full namespace in the metadata.
    "messages_from_a_subgraph_node": """
import itertools
from typing import TypedDict
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langgraph.graph import START, StateGraph
from langgraph.checkpoint.memory import InMemorySaver

llm = GenericFakeChatModel(messages=itertools.cycle([AIMessage(content="hello there friend")]))

class State(TypedDict):
    text: str

def talk(state: State):
    return {"text": llm.invoke("hi").content}

team = StateGraph(State)
team.add_node("talk", talk)
team.add_edge(START, "talk")
builder = StateGraph(State)
builder.add_node("team", team.compile())
builder.add_edge(START, "team")
graph = builder.compile(checkpointer=InMemorySaver())
THREAD = "messages"

for namespace, (message, metadata) in graph.stream({"text": ""}, {"configurable": {"thread_id": THREAD}}, stream_mode="messages", subgraphs=True):
    print(namespace, repr(message.content), metadata["langgraph_node"], metadata["langgraph_checkpoint_ns"], metadata["checkpoint_ns"])
print("without subgraphs=True:", list(graph.stream({"text": ""}, {"configurable": {"thread_id": THREAD}}, stream_mode="messages")))
""",
    # An interrupt inside the subgraph, then the resume, both streamed with the subgraph's chunks.
    "interrupt_and_resume": SUBGRAPH + """
def ask(state: SubgraphState):
    return {"bar": interrupt("bar?")}

asking = StateGraph(SubgraphState)
asking.add_node("ask", ask)
asking.add_node(subgraph_node_2)
asking.add_edge(START, "ask")
asking.add_edge("ask", "subgraph_node_2")

builder = StateGraph(SubgraphState)
builder.add_node("node_1", node_1)
builder.add_node("node_2", asking.compile())
builder.add_edge(START, "node_1")
builder.add_edge("node_1", "node_2")
graph = builder.compile(checkpointer=InMemorySaver())
THREAD = "interrupted"
config = {"configurable": {"thread_id": THREAD}}

for chunk in graph.stream({"foo": "foo", "bar": ""}, config, stream_mode="updates", subgraphs=True):
    print(chunk)
for chunk in graph.stream(Command(resume="BAR"), config, stream_mode=["updates", "values"], subgraphs=True):
    print(chunk)
""",
}


def normalized(text: str) -> str:
    """Generated ids out: uuids (task ids in namespaces) and interrupt ids (32 hex digits)."""
    return re.sub(r"id='[0-9a-f]{32}'", "id=<interrupt-id>", _normalized(text))


def _run(source: str) -> tuple[str, dict[str, Any]]:
    out = io.StringIO()
    namespace: dict[str, Any] = {"__name__": "__streaming_subgraphs__"}
    with contextlib.redirect_stdout(out):
        exec(compile(textwrap.dedent(source), "<program>", "exec"), namespace)
    return out.getvalue(), namespace


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_subgraph_streams_print_the_same(env, name):
    expected, _ = _run(PROGRAMS[name])
    got, namespace = _run(swap(PROGRAMS[name]))
    assert "<uuid>" in normalized(expected) or name == "invoked_in_a_node_with_custom", "the program streamed no subgraph chunk"
    assert normalized(got) == normalized(expected)
    if "THREAD" in namespace:
        replay_thread(env, namespace["THREAD"], store=namespace["graph"].checkpointer)


def test_the_namespace_is_the_subgraph_task_s_checkpoint_ns(env):
    """The namespace in each chunk names the subgraph's checkpoints: get_state reads them."""
    _, namespace = _run(swap(SUBGRAPH + PARENT))
    graph = namespace["graph"]
    config = {"configurable": {"thread_id": "ns-check"}}
    chunks = list(graph.stream({"foo": "foo"}, config, stream_mode="values", subgraphs=True))
    namespaces = {ns for ns, _ in chunks if ns}
    assert len(namespaces) == 1
    (ns,) = namespaces
    sub = graph.get_state({"configurable": {"thread_id": "ns-check", "checkpoint_ns": ns[0]}})
    assert sub.values == {"foo": "hi! foobar", "bar": "bar"}
    assert [c for n, c in chunks if n == ns][-1] == sub.values
    replay_thread(env, "ns-check", store=graph.checkpointer)
