"""How a run's data is laid out in the store: tasks, pending writes, records, channels.

The store contract (``base.py``) says *what* a saver keeps: checkpoint records
and pending-write rows, all JSON. This module is the one owner of *how* a
graph run uses those fields, read by the engine (to commit), the activities
(to save writes), the client (``get_state``) and the command line alike, so
the layout can only drift in one place.

Tasks
    ``CheckpointRecord.next_tasks`` holds :class:`TaskSpec` objects as JSON:
    ``{"id", "name", "kind"}`` plus ``index`` and ``arg`` for push (``Send``)
    and input tasks.

Pending writes
    One task may run several times against one checkpoint (interrupted, then
    resumed; failed, then retried): each run's rows form a *generation*,
    ``idx // GENERATION``, and only the newest generation counts. A completed
    run ends with a ``__route__`` row (its routing decisions and update), an
    interrupted one with ``__interrupt__`` rows, a failed one with an
    ``__error__`` row. Resume values (``Command(resume=...)``) sit above
    ``RESUME_BASE`` and belong to no generation. Large values are stored once
    as ``__blob__`` rows under the hash of their JSON (content-addressed) and
    referenced as ``{REF_KEY: digest}``.

Run arguments
    What a caller passes that must not reach Temporal history (the values of
    ``config["configurable"]``: API keys, user ids) is stored by the client
    before the run starts, as one ``__run_args__`` row against the pseudo
    checkpoint id ``run:<ref>`` (:func:`run_args_rows`, :func:`run_args_from`);
    ``ref`` is random, so history holds neither the value nor a hash of it.
    The rows stay with the thread (deleted with it), like LangGraph, which
    keeps configurable values in checkpoint metadata. An input, resume value
    or ``update_state`` value over ``INLINE_WRITE_LIMIT`` is stored there too
    and travels as :func:`run_args_marker` (``{"__run_args__": ref}``).

Channels
    ``channel_values`` holds the state keys and internal channels; internal
    names start with ``__`` or contain ``:`` (waiting-edge barriers are
    ``join:a+b:end``). :func:`is_state_channel` is the one test for that.
"""

# No ``from __future__ import annotations`` here: TaskResult crosses the workflow
# boundary, and the workflow sandbox cannot resolve string annotations by module.
import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from graphcompat._constants import BLOB, CALL_CACHED, CALL_RESULT, ERROR, INTERRUPT, PULL, PUSH, REF_KEY, RESUME, ROUTE, RUN_ARGS
from graphcompat.checkpoint.base import CheckpointRecord, PendingWrite
from graphcompat.errors import InvalidUpdateError

__all__ = [
    "BREAKPOINT",
    "COMMAND_UPDATE_TASK",
    "GENERATION",
    "INLINE_RESULT_BUDGET",
    "INLINE_WRITE_LIMIT",
    "RESUME_BASE",
    "TaskKind",
    "TaskResult",
    "TaskSpec",
    "TaskState",
    "call_results",
    "call_rows",
    "child_record",
    "command_update",
    "command_update_rows",
    "completed_results",
    "error_row",
    "externalize",
    "externalize_value",
    "has_refs",
    "DEFERRED_CHANNEL",
    "is_state_channel",
    "join_channel",
    "next_generation",
    "record_tasks",
    "resolve_refs",
    "resolve_value",
    "run_args_from",
    "run_args_id",
    "run_args_marker",
    "run_args_ref",
    "run_args_rows",
    "result_rows",
    "resume_rows",
    "resume_values",
    "task_states",
]

#: Marks a task's interrupt row that is a subgraph's breakpoint (``interrupt_before``/``after``
#: inside the subgraph): the task waits like an interrupted one, but there is no value to show.
BREAKPOINT = "breakpoint"

#: Pending-write index space: ``generation * GENERATION + position``; resume values above RESUME_BASE.
GENERATION = 1000
RESUME_BASE = 1_000_000_000

#: The task id under which ``invoke(Command(update=...))`` stores its update against the
#: checkpoint it continues (LangGraph's NULL_TASK_ID): applied before that checkpoint's tasks run.
COMMAND_UPDATE_TASK = "00000000-0000-0000-0000-000000000000"

#: Write values whose JSON is larger than this go to the store; history carries a reference.
INLINE_WRITE_LIMIT = 64 * 1024
#: What one task result may carry inline in all; beyond it the largest writes go to the store too.
INLINE_RESULT_BUDGET = 256 * 1024


