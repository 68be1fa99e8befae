"""LangGraph's "Enable human intervention" how-to (langchain-ai/docs, src/oss/add-human-in-the-loop.mdx).

Each test re-states one example of the page as a program importing from
``langgraph`` and compares what it prints, on LangGraph and with the imports
swapped to ``graphcompat`` (doc_harness.py). Interrupt ids print as ``<id>``.
Not here: subgraphs called as functions, ``create_react_agent`` with tools
that interrupt (tests/differential/test_agents.py has those), static-interrupt
debugging with ``interrupt_before`` on a subgraph.
"""

import pytest

from .doc_harness import same_output

pytest.importorskip("langgraph")


def test_pause_using_interrupt_then_resume_with_command(env):
    """"Pause using interrupt": the interrupt's value surfaces in __interrupt__; Command(resume=...) answers."""

    def program():
        import uuid
        from typing import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.constants import START
        from langgraph.graph import StateGraph
        from langgraph.types import Command, interrupt

        class State(TypedDict):
            some_text: str

        def human_node(state: State):
            value = interrupt({"text_to_revise": state["some_text"]})
            return {"some_text": value}

        graph_builder = StateGraph(State)
        graph_builder.add_node("human_node", human_node)
        graph_builder.add_edge(START, "human_node")
        graph = graph_builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": uuid.uuid4()}}
        result = graph.invoke({"some_text": "original text"}, config=config)
        print(result["__interrupt__"])
        print(result["__interrupt__"][0].value, bool(result["__interrupt__"][0].id))
        print(graph.invoke(Command(resume="Edited text"), config=config))

    same_output(env, program)


def test_get_state_shows_the_pending_interrupt(env):
    """"Pause using interrupt": while paused, get_state names the node and carries the interrupt."""

    def program():
        from typing import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.constants import START
        from langgraph.graph import StateGraph
        from langgraph.types import interrupt

        class State(TypedDict):
            some_text: str

        def human_node(state: State):
            return {"some_text": interrupt({"text_to_revise": state["some_text"]})}

        graph_builder = StateGraph(State)
        graph_builder.add_node("human_node", human_node)
        graph_builder.add_edge(START, "human_node")
        graph = graph_builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "some_id"}}
        graph.invoke({"some_text": "original text"}, config=config)
        state = graph.get_state(config)
        print(state.next, state.values)
        print(state.interrupts)
        print([(t.name, t.interrupts) for t in state.tasks])
        print(state.interrupts[0].id == state.tasks[0].interrupts[0].id)

    same_output(env, program)


def test_resume_multiple_interrupts_with_one_invocation(env):
    """"Resume multiple interrupts with one invocation": a map of interrupt id -> value."""

    def program():
        import uuid
        from typing import TypedDict

        from langchain_core.runnables import RunnableConfig

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.constants import START
        from langgraph.graph import StateGraph
        from langgraph.types import Command, interrupt

        class State(TypedDict):
            text_1: str
            text_2: str

        def human_node_1(state: State):
            return {"text_1": interrupt({"text_to_revise": state["text_1"]})}

        def human_node_2(state: State):
            return {"text_2": interrupt({"text_to_revise": state["text_2"]})}

        graph_builder = StateGraph(State)
        graph_builder.add_node("human_node_1", human_node_1)
        graph_builder.add_node("human_node_2", human_node_2)
        graph_builder.add_edge(START, "human_node_1")
        graph_builder.add_edge(START, "human_node_2")
        graph = graph_builder.compile(checkpointer=InMemorySaver())
        config: RunnableConfig = {"configurable": {"thread_id": str(uuid.uuid4())}}
        result = graph.invoke({"text_1": "original text 1", "text_2": "original text 2"}, config=config)
        print(sorted(i.value["text_to_revise"] for i in result["__interrupt__"]))
        resume_map = {i.id: f"edited text for {i.value['text_to_revise']}" for i in graph.get_state(config).interrupts}
        print(graph.invoke(Command(resume=resume_map), config=config))

    same_output(env, program)


