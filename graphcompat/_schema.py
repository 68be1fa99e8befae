"""State schemas: fields, reducers, and JSON (de)serialization of values.

A state schema (TypedDict, dataclass or pydantic model) becomes a set of
channels, one per field: a field annotated ``Annotated[T, reducer]`` folds
writes with ``reducer``; any other field keeps the last value written.

Values cross process boundaries as JSON: :meth:`StateSchema.dump` turns a
field's Python value into JSON through pydantic, :meth:`StateSchema.load`
validates JSON back into the field's declared type (so dataclasses and
pydantic models come back as themselves, and nothing else is constructed).
Chat messages (LangChain objects, when langchain-core is installed) are
stored in the versioned form of :mod:`graphcompat._messages` and revived
from its allow-list only.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import io
import types
import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any, get_args, get_origin, get_type_hints

import pydantic
from pydantic import TypeAdapter

from graphcompat import _messages
from graphcompat.errors import GraphValidationError, InvalidUpdateError, StateSerializationError, UnknownStateKeyError

__all__ = ["Field", "StateSchema"]



@dataclasses.dataclass(frozen=True)
class Field:
    """One state key: its type, its reducer (None: last value wins) and its default."""

    name: str
    annotation: Any
    reducer: Callable[[Any, Any], Any] | None
    default_factory: Callable[[], Any] | None

    @functools.cached_property
    def adapter(self) -> TypeAdapter[Any]:
        try:
            return TypeAdapter(self.annotation)
        except Exception:  # an annotation pydantic cannot handle: keep values as-is
            return TypeAdapter(Any)

    @functools.cached_property
    def message_annotation(self) -> Any:
        """The field's type as the message codec reads it (``add_messages``: a list of messages)."""
        if getattr(self.reducer, "holds_messages", False):
            return list[_messages.MESSAGE]  # type: ignore[valid-type]
        return self.annotation

    @functools.cached_property
    def holds_messages(self) -> bool:
        """Whether values of this field may contain message objects (dump/load look for them)."""
        return _messages.may_hold_messages(self.message_annotation)


def _reducer_of(annotation: Any) -> tuple[Any, Callable[[Any, Any], Any] | None]:
    """Split ``Annotated[T, reducer, ...]`` into ``(T, reducer)``."""
    if get_origin(annotation) is typing.Annotated:
        base, *extras = get_args(annotation)
        for extra in reversed(extras):
            if callable(extra) and not isinstance(extra, type):
                try:
                    params = [
                        p
                        for p in inspect.signature(extra).parameters.values()
                        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                    ]
                except (TypeError, ValueError):  # builtins such as operator.add
                    params = [None, None]  # type: ignore[list-item]
                if len(params) >= 2:
                    return base, extra
        return base, None
    return annotation, None


_ABSTRACT_EMPTY: dict[Any, type] = {
    collections.abc.Sequence: list,
    collections.abc.MutableSequence: list,
    collections.abc.Set: set,
    collections.abc.MutableSet: set,
    collections.abc.Mapping: dict,
    collections.abc.MutableMapping: dict,
}


def _empty_value(annotation: Any) -> Callable[[], Any] | None:
    """A reducer field starts from its type's empty value (``list()`` for a list), as in LangGraph."""
    origin = get_origin(annotation) or annotation
    origin = _ABSTRACT_EMPTY.get(origin, origin)
    if origin in (list, dict, set, tuple, str, int, float):
        return origin  # type: ignore[no-any-return]
    return None


