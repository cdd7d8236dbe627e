"""The Alertmanager webhook payload (version 4), parsed strictly.

Every payload a real Alertmanager produces parses: there is no cap on the number of labels or
the length of a value (neither Prometheus nor Alertmanager has one); the body cap of
`sre serve` is the only size limit. What no Alertmanager produces is refused with a one-line
PayloadError, never a traceback: a body that is not UTF-8, nesting deeper than MAX_DEPTH, an
integer of more than MAX_DIGITS digits, NaN/Infinity, a lone surrogate or a NUL anywhere in a
string the engine reads, a control character in a label (annotations may hold tabs and
newlines), a fingerprint that is not hex.

Labels and annotations are untrusted input: they are kept as plain strings and only ever
matched against allow-lists later; nothing here interprets them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate, repeat
from typing import Any

from sre.errors import PayloadError

MAX_DEPTH = 32  # Alertmanager's payload nests 3 deep
MAX_DIGITS = 20  # enough for any int64
STATUSES = ("firing", "resolved")
_FINGERPRINT = re.compile(r"[0-9a-fA-F]{1,64}", re.ASCII)
_RECORDED = re.compile(r"[0-9A-Za-z]{1,64}", re.ASCII)  # runs keep "manual" for CLI runs
_STRINGS_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_LABEL_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_TEXT_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
_DEPTH = {"[": 1, "{": 1, "]": -1, "}": -1}


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise PayloadError(f"an integer has more than {MAX_DIGITS} digits")
    return int(text)


def _constant(text: str) -> float:
    raise PayloadError(f"{text} is not JSON")


def _depth(text: str) -> int:
    """The deepest nesting, counted outside strings before parsing (no recursion at all)."""
    outside = _STRINGS_RE.sub("", text)
    return max(accumulate(map(_DEPTH.get, outside, repeat(0))), default=0)


def _clean(value: str, where: str, bad: re.Pattern[str] = _TEXT_BAD) -> str:
    found = bad.search(value)
    if found:
        char = found.group()
        raise PayloadError(f"field {where[:80]} holds a forbidden character U+{ord(char):04X}")
    return value


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
    bad = _LABEL_BAD if where.endswith("abels") else _TEXT_BAD
    out: dict[str, str] = {}
    for key, item in value.items():
        name = _clean(key, f"{where} (a name)", _LABEL_BAD)
        if not isinstance(item, str):
            raise PayloadError(f"field {where}.{name[:40]} must be a string")
        out[key] = _clean(item, f"{where}.{name[:40]}", bad)
    return out


def _text(doc: Mapping[str, Any], key: str) -> str:
    value = doc.get(key, "")
    return value if isinstance(value, str) else ""


def _time(value: Any, where: str) -> datetime | None:
    if not isinstance(value, str):
        raise PayloadError(f"field {where} must be an RFC 3339 time")
    if value.startswith("0001-01-01T00:00:00"):  # Alertmanager's zero time: not resolved yet
        return None
    if not _RFC3339.fullmatch(value):
        raise PayloadError(f"field {where} is not an RFC 3339 time: {value[:40]!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise PayloadError(f"field {where} is not an RFC 3339 time: {value[:40]!r}") from exc


def _alert(doc: Any, index: int, fingerprints: re.Pattern[str] = _FINGERPRINT) -> Alert:
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
    if not fingerprints.fullmatch(fingerprint):  # ASCII only: str.isalnum takes "１２"
        raise PayloadError(f"field {where}fingerprint must be 1-64 hex digits")
    return Alert(
        status=status,
        labels=labels,
        annotations=_strings(doc.get("annotations", {}), f"{where}annotations"),
        starts_at=starts,
        ends_at=_time(doc.get("endsAt", "0001-01-01T00:00:00Z"), f"{where}endsAt"),
        fingerprint=fingerprint,
        generator_url=_clean(_text(doc, "generatorURL"), f"{where}generatorURL"),
    )


def parse(body: bytes) -> Notification:
    """A Notification, or PayloadError with a one-line reason."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"body is not UTF-8 (byte {exc.start})") from exc
    if _depth(text) > MAX_DEPTH:
        raise PayloadError(f"body nests deeper than {MAX_DEPTH}")
    try:
        doc = json.loads(text, parse_int=_int, parse_constant=_constant)
    except PayloadError:
        raise
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"body is not JSON ({str(exc).splitlines()[0][:60]})") from exc
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
    if isinstance(truncated, bool) or not isinstance(truncated, int) or truncated < 0:
        raise PayloadError("field truncatedAlerts must be a non-negative integer")
    return Notification(
        receiver=_clean(_require(doc, "receiver", str, ""), "receiver"),
        status=status,
        alerts=tuple(_alert(a, i) for i, a in enumerate(alerts)),
        group_key=_clean(_require(doc, "groupKey", str, ""), "groupKey"),
        group_labels=_strings(doc.get("groupLabels", {}), "groupLabels"),
        external_url=_clean(_text(doc, "externalURL"), "externalURL"),
        truncated_alerts=truncated,
    )


def parse_alert(doc: Any) -> Alert:
    """One alert object as a run recorded it (a manual run's fingerprint is "manual")."""
    return _alert(doc, 0, _RECORDED)


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
