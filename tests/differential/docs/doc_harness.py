"""Run one documentation example on LangGraph and on graphcompat, with only the imports swapped.

An example is written as a function ``program()`` whose body imports from
``langgraph`` as the documentation does. :func:`same_output` takes the
function's source, runs it once as written and once with every
``langgraph`` import rewritten to ``graphcompat`` (the import swap, nothing
else), each in a fresh namespace, and compares what the two runs printed,
line by line, and the exception that ended them, if any.

What is compared is what the example prints, made comparable by
:func:`canonical` (the ``print`` the program sees formats its arguments through
it) and :func:`scrub`:

- generated identifiers (checkpoint, task, interrupt, run and message ids,
  uuids) and timestamps print as ``<id>`` / ``<ts>`` (harness ALLOWED
  "generated_ids", "message_ids");
- a ``StateSnapshot`` prints its fields with ``metadata["step"]`` on
  LangGraph's numbering and without ``metadata["writes"]``, and the first input
  checkpoint with the values ``{}`` (ALLOWED "step_offset", "metadata_writes",
  "input_checkpoint_values_empty");
- an exception from the libraries themselves is compared by the name of
  LangGraph's class, which graphcompat's error must be an instance of
  (ALLOWED "library_error_wording"); a node's own exception by type and message.

Every graphcompat workflow the example started is then replayed with
Temporal's ``Replayer`` (tests/e2e/replay.py), as every end-to-end module does.
"""

import builtins
import contextlib
import dataclasses
import difflib
import inspect
import io
import re
import textwrap
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from tests.differential.harness import ALLOWED
from tests.e2e.replay import _replay

_IMPORT = re.compile(r"^(\s*)(from|import)\s+langgraph\b", re.M)
_IDS = [
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<id>"),
    (re.compile(r"\b(?:lc_)?run-+[0-9a-f-]+(?:-\d+)?\b"), "<id>"),
    (re.compile(r"\bmsg-[0-9a-f]{20}\b"), "<id>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<id>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:\+00:00|Z)?"), "<ts>"),
]


def scrub(text: str) -> str:
    for pattern, replacement in _IDS:
        text = pattern.sub(replacement, text)
    return text


def swapped(source: str) -> str:
    """The import swap: ``from langgraph.x import y`` -> ``from graphcompat.x import y``."""
    return _IMPORT.sub(lambda m: f"{m.group(1)}{m.group(2)} graphcompat", source)


def _is_message(value: Any) -> bool:
    return hasattr(value, "content") and isinstance(getattr(value, "type", None), str) and hasattr(value, "model_dump")


@dataclasses.dataclass(frozen=True)
class _Shown:
    """A value printed as ``Name(field=value, ...)`` with canonical fields."""

    name: str
    fields: tuple[tuple[str, Any], ...]

    def __repr__(self) -> str:
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in self.fields)})"