def test_approve_or_reject(env):
    """"Approve or reject": the human's answer picks the path through Command(goto=..., update=...)."""

    def program():
        import uuid
        from typing import Literal, TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.constants import END
        from langgraph.graph import StateGraph
        from langgraph.types import Command, interrupt

        class State(TypedDict):
            llm_output: str
            decision: str

        def generate_llm_output(state: State) -> State:
            return {"llm_output": "This is the generated output."}

        def human_approval(state: State) -> Command[Literal["approved_path", "rejected_path"]]:
            decision = interrupt({"question": "Do you approve the following output?", "llm_output": state["llm_output"]})
            if decision == "approve":
                return Command(goto="approved_path", update={"decision": "approved"})
            return Command(goto="rejected_path", update={"decision": "rejected"})

        def approved_node(state: State) -> State:
            print("Approved path taken.")
            return state

        def rejected_node(state: State) -> State:
            print("Rejected path taken.")
            return state

        builder = StateGraph(State)
        builder.add_node("generate_llm_output", generate_llm_output)
        builder.add_node("human_approval", human_approval)
        builder.add_node("approved_path", approved_node)
        builder.add_node("rejected_path", rejected_node)
        builder.set_entry_point("generate_llm_output")
        builder.add_edge("generate_llm_output", "human_approval")
        builder.add_edge("approved_path", END)
        builder.add_edge("rejected_path", END)
        graph = builder.compile(checkpointer=InMemorySaver())
        for answer in ("approve", "reject"):
            config = {"configurable": {"thread_id": uuid.uuid4()}}
            result = graph.invoke({}, config=config)
            print(result["__interrupt__"])
            print(graph.invoke(Command(resume=answer), config=config))

    same_output(env, program)


def test_review_and_edit_state(env):
    """"Review and edit state": the resume value carries the edited summary."""

    def program():
        import uuid
        from typing import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.constants import END
        from langgraph.graph import StateGraph
        from langgraph.types import Command, interrupt

        class State(TypedDict):
            summary: str

        def generate_summary(state: State) -> State:
            return {"summary": "A dog slept under the old oak tree."}

        def human_review_edit(state: State) -> State:
            result = interrupt({"task": "Review and edit the summary if needed.", "generated_summary": state["summary"]})
            return {"summary": result["edited_summary"]}

        def downstream_use(state: State) -> State:
            print(f"Using edited summary: {state['summary']}")
            return state

        builder = StateGraph(State)
        builder.add_node("generate_summary", generate_summary)
        builder.add_node("human_review_edit", human_review_edit)
        builder.add_node("downstream_use", downstream_use)
        builder.set_entry_point("generate_summary")
        builder.add_edge("generate_summary", "human_review_edit")
        builder.add_edge("human_review_edit", "downstream_use")
        builder.add_edge("downstream_use", END)
        graph = builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": uuid.uuid4()}}
        result = graph.invoke({}, config=config)
        print(result["__interrupt__"])
        edited = "A dog dozed beneath the oak, dreaming of squirrels."
        print(graph.invoke(Command(resume={"edited_summary": edited}), config=config))

    same_output(env, program)


def test_validate_human_input_in_a_loop(env):
    """"Validate human input": interrupt() in a while loop asks again until the answer is valid."""

    def program():
        import uuid
        from typing import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.constants import END
        from langgraph.graph import StateGraph
        from langgraph.types import Command, interrupt

        class State(TypedDict):
            age: int

        def get_valid_age(state: State) -> State:
            prompt = "Please enter your age (must be a non-negative integer)."
            while True:
                user_input = interrupt(prompt)
                try:
                    age = int(user_input)
                    if age < 0:
                        raise ValueError("Age must be non-negative.")
                    break
                except (ValueError, TypeError):
                    prompt = f"'{user_input}' is not valid. Please enter a non-negative integer for age."
            return {"age": age}

        def report_age(state: State) -> State:
            print(f"Human is {state['age']} years old.")
            return state

        builder = StateGraph(State)
        builder.add_node("get_valid_age", get_valid_age)
        builder.add_node("report_age", report_age)
        builder.set_entry_point("get_valid_age")
        builder.add_edge("get_valid_age", "report_age")
        builder.add_edge("report_age", END)
        graph = builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": uuid.uuid4()}}
        print(graph.invoke({}, config=config)["__interrupt__"])
        print(graph.invoke(Command(resume="not a number"), config=config)["__interrupt__"])
        print(graph.invoke(Command(resume="-10"), config=config)["__interrupt__"])
        print(graph.invoke(Command(resume="25"), config=config))

    same_output(env, program)


