"""Build the frozen spec dataclasses from plain data (parsed YAML or TOML), generically.

Nothing here knows a spec type by name: the fields, their type hints and their defaults say
what a mapping may hold, so a field added to a spec type loads without a change here. Rules:

- a mapping key is the field's name; a trailing underscore (Python's escape for a keyword,
  `for_`) is dropped, so files write `for:`;
- `Seconds` fields (see `sre.spec.units`) take a number of seconds or a duration string
  (`"10m"`, `"26h"`, `"7d"`, `"1h30m"`);
- a float takes a number or a percentage string (`"99.9%"` is 0.999);
- a list field that has no default may be left out (it is empty);
- a union takes the member whose fields fit the mapping (`{slo, tier}` is a `BurnRate`).

Every problem is collected with its path (`slos[1].window`) instead of stopping at the first;
the spec type's own validation (`SpecError` from `__post_init__`) is reported at the path of
the value it rejected.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Mapping
from enum import Enum
from functools import cache
from typing import Any, Union

from sre.errors import SpecError, SpecFileError
from sre.spec.units import DURATION, parse_duration

__all__ = ["INVALID", "Hooks", "Problems", "build", "field_hints", "key_of", "shown"]


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()  # a value that failed; its problem is already recorded

# Per-type rewriting of a raw mapping before it is built (a front end's shorthand).
Hooks = Mapping[type, Callable[[dict[str, Any], str, "Problems"], dict[str, Any]]]


class Problems:
    """Collects `file: path: what is wrong` lines; `check()` raises them all at once."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.lines.append(
            f"{self.source}: {path}: {message}" if path else f"{self.source}: {message}"
        )

    def check(self) -> None:
        if self.lines:
            raise SpecFileError(self.lines)


