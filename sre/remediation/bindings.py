"""Placeholders in an action's spec (`${pipeline}` in an argv, a URL or a body), filled only
from alert labels that passed the `name` validator. `${...}` rather than `{...}`, so a JSON body
needs no escaping; `$$` is a literal `$`.

A policy lists the labels it may use (`labels: [connector]`). At admission the values are
validated and encoded into the run's target (`connector=orders-sink`, or the policy's static
`target` when it uses no label); at execution the target is decoded and validated again by the
same function, so what runs is exactly what was admitted. A value can hold only a-z 0-9 _ -,
so it cannot open a shell, a URL component or a JSON string even where one is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from sre.errors import SpecError, UnsafeTarget
from sre.remediation import targets

__all__ = ["bind", "check_templates", "decode", "encode", "fields", "render"]

_TOKEN = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)\}|(.?))", re.ASCII)


def fields(template: str) -> tuple[str, ...]:
    """The placeholder names in `template`; ValueError for a `$` that is neither `$$` nor
    `${label}` (`${x.y}`, `$x`, `${}`)."""
    found: list[str] = []
    for match in _TOKEN.finditer(template):
        name, stray = match.group(1), match.group(2)
        if name:
            found.append(name)
        elif stray is not None and match.group(0) != "$$":
            raise ValueError("a $ must be $$ or ${label} (a plain label name)")
    return tuple(found)


def check_templates(
    templates: Iterable[str], labels: Sequence[str], owner: str, where: str
) -> None:
    """Every placeholder names a declared label; raise SpecError otherwise (at spec load)."""
    for template in templates:
        try:
            used = fields(template)
        except ValueError as exc:
            raise SpecError(f"{template!r}: {exc}", owner=owner, field=where) from exc
        unknown = sorted(set(used) - set(labels))
        if unknown:
            raise SpecError(
                f"{template!r} uses {', '.join(unknown)}, not in params.labels {list(labels)}",
                owner=owner,
                field=where,
            )


def bind(labels: Mapping[str, str], names: Sequence[str], *, action: str) -> dict[str, str]:
    """Each declared label's value, validated; UnsafeTarget names the first that is missing
    or unsafe."""
    bound: dict[str, str] = {}
    for label in names:
        value = labels.get(label)
        if value is None:
            raise UnsafeTarget(f"the alert has no {label!r} label", action=action, target="-")
        bound[label] = targets.name(value, action=action, what=f"label {label}")
    return bound


def encode(bound: Mapping[str, str], static: str, *, action: str) -> str:
    """The run's target: `k=v,k=v` for bound labels, else the policy's static target."""
    if not bound:
        return targets.name(static, action=action, what="target")
    return ",".join(f"{k}={v}" for k, v in sorted(bound.items()))


def decode(target: str, names: Sequence[str], *, action: str) -> dict[str, str]:
    """The bindings back from a target `encode` made, every value validated again."""
    if not names:
        targets.name(target, action=action, what="target")
        return {}
    bound: dict[str, str] = {}
    for part in target.split(","):
        key, sep, value = part.partition("=")
        if not sep or key not in names:
            raise UnsafeTarget(
                f"target {target[:80]!r} is not k=v of {list(names)}",
                action=action,
                target=target[:80],
            )
        bound[key] = targets.name(value, action=action, what=f"label {key}")
    if set(bound) != set(names):
        raise UnsafeTarget(
            f"target {target[:80]!r} lacks a label of {list(names)}",
            action=action,
            target=target[:80],
        )
    return bound


def render(template: str, bound: Mapping[str, str]) -> str:
    """`template` with each placeholder replaced by its validated value (`$$` by `$`)."""
    fields(template)
    return _TOKEN.sub(lambda m: bound[m.group(1)] if m.group(1) else "$", template)
