"""Fixtures of the command-line tests: a per-test store and a way to call ``main`` in-process."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from graphcompat.cli import main
from tests.cli.graphs_for_cli import STORE_ENV

PIPELINE = "tests.cli.graphs_for_cli:pipeline"
APPROVAL = "tests.cli.graphs_for_cli:approval"


@dataclasses.dataclass
class Result:
    code: int
    out: str
    err: str


@dataclasses.dataclass
class Store:
    path: Path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"  # path is absolute: sqlite:////abs/s.db


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A fresh SQLite store; the test graphs compile against it (``$GRAPHCOMPAT_CLI_TEST_STORE``)."""
    path = tmp_path / "s.db"
    monkeypatch.setenv(STORE_ENV, str(path))
    monkeypatch.delenv("GRAPHCOMPAT_STORE", raising=False)
    return Store(path)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """``cli("threads", "--store", url)``: run ``graphcompat`` in-process, return code and output."""

    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def final_json(out: str) -> object:
    """The final values ``run`` prints after its step lines (an indented JSON object)."""
    lines = out.splitlines()
    return json.loads("\n".join(lines[lines.index("{") :]))
