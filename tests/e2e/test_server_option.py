"""``--graphcompat-server`` / ``$GRAPHCOMPAT_TEST_SERVER`` pick the server behind ``env``.

Each case runs pytest in a child process on a small test file, with this
suite's ``tests/conftest.py`` loaded as a plugin, as a developer would run
``scripts/test.sh --graphcompat-server=local``. The child tests run a graph on
the chosen server and replay its histories.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD_TESTS = '''
from typing import TypedDict

from graphcompat.checkpoint.memory import InMemorySaver
from graphcompat.graph import END, START, StateGraph
from tests.e2e.replay import replay_thread


class S(TypedDict):
    n: int


def test_chosen(graphcompat_server):
    print(f"CHOSEN={graphcompat_server}")


def test_env_runs_on_the_chosen_server(graphcompat_server, env, thread):
    builder = StateGraph(S)
    builder.add_node("double", lambda s: {"n": s["n"] * 2})
    builder.add_edge(START, "double")
    builder.add_edge("double", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    assert graph.invoke({"n": 21}, thread) == {"n": 42}
    assert graph.get_state(thread).values == {"n": 42}
    assert replay_thread(env, thread["configurable"]["thread_id"]) == 1
    print(f"KIND={env.kind}")


def test_local_env_is_the_session_dev_server(graphcompat_server, env, local_env):
    assert local_env.kind == "local"
    if graphcompat_server == "local":
        assert local_env is env  # one dev server, not a second one
    else:
        assert local_env.runtime is not env.runtime
    print(f"SHARED={local_env is env}")
'''

PYTEST_INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
"""


def child_pytest(tmp_path: Path, *args: str, variable: str | None = None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_child.py").write_text(CHILD_TESTS)
    (tmp_path / "pytest.ini").write_text(PYTEST_INI)
    environ = {k: v for k, v in os.environ.items() if k != "GRAPHCOMPAT_TEST_SERVER"}
    environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), environ.get("PYTHONPATH", "")])
    if variable is not None:
        environ["GRAPHCOMPAT_TEST_SERVER"] = variable
    return subprocess.run(
        # langsmith's plugin (a langgraph dependency) only slows the child's start
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-p", "no:langsmith_plugin", "-s",
         "-c", str(tmp_path / "pytest.ini"), str(tmp_path / "test_child.py"), *args],
        cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=240,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "variable", "chosen"),
    [
        ((), None, "time-skipping"),  # the default
        (("--graphcompat-server=local",), None, "local"),
    ],
    ids=["default", "option-local"],
)
def test_env_runs_graphs_on_the_chosen_server_and_local_env_reuses_it(tmp_path, args, variable, chosen):
    result = child_pytest(tmp_path, *args, variable=variable)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    assert f"graphcompat server: {chosen}" in result.stdout  # the report header says which
    assert f"CHOSEN={chosen}" in result.stdout
    assert f"KIND={chosen}" in result.stdout
    assert f"SHARED={chosen == 'local'}" in result.stdout


@pytest.mark.parametrize(
    ("args", "variable", "chosen"),
    [
        ((), "local", "local"),
        (("--graphcompat-server=time-skipping",), "local", "time-skipping"),  # the option wins
    ],
    ids=["variable-local", "option-over-variable"],
)
def test_the_variable_chooses_unless_the_option_is_given(tmp_path, args, variable, chosen):
    result = child_pytest(tmp_path, "-k", "test_chosen", *args, variable=variable)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"CHOSEN={chosen}" in result.stdout


@pytest.mark.parametrize(("args", "variable"), [(("--graphcompat-server=cloud",), None), ((), "cloud")], ids=["option", "variable"])
def test_an_unknown_server_is_a_usage_error(tmp_path, args, variable):
    result = child_pytest(tmp_path, *args, variable=variable)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "cloud" in result.stderr and "time-skipping" in result.stderr and "local" in result.stderr
