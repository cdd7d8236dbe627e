"""The one registry of remediation actions: the built-ins plus every `sre.actions` plugin.

`sre serve`, `sre simulate`, `sre remediate`, `sre runs approve|undo`, `sre actions` and spec
validation all look actions up here, so a plugin installed once works everywhere. A plugin is
a distribution that declares, in its own pyproject.toml::

    [project.entry-points."sre.actions"]
    restart-connector = "my_package.actions:RestartConnector"

The entry point names a class (instantiated with no arguments) or an instance implementing
`sre.remediation.action.Action`; its `name` must equal the entry point's name.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import Any

from sre.errors import SpecError
from sre.remediation.action import Action, Params

__all__ = ["BUILTINS", "ENTRY_POINT_GROUP", "Registry", "default_registry", "discover"]

ENTRY_POINT_GROUP = "sre.actions"
BUILTINS = (
    "sre.remediation.actions.command:Command",
    "sre.remediation.actions.http:Http",
    "sre.remediation.actions.kubernetes_job:KubernetesJob",
    "sre.remediation.actions.kubernetes_rollout_restart:KubernetesRolloutRestart",
    "sre.remediation.actions.quarantine:Quarantine",
    "sre.remediation.actions.restore:Restore",
    "sre.remediation.actions.backup:Backup",
)
_ATTRIBUTES = ("name", "destructive", "idempotent", "undoable", "params", "target", "plan", "apply")


def _instance(found: Any, where: str) -> Action:
    action = found() if isinstance(found, type) else found
    missing = [a for a in _ATTRIBUTES if not hasattr(action, a)]
    if missing or not isinstance(action, Action):
        raise SpecError(f"{where} is not an sre action (missing {', '.join(missing) or 'methods'})")
    return action


@dataclass(frozen=True, slots=True)
class Registry:
    """Action name -> action, and where each came from (`built-in` or the plugin's package)."""

    actions: Mapping[str, Action]
    origins: Mapping[str, str]

    @classmethod
    def of(cls, actions: Iterable[Action], origin: str = "built-in") -> Registry:
        found = {a.name: a for a in actions}
        return cls(MappingProxyType(found), MappingProxyType(dict.fromkeys(found, origin)))

    def get(self, name: str) -> Action:
        """The action, or SpecError listing the known ones."""
        try:
            return self.actions[name]
        except KeyError:
            known = ", ".join(sorted(self.actions))
            raise SpecError(f"unknown action {name!r}; known: {known}") from None

    def __iter__(self) -> Iterator[Action]:
        return iter(sorted(self.actions.values(), key=lambda a: a.name))

    def __contains__(self, name: object) -> bool:
        return name in self.actions

    def params(self, name: str, given: Mapping[str, Any], owner: str) -> Params:
        """`given` checked against the action's typed params, defaults filled in, frozen."""
        action = self.get(name)
        declared = {p.name: p for p in action.params}
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise SpecError(
                f"unknown {', '.join(unknown)}; {name} takes {', '.join(declared) or 'none'}",
                owner=owner,
                field="params",
            )
        checked: dict[str, Any] = {}
        for param in action.params:
            if param.name in given:
                checked[param.name] = param.check(given[param.name], owner)
            elif param.required:
                raise SpecError("is required", owner=owner, field=f"params.{param.name}")
            else:
                checked[param.name] = param.check(param.default, owner)
        frozen = MappingProxyType(checked)
        action.check_params(frozen, owner)
        return frozen


def _builtin(path: str) -> Action:
    module, _, attr = path.partition(":")
    return _instance(getattr(importlib.import_module(module), attr), path)


def discover(*, plugins: bool = True) -> Registry:
    """The built-ins, plus the installed `sre.actions` plugins when `plugins`."""
    actions = {a.name: a for a in (_builtin(path) for path in BUILTINS)}
    origins = dict.fromkeys(actions, "built-in")
    if plugins:
        for point in entry_points(group=ENTRY_POINT_GROUP):
            where = f"plugin {point.name} ({point.value})"
            try:
                loaded = point.load()
            except (ImportError, AttributeError) as exc:
                raise SpecError(f"{where} cannot be loaded: {exc}") from exc
            action = _instance(loaded, where)
            if action.name != point.name:
                raise SpecError(f"{where} calls itself {action.name!r}")
            if action.name in actions:
                raise SpecError(f"{where} would replace the {origins[action.name]} action")
            actions[action.name] = action
            dist = point.dist.name if point.dist is not None else point.module
            origins[action.name] = f"plugin {dist}"
    return Registry(MappingProxyType(actions), MappingProxyType(origins))


@cache
def default_registry() -> Registry:
    """`discover()` once per process: what specs are checked against when they load."""
    return discover()
