"""Bad input (issue 13): every wrong call gets a typed error that says what was wrong
and what to do, and changes nothing stored.

The catalogue below is one table. Each row is a wrong call written once against an
"API" (graphcompat's, or real LangGraph's for the rows marked ``lg=True``), the
error type it must raise, and a regex on the part of the message that says what
was wrong and what to do. Each row runs against a store seeded with one finished
and one interrupted thread, and the store's full dump (every thread's checkpoints
and pending writes) must be the same after the call as before it.

Where LangGraph raises for the same call (``lg=True``), ours must be of the same
type or a subclass: for a built-in type (``ValueError``, ``TypeError``) by
``isinstance``; for one of LangGraph's own classes (``InvalidUpdateError``,
``EmptyInputError``) by a class of the same name in our exception's MRO. Rows
without it are where graphcompat is stricter than LangGraph (BEHAVIOUR.md, "Bad
input"), which accepts the call silently or fails with an incidental error.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import types as pytypes
import uuid
from collections.abc import Callable
from operator import add
from typing import Annotated, Any, TypedDict

import pydantic
import pytest

import graphcompat.checkpoint.memory as gc_memory
import graphcompat.graph as gc_graph
import graphcompat.types as gc_types
from graphcompat import errors
from graphcompat._wire import workflow_id_for
from graphcompat.checkpoint.base import BaseCheckpointSaver
from graphcompat.checkpoint.sqlite import SqliteSaver

from .replay import replay_thread


class S(TypedDict):
    log: Annotated[list[str], add]
    value: str


def _a(state: S) -> dict:
    return {"log": ["a"]}


GC = pytypes.SimpleNamespace(
    name="graphcompat",
    StateGraph=gc_graph.StateGraph,
    START=gc_graph.START,
    END=gc_graph.END,
    Command=gc_types.Command,
    interrupt=gc_types.interrupt,
    InMemorySaver=gc_memory.InMemorySaver,
)


def _langgraph_api() -> pytypes.SimpleNamespace:
    import langgraph.checkpoint.memory as lg_memory
    import langgraph.graph as lg_graph
    import langgraph.types as lg_types

    return pytypes.SimpleNamespace(
        name="langgraph",
        StateGraph=lg_graph.StateGraph,
        START=lg_graph.START,
        END=lg_graph.END,
        Command=lg_types.Command,
        interrupt=lg_types.interrupt,
        InMemorySaver=lg_memory.InMemorySaver,
    )


def build(api: pytypes.SimpleNamespace, checkpointer: Any) -> Any:
    """START -> a -> ask (interrupt) -> END."""

    def ask(state: S) -> dict:
        return {"value": api.interrupt("proceed?")}

    builder = api.StateGraph(S)
    builder.add_node("a", _a)
    builder.add_node("ask", ask)
    builder.add_edge(api.START, "a")
    builder.add_edge("a", "ask")
    builder.add_edge("ask", api.END)
    return builder.compile(checkpointer=checkpointer)


@dataclasses.dataclass
class World:
    """A seeded graph: ``done`` finished, ``paused`` waits in an interrupt, ``fresh`` is unused."""

    api: pytypes.SimpleNamespace
    graph: Any
    done: dict
    paused: dict
    fresh: dict

    def cfg(self, **configurable: Any) -> dict:
        return {"configurable": {**self.fresh["configurable"], **configurable}}


def seed(api: pytypes.SimpleNamespace, checkpointer: Any) -> World:
    graph = build(api, checkpointer)
    suffix = uuid.uuid4().hex[:10]
    done = {"configurable": {"thread_id": f"done-{suffix}"}}
    paused = {"configurable": {"thread_id": f"paused-{suffix}"}}
    graph.invoke({"log": []}, done)
    assert graph.invoke(api.Command(resume="yes"), done)["value"] == "yes"
    assert "__interrupt__" in graph.invoke({"log": []}, paused)
    return World(api, graph, done, paused, {"configurable": {"thread_id": f"fresh-{suffix}"}})


def dump_store(store: BaseCheckpointSaver) -> dict[tuple[str, str, str], Any]:
    """Every thread's checkpoints and the pending writes against each, as plain data."""
    out: dict[tuple[str, str, str], Any] = {}
    for info in store.list_threads():
        for record in store.list_checkpoints(info.thread_id, None):
            key = (record.thread_id, record.checkpoint_ns, record.checkpoint_id)
            writes = store.get_writes(*key)
            out[key] = (record.to_json(), [dataclasses.asdict(w) for w in writes])
    return out


UNKNOWN_ID = "1f000000-0000-6000-8000-000000000000"


