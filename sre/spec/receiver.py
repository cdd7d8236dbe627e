"""Alertmanager receivers a service's alerts go to, declared in the spec.

A receiver's `config` is its body exactly as Alertmanager reads it (`pagerduty_configs`,
`slack_configs`, `email_configs`, `webhook_configs`, `opsgenie_configs`, `msteams_configs`, ...):
any receiver type passes through unchanged, so `sre` never hard-codes a host or an address.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sre.errors import SpecError

__all__ = ["SEVERITIES", "Receiver", "thaw"]

SEVERITIES = ("critical", "warning", "info")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain dicts and lists again, for serialising."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Receiver:
    """Where alerts of the given `severities` go (none: the service's default receiver, which
    gets whatever no severity route takes). `repeat_interval` in seconds overrides the
    severity's default reminder interval. In the generated Alertmanager config its name is
    prefixed with the service's, so several services merge into one config without clashes."""

    name: str
    config: Mapping[str, Any] = field(default_factory=dict)
    severities: tuple[str, ...] = ()
    repeat_interval: int | None = None

    def __post_init__(self) -> None:
        owner = f"Receiver {self.name!r}"
        object.__setattr__(self, "config", _freeze(self.config))
        object.__setattr__(self, "severities", tuple(self.severities))
        if not _NAME.match(self.name):
            raise SpecError("use lower-case letters, digits and dashes", owner=owner, field="name")
        for key, value in self.config.items():
            if key == "name":
                raise SpecError("the name is the receiver's `name`", owner=owner, field="config")
            if not key.endswith("_configs"):
                raise SpecError(
                    f"{key!r} is not an Alertmanager receiver type (`<type>_configs`)",
                    owner=owner,
                    field="config",
                )
            if not isinstance(value, tuple) or not all(isinstance(v, Mapping) for v in value):
                raise SpecError(f"{key} must be a list of mappings", owner=owner, field="config")
        unknown = [s for s in self.severities if s not in SEVERITIES]
        if unknown:
            raise SpecError(
                f"unknown severities {unknown} (known: {', '.join(SEVERITIES)})",
                owner=owner,
                field="severities",
            )
        if self.repeat_interval is not None and self.repeat_interval <= 0:
            raise SpecError("must be a positive number of seconds", owner=owner,
                            field="repeat_interval")  # fmt: skip