class TaskKind:
    """The kinds of task (plain strings in the stored JSON)."""

    PULL = "pull"  # a node triggered by an edge
    PUSH = "push"  # a Send
    INPUT = "input"  # __start__ applying the caller's input


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """A task to run from a checkpoint; stored as JSON in ``next_tasks``."""

    id: str
    name: str
    kind: str = TaskKind.PULL
    index: int = 0
    arg: Any = None  # push: the Send argument (JSON); input: the input (JSON)

    @property
    def path(self) -> tuple[str | int, ...]:
        if self.kind == TaskKind.PUSH:
            return (PUSH, self.index)
        return (PULL, self.name)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "kind": self.kind}
        if self.kind != TaskKind.PULL:
            out["index"] = self.index
            out["arg"] = self.arg
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "TaskSpec":
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            kind=str(data.get("kind", TaskKind.PULL)),
            index=int(data.get("index", 0)),
            arg=data.get("arg"),
        )


@dataclasses.dataclass(frozen=True)
class TaskResult:
    """What one task produced (all values JSON); crosses the activity/workflow boundary as is."""

    task_id: str
    name: str
    writes: list[tuple[str, Any]] = dataclasses.field(default_factory=list)
    targets: list[str] = dataclasses.field(default_factory=list)
    sends: list[tuple[str, Any]] = dataclasses.field(default_factory=list)
    update: Any = None  # the node's update as JSON, for metadata["writes"]
    interrupts: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    #: The update is exactly ``dict(writes)`` (the usual case): it is not sent a
    #: second time, so a write travels through history once (invariant 3).
    same_update: bool = False
    #: The node did not run: its ``CachePolicy`` found these writes in the node cache.
    cached: bool = False
    #: ``@task`` calls the node waits on (``_calls``): not a finished result; the
    #: workflow runs them, saves their results and runs the node again.
    calls: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def node_update(self) -> Any:
        """The node's update as ``metadata["writes"]`` and the task views show it."""
        return dict(self.writes) if self.same_update else self.update

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "name": self.name,
            "writes": [list(w) for w in self.writes],
            "targets": list(self.targets),
            "sends": [list(s) for s in self.sends],
            "update": self.update,
            "interrupts": list(self.interrupts),
            "same_update": self.same_update,
            "cached": self.cached,
            "calls": list(self.calls),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "TaskResult":
        return cls(
            task_id=data["task_id"],
            name=data["name"],
            writes=[(str(k), v) for k, v in data.get("writes", [])],
            targets=list(data.get("targets", [])),
            sends=[(str(n), a) for n, a in data.get("sends", [])],
            update=data.get("update"),
            interrupts=list(data.get("interrupts", [])),
            same_update=bool(data.get("same_update", False)),
            cached=bool(data.get("cached", False)),
            calls=list(data.get("calls", [])),
        )

    def to_pending_writes(self, generation: int) -> list[PendingWrite]:
        """See :func:`result_rows`."""
        return result_rows(self, generation)


def result_rows(result: TaskResult, generation: int) -> list[PendingWrite]:
    """A task's result as store rows of one generation: state writes, then a ``__route__`` row or interrupts."""
    base = generation * GENERATION
    rows = [PendingWrite(result.task_id, result.name, base + i, k, v) for i, (k, v) in enumerate(result.writes)]
    if result.interrupts:
        for interrupt in result.interrupts:
            rows.append(PendingWrite(result.task_id, result.name, base + len(rows), INTERRUPT, interrupt))
        return rows
    route = {"targets": list(result.targets), "sends": [list(s) for s in result.sends], "update": result.node_update}
    rows.append(PendingWrite(result.task_id, result.name, base + len(rows), ROUTE, route))
    return rows


def error_row(task_id: str, name: str, generation: int, error: Mapping[str, Any]) -> PendingWrite:
    """A failed run of a task: its error description as the generation's only row."""
    return PendingWrite(task_id, name, generation * GENERATION, ERROR, dict(error))


def resume_rows(states: Mapping[str, "TaskState"], targets: Mapping[str, tuple[str, Any]]) -> list[PendingWrite]:
    """Rows recording resume values ``{owner_id: (name, value)}``.

    The owner is a task, or a ``@task`` call inside it that raised the
    interrupt (the interrupt's ``"call"``): each counts its own interrupts
    from 0. A value answers the interrupt the owner is waiting at, so its row
    is keyed by that interrupt's index (``RESUME_BASE + index``): the k-th
    ``interrupt()`` call gets the k-th value, and writing the answer again (a
    retried run opening) stores nothing new.
    """
    rows: list[PendingWrite] = []
    for owner, (name, value) in targets.items():
        waiting = [i for tid, s in states.items() for i in s.interrupts if str(i.get("call") or tid) == owner]
        index = max((int(i.get("index", 0)) for i in waiting), default=len(states[owner].resume) if owner in states else 0)
        rows.append(PendingWrite(owner, name, RESUME_BASE + index, RESUME, value))
    return rows