class StateSchema:
    """The fields of a state schema and how to read, write and serialize them."""

    def __init__(self, schema: type[Any]) -> None:
        self.schema = schema
        self.kind = self._kind(schema)
        try:
            hints = get_type_hints(schema, include_extras=True)
        except Exception as exc:
            raise GraphValidationError(
                f"Cannot read the type hints of state schema {schema!r}: {exc}. "
                "Define the schema at module level with annotations that can be resolved."
            ) from exc
        defaults = self._defaults(schema)
        self.fields: dict[str, Field] = {}
        for name, annotation in hints.items():
            if name.startswith("_") or get_origin(annotation) is typing.ClassVar:
                continue
            base, reducer = _reducer_of(annotation)
            factory = _empty_value(base) if reducer is not None else None
            if name in defaults:
                factory = defaults[name]
            self.fields[name] = Field(name, base, reducer, factory)
        if not self.fields:
            raise GraphValidationError(
                f"State schema {schema.__name__} has no fields; declare at least one annotated key, "
                "e.g. `class State(TypedDict): messages: list[str]`."
            )

    @staticmethod
    def _kind(schema: type[Any]) -> str:
        if isinstance(schema, type) and issubclass(schema, pydantic.BaseModel):
            return "pydantic"
        if dataclasses.is_dataclass(schema):
            return "dataclass"
        if isinstance(schema, type) and issubclass(schema, dict) and hasattr(schema, "__annotations__"):
            return "typeddict"
        raise GraphValidationError(
            f"Unsupported state schema {schema!r}: use a TypedDict, a dataclass or a pydantic model."
        )

    def _defaults(self, schema: type[Any]) -> dict[str, Callable[[], Any]]:
        out: dict[str, Callable[[], Any]] = {}
        if self.kind == "dataclass":
            for f in dataclasses.fields(schema):
                if f.default is not dataclasses.MISSING:
                    out[f.name] = functools.partial(lambda v: v, f.default)
                elif f.default_factory is not dataclasses.MISSING:
                    out[f.name] = f.default_factory
        elif self.kind == "pydantic":
            for name, info in schema.model_fields.items():
                if not info.is_required():
                    out[name] = functools.partial(info.get_default, call_default_factory=True)
        return out

    # -- keys -----------------------------------------------------------------

    def check_keys(self, keys: typing.Iterable[str], *, where: str) -> None:
        unknown = [k for k in keys if k not in self.fields]
        if unknown:
            raise UnknownStateKeyError(
                f"{where} wrote unknown state key(s) {', '.join(map(repr, unknown))}; "
                f"the state schema {self.schema.__name__} has {', '.join(map(repr, self.fields))}. "
                "Add the key to the schema or stop writing it.",
                keys=unknown,
            )

    # -- serialization ----------------------------------------------------------

    def normalize(self, key: str, value: Any, salt: str | None) -> Any:
        """Let a reducer put a write in its canonical form before it becomes JSON (``add_messages`` does)."""
        field = self.fields.get(key)
        hook = getattr(field.reducer, "normalize", None) if field is not None else None
        return hook(value, salt) if hook is not None else value

    def validate(self, key: str, value: Any, *, where: str) -> Any:
        """Check a value against a pydantic schema's field type (LangGraph validates pydantic state)."""
        field = self.fields.get(key)
        if self.kind != "pydantic" or field is None or field.reducer is not None:
            return value
        try:
            return field.adapter.validate_python(value)
        except pydantic.ValidationError as exc:
            raise InvalidUpdateError(
                f"{where}: the value for state key {key!r} does not fit its type "
                f"({exc.errors()[0].get('msg', exc)}; got {value!r:.60}). Pass a value of the declared type.",
                key=key,
            ) from None

    def dump(self, key: str, value: Any, *, where: str) -> Any:
        """A field's value as JSON-compatible data; refuses what JSON cannot hold."""
        _refuse_streams(value, key, where)
        field = self.fields.get(key)
        adapter = field.adapter if field is not None else _ANY
        if field.holds_messages if field is not None else _messages.available():
            value = _messages.dump_tree(value)  # messages in their stored form; the rest as JSON
            adapter = _ANY
        try:
            return adapter.dump_python(value, mode="json", warnings=False)
        except Exception as exc:
            try:  # the declared type may be narrower than the value: try as Any
                return _ANY.dump_python(value, mode="json", warnings=False)
            except Exception:
                pass
            raise StateSerializationError(
                f"{where}: the value for state key {key!r} ({type(value).__name__}) cannot be serialized "
                f"to JSON ({exc.__class__.__name__}: {str(exc).splitlines()[0]}). Store plain data "
                "(str, numbers, lists, dicts, dataclasses, pydantic models) in the state.",
                key=key,
            ) from exc

    def load(self, key: str, data: Any) -> Any:
        """JSON back into the field's declared type."""
        field = self.fields.get(key)
        if data is None:
            return data
        if field is None:  # __send__, __interrupt__, ...: revive stored messages only
            return _messages.load_tree(Any, data) if _messages.available() else data
        if field.holds_messages:
            data = _messages.load_tree(field.message_annotation, data)
        try:
            return field.adapter.validate_python(data)
        except Exception:
            return data  # stored under an older schema: hand back the raw data

    def load_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self.load(k, v) for k, v in data.items() if k in self.fields}

    def dump_values(self, values: Mapping[str, Any], *, where: str) -> dict[str, Any]:
        return {k: self.dump(k, v, where=where) for k, v in values.items()}

    # -- node input / output -------------------------------------------------------

    def to_input(self, values: Mapping[str, Any]) -> Any:
        """The state as a node receives it: a dict, a dataclass or a model instance."""
        if self.kind == "typeddict":
            return dict(values)
        full = {}
        for name, field in self.fields.items():
            if name in values:
                full[name] = values[name]
            elif field.default_factory is not None:
                full[name] = field.default_factory()
        if self.kind == "pydantic":
            return self.schema.model_construct(**full)
        try:
            return self.schema(**full)
        except TypeError as exc:
            missing = [n for n in self.fields if n not in full]
            raise InvalidUpdateError(
                f"Cannot build {self.schema.__name__} from the state: {exc}. Missing key(s) "
                f"{missing}; give them defaults in the dataclass or pass them in the input."
            ) from exc

    def update_to_dict(self, update: Any, *, where: str) -> dict[str, Any]:
        """A node's return value as ``{key: value}``, validated against the schema."""
        if update is None:
            return {}
        if isinstance(update, Mapping):
            out = dict(update)
        elif isinstance(update, pydantic.BaseModel):
            # in the model's field order (model_fields_set is a set: its order is arbitrary)
            given = update.model_fields_set
            out = {k: getattr(update, k) for k in type(update).model_fields if not given or k in given}
        elif dataclasses.is_dataclass(update) and not isinstance(update, type):
            out = {f.name: getattr(update, f.name) for f in dataclasses.fields(update)}
        else:
            raise InvalidUpdateError(
                f"{where} returned {type(update).__name__} {update!r:.80}; a node must return a dict of "
                "state updates (or None, a Command, or an instance of the state schema).",
            )
        self.check_keys(out, where=where)
        return out


_ANY: TypeAdapter[Any] = TypeAdapter(Any)


def _refuse_streams(value: Any, key: str, where: str, depth: int = 0) -> None:
    """Refuse files, generators and other one-shot iterators.

    pydantic would consume them into lists: the file would be read to its end
    and the state would hold something the node never meant to store.
    """
    if isinstance(value, (str, bytes, int, float, bool, type(None))):
        return
    if isinstance(value, (io.IOBase, types.GeneratorType, types.AsyncGeneratorType)) or (
        isinstance(value, collections.abc.Iterator)
    ):
        raise StateSerializationError(
            f"{where}: the value for state key {key!r} is a {type(value).__name__}, which cannot be stored: "
            "it can be read only once. Store the data itself (e.g. list(...) or file.read()) or a path to it.",
            key=key,
        )
    if depth < 8:
        if isinstance(value, dict):
            for item in value.values():
                _refuse_streams(item, key, where, depth + 1)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for item in value:
                _refuse_streams(item, key, where, depth + 1)

