"""The Alertmanager webhook payload (version 4), parsed strictly.

Labels and annotations are untrusted input: they are kept as plain strings, length-capped,
and only ever matched against allow-lists later; nothing here interprets them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sre.errors import PayloadError

MAX_LABELS = 64
MAX_VALUE = 4096
STATUSES = ("firing", "resolved")
_FINGERPRINT = re.compile(r"[0-9A-Za-z]{1,64}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Alert:
    status: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None
    fingerprint: str
    generator_url: str

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")


@dataclass(frozen=True, slots=True)
class Notification:
    receiver: str
    status: str
    alerts: tuple[Alert, ...]
    group_key: str
    group_labels: Mapping[str, str]
    external_url: str
    truncated_alerts: int


def _require(doc: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in doc:
        raise PayloadError(f"missing field {where}{key}")
    value = doc[key]
    if not isinstance(value, kind):
        raise PayloadError(f"field {where}{key} must be {kind.__name__}")
    return value


def _strings(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise PayloadError(f"field {where} must be an object of strings")
    if len(value) > MAX_LABELS:
        raise PayloadError(f"field {where} has more than {MAX_LABELS} entries")
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str) or len(key) > 256 or len(item) > MAX_VALUE:
            raise PayloadError(
                f"field {where}.{str(key)[:40]} must be a string under {MAX_VALUE} chars"
            )
        out[key] = item
    return out


def _time(value: Any, where: str) -> datetime | None:
    if not isinstance(value, str):
        raise PayloadError(f"field {where} must be an RFC 3339 time")
    if value.startswith("0001-01-01"):  # Alertmanager's zero time: not resolved yet
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise PayloadError(f"field {where} is not an RFC 3339 time: {value[:40]!r}") from exc


def _alert(doc: Any, index: int) -> Alert:
    where = f"alerts[{index}]."
    if not isinstance(doc, dict):
        raise PayloadError(f"{where[:-1]} must be an object")
    status = _require(doc, "status", str, where)
    if status not in STATUSES:
        raise PayloadError(f"field {where}status must be firing or resolved")
    labels = _strings(_require(doc, "labels", dict, where), f"{where}labels")
    if not labels.get("alertname"):
        raise PayloadError(f"field {where}labels.alertname is missing")
    starts = _time(_require(doc, "startsAt", str, where), f"{where}startsAt")
    if starts is None:
        raise PayloadError(f"field {where}startsAt is the zero time")
    fingerprint = _require(doc, "fingerprint", str, where)
    if not _FINGERPRINT.fullmatch(fingerprint):  # ASCII only: str.isalnum takes "１２"
        raise PayloadError(f"field {where}fingerprint must be 1-64 letters or digits")
    return Alert(
        status=status,
        labels=labels,
        annotations=_strings(doc.get("annotations", {}), f"{where}annotations"),
        starts_at=starts,
        ends_at=_time(doc.get("endsAt", "0001-01-01T00:00:00Z"), f"{where}endsAt"),
        fingerprint=fingerprint,
        generator_url=str(doc.get("generatorURL", ""))[:MAX_VALUE],
    )


def parse(body: bytes) -> Notification:
    """A Notification, or PayloadError with a one-line reason."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"body is not JSON ({str(exc)[:60]})") from exc
    if not isinstance(doc, dict):
        raise PayloadError("body must be a JSON object")
    version = doc.get("version")
    if version != "4":
        raise PayloadError(f'unsupported payload version {str(version)[:20]!r} (want "4")')
    status = _require(doc, "status", str, "")
    if status not in STATUSES:
        raise PayloadError("field status must be firing or resolved")
    alerts = _require(doc, "alerts", list, "")
    truncated = doc.get("truncatedAlerts", 0)
    if not isinstance(truncated, int) or truncated < 0:
        raise PayloadError("field truncatedAlerts must be a non-negative integer")
    return Notification(
        receiver=_require(doc, "receiver", str, ""),
        status=status,
        alerts=tuple(_alert(a, i) for i, a in enumerate(alerts)),
        group_key=_require(doc, "groupKey", str, "")[:MAX_VALUE],
        group_labels=_strings(doc.get("groupLabels", {}), "groupLabels"),
        external_url=str(doc.get("externalURL", ""))[:MAX_VALUE],
        truncated_alerts=truncated,
    )


def parse_alert(doc: Any) -> Alert:
    """One alert object, validated like those inside a payload."""
    return _alert(doc, 0)


def alert_json(alert: Alert) -> dict[str, Any]:
    """The alert as Alertmanager sent it (the inverse of `parse_alert`): runs keep it."""
    return {
        "status": alert.status,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "startsAt": alert.starts_at.isoformat(),
        "endsAt": alert.ends_at.isoformat() if alert.ends_at else "0001-01-01T00:00:00Z",
        "fingerprint": alert.fingerprint,
        "generatorURL": alert.generator_url,
    }