def test_multiple_interrupts_in_a_single_node(env):
    """"Using multiple interrupts in a single node": answered in order, the node re-runs from its start."""

    def program():
        import uuid
        from typing import Optional, TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.constants import START
        from langgraph.graph import StateGraph
        from langgraph.types import Command, interrupt

        class State(TypedDict):
            age: Optional[str]
            name: Optional[str]

        def human_node(state: State):
            name = interrupt("what is your name?") if not state.get("name") else "N/A"
            age = interrupt("what is your age?") if not state.get("age") else "N/A"
            print(f"Name: {name}. Age: {age}")
            return {"age": age, "name": name}

        builder = StateGraph(State)
        builder.add_node("human_node", human_node)
        builder.add_edge(START, "human_node")
        graph = builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": uuid.uuid4()}}
        for chunk in graph.stream({"age": None, "name": None}, config, stream_mode="updates"):
            print(chunk)
        for chunk in graph.stream(Command(resume="John"), config, stream_mode="updates"):
            print(chunk)
        for chunk in graph.stream(Command(resume="42"), config, stream_mode="updates"):
            print(chunk)

    same_output(env, program)


def test_resume_with_an_update_of_the_state(env):
    """"Using multiple interrupts in a single node": ``Command(resume="John", update={"name": "foo"})``."""

    def program():
        import uuid
        from typing import Optional, TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.constants import START
        from langgraph.graph import StateGraph
        from langgraph.types import Command, interrupt

        class State(TypedDict):
            age: Optional[str]
            name: Optional[str]

        def human_node(state: State):
            name = interrupt("what is your name?") if not state.get("name") else "N/A"
            age = interrupt("what is your age?") if not state.get("age") else "N/A"
            print(f"Name: {name}. Age: {age}")
            return {"age": age, "name": name}

        builder = StateGraph(State)
        builder.add_node("human_node", human_node)
        builder.add_edge(START, "human_node")
        graph = builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": uuid.uuid4()}}
        print(graph.invoke({"age": None, "name": None}, config))
        print(graph.invoke(Command(resume="John", update={"name": "foo"}), config))
        print(graph.get_state(config).values)

    same_output(env, program)


@pytest.mark.xfail(
    strict=True,
    reason="the nodes print: LangGraph runs a step only when the reader asks for the next chunk, graphcompat's "
    "run goes on in Temporal whatever the reader does, so step_1's print comes before the first values chunk "
    "is printed (the chunks themselves are the same: test_static_interrupt_before_a_node_whose_steps_write)",
)
def test_static_interrupt_before_a_node(env):
    """"Debug with interrupts": interrupt_before at compile time, then invoke(None) to continue."""

    def program():
        from typing import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            input: str

        def step_1(state):
            print("---Step 1---")

        def step_2(state):
            print("---Step 2---")

        def step_3(state):
            print("---Step 3---")

        builder = StateGraph(State)
        builder.add_node("step_1", step_1)
        builder.add_node("step_2", step_2)
        builder.add_node("step_3", step_3)
        builder.add_edge(START, "step_1")
        builder.add_edge("step_1", "step_2")
        builder.add_edge("step_2", "step_3")
        builder.add_edge("step_3", END)
        graph = builder.compile(checkpointer=InMemorySaver(), interrupt_before=["step_3"])
        thread = {"configurable": {"thread_id": "1"}}
        for event in graph.stream({"input": "hello world"}, thread, stream_mode="values"):
            print(event)
        print(graph.get_state(thread).next)
        for event in graph.stream(None, thread, stream_mode="values"):
            print(event)

    same_output(env, program)