def _builder(w: World) -> Any:
    builder = w.api.StateGraph(S)
    builder.add_node("a", _a)
    builder.add_edge(w.api.START, "a")
    return builder


def _dup_node(w: World) -> None:
    builder = w.api.StateGraph(S)
    builder.add_node("a", _a)
    builder.add_node("a", _a)


def _edge_to(w: World) -> None:
    builder = _builder(w)
    builder.add_edge("a", "nowhere")
    builder.compile()


def _edge_from(w: World) -> None:
    builder = _builder(w)
    builder.add_edge("nowhere", "a")
    builder.compile()


def _branch_to(w: World) -> None:
    builder = _builder(w)
    builder.add_conditional_edges("a", lambda s: "x", {"x": "nowhere"})
    builder.compile()


def _no_entry(w: World) -> None:
    builder = w.api.StateGraph(S)
    builder.add_node("a", _a)
    builder.compile()


def _compile_interrupt(w: World) -> None:
    _builder(w).compile(interrupt_before=["nowhere"])


class P(pydantic.BaseModel):
    count: int = 0


def _pydantic_wrong_type(w: World) -> None:
    builder = w.api.StateGraph(P)
    builder.add_node("a", lambda s: {"count": s.count + 1})
    builder.add_edge(w.api.START, "a")
    builder.compile(checkpointer=w.api.InMemorySaver()).invoke({"count": "many"}, w.fresh)


def _in_memory_with_remote_workers(w: World) -> None:
    if w.api is not GC:
        raise AssertionError("graphcompat only")
    from graphcompat._runtime import Runtime, use_runtime

    async def never() -> Any:  # pragma: no cover - must not be reached
        raise AssertionError("connected")

    remote = Runtime(never, in_process_worker=False)
    try:
        with use_runtime(remote):
            build(GC, gc_memory.InMemorySaver()).invoke({"log": []}, w.fresh)
    finally:
        remote.close()


def _stream(w: World, mode: Any) -> list:
    return list(w.graph.stream({"log": []}, w.fresh, stream_mode=mode))


def _history(w: World, **kwargs: Any) -> list:
    return list(w.graph.get_state_history(w.done, **kwargs))


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    call: Callable[[World], Any]
    exc: type[BaseException]
    match: str
    lg: bool = False  # LangGraph raises for this call too: ours must be its type (or a subclass)


