"""The README's runnable examples (blocks after ``<!-- readme-test -->``) run as written."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"<!-- readme-test -->\s*```python\n(.*?)```", README.read_text(), re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs_and_prints_what_it_says(index, env, capsys):
    code = BLOCKS[index].replace('"thread_id": "', f'"thread_id": "readme-{index}-{id(capsys)}-')
    module = types.ModuleType(f"readme_block_{index}")  # a real module, as when run as a script
    sys.modules[module.__name__] = module
    try:
        exec(compile(code, f"README.md block {index}", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    printed = capsys.readouterr().out.splitlines()
    expected = [m.group(1).strip() for m in re.finditer(r"print\(.*\)\s+# (.*)", code)]
    assert printed == expected[: len(printed)] and len(printed) == len(expected)


def test_there_are_runnable_blocks():
    assert len(BLOCKS) >= 3