def canonical(value: Any, side: str) -> Any:
    """What both libraries must agree on when a program prints ``value``."""
    type_name = type(value).__name__
    if _is_message(value):
        fields = value.model_dump()
        fields["id"] = "<id>" if fields.get("id") else None
        return _Shown(type_name, tuple((k, canonical(v, side)) for k, v in sorted(fields.items())))
    if type_name == "StateSnapshot" and hasattr(value, "_fields"):
        fields = dict(zip(value._fields, value))
        md = dict(fields.get("metadata") or {})
        md.pop("writes", None)  # ALLOWED["metadata_writes"]
        if side == "graphcompat" and isinstance(md.get("step"), int):
            md["step"] -= ALLOWED["step_offset"]
        md.pop("run_id", None)
        fields["metadata"] = md
        if side == "langgraph" and md.get("source") == "input" and md.get("step") == -1:
            fields["values"] = {}  # ALLOWED["input_checkpoint_values_empty"]
        return _Shown(type_name, tuple((k, canonical(v, side)) for k, v in fields.items()))
    if type_name == "Interrupt" and hasattr(value, "value"):
        return _Shown("Interrupt", (("value", canonical(value.value, side)), ("id", "<id>")))
    if hasattr(value, "_fields") and isinstance(value, tuple):  # PregelTask and other NamedTuples
        return _Shown(type_name, tuple((k, canonical(v, side)) for k, v in zip(value._fields, value)))
    if isinstance(value, Mapping):
        return {k: canonical(v, side) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v, side) for v in value]
    if isinstance(value, tuple):
        return tuple(canonical(v, side) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _Shown(type_name, tuple((f.name, canonical(getattr(value, f.name), side)) for f in dataclasses.fields(value)))
    return value


def _print_for(side: str, out: io.StringIO) -> Callable[..., None]:
    def show(*args: Any, sep: str = " ", end: str = "\n", **_: Any) -> None:
        shown = [a if isinstance(a, str) else repr(canonical(a, side)) for a in args]
        out.write(scrub(sep.join(shown) + end))

    return show


def _is_library_error(exc: BaseException) -> bool:
    return (type(exc).__module__ or "").split(".")[0] in ("langgraph", "graphcompat")


@dataclasses.dataclass
class Run:
    printed: str
    error: BaseException | None


def run_program(program: Callable[[], Any], side: str, params: Mapping[str, Any] | None = None) -> Run:
    source = textwrap.dedent(inspect.getsource(program))
    if side == "graphcompat":
        source = swapped(source)
        assert not _IMPORT.search(source)
    out = io.StringIO()
    namespace: dict[str, Any] = {"__name__": f"doc_example_{side}", "print": _print_for(side, out), "__builtins__": builtins}
    namespace.update(params or {})  # values a parametrized test gives the program (plain data, same on both sides)
    error: BaseException | None = None
    try:
        exec(compile(source, f"<{program.__name__} on {side}>", "exec"), namespace)  # noqa: S102 - the example itself
        with contextlib.redirect_stdout(out):
            namespace[program.__name__]()
    except Exception as exc:  # noqa: BLE001 - compared between the libraries
        error = exc
    return Run(scrub(out.getvalue()), error)


def _error_line(lg: BaseException | None, gc: BaseException | None) -> tuple[str, str]:
    if lg is None or gc is None:
        return (repr(lg), repr(gc))
    if _is_library_error(lg) or _is_library_error(gc):
        names = {c.__name__ for c in type(gc).__mro__}
        lg_line = f"raised {type(lg).__name__}"
        return lg_line, lg_line if type(lg).__name__ in names else f"raised {type(gc).__name__} (not a {type(lg).__name__})"
    return (f"raised {type(lg).__qualname__}: {lg}", f"raised {type(gc).__qualname__}: {gc}")


def same_output(
    env: Any, program: Callable[[], Any], *, expect_error: bool = False, params: Mapping[str, Any] | None = None
) -> str:
    """Run ``program`` on both libraries; fail on any difference in what it printed or raised.

    Returns LangGraph's printed text, so a test can also check it says what the page shows.
    """
    started = len(env.runtime.started_runs)
    lg = run_program(program, "langgraph", params)
    gc = run_program(program, "graphcompat", params)
    lg_error, gc_error = _error_line(lg.error, gc.error)
    lg_text, gc_text = lg.printed + lg_error, gc.printed + gc_error
    if lg_text != gc_text:
        diff = "\n".join(difflib.unified_diff(lg_text.splitlines(), gc_text.splitlines(), "langgraph", "graphcompat", lineterm=""))
        if gc.error is not None and lg.error is None:
            raise AssertionError(f"{program.__name__}: graphcompat raised, LangGraph did not\n{diff}") from gc.error
        pytest.fail(f"{program.__name__}: graphcompat differs from LangGraph\n{diff}", pytrace=False)
    assert (lg.error is not None) == expect_error, f"{program.__name__}: LangGraph raised {lg.error!r}" if lg.error else "expected an error"
    runs = env.runtime.started_runs[started:]
    if runs:
        env.run(_replay(env.client, list(runs)))
    return lg.printed
