"""Merge per-service Alertmanager fragments into a team's existing config.

Pure: base config and fragments in (as loaded YAML), one config out. Each fragment's route
goes in front of the base's child routes (a service's own routes win over catch-alls), its
receivers and inhibitions are appended. Anything that would make a wrong config is refused
with the fragment and the reason: a receiver name already taken, a service merged twice, an
inhibition with an empty `equal` (it would let any source mute every target).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from sre.errors import SreError

__all__ = ["FRAGMENT_KEYS", "MergeError", "merge", "minimal_base"]

FRAGMENT_KEYS = frozenset({"route", "receivers", "inhibit_rules"})
DROP = "sre-default-drop"


class MergeError(SreError):
    """A base config or fragment cannot be merged (field: source, the file it came from)."""

    def __init__(self, message: str, *, source: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source


def minimal_base() -> dict[str, Any]:
    """The smallest valid config: a root route to a receiver that notifies nobody."""
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {"receiver": DROP, "group_by": ["alertname"], "routes": []},
        "receivers": [{"name": DROP}],
    }


def _check_fragment(name: str, fragment: Mapping[str, Any]) -> None:
    if not isinstance(fragment, Mapping):
        raise MergeError("not a mapping", source=name)
    extra = sorted(set(fragment) - FRAGMENT_KEYS)
    if extra:
        raise MergeError(f"unexpected keys {extra} (a fragment holds route, receivers, "
                         "inhibit_rules)", source=name)  # fmt: skip
    route = fragment.get("route")
    if not isinstance(route, Mapping) or not route.get("matchers"):
        raise MergeError("route: a fragment's route needs matchers", source=name)
    for index, rule in enumerate(fragment.get("inhibit_rules") or []):
        if not rule.get("equal"):
            raise MergeError(
                f"inhibit_rules[{index}].equal: empty, so any source would mute every target",
                source=name,
            )


def merge(
    base: Mapping[str, Any], fragments: Sequence[tuple[str, Mapping[str, Any]]]
) -> dict[str, Any]:
    """`base` with every `(name, fragment)` merged in, in order."""
    config = copy.deepcopy(dict(base))
    root = config.get("route")
    if not isinstance(root, dict) or not root.get("receiver"):
        raise MergeError("route.receiver: the base needs a root route with a receiver",
                         source="base")  # fmt: skip
    receivers = config.setdefault("receivers", []) or []
    config["receivers"] = receivers
    taken = {r.get("name"): "base" for r in receivers}
    routes = root.setdefault("routes", []) or []
    root["routes"] = routes
    inhibit = config.setdefault("inhibit_rules", []) or []
    config["inhibit_rules"] = inhibit
    front: list[dict[str, Any]] = []
    for name, fragment in fragments:
        _check_fragment(name, fragment)
        route = copy.deepcopy(dict(fragment["route"]))
        if any(r.get("matchers") == route["matchers"] for r in [*routes, *front]):
            raise MergeError(
                f"route: a route matching {route['matchers']} is already there (merged twice?)",
                source=name,
            )
        for receiver in fragment.get("receivers") or []:
            rname = receiver.get("name")
            if rname in taken:
                raise MergeError(
                    f"receivers: {rname!r} is already defined in {taken[rname]}", source=name
                )
            taken[rname] = name
            receivers.append(copy.deepcopy(dict(receiver)))
        front.append(route)
        for rule in fragment.get("inhibit_rules") or []:
            if rule not in inhibit:
                inhibit.append(copy.deepcopy(dict(rule)))
    root["routes"] = front + routes
    if not inhibit:
        del config["inhibit_rules"]
    return config