C = Case
CASES = [
    # -- config and thread id ---------------------------------------------------------
    C("config-is-a-list", lambda w: w.graph.invoke({"log": []}, [("configurable", w.fresh["configurable"])]),
      errors.ConfigurationError, r"config must be a mapping.*got list.*\{'configurable': \{'thread_id'"),
    C("config-is-a-str", lambda w: w.graph.invoke({"log": []}, "thread-1"),
      errors.ConfigurationError, r"config must be a mapping.*got str"),
    C("configurable-is-a-list", lambda w: w.graph.invoke({"log": []}, {"configurable": [("thread_id", "x")]}),
      errors.ConfigurationError, r"config\['configurable'\] must be a mapping.*got list"),
    C("no-thread-id", lambda w: w.graph.invoke({"log": []}, {}), errors.ConfigurationError,
      r"thread_id.*Pass config=\{'configurable': \{'thread_id'", lg=True),
    C("thread-id-empty", lambda w: w.graph.invoke({"log": []}, w.cfg(thread_id="")),
      errors.ConfigurationError, r"thread_id is empty.*non-empty"),
    C("thread-id-dict", lambda w: w.graph.invoke({"log": []}, w.cfg(thread_id={"user": 1})),
      errors.ConfigurationError, r"thread_id must be a str, int or UUID, got dict"),
    C("thread-id-list", lambda w: w.graph.invoke({"log": []}, w.cfg(thread_id=["a"])),
      errors.ConfigurationError, r"thread_id must be a str, int or UUID, got list"),
    C("thread-id-float", lambda w: w.graph.invoke({"log": []}, w.cfg(thread_id=1.5)),
      errors.ConfigurationError, r"thread_id must be a str, int or UUID, got float"),
    C("thread-id-bool", lambda w: w.graph.invoke({"log": []}, w.cfg(thread_id=True)),
      errors.ConfigurationError, r"thread_id must be a str, int or UUID, got bool"),
    C("thread-id-2000-chars", lambda w: w.graph.invoke({"log": []}, w.cfg(thread_id="t" * 2000)),
      errors.ConfigurationError, r"thread_id is 2,000 bytes.*at most \d+ bytes.*shorter"),
    C("thread-id-long-in-bytes", lambda w: w.graph.invoke({"log": []}, w.cfg(thread_id="ü" * 600)),
      errors.ConfigurationError, r"thread_id is 1,200 bytes"),
    C("get-state-thread-id-dict", lambda w: w.graph.get_state(w.cfg(thread_id={"user": 1})),
      errors.ConfigurationError, r"thread_id must be a str, int or UUID"),
    C("get-state-config-is-a-list", lambda w: w.graph.get_state([w.done]),
      errors.ConfigurationError, r"config must be a mapping.*got list"),
    C("checkpoint-ns-not-a-str", lambda w: w.graph.get_state(w.cfg(checkpoint_ns=5)),
      errors.ConfigurationError, r"checkpoint_ns must be a str, got int"),
    C("checkpoint-id-not-a-str", lambda w: w.graph.get_state({"configurable": {**w.done["configurable"], "checkpoint_id": 7}}),
      errors.ConfigurationError, r"checkpoint_id must be a str.*got int.*get_state_history"),
    C("recursion-limit-0", lambda w: w.graph.invoke({"log": []}, {**w.fresh, "recursion_limit": 0}),
      errors.ConfigurationError, r"recursion_limit must be at least 1, got 0", lg=True),
    C("recursion-limit-negative", lambda w: w.graph.invoke({"log": []}, {**w.fresh, "recursion_limit": -1}),
      errors.ConfigurationError, r"recursion_limit must be at least 1, got -1", lg=True),
    C("recursion-limit-str", lambda w: w.graph.invoke({"log": []}, {**w.fresh, "recursion_limit": "abc"}),
      errors.ConfigurationTypeError, r"recursion_limit must be an int.*got str 'abc'", lg=True),
    C("recursion-limit-float", lambda w: w.graph.invoke({"log": []}, {**w.fresh, "recursion_limit": 2.5}),
      errors.ConfigurationTypeError, r"recursion_limit must be an int.*got float"),
    C("recursion-limit-bool", lambda w: w.graph.invoke({"log": []}, {**w.fresh, "recursion_limit": True}),
      errors.ConfigurationTypeError, r"recursion_limit must be an int.*got bool"),
    C("configurable-not-json", lambda w: w.graph.invoke({"log": []}, w.cfg(client=object())),
      errors.ConfigurationError, r"JSON.*module-level globals"),
    # -- input ----------------------------------------------------------------------
    C("input-unknown-key", lambda w: w.graph.invoke({"bogus": 1}, w.fresh),
      errors.UnknownStateKeyError, r"unknown state key.*'bogus'.*Add the key to the schema"),
    C("input-not-a-dict", lambda w: w.graph.invoke(42, w.fresh),
      errors.InvalidUpdateError, r"returned int 42; .*must return a dict", lg=True),
    C("input-a-list", lambda w: w.graph.invoke(["x"], w.fresh),
      errors.InvalidUpdateError, r"returned list.*must return a dict", lg=True),
    C("input-a-str", lambda w: w.graph.invoke("hello", w.fresh),
      errors.InvalidUpdateError, r"returned str 'hello'.*must return a dict", lg=True),
    C("input-not-json", lambda w: w.graph.invoke({"value": object()}, w.fresh),
      errors.StateSerializationError, r"'value'.*cannot be serialized.*Store plain data"),
    C("input-wrong-type-pydantic-state", _pydantic_wrong_type,
      errors.InvalidUpdateError, r"'count' does not fit its type.*Pass a value of the declared type", lg=True),
    C("input-on-empty-thread-none", lambda w: w.graph.invoke(None, w.fresh),
      errors.EmptyInputError, r"no checkpoint to resume; start it with an input", lg=True),
    # -- Command ----------------------------------------------------------------------
    C("command-empty", lambda w: w.graph.invoke(w.api.Command(), w.paused),
      errors.NotSupportedError, r"takes Command\(resume=value, update=\{\.\.\.\}\).*update_state"),
    C("command-goto", lambda w: w.graph.invoke(w.api.Command(goto="a"), w.done),
      errors.NotSupportedError, r"got Command\(goto=.*goto and graph are not supported.*update_state\(config, values, as_node"),
    C("command-update-unknown-key", lambda w: w.graph.invoke(w.api.Command(update={"nope": "z"}), w.paused),
      errors.UnknownStateKeyError, r"'nope'"),
    C("resume-on-thread-without-checkpoint", lambda w: w.graph.invoke(w.api.Command(resume="x"), w.fresh),
      errors.EmptyInputError, r"no checkpoint.*nothing to resume.*invoke\(\{\.\.\.\}, config\)"),
    # -- nodes named by the caller ---------------------------------------------------------
    C("invoke-interrupt-before-unknown", lambda w: w.graph.invoke({"log": []}, w.fresh, interrupt_before=["nope"]),
      errors.UnknownNodeError, r"Interrupt node 'nope' is not a node of this graph; known nodes: a, ask"),
    C("invoke-interrupt-after-unknown", lambda w: w.graph.invoke({"log": []}, w.fresh, interrupt_after=["nope"]),
      errors.UnknownNodeError, r"Interrupt node 'nope' is not a node"),
    C("invoke-interrupt-before-a-str", lambda w: w.graph.invoke({"log": []}, w.fresh, interrupt_before="nope"),
      errors.UnknownNodeError, r"Interrupt node 'nope' is not a node"),
    C("stream-mode-unknown", lambda w: _stream(w, "bogus"),
      errors.ConfigurationError, r"stream_mode 'bogus' is not a stream mode; use one of 'values', 'updates', 'custom', 'messages', 'checkpoints', 'tasks', 'debug'"),
    C("stream-mode-list-with-unknown", lambda w: _stream(w, ["values", "bogus"]),
      errors.ConfigurationError, r"stream_mode 'bogus' is not a stream mode"),
    C("stream-config-is-a-list", lambda w: list(w.graph.stream({"log": []}, [w.fresh])),
      errors.ConfigurationError, r"config must be a mapping.*got list"),
    # -- update_state ------------------------------------------------------------------
    C("update-state-unknown-as-node", lambda w: w.graph.update_state(w.done, {"value": "z"}, as_node="nope"),
      errors.UnknownNodeError, r"as_node 'nope' is not a node of this graph; known nodes", lg=True),
    C("update-state-unknown-checkpoint", lambda w: w.graph.update_state({"configurable": {**w.done["configurable"], "checkpoint_id": UNKNOWN_ID}}, {"value": "z"}),
      errors.UnknownCheckpointError, r"does not exist; list the thread's checkpoints"),
    C("update-state-unknown-key", lambda w: w.graph.update_state(w.done, {"bogus": 1}),
      errors.UnknownStateKeyError, r"unknown state key.*'bogus'"),
    C("update-state-not-a-dict", lambda w: w.graph.update_state(w.done, 5, as_node="a"),
      errors.InvalidUpdateError, r"returned int 5.*must return a dict", lg=True),
    C("update-state-no-thread", lambda w: w.graph.update_state({}, {"value": "z"}),
      errors.ConfigurationError, r"thread_id"),
    C("update-state-thread-id-empty", lambda w: w.graph.update_state(w.cfg(thread_id=""), {"value": "z"}),
      errors.ConfigurationError, r"thread_id is empty"),
    # -- reads ----------------------------------------------------------------------
    C("get-state-unknown-checkpoint", lambda w: w.graph.get_state({"configurable": {**w.done["configurable"], "checkpoint_id": UNKNOWN_ID}}),
      errors.UnknownCheckpointError, r"does not exist; list the thread's checkpoints"),
    C("history-limit-negative", lambda w: _history(w, limit=-1),
      errors.ConfigurationError, r"limit must be a non-negative integer or None, got -1"),
    C("history-limit-str", lambda w: _history(w, limit="x"),
      errors.ConfigurationTypeError, r"limit must be a non-negative integer or None, got 'x'", lg=True),
    C("history-before-unknown", lambda w: _history(w, before={"configurable": {**w.done["configurable"], "checkpoint_id": UNKNOWN_ID}}),
      errors.UnknownCheckpointError, r"does not exist; list the thread's checkpoints"),
    C("history-before-not-an-id", lambda w: _history(w, before=5),
      errors.ConfigurationError, r"before must be a config or a checkpoint id.*got int"),
    C("history-filter-not-a-mapping", lambda w: _history(w, filter=["source"]),
      errors.ConfigurationError, r"filter must be a mapping.*got list"),
    # -- graphs -----------------------------------------------------------------------
    C("duplicate-node", _dup_node, errors.GraphValidationError, r"'a' is already present; node names must be unique", lg=True),
    C("node-not-callable", lambda w: w.api.StateGraph(S).add_node("a", 5),
      errors.GraphTypeError, r"Node 'a': 5 is not callable; pass a function", lg=True),
    C("node-name-reserved", lambda w: w.api.StateGraph(S).add_node("__start__", _a),
      errors.GraphValidationError, r"reserved; choose another name", lg=True),
    C("edge-to-unknown-node", _edge_to, errors.GraphValidationError, r"ends at unknown node 'nowhere'", lg=True),
    C("edge-from-unknown-node", _edge_from, errors.GraphValidationError, r"starts at unknown node 'nowhere'"),
    C("branch-to-unknown-node", _branch_to, errors.GraphValidationError, r"'nowhere'", lg=True),
    C("no-entry-point", _no_entry, errors.GraphValidationError, r"entry|START", lg=True),
    C("compile-interrupt-unknown", _compile_interrupt, errors.GraphValidationError, r"Interrupt node 'nowhere' is not a node", lg=True),
    C("compile-non-saver", lambda w: _builder(w).compile(checkpointer=object()),
      errors.GraphTypeError, r"checkpointer must be a graphcompat saver.*got object", lg=True),
    C("compile-bad-store-url", lambda w: _builder(w).compile(checkpointer="nosuch://x"),
      errors.ConfigurationError, r"unsupported store URL 'nosuch://x'; use one of"),
    C("in-memory-saver-with-remote-workers", _in_memory_with_remote_workers,
      errors.ConfigurationError, r"InMemorySaver, which only this process can see.*shared store"),
    C("state-schema-not-a-type", lambda w: w.api.StateGraph(5),
      errors.GraphValidationError, r"schema"),
]


