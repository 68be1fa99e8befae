"""``--graph package.module:attribute``: what ``graphcompat._loading.load_graph`` accepts and refuses.

The worker (``worker.py``) and the command line read ``--graph`` through the
same function; these tests pin its rules and its error messages.
"""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Iterator

import pytest

from graphcompat._loading import load_graph
from graphcompat.errors import ConfigurationError
from graphcompat.graph._compiled import CompiledStateGraph

GRAPHS = """
from typing import TypedDict

from graphcompat.graph import END, START, StateGraph


class S(TypedDict):
    n: int


def _builder():
    b = StateGraph(S)
    b.add_node("inc", lambda s: {"n": s["n"] + 1})
    b.add_edge(START, "inc")
    b.add_edge("inc", END)
    return b


graph = _builder().compile()
builder = _builder()


def factory():
    return _builder().compile(name="from-factory")


def not_a_graph():
    return 42


class holder:
    graph = graph
"""


@pytest.fixture
def module(tmp_path, monkeypatch) -> Iterator[str]:
    """A fresh module of graphs in the working directory (which load_graph puts on sys.path)."""
    name = f"graphs_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(GRAPHS))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    yield name
    sys.modules.pop(name, None)


def test_a_compiled_graph_a_factory_and_a_dotted_attribute(module):
    graph = load_graph(f"{module}:graph")
    assert isinstance(graph, CompiledStateGraph)
    assert load_graph(f"{module}:holder.graph") is graph
    made = load_graph(f"{module}:factory")
    assert isinstance(made, CompiledStateGraph) and made.name == "from-factory" and made is not graph


@pytest.mark.parametrize(
    "spec, message",
    [
        ("no_colon", r"--graph 'no_colon': expected package\.module:attribute, e\.g\. myapp\.graphs:graph\."),
        (":graph", r"expected package\.module:attribute"),
        ("{module}:", r"expected package\.module:attribute"),
        ("no_such_module_xyz:graph", r"--graph 'no_such_module_xyz:graph': cannot import 'no_such_module_xyz' \(.*\)\. Is it on PYTHONPATH\?"),
        ("{module}:missing", r"--graph '{module}:missing': {module} has no attribute 'missing'\."),
        ("{module}:holder.missing", r"{module} has no attribute 'holder\.missing'\."),
        ("{module}:builder", r"--graph '{module}:builder' is a StateGraph, not a compiled graph; point it at builder\.compile\(\.\.\.\)\."),
        ("{module}:not_a_graph", r"is a int, not a compiled graph"),
    ],
)
def test_bad_specs_say_what_is_wrong(module, spec, message):
    with pytest.raises(ConfigurationError, match=message.format(module=module)):
        load_graph(spec.format(module=module))


def test_worker_py_reads_graph_specs_with_the_same_function():
    import worker

    assert worker.load_graph is load_graph
    assert "load_graph" in worker.__all__