def shown(value: Any) -> str:
    """A value as the file wrote it, short: `"7x"`, `12`, `[1, 2]`."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def key_of(name: str) -> str:
    """The key a file writes for a field: `for_` -> `for`."""
    return name.removesuffix("_")


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


@cache
def field_hints(cls: type) -> dict[str, Any]:
    """Field name -> resolved type hint (with `Annotated` extras) of a spec dataclass."""
    hints = typing.get_type_hints(cls, include_extras=True)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.init}


def _required(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def _is_list(hint: Any) -> bool:
    return typing.get_origin(hint) is tuple


def build(hint: Any, value: Any, path: str, problems: Problems, hooks: Hooks) -> Any:
    """`value` converted to `hint`, or INVALID with the problem recorded at `path`."""
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        base, *extras = typing.get_args(hint)
        if DURATION in extras:
            return _duration(value, path, problems)
        return build(base, value, path, problems, hooks)
    if hint is Any:
        return value
    if origin is typing.Literal:
        choices = typing.get_args(hint)
        if value in choices:
            return value
        problems.add(path, f"{shown(value)} is not one of {', '.join(map(str, choices))}")
        return INVALID
    if origin in (Union, types.UnionType):
        return _union(typing.get_args(hint), value, path, problems, hooks)
    if origin is tuple:
        return _sequence(typing.get_args(hint), value, path, problems, hooks)
    if origin in (Mapping, dict, typing.get_origin(Mapping[str, str])):
        return _mapping(typing.get_args(hint), value, path, problems, hooks)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return build_dataclass(hint, value, path, problems, hooks)
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError:
            known = ", ".join(str(m.value) for m in hint)
            problems.add(path, f"{shown(value)} is not one of {known}")
            return INVALID
    return _scalar(hint, value, path, problems)


def _scalar(hint: Any, value: Any, path: str, problems: Problems) -> Any:
    if hint is bool and isinstance(value, bool):
        return value
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                return float(value.strip()[:-1]) / 100
            except ValueError:
                pass
    if hint is str and isinstance(value, str):
        return value
    what = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    problems.add(path, f"{shown(value)} is not {what.get(hint, getattr(hint, '__name__', hint))}")
    return INVALID


def _duration(value: Any, path: str, problems: Problems) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        try:
            seconds = parse_duration(value)
        except ValueError:
            problems.add(path, f'{shown(value)} is not a duration (write e.g. "10m", "26h")')
            return INVALID
        if seconds != int(seconds):
            problems.add(path, f"{shown(value)} is not a whole number of seconds")
            return INVALID
        return int(seconds)
    problems.add(path, f'{shown(value)} is not a duration (seconds, or e.g. "10m", "26h")')
    return INVALID


def _sequence(
    args: tuple[Any, ...], value: Any, path: str, problems: Problems, hooks: Hooks
) -> Any:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, list | tuple):
        problems.add(path, f"{shown(value)} is not a list")
        return INVALID
    if len(args) == 2 and args[1] is Ellipsis:
        items = [build(args[0], v, f"{path}[{i}]", problems, hooks) for i, v in enumerate(value)]
    elif len(args) == len(value):
        items = [
            build(a, v, f"{path}[{i}]", problems, hooks)
            for i, (a, v) in enumerate(zip(args, value, strict=True))
        ]
    else:
        problems.add(path, f"expected {len(args)} items, got {len(value)}")
        return INVALID
    return INVALID if any(i is INVALID for i in items) else tuple(items)


def _mapping(args: tuple[Any, ...], value: Any, path: str, problems: Problems, hooks: Hooks) -> Any:
    if not isinstance(value, Mapping):
        problems.add(path, f"{shown(value)} is not a mapping")
        return INVALID
    key_hint, value_hint = args or (str, Any)
    out = {}
    for key, item in value.items():
        if key_hint is str and not isinstance(key, str):
            problems.add(path, f"key {shown(key)} is not a string")
            out[key] = INVALID
            continue
        out[key] = build(value_hint, item, _join(path, str(key)), problems, hooks)
    return INVALID if any(v is INVALID for v in out.values()) else out


def _fits(cls: type, value: Mapping[str, Any]) -> bool:
    fields = {key_of(f.name): f for f in dataclasses.fields(cls) if f.init}
    required = {
        k for k, f in fields.items() if _required(f) and not _is_list(field_hints(cls)[f.name])
    }
    return required <= set(value) <= set(fields) | {f.name for f in fields.values()}


def _union(args: tuple[Any, ...], value: Any, path: str, problems: Problems, hooks: Hooks) -> Any:
    if value is None and type(None) in args:
        return None
    members = [a for a in args if a is not type(None)]
    if isinstance(value, Mapping):
        classes = [a for a in members if dataclasses.is_dataclass(a) and isinstance(a, type)]
        fitting = [c for c in classes if _fits(c, value)]
        if len(fitting) == 1:
            return build_dataclass(fitting[0], value, path, problems, hooks)
        if classes:
            forms = "; ".join(
                f"{c.__name__} ({', '.join(key_of(f.name) for f in dataclasses.fields(c))})"
                for c in classes
            )
            problems.add(path, f"{shown(dict(value))} matches none of: {forms}")
            return INVALID
    for member in members:
        if member in (str, int, float, bool) or typing.get_origin(member) is not None:
            quiet = Problems(problems.source)
            result = build(member, value, path, quiet, hooks)
            if not quiet.lines:
                return result
    names = ", ".join(getattr(m, "__name__", str(m)) for m in members)
    problems.add(path, f"{shown(value)} is none of: {names}")
    return INVALID


def build_dataclass(cls: type, value: Any, path: str, problems: Problems, hooks: Hooks) -> Any:
    """One spec object from a mapping of its fields; problems recorded, INVALID on any."""
    if isinstance(value, cls):  # a front end's default, already built
        return value
    if not isinstance(value, Mapping):
        problems.add(path, f"{shown(value)} is not a mapping of {cls.__name__} fields")
        return INVALID
    raw = dict(value)
    hook = hooks.get(cls)
    if hook is not None:
        raw = hook(raw, path, problems)
    hints = field_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    by_key = {key_of(name): name for name in fields} | {name: name for name in fields}
    known = ", ".join(key_of(name) for name in fields)
    kwargs: dict[str, Any] = {}
    failed = False
    for key, item in raw.items():
        name = by_key.get(key) if isinstance(key, str) else None
        if name is None:
            problems.add(_join(path, str(key)), f"unknown field of {cls.__name__} (known: {known})")
            failed = True
            continue
        kwargs[name] = build(hints[name], item, _join(path, key_of(name)), problems, hooks)
        failed = failed or kwargs[name] is INVALID
    for name, field in fields.items():
        if name in kwargs or not _required(field):
            continue
        if _is_list(hints[name]):
            kwargs[name] = ()
        else:
            problems.add(_join(path, key_of(name)), "required")
            failed = True
    if failed:
        return INVALID
    try:
        return cls(**kwargs)
    except SpecError as exc:
        message = str(exc).removeprefix(f"{exc.owner}.{exc.field}: ")
        own = exc.field in fields and exc.owner.split(" ")[0] == cls.__name__
        problems.add(_join(path, key_of(exc.field)) if own else path, message if own else str(exc))
    except (TypeError, ValueError) as exc:
        problems.add(path, str(exc))
    return INVALID