def test_static_interrupt_before_a_node_whose_steps_write(env):
    """"Debug with interrupts", with steps that write the state: the values stream stops before step_3.

    The steps do not print: graphcompat's run goes on in Temporal while the stream reads the store,
    so a node's print may come before the chunks of earlier steps are consumed (the chunks and
    their order are the same)."""

    def program():
        from typing import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            input: str
            trail: str

        def step(n):
            def run(state):
                return {"trail": state.get("trail", "") + str(n)}

            return run

        builder = StateGraph(State)
        for n in (1, 2, 3):
            builder.add_node(f"step_{n}", step(n))
        builder.add_edge(START, "step_1")
        builder.add_edge("step_1", "step_2")
        builder.add_edge("step_2", "step_3")
        builder.add_edge("step_3", END)
        graph = builder.compile(checkpointer=InMemorySaver(), interrupt_before=["step_3"])
        thread = {"configurable": {"thread_id": "1"}}
        for event in graph.stream({"input": "hello world"}, thread, stream_mode="values"):
            print(event)
        print(graph.get_state(thread).next)
        for event in graph.stream(None, thread, stream_mode="values"):
            print(event)

    same_output(env, program)


def test_static_interrupt_given_at_run_time(env):
    """"Debug with interrupts": interrupt_after passed to invoke instead of compile."""

    def program():
        from typing import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            input: str
            seen: str

        builder = StateGraph(State)
        builder.add_node("step_1", lambda s: {"seen": "1"})
        builder.add_node("step_2", lambda s: {"seen": s["seen"] + "2"})
        builder.add_edge(START, "step_1")
        builder.add_edge("step_1", "step_2")
        builder.add_edge("step_2", END)
        graph = builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": "some_thread"}}
        print(graph.invoke({"input": "x"}, config=config, interrupt_after=["step_1"]))
        print(graph.get_state(config).next)
        print(graph.invoke(None, config=config))

    same_output(env, program)


def test_edit_state_at_a_static_breakpoint(env):
    """"Debug with interrupts" / "Review and edit state": update_state at a breakpoint, then continue."""

    def program():
        from typing import TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        class State(TypedDict):
            draft: str

        builder = StateGraph(State)
        builder.add_node("write", lambda s: {"draft": "first draft"})
        builder.add_node("publish", lambda s: print(f"publishing: {s['draft']}"))
        builder.add_edge(START, "write")
        builder.add_edge("write", "publish")
        builder.add_edge("publish", END)
        graph = builder.compile(checkpointer=InMemorySaver(), interrupt_before=["publish"])
        config = {"configurable": {"thread_id": "t"}}
        print(graph.invoke({"draft": ""}, config))
        graph.update_state(config, {"draft": "edited draft"})
        state = graph.get_state(config)
        print(state.values, state.next, state.metadata["source"])
        print(graph.invoke(None, config))

    same_output(env, program)


@pytest.mark.parametrize("mode", ["updates", "values"])
def test_stream_a_resume_with_an_update(env, mode):
    """"Using multiple interrupts in a single node": ``graph.stream(Command(resume="John", update={"name": "foo"}), config)``."""

    def program():
        import uuid
        from typing import Optional, TypedDict

        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.constants import START
        from langgraph.graph import StateGraph
        from langgraph.types import Command, interrupt

        class State(TypedDict):
            age: Optional[str]
            name: Optional[str]

        def human_node(state: State):
            name = interrupt("what is your name?") if not state.get("name") else "N/A"
            age = interrupt("what is your age?") if not state.get("age") else "N/A"
            return {"age": age, "name": name}

        builder = StateGraph(State)
        builder.add_node("human_node", human_node)
        builder.add_edge(START, "human_node")
        graph = builder.compile(checkpointer=InMemorySaver())
        config = {"configurable": {"thread_id": uuid.uuid4()}}
        for chunk in graph.stream({"age": None, "name": None}, config, stream_mode=MODE):
            print(chunk)
        for chunk in graph.stream(Command(resume="John", update={"name": "foo"}), config, stream_mode=MODE):
            print(chunk)

    same_output(env, program, params={"MODE": mode})
