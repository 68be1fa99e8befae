"""The step engine: LangGraph's super-step rules as plain, deterministic Python.

No Temporal import here. Activities call it to run a task and to commit a
super-step; the client calls it for ``get_state``'s live view and for
``update_state``. One engine, so a graph behaves the same whichever path
reaches it.

Vocabulary
----------
- *values*: the state as JSON (``{key: json}``), as the store holds it, plus
  internal channels (waiting-edge barriers, named ``join:...``).
- *task*: one node to run from a checkpoint: a *pull* task (a node triggered
  by an edge), a *push* task (a ``Send``), or the *input* task (``__start__``
  applying the caller's input).
- *result*: what a task produced: writes (JSON), routing decisions (conditional
  edges and ``Command.goto``, evaluated on the task's own view of the state),
  or interrupts.

A super-step applies the results of all its tasks in LangGraph's order (pull
tasks by node name, then push tasks in the order sent), folds writes through
reducers, then decides the next tasks from static edges, waiting edges and
routing decisions.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from graphcompat._constants import DEFAULT_RECURSION_LIMIT, END, START
from graphcompat._calls import TaskCallsPending
from graphcompat._interrupts import GraphInterrupt, SubgraphInterrupt
from graphcompat.checkpoint._layout import (
    COMMAND_UPDATE_TASK,
    TaskKind,
    TaskResult,
    TaskSpec,
    TaskState,
    is_state_channel,
    join_channel,
)
from graphcompat.engine import _user_code
from graphcompat.engine._spec import BranchSpec, GraphSpec, check_node_names
from graphcompat.errors import AmbiguousResumeError, InvalidUpdateError, ParentCommand, UnknownNodeError
from graphcompat.types import Command, Send

__all__ = ["Engine", "StepOutcome", "interrupt_id", "task_id"]

_TASK_NS = uuid.UUID("5b0b6a5e-52a5-4f0e-9a57-6d2f3c1b7e11")
_EMPTY: Any = object()


@dataclasses.dataclass
class StepOutcome:
    """The checkpoint a super-step produces."""

    values: dict[str, Any]
    versions: dict[str, str]
    next_tasks: list[TaskSpec]
    writes_metadata: dict[str, Any]
    updated_channels: list[str]


def task_id(checkpoint_id: str, kind: str, name: str, index: int) -> str:
    """Deterministic task id: the same task from the same checkpoint, the same id."""
    return str(uuid.uuid5(_TASK_NS, f"{checkpoint_id}|{kind}|{name}|{index}"))


def interrupt_id(task: str, index: int) -> str:
    return hashlib.sha1(f"{task}|{index}".encode()).hexdigest()[:32]


class Engine:
    """Super-step rules for one graph."""

    def __init__(self, spec: GraphSpec) -> None:
        self.spec = spec
        self.schema = spec.schema
        self.nodes = spec.nodes
        self.order = {name: i for i, name in enumerate(spec.nodes)}
        self.edges: dict[str, list[str]] = {}
        for start, end in spec.edges:
            self.edges.setdefault(start, []).append(end)
        self.joins = [(tuple(sorted(starts)), end) for starts, end in spec.waiting_edges]

    # -- tasks ------------------------------------------------------------------

    def input_task(self, checkpoint_id: str, input_json: Any) -> TaskSpec:
        return TaskSpec(task_id(checkpoint_id, TaskKind.INPUT, START, 0), START, TaskKind.INPUT, 0, input_json)

    def retask(self, task: TaskSpec, checkpoint_id: str) -> TaskSpec:
        """The same task, re-identified for another checkpoint (a fork copy)."""
        return dataclasses.replace(task, id=task_id(checkpoint_id, task.kind, task.name, task.index))

    @staticmethod
    def match_resume(
        tasks: Sequence[TaskSpec], states: Mapping[str, TaskState], resume: Any
    ) -> dict[str, tuple[str, Any]]:
        """Which interrupt owner each resume value answers: ``{owner_id: (name, value)}``.

        The owner is the interrupted task, or the ``@task`` call inside it that
        raised the interrupt (its ``"call"``): each call counts its own resume
        values. ``Command(resume=value)`` answers the only pending interrupt;
        ``{interrupt_id: value}`` answers by id.
        """
        waiting = {t.id: t for t in tasks if t.id in states and states[t.id].interrupts and states[t.id].result is None}
        if not waiting:
            # Nobody waits here (e.g. update_state wrote a new checkpoint while a node was
            # interrupted): as LangGraph's "null resume", a plain value answers the next
            # interrupt() the unfinished tasks reach; a mapping of ids names nobody.
            if isinstance(resume, Mapping):
                return {}
            return {
                t.id: (t.name, resume)
                for t in tasks
                if t.kind != TaskKind.INPUT and (t.id not in states or states[t.id].result is None)
            }
        by_id = {i["id"]: tid for tid in waiting for i in states[tid].interrupts}
        owner = {i["id"]: str(i.get("call") or tid) for tid in waiting for i in states[tid].interrupts}
        if isinstance(resume, Mapping) and resume and all(k in by_id for k in resume):
            return {owner[k]: (waiting[by_id[k]].name, v) for k, v in resume.items()}
        if len(by_id) > 1:
            raise AmbiguousResumeError(
                "When there are multiple pending interrupts, you must specify the interrupt id when resuming: "
                "Command(resume={interrupt_id: value, ...}); the ids are in get_state(config).interrupts.",
                pending_ids=sorted(by_id),
            )
        return {owner[i["id"]]: (task.name, resume) for tid, task in waiting.items() for i in states[tid].interrupts}

    def dump_input(self, value: Any, *, where: str = "The input") -> dict[str, Any]:
        """Validate and serialize the caller's input (unknown keys and ill-typed values are refused)."""
        update = self.schema.update_to_dict(value, where=where)
        # salt None: ids of new messages come from the reducer (from the messages already in the
        # thread), so the same input twice on a thread is two messages, not one replaced.
        update = {k: self.schema.normalize(k, self.schema.validate(k, v, where=where), None) for k, v in update.items()}
        return self.schema.dump_values(update, where=where)

    def _next_tasks(self, checkpoint_id: str, pulls: Iterable[str], sends: Sequence[tuple[str, Any]]) -> list[TaskSpec]:
        # LangGraph's order of `next`: Send tasks first, then nodes reached by edges.
        names = sorted(set(pulls) - {END}, key=lambda n: self.order.get(n, 1 << 30))
        tasks = [
            TaskSpec(task_id(checkpoint_id, TaskKind.PUSH, node, i), node, TaskKind.PUSH, i, arg)
            for i, (node, arg) in enumerate(sends)
        ]
        tasks += [TaskSpec(task_id(checkpoint_id, TaskKind.PULL, n, 0), n, TaskKind.PULL) for n in names]
        return tasks

    # -- running a task (user code) ------------------------------------------------

    @staticmethod
    def run_config(base: Mapping[str, Any], thread_id: str, ns: str, checkpoint_id: str) -> dict[str, Any]:
        """The RunnableConfig of a run at a checkpoint: the caller's config plus where the run is."""
        config = dict(base)
        config["configurable"] = {
            **dict(base.get("configurable") or {}),
            "thread_id": thread_id,
            "checkpoint_ns": ns,
            "checkpoint_id": checkpoint_id,
        }
        config.setdefault("recursion_limit", DEFAULT_RECURSION_LIMIT)
        return config

    def node_config(self, base: Mapping[str, Any], task: TaskSpec) -> dict[str, Any]:
        config = {k: v for k, v in base.items() if k != "configurable"}
        configurable = dict(base.get("configurable", {}))
        config["configurable"] = configurable
        config["metadata"] = {**dict(base.get("metadata", {})), "langgraph_node": task.name, "langgraph_path": task.path}
        return config

    async def run_task(
        self,
        task: TaskSpec,
        values_json: Mapping[str, Any],
        config: Mapping[str, Any],
        resume: Sequence[Any] = (),
        saved_calls: Mapping[str, Any] | None = None,
        failed_calls: Mapping[str, BaseException] | None = None,
    ) -> TaskResult:
        """Run one task: the node, then its conditional edges on its own view of the state.

        Raises whatever the node raises; returns interrupts as a result, and
        ``@task`` calls that must run before the node can go on as a result
        with ``calls`` (``saved_calls``: the results of calls already run;
        ``failed_calls``: the errors of calls that failed in this run).
        """
        # A copy: the values come from the worker's cache of immutable checkpoints, and
        # a node that mutates its input in place must not change what others see.
        values = self.schema.load_values(copy.deepcopy(dict(values_json)))
        where = f"Node {task.name!r}"
        if task.kind == TaskKind.INPUT:
            given = self.schema.update_to_dict(self.schema.load_values(task.arg or {}), where="The input")
            writes = list(task.arg.items()) if task.arg else []
            result = TaskResult(task.id, START, writes=writes, update=task.arg)
            view = self._local_view(values, given)
            await self._route(START, view, config, result)
            return result
        spec = self.nodes.get(task.name)
        if spec is None:
            raise UnknownNodeError(f"Task names node {task.name!r}, which this graph does not have.")
        if task.kind == TaskKind.PUSH:  # a copy, as for the state: the argument comes from the cached record
            node_input = self.schema.load("__send__", copy.deepcopy(task.arg))
        else:
            node_input = self.schema.to_input(self._with_defaults(values))
        if task.kind == TaskKind.PUSH and isinstance(node_input, Mapping):
            node_input = dict(node_input)
        cfg = self.node_config(config, task)
        try:
            output = await _user_code.call_node(
                spec.fn, spec.is_async, spec.takes_config, node_input, cfg, task_id=task.id, resume=resume,
                saved_calls=saved_calls, failed_calls=failed_calls,
            )
        except TaskCallsPending as pending:
            return TaskResult(task.id, task.name, calls=list(pending.calls))
        except SubgraphInterrupt as si:  # the subgraph's interrupts, with its ids, are this task's
            return TaskResult(task.id, task.name, interrupts=list(si.interrupts))
        except ParentCommand as pc:  # a node of the subgraph this node ran commands this graph
            output = self._from_parent_command(pc)
        except GraphInterrupt as gi:
            value = self.schema.dump("__interrupt__", gi.value, where=where)
            return TaskResult(task.id, task.name, interrupts=[{"id": interrupt_id(task.id, gi.index), "value": value, "index": gi.index}])
        result = TaskResult(task.id, task.name)
        commands = [output] if isinstance(output, Command) else (
            list(output) if isinstance(output, (list, tuple)) and output and all(isinstance(o, Command) for o in output) else None
        )
        update: dict[str, Any] = {}
        if commands is None and spec.subgraph is not None and isinstance(output, Mapping):
            # A subgraph node returns the subgraph's state: the keys the parent shares, as in LangGraph.
            update = {k: v for k, v in output.items() if k in self.schema.fields}
        elif commands is None:
            update = self.schema.update_to_dict(output, where=where)
        else:
            for command in commands:
                if command.graph == Command.PARENT:
                    raise self._to_parent_command(command, where)
                update.update(self.schema.update_to_dict(command.update, where=where))
                gotos = command.goto if isinstance(command.goto, (list, tuple)) else [command.goto]
                for goto in gotos:
                    self._add_route(task.name, goto, None, result)
        update = {k: self.schema.normalize(k, v, task.id) for k, v in update.items()}
        result.writes.extend(self.schema.dump_values(update, where=where).items())
        result = dataclasses.replace(result, same_update=bool(update or output is not None))
        view = self._local_view(values, update)
        await self._route(task.name, view, cfg, result)
        return result

    def _to_parent_command(self, command: Command, where: str) -> ParentCommand:
        """``Command(graph=Command.PARENT)`` as JSON for the parent graph, whose keys this schema may not have."""
        update = command.update
        if update is not None and not isinstance(update, Mapping):
            update = self.schema.update_to_dict(update, where=where)
        gotos = command.goto if isinstance(command.goto, (list, tuple)) else [command.goto] if command.goto else []
        payload = {
            "update": {k: self.schema.dump("__parent__", v, where=where) for k, v in dict(update or {}).items()},
            "goto": [
                {"node": g.node, "arg": self.schema.dump("__send__", g.arg, where=where)} if isinstance(g, Send) else g
                for g in gotos
            ],
        }
        return ParentCommand(
            f"{where} returned Command(graph=Command.PARENT); the parent graph's node applies it. "
            "Returned by a node of the root graph, there is no parent: use Command(goto=..., update=...) instead.",
            command=payload,
        )

    def _from_parent_command(self, pc: ParentCommand) -> Command:
        """The parent's side: the subgraph node's command, as this node's own ``Command``."""
        payload = pc.fields.get("command") or {}
        update = {k: self.schema.load(k, v) for k, v in (payload.get("update") or {}).items()}
        gotos = [
            Send(g["node"], self.schema.load("__send__", g["arg"])) if isinstance(g, Mapping) else g
            for g in payload.get("goto") or []
        ]
        return Command(update=update or None, goto=gotos)

    def _with_defaults(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Reducer fields start from their type's empty value, as in LangGraph."""
        out = dict(values)
        for name, field in self.schema.fields.items():
            if name not in out and field.reducer is not None and field.default_factory is not None:
                out[name] = field.default_factory()
        return out

    def _local_view(self, values: Mapping[str, Any], update: Mapping[str, Any]) -> Any:
        """The state as the task sees it after its own writes (what its conditional edges read)."""
        merged = self._with_defaults(values)
        for key, value in update.items():
            field = self.schema.fields[key]
            merged[key] = _user_code.reduce(field.reducer, merged[key], value) if field.reducer is not None and key in merged else value
        return self.schema.to_input(merged)

    async def _route(self, source: str, view: Any, config: Mapping[str, Any], result: TaskResult) -> None:
        for branch in self.spec.branches.get(source, ()):
            decision = await _user_code.call(branch.path, branch.is_async, branch.takes_config, view, config)
            # An empty list (a map over zero items) ends this branch, as in LangGraph; None is
            # not a destination and is refused by _add_route.
            items = decision if isinstance(decision, (list, tuple)) else [decision]
            for item in items:
                self._add_route(source, item, branch, result)

    def _add_route(self, source: str, item: Any, branch: BranchSpec | None, result: TaskResult) -> None:
        if isinstance(item, Send):
            if item.node not in self.nodes:
                raise UnknownNodeError(
                    f"{source!r} sent to unknown node {item.node!r}; known nodes: {', '.join(self.nodes)}."
                )
            result.sends.append((item.node, self.schema.dump("__send__", item.arg, where=f"Send to {item.node!r}")))
            return
        target = item
        if branch is not None and branch.path_map is not None:
            try:
                target = branch.path_map[item]
            except (KeyError, TypeError):
                raise UnknownNodeError(
                    f"The conditional edge after {source!r} returned {item!r}, which is not a key of its "
                    f"path_map {list(branch.path_map)}. Return one of those keys or add {item!r} to the path_map.",
                    node=source,
                ) from None
        if target == END:
            result.targets.append(END)
            return
        if not isinstance(target, str) or target not in self.nodes:
            where = "The conditional edge" if branch is not None else "Command(goto=...)"
            raise UnknownNodeError(
                f"{where} after {source!r} returned {target!r}, which names no node; known nodes: "
                f"{', '.join(self.nodes)} (or END). Return a node name, END, or Send objects.",
                node=source,
            )
        result.targets.append(target)

    # -- committing a super-step ------------------------------------------------------

    @staticmethod
    def order_results(tasks: Sequence[TaskSpec], results: Mapping[str, TaskResult]) -> list[tuple[TaskSpec, TaskResult]]:
        """LangGraph's order of applying writes: pull (and input) tasks by name, then pushes as sent."""
        pulls = sorted((t for t in tasks if t.kind != TaskKind.PUSH), key=lambda t: t.name)
        pushes = sorted((t for t in tasks if t.kind == TaskKind.PUSH), key=lambda t: t.index)
        return [(t, results[t.id]) for t in [*pulls, *pushes] if t.id in results]

    def apply_writes(
        self, values: dict[str, Any], ordered: Sequence[tuple[TaskSpec, TaskResult]]
    ) -> list[str]:
        """Fold the writes into ``values`` (in place) through reducers; returns the channels changed."""
        grouped: dict[str, list[tuple[str, Any]]] = {}
        for task, result in ordered:
            for key, value in result.writes:
                grouped.setdefault(key, []).append((task.name, value))
        changed: list[str] = []
        for key, writes in grouped.items():
            field = self.schema.fields.get(key)
            if field is None:
                raise InvalidUpdateError(f"Write to unknown state key {key!r} by {writes[0][0]!r}.")
            if field.reducer is None:
                if len(writes) > 1:
                    raise InvalidUpdateError(
                        f"At key {key!r}: Can receive only one value per step, got writes from "
                        f"{', '.join(sorted({n for n, _ in writes}))}. Use an Annotated key with a reducer "
                        "(e.g. Annotated[list, operator.add]) to handle multiple values.",
                        key=key,
                    )
                values[key] = writes[0][1]
            else:
                current = self.schema.load(key, copy.deepcopy(values[key])) if key in values else (
                    field.default_factory() if field.default_factory is not None else _EMPTY
                )
                for node, raw in writes:
                    value = self.schema.load(key, raw)
                    current = value if current is _EMPTY else _user_code.reduce(field.reducer, current, value)
                values[key] = self.schema.dump(key, current, where=f"The reducer of {key!r}")
            changed.append(key)
        return changed

    def commit(
        self,
        values_json: Mapping[str, Any],
        versions: Mapping[str, str],
        tasks: Sequence[TaskSpec],
        results: Mapping[str, TaskResult],
        new_checkpoint_id: str,
        update: Sequence[tuple[str, Any]] = (),
    ) -> StepOutcome:
        """Apply a super-step's results and decide what runs next.

        ``update``: an ``invoke(Command(update=...))`` stored against the checkpoint the
        step ran from; applied first, as the step's tasks saw it (:meth:`with_update`).
        """
        ordered = self.order_results(tasks, results)
        values = self.with_update(values_json, update)
        changed = list(dict.fromkeys(key for key, _ in update))
        changed += [c for c in self.apply_writes(values, ordered) if c not in changed]
        pulls: list[str] = []
        sends: list[tuple[str, Any]] = []
        finished = [task.name for task, _ in ordered]
        for task, result in ordered:
            pulls.extend(self.edges.get(task.name, []))
            pulls.extend(result.targets)
            sends.extend(result.sends)
        for starts, end in self.joins:
            channel = join_channel(starts, end)
            seen = set(values.get(channel) or [])
            arrived = seen | {n for n in finished if n in starts}
            if arrived != seen:
                if arrived >= set(starts):
                    pulls.append(end)
                    arrived = set()
                values[channel] = sorted(arrived)
                changed.append(channel)
        new_versions = dict(versions)
        for channel in changed:
            new_versions[channel] = new_checkpoint_id
        writes_md: dict[str, Any] = {}
        for task, result in ordered:
            if task.name in writes_md:
                previous = writes_md[task.name]
                writes_md[task.name] = (previous if isinstance(previous, list) else [previous]) + [result.node_update]
            else:
                writes_md[task.name] = result.node_update
        return StepOutcome(
            values=values,
            versions=new_versions,
            next_tasks=self._next_tasks(new_checkpoint_id, pulls, sends),
            writes_metadata=writes_md,
            updated_channels=changed,
        )

    async def update_as_node(
        self,
        values_json: Mapping[str, Any],
        versions: Mapping[str, str],
        as_node: str,
        update: Any,
        config: Mapping[str, Any],
        new_checkpoint_id: str,
    ) -> StepOutcome:
        """``update_state``: apply ``update`` as if ``as_node`` had returned it; next follows from ``as_node``."""
        where = f"update_state(as_node={as_node!r})"
        if as_node == START:
            task = self.input_task(new_checkpoint_id, self.dump_input(update))
            result = await self.run_task(task, values_json, config)
        else:
            check_node_names(self.spec, [as_node], "update_state: as_node", allow=(START,))
            task = TaskSpec(task_id(new_checkpoint_id, "update", as_node, 0), as_node, TaskKind.PULL)
            values = self.schema.load_values(values_json)
            if update is not None:
                upd = self.schema.update_to_dict(update, where=where)
                upd = {k: self.schema.normalize(k, v, task.id) for k, v in upd.items()}
                writes = list(self.schema.dump_values(upd, where=where).items())
                result = TaskResult(task.id, as_node, writes=writes, update=dict(writes))
                view = self._local_view(values, upd)
            else:
                result = TaskResult(task.id, as_node)
                view = self.schema.to_input(self._with_defaults(values))
            await self._route(as_node, view, config, result)
        return self.commit(values_json, versions, [task], {task.id: result}, new_checkpoint_id)

    @staticmethod
    def infer_as_node(parent_metadata: Mapping[str, Any] | None) -> str:
        """The node an ``update_state`` without ``as_node`` is attributed to: the last writer."""
        if parent_metadata is None:
            return START
        writes = parent_metadata.get("writes") or {}
        writers = list(writes) if isinstance(writes, Mapping) else []
        if parent_metadata.get("source") == "input" or writers == [START]:
            return START
        if len(writers) == 1:
            return writers[0]
        if len(writers) > 1:
            raise InvalidUpdateError(
                f"Ambiguous update: the last super-step ran {sorted(writers)}; pass as_node= to say which "
                "node the update comes from."
            )
        raise InvalidUpdateError("Cannot tell which node this update comes from; pass as_node= (a node name, or START).")

    def with_update(self, values_json: Mapping[str, Any], writes: Sequence[tuple[str, Any]]) -> dict[str, Any]:
        """The state with an ``invoke(Command(update=...))`` applied through the reducers: what the
        tasks of the checkpoint it continues read, and what their commit starts from."""
        values = dict(values_json)
        if writes:
            update = TaskSpec(COMMAND_UPDATE_TASK, "__input__", TaskKind.INPUT)
            self.apply_writes(values, [(update, TaskResult(COMMAND_UPDATE_TASK, "__input__", writes=list(writes)))])
        return values

    def live_values(
        self, values_json: Mapping[str, Any], tasks: Sequence[TaskSpec], done: Mapping[str, TaskResult]
    ) -> dict[str, Any]:
        """The state with the writes of completed tasks of an unfinished super-step applied."""
        values = dict(values_json)
        if done:
            self.apply_writes(values, self.order_results(tasks, done))
        return values

    def state_values(self, values_json: Mapping[str, Any], *, defaults: bool = True) -> dict[str, Any]:
        """User-facing values: state keys only, as Python objects.

        Keys come in the schema's field order. Reducer keys never written show
        their type's empty value, as in LangGraph; ``defaults=False`` for the input checkpoint of a new thread,
        whose values the lesson shows as ``{}``.
        """
        fields = self.schema.fields
        values = self.schema.load_values({k: v for k, v in values_json.items() if is_state_channel(k) and k in fields})
        if defaults:
            values = self._with_defaults(values)
        # In the schema's field order, as LangGraph reads its channels (not in the order written).
        return {k: values[k] for k in fields if k in values}
