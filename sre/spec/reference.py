"""docs/spec.md: the reference of every spec field, generated from the spec types themselves so
it cannot drift (a test compares). Regenerate: `python -m sre.spec.reference > docs/spec.md`."""

from __future__ import annotations

import dataclasses
import inspect
import sys
import typing
from enum import Enum
from typing import Any

from sre.spec.formats import openslo, yaml_spec
from sre.spec.formats.convert import field_hints, key_of
from sre.spec.service import Service
from sre.spec.units import DURATION

__all__ = ["render_reference", "spec_types"]

_INTRO = """\
# Service spec reference

<!-- Generated from the spec types by `python -m sre.spec.reference`: do not edit. -->

A service is described once, in one of three front ends, all loading into the same frozen,
validated types (`sre.spec`):

- **Python**: `--service package.module:ATTR` or `--service path/spec.py[:ATTR]`;
- **our YAML** (`apiVersion: sre/v1`): the fields below, one key each;
- **OpenSLO v1** (`apiVersion: openslo/v1`): the subset listed at the end.

`sre` finds the spec from `--service`, else `$SRE_SERVICE`, else `service` under `[tool.sre]`
in `./pyproject.toml` (with `runbooks`, `out` and `environments`, a table of environments by
name), else `./sre.yaml`. Every spec problem is one line, `file: path: what is wrong`, and
exit code 2.

In YAML, a key is the field's name (Python's trailing `_` dropped: `for`); a *duration* is a
number of seconds or a string such as `"10m"`, `"26h"`, `"7d"`, `"1h30m"`; a *number* may be a
percentage string (`"99.9%"` is 0.999); a *list* with no default may be left out (empty).
"""


def spec_types() -> list[type]:
    """Service and every dataclass reachable from its fields, in reading order."""
    seen: list[type] = []

    def visit(hint: Any) -> None:
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            if hint in seen:
                return
            seen.append(hint)
            for sub in field_hints(hint).values():
                visit(sub)
        for arg in typing.get_args(hint):
            visit(arg)

    visit(Service)
    return seen


def _type(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        return "duration" if DURATION in args[1:] else _type(args[0])
    if hint is Any:
        return "any"
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin is tuple:
        return f"list of {_type(args[0])}"
    if origin in (typing.Union, __import__("types").UnionType):
        return " or ".join(_type(a) for a in args if a is not type(None)) + (
            " or null" if type(None) in args else ""
        )
    if args and typing.get_origin(hint) is not None:
        return f"mapping of {_type(args[0])} to {_type(args[1])}"
    if isinstance(hint, type) and issubclass(hint, Enum):
        return " \\| ".join(f"`{m.value}`" for m in hint)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return f"[{hint.__name__}](#{hint.__name__.lower()})"
    names = {str: "string", int: "integer", float: "number", bool: "boolean"}
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def _default(field: dataclasses.Field[Any], hint: Any) -> str:
    value: Any = field.default
    if field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
    if value is dataclasses.MISSING:
        listed = typing.get_origin(hint) is tuple
        return "empty list (YAML; required in Python)" if listed else "**required**"
    if isinstance(value, Enum):
        value = value.value
    if value in ((), {}):
        return "empty"
    if value is None:
        return "null"
    if isinstance(value, tuple):
        value = list(value)
    return f"`{value!r}`".replace("'", '"')


def _section(cls: type) -> str:
    doc = inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0].replace("\n", " ")
    rows = [f"## {cls.__name__}", "", doc, "", "| key | type | default |", "| --- | --- | --- |"]
    hints = field_hints(cls)
    for field in dataclasses.fields(cls):
        if field.init:
            hint = hints[field.name]
            rows.append(f"| `{key_of(field.name)}` | {_type(hint)} | {_default(field, hint)} |")
    return "\n".join(rows) + "\n"


def render_reference() -> str:
    """The whole page."""
    parts = [_INTRO, "## Our YAML format\n", inspect.cleandoc(yaml_spec.__doc__ or "") + "\n"]
    parts += [_section(cls) for cls in spec_types()]
    parts += ["## OpenSLO v1 subset\n", inspect.cleandoc(openslo.__doc__ or "") + "\n"]
    return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(render_reference())