@pytest.fixture
def world(env, tmp_path) -> World:
    w = seed(GC, SqliteSaver(str(tmp_path / "store.db")))
    yield w
    for config in (w.done, w.paused):
        replay_thread(env, config["configurable"]["thread_id"])


def _same_kind(ours: BaseException, theirs: BaseException) -> bool:
    """LangGraph's own class by name; any other by its nearest built-in base (pydantic's ValidationError: ValueError)."""
    kind = type(theirs)
    if kind.__module__.startswith("langgraph"):
        return any(cls.__name__ == kind.__name__ for cls in type(ours).__mro__)
    builtin = next(cls for cls in kind.__mro__ if cls.__module__ == "builtins")
    return isinstance(ours, builtin)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_wrong_call(case: Case, world: World) -> None:
    before = dump_store(world.graph.store)
    assert {k[0] for k in before} == {world.done["configurable"]["thread_id"], world.paused["configurable"]["thread_id"]}
    assert any(writes for _, writes in before.values())  # the interrupted thread's pending writes
    with pytest.raises(case.exc, match=case.match) as info:
        case.call(world)
    assert isinstance(info.value, errors.GraphCompatError)
    assert dump_store(world.graph.store) == before
    if case.lg:
        lg = seed(_langgraph_api(), _langgraph_api().InMemorySaver())
        with pytest.raises(Exception) as theirs:
            case.call(lg)
        assert _same_kind(info.value, theirs.value), f"LangGraph raises {theirs.type!r}, we raise {info.type!r}"


