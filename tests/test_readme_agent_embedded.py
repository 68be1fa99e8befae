"""The README's ReAct agent on the embedded default: a fresh process with no Temporal configured
starts its own dev server and worker, runs the agent and prints what LangGraph prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _agent_block() -> str:
    blocks = re.findall(r"<!-- readme-test -->\s*```python\n(.*?)```", README, re.S)
    return next(b for b in blocks if "create_react_agent" in b)


@pytest.mark.timeout(120)
def test_the_readme_agent_runs_on_the_embedded_default_and_prints_what_langgraph_prints(tmp_path) -> None:
    code = _agent_block()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "GRAPHCOMPAT_"))}
    env["GRAPHCOMPAT_HOME"] = str(tmp_path / "home")
    ours = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=110)
    assert ours.returncode == 0, ours.stderr[-2000:]
    assert "embedded Temporal server" in ours.stderr  # it really ran on the embedded default
    theirs = subprocess.run(
        [sys.executable, "-c", code.replace("graphcompat.prebuilt", "langgraph.prebuilt").replace("graphcompat.checkpoint.memory", "langgraph.checkpoint.memory")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert theirs.returncode == 0, theirs.stderr[-2000:]
    assert ours.stdout == theirs.stdout
    assert ours.stdout.splitlines() == ["['human', 'ai', 'tool', 'ai']", "It's always sunny in sf!", "It's sunny in sf."]
