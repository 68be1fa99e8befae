"""A finished run, opened in the Temporal Web UI of a real dev server with headless Chromium.

The event history must show each node activity's summary (node name and
step). A screenshot is saved under ``test-artifacts/``. Needs Debian's
``chromium`` (``.ci/run`` installs it); skipped with a message where absent.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from examples.research import build
from graphcompat._devserver import DevServer
from graphcompat._runtime import Runtime, use_runtime

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not found; install it with `apt-get install chromium` to run the Web UI test"
)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=20000",
    "--window-size=2200,1600",
]


def _chromium(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, url], capture_output=True, text=True, timeout=120
    )


def test_web_ui_shows_node_names_in_the_event_history(tmp_path: Path) -> None:
    server = DevServer(db=None, log_path=tmp_path / "dev-server.log")

    async def connect():
        return await server.start(), None

    runtime = Runtime(connect, in_process_worker=True, task_queue=f"ui-{uuid.uuid4().hex[:6]}", search_attributes=True)
    try:
        with use_runtime(runtime):
            graph = build()
            thread_id = f"ui-{uuid.uuid4().hex[:6]}"
            graph.invoke({"messages": [], "query": "q", "sources": [], "summary": ""}, {"configurable": {"thread_id": thread_id}})
            workflow_id, run_id = runtime.started_runs[-1]
        url = f"{server.ui_url.rsplit('/workflows', 1)[0]}/workflows/{workflow_id}/{run_id}/history"
        dom = _chromium(url, tmp_path / "profile-dom", "--dump-dom").stdout
        assert "graphcompat.run_node" in dom, dom[-2000:]
        assert "search (step 2)" in dom  # the node activity summaries name node and step
        assert "analyze (step 3)" in dom
        assert thread_id in dom

        artifacts = ROOT / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        shot = artifacts / "web-ui-event-history.png"
        _chromium(url, tmp_path / "profile-shot", f"--screenshot={shot}")
        assert shot.exists() and shot.stat().st_size > 10_000
    finally:
        runtime.close()
        server.stop()