def call_results(rows: Sequence[PendingWrite]) -> dict[str, Any]:
    """Results of the ``@task`` calls saved against a checkpoint: ``{call_id: JSON}`` (references resolved)."""
    return {w.task_id: w.value for w in call_rows(rows)}


def call_rows(rows: Sequence[PendingWrite]) -> list[PendingWrite]:
    """The saved ``@task`` results of a checkpoint, in call order (``idx`` is the call's position),
    large values back in place of their references."""
    back = _resolver(rows)
    found = sorted((w for w in rows if w.channel == CALL_RESULT), key=lambda w: w.idx)
    return [dataclasses.replace(w, value=back(w.value)) for w in found]


def resume_values(rows: Sequence[PendingWrite], task_id: str) -> list[Any]:
    """The resume values stored for one task, in the order they were given."""
    return [w.value for w in sorted(rows, key=lambda w: w.idx) if w.task_id == task_id and w.channel == RESUME]


@dataclasses.dataclass
class TaskState:
    """What the pending writes of one checkpoint say about one task."""

    task_id: str
    name: str
    result: TaskResult | None = None  # completed: its writes and routes
    error: dict[str, Any] | None = None  # failed: {"type", "message", ...}
    interrupts: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    resume: list[Any] = dataclasses.field(default_factory=list)
    generation: int = -1


def task_states(rows: Sequence[PendingWrite]) -> dict[str, TaskState]:
    """Read a checkpoint's pending writes: per task, its newest outcome and its resume values."""
    states: dict[str, TaskState] = {}
    writes: dict[str, list[tuple[str, Any]]] = {}  # the newest generation's writes being assembled
    back = _resolver(rows)  # interrupt values over the size rule are stored as blobs
    for row in sorted(rows, key=lambda r: (r.task_id, r.idx)):
        if row.channel in (BLOB, CALL_RESULT, CALL_CACHED):  # large values; @task results (``call_results``)
            continue
        state = states.setdefault(row.task_id, TaskState(row.task_id, row.task_name))
        if row.channel == RESUME:
            state.resume.append(row.value)
            continue
        generation = row.idx // GENERATION
        if generation > state.generation:
            state.generation = generation
            state.result, state.error, state.interrupts = None, None, []
            writes[row.task_id] = []
        if row.channel == ERROR:
            state.error = row.value
        elif row.channel == INTERRUPT:
            value = row.value
            if isinstance(value, dict) and _is_ref(value.get("value")):
                value = {**value, "value": back(value["value"])}
            state.interrupts.append(value)
        elif row.channel == ROUTE:
            state.result = TaskResult(
                row.task_id,
                row.task_name,
                writes=list(writes[row.task_id]),
                targets=list(row.value.get("targets", [])),
                sends=[(str(n), a) for n, a in row.value.get("sends", [])],
                update=row.value.get("update"),
            )
        else:
            writes[row.task_id].append((row.channel, row.value))
    return states


def completed_results(rows: Sequence[PendingWrite]) -> dict[str, TaskResult]:
    """Results of tasks that completed in a super-step that did not finish (references resolved)."""
    done = {
        tid: s.result for tid, s in task_states(rows).items() if s.result is not None and tid != COMMAND_UPDATE_TASK
    }
    return resolve_refs(done, rows)


def command_update_rows(update_json: Mapping[str, Any]) -> list[PendingWrite]:
    """``Command(update=...)`` given to ``invoke``, as the rows of the checkpoint it continues.

    Stored once (idempotent rows of generation 0): a retried opening writes nothing new,
    and a second command on the same checkpoint keeps the first update, as LangGraph's
    savers do with its NULL_TASK_ID writes.
    """
    return result_rows(TaskResult(COMMAND_UPDATE_TASK, "__input__", writes=list(update_json.items())), 0)


def command_update(rows: Sequence[PendingWrite]) -> list[tuple[str, Any]]:
    """The writes of a stored ``Command(update=...)`` (``[]`` when there is none)."""
    state = task_states([r for r in rows if r.task_id == COMMAND_UPDATE_TASK]).get(COMMAND_UPDATE_TASK)
    return list(state.result.writes) if state is not None and state.result is not None else []