def test_catalogue_size() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


def test_run_terminated_outside_graphcompat(env, thread) -> None:
    """A run terminated from the Temporal UI/CLI is a RunTerminatedError saying how to go on."""
    release = threading.Event()
    entered = threading.Event()

    def slow(state: S) -> dict:
        entered.set()
        release.wait(timeout=30)
        return {"log": ["slow"]}

    builder = gc_graph.StateGraph(S)
    builder.add_node("slow", slow)
    builder.add_edge(gc_graph.START, "slow")
    builder.add_edge("slow", gc_graph.END)
    graph = builder.compile(checkpointer=gc_memory.InMemorySaver())
    thread_id = thread["configurable"]["thread_id"]
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            graph.invoke({"log": []}, thread)
        except BaseException as exc:  # noqa: BLE001 - checked below
            outcome["error"] = exc

    caller = threading.Thread(target=run)
    caller.start()
    try:
        assert entered.wait(timeout=30), "the node never started"
        with pytest.raises(errors.ThreadBusyError, match="already has a run in flight.*Wait for it to finish"):
            graph.invoke({"log": []}, thread)  # a second run on a busy thread
        handle = env.client.get_workflow_handle(workflow_id_for(thread_id))
        env.run(handle.terminate(reason="stopped by an operator"))
        caller.join(timeout=30)
    finally:
        release.set()
        caller.join(timeout=30)
    err = outcome.get("error")
    assert isinstance(err, errors.RunTerminatedError), repr(err)
    assert isinstance(err, RuntimeError)
    assert re.search(r"was terminated outside graphcompat.*stopped by an operator.*invoke\(None, config\)", str(err))
    assert err.thread_id == thread_id
    before = dump_store(graph.store)
    assert graph.get_state(thread).next == ("slow",)  # the input checkpoint is kept: resumable
    assert dump_store(graph.store) == before
    replay_thread(env, thread_id)
