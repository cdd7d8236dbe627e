"""How runs remember what they acted on: JSON forms of alerts and plans, and lock names."""

from __future__ import annotations

from typing import Any

from sre.remediation.actions.base import Plan
from sre.remediation.payload import Alert, parse_alert


def resource(action: str, target: str) -> str:
    """What a run locks: data actions share one lock on silver, so quarantine and restore
    never overlap; each pipeline has its own."""
    return "data:silver" if action in ("quarantine", "restore", "backup") else f"{action}:{target}"


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "action": plan.action,
        "target": plan.target,
        "objects": plan.objects,
        "bytes": plan.bytes,
        "steps": plan.describe(),
    }


def alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "status": alert.status,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "startsAt": alert.starts_at.isoformat(),
        "endsAt": alert.ends_at.isoformat() if alert.ends_at else "0001-01-01T00:00:00Z",
        "fingerprint": alert.fingerprint,
        "generatorURL": alert.generator_url,
    }


def alert_from(doc: dict[str, Any]) -> Alert:
    """The Alert a run stored (the inverse of `alert_json`)."""
    return parse_alert(doc)