def next_generation(rows: Sequence[PendingWrite], task: str) -> int:
    gens = [r.idx // GENERATION for r in rows if r.task_id == task and r.channel != RESUME]
    return max(gens) + 1 if gens else 0


# -- large writes travel as references (invariant 3) ------------------------------------


def _blob_key(value_json: str) -> str:
    return hashlib.sha256(value_json.encode()).hexdigest()


def externalize(
    result: TaskResult, limit: int = INLINE_WRITE_LIMIT, budget: int = INLINE_RESULT_BUDGET
) -> tuple[TaskResult, list[PendingWrite]]:
    """``result`` with its large values replaced by references, and the blob rows to store first.

    The values of user size in a result are its writes, its ``Send``
    arguments and its ``interrupt()`` values. One size rule for all of them:
    a value whose JSON is over ``limit`` goes to the store, and so do the
    largest others until what stays inline is within ``budget`` (many medium
    values must not add up past Temporal's payload limit).
    Content-addressed: a retried or zombie attempt writes the same key only
    for the same content, so the store never disagrees with what history recorded.
    """
    # (kind, index) of every value, with its JSON.
    slots = [("write", i, v) for i, (_, v) in enumerate(result.writes)]
    slots += [("send", i, a) for i, (_, a) in enumerate(result.sends)]
    slots += [("interrupt", i, it.get("value")) for i, it in enumerate(result.interrupts)]
    encoded = [_json(v) for _, _, v in slots]
    out = {i for i, e in enumerate(encoded) if len(e) > limit}
    inline = sum(len(e) for i, e in enumerate(encoded) if i not in out)
    for i in sorted((i for i in range(len(encoded)) if i not in out), key=lambda i: -len(encoded[i])):
        if inline <= budget:
            break
        out.add(i)
        inline -= len(encoded[i])
    if not out:
        return result, []
    blobs: list[PendingWrite] = []
    refs: dict[tuple[str, int], dict[str, str]] = {}
    for i in sorted(out):
        kind, index, value = slots[i]
        digest = _blob_key(encoded[i])
        if all(b.task_id != f"blob:{digest}" for b in blobs):
            blobs.append(PendingWrite(f"blob:{digest}", result.name, 0, BLOB, value))
        refs[(kind, index)] = {REF_KEY: digest}
    writes = [(k, refs.get(("write", i), v)) for i, (k, v) in enumerate(result.writes)]
    sends = [(n, refs.get(("send", i), a)) for i, (n, a) in enumerate(result.sends)]
    interrupts = [
        {**it, "value": refs[("interrupt", i)]} if ("interrupt", i) in refs else it for i, it in enumerate(result.interrupts)
    ]
    update = result.update
    if isinstance(update, dict) and not result.same_update:
        by_key = {k: refs[("write", i)] for i, (k, _) in enumerate(result.writes) if ("write", i) in refs}
        update = {k: by_key.get(k, v) for k, v in update.items()}
    return dataclasses.replace(result, writes=writes, sends=sends, interrupts=interrupts, update=update), blobs


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _is_ref(value: Any) -> bool:
    return isinstance(value, dict) and REF_KEY in value


def has_refs(results: Iterable[TaskResult]) -> bool:
    """True when a result carries a reference (a write, Send argument or interrupt value in the store)."""
    return any(
        any(_is_ref(v) for _, v in r.writes)
        or any(_is_ref(a) for _, a in r.sends)
        or any(_is_ref(i.get("value")) for i in r.interrupts)
        for r in results
    )


def _resolver(rows: Sequence[PendingWrite]) -> Any:
    """A function putting the stored values of ``rows``' blobs back in place of references."""
    values = {r.task_id[5:]: r.value for r in rows if r.channel == BLOB}

    def back(value: Any) -> Any:
        if _is_ref(value):
            digest = value[REF_KEY]
            if digest not in values:
                raise InvalidUpdateError(f"A large value (blob {digest[:12]}) is missing from the store; re-run the step.")
            return values[digest]
        return value

    return back


def externalize_value(value: Any, name: str, limit: int = INLINE_WRITE_LIMIT) -> tuple[Any, list[PendingWrite]]:
    """One value (a ``@task`` argument or result) as :func:`externalize` treats a write:
    over ``limit``, a reference and the blob row to store first."""
    encoded = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    if len(encoded) <= limit:
        return value, []
    digest = _blob_key(encoded)
    return {REF_KEY: digest}, [PendingWrite(f"blob:{digest}", name, 0, BLOB, value)]


def resolve_value(value: Any, rows: Sequence[PendingWrite]) -> Any:
    """``value``, or the stored value its reference names."""
    return _resolver(rows)(value)


def resolve_refs(results: Mapping[str, TaskResult], rows: Sequence[PendingWrite]) -> dict[str, TaskResult]:
    """``results`` with the stored values back in place of references."""
    back = _resolver(rows)
    out: dict[str, TaskResult] = {}
    for task_id, result in results.items():
        update = {k: back(v) for k, v in result.update.items()} if isinstance(result.update, dict) else result.update
        out[task_id] = dataclasses.replace(
            result,
            writes=[(k, back(v)) for k, v in result.writes],
            sends=[(n, back(a)) for n, a in result.sends],
            interrupts=[{**i, "value": back(i.get("value"))} if _is_ref(i.get("value")) else i for i in result.interrupts],
            update=update,
        )
    return out


def run_args_id(ref: str) -> str:
    """The pseudo checkpoint id a run's stored arguments sit under (never a real checkpoint's id)."""
    return f"run:{ref}"


def run_args_rows(values: Mapping[str, Any]) -> list[PendingWrite]:
    """The rows that store a run's arguments (``{"configurable": {...}}``)."""
    return [PendingWrite("run", "run", 0, RUN_ARGS, dict(values))]


def run_args_marker(ref: str) -> dict[str, str]:
    """What travels in place of a run argument stored under ``ref`` (an input, a resume value)."""
    return {RUN_ARGS: ref}


def run_args_ref(value: Any) -> str | None:
    """The reference when ``value`` is a :func:`run_args_marker`, else None."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get(RUN_ARGS), str):
        return str(value[RUN_ARGS])
    return None


def run_args_from(rows: Sequence[PendingWrite]) -> dict[str, Any] | None:
    """A run's stored arguments, or None when the rows hold none (the thread was deleted meanwhile)."""
    return next((dict(r.value) for r in rows if r.channel == RUN_ARGS), None)


# -- channels ------------------------------------------------------------------------


def join_channel(starts: Sequence[str], end: str) -> str:
    """The internal channel of a waiting edge: which of ``starts`` have run since ``end`` last did."""
    return f"join:{'+'.join(starts)}:{end}"


#: The internal channel of ``defer=True`` nodes that were triggered and wait for the run's end.
DEFERRED_CHANNEL = "defer:pending"


def is_state_channel(name: str) -> bool:
    """True for a state key, False for an internal channel (``__...`` or a name with ``:``)."""
    return not name.startswith("__") and ":" not in name


# -- records -------------------------------------------------------------------------


def child_record(
    parent: CheckpointRecord | None,
    *,
    thread_id: str,
    checkpoint_ns: str,
    checkpoint_id: str,
    created_at: str,
    source: str,
    step: int,
    writes: Any,
    next_tasks: Sequence[TaskSpec],
    values: dict[str, Any] | None = None,
    versions: dict[str, str] | None = None,
    parents: Mapping[str, str] | None = None,
    cached: Sequence[str] = (),
) -> CheckpointRecord:
    """A checkpoint following ``parent``; values, versions and ``metadata["parents"]`` default to the parent's.

    ``parents`` is LangGraph's map of the enclosing graphs' checkpoints
    (``{checkpoint_ns: checkpoint_id}``): empty for a root graph, set by a
    subgraph run's opening and inherited by the records that follow it.
    ``cached`` names the nodes of the step whose writes came from the node cache
    (``metadata["cached"]``, present only then: the ``updates`` stream marks their
    chunks ``{"__metadata__": {"cached": True}}`` as LangGraph does).
    """
    if not parents:
        parents = dict((parent.metadata.get("parents") or {}) if parent else {})
    metadata: dict[str, Any] = {"source": source, "step": step, "writes": writes, "parents": dict(parents)}
    if cached:
        metadata["cached"] = sorted(set(cached))
    return CheckpointRecord(
        thread_id=thread_id,
        checkpoint_ns=checkpoint_ns,
        checkpoint_id=checkpoint_id,
        parent_checkpoint_id=parent.checkpoint_id if parent else None,
        created_at=created_at,
        metadata=metadata,
        channel_values=values if values is not None else dict(parent.channel_values) if parent else {},
        channel_versions=versions if versions is not None else dict(parent.channel_versions) if parent else {},
        next_tasks=[t.to_json() for t in next_tasks],
    )


def record_tasks(record: CheckpointRecord) -> list[TaskSpec]:
    """The tasks that run next from ``record``."""
    return [TaskSpec.from_json(t) for t in record.next_tasks]
