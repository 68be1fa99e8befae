"""The engine is pure and alone: importing it loads no Temporal, client, runtime or authoring code.

Checked in a fresh interpreter, so what the test process already imported
cannot hide an import the engine makes.
"""

from __future__ import annotations

import json
import subprocess
import sys

#: Modules the engine must never pull in.
FORBIDDEN = (
    "temporalio",
    "graphcompat.graph._builder",
    "graphcompat.graph._compiled",
    "graphcompat._runtime",
    "graphcompat._registry",
    "graphcompat.plugin",
    "graphcompat.testing",
    "graphcompat.cli",
    "activities",
    "workflows",
)


def _modules_after(statement: str) -> list[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_importing_the_engine_imports_no_temporal_client_or_authoring_module() -> None:
    loaded = _modules_after("import graphcompat.engine")
    bad = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert "graphcompat.engine._user_code" in loaded
    assert bad == []


def test_the_stored_layout_and_views_need_no_temporal_either() -> None:
    # The command line reads stores through these without Temporal or graph code.
    loaded = _modules_after("import graphcompat.checkpoint._layout, graphcompat._views, graphcompat._follow")
    assert [m for m in loaded if m == "temporalio" or m.startswith("temporalio.")] == []
    assert "graphcompat.graph._builder" not in loaded
