"""Unit tests of the step engine and the graph builder: no Temporal, no store.

The driver lives in ``engine_driver.py`` (imported by the tests by name);
this file makes it importable and offers a ``config`` fixture.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


@pytest.fixture
def config() -> dict[str, Any]:
    return {"configurable": {"thread_id": "t"}}
