"""Alertmanager and Prometheus as the engine consults them, over their HTTP APIs.

Before acting: is the alert still firing and not silenced (by a person: the engine's own silence
while another policy of the same alert acts does not count)? While acting: a silence, so nobody is
paged for what the automation is fixing. After acting: does Prometheus say the condition cleared?
(Resolved webhooks are not evidence: they can be late, lost or duplicated.)
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sre.remediation.payload import Alert

log = logging.getLogger("sre.remediation")
TIMEOUT = 5.0
SILENCE_AUTHOR = "sre-remediation"  # the createdBy of the silences the engine sets


def _request(url: str, *, method: str = "GET", body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json"} if data else {},
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


@dataclass(frozen=True, slots=True)
class AlertmanagerGuard:
    url: str

    def still_firing(self, alert: Alert) -> bool:
        query = urllib.parse.urlencode({"filter": f'alertname="{alert.name}"', "active": "true"})
        try:
            found = _request(f"{self.url}/api/v2/alerts?{query}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.warning(
                "Alertmanager %s unreachable for the pre-check (%s): acting on the webhook",
                self.url,
                exc,
            )
            return True
        for item in found or []:
            if item.get("fingerprint") == alert.fingerprint:
                status = item.get("status", {})
                if status.get("state") == "active":
                    return True
                # Silenced only by the engine's own silences (a run of another policy of the
                # same alert is acting, or was, and has not expired its silence yet): still
                # firing. A person's silence, or an inhibition, means do not act.
                silences = status.get("silencedBy") or []
                return bool(
                    status.get("state") == "suppressed"
                    and silences
                    and not status.get("inhibitedBy")
                    and all(self._ours(str(s)) for s in silences)
                )
        return False

    def _ours(self, silence_id: str) -> bool:
        try:
            found = _request(f"{self.url}/api/v2/silence/{urllib.parse.quote(silence_id)}")
        except (urllib.error.URLError, OSError, ValueError):
            return False  # cannot tell: a person's, until shown otherwise
        return bool(found) and found.get("createdBy") == SILENCE_AUTHOR

    def silence(self, alert: Alert, minutes: int, comment: str) -> str | None:
        now = datetime.now(UTC)
        body = {
            "matchers": [
                {"name": k, "value": v, "isRegex": False, "isEqual": True}
                for k, v in sorted(alert.labels.items())
            ],
            "startsAt": now.isoformat(),
            "endsAt": (now + timedelta(minutes=minutes)).isoformat(),
            "createdBy": SILENCE_AUTHOR,
            "comment": comment,
        }
        try:
            answer = _request(f"{self.url}/api/v2/silences", method="POST", body=body)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.warning("could not silence %s: %s", alert.name, exc)
            return None
        return str(answer.get("silenceID")) if answer else None

    def expire(self, silence_id: str) -> None:
        try:
            _request(f"{self.url}/api/v2/silence/{urllib.parse.quote(silence_id)}", method="DELETE")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.warning("could not expire silence %s: %s", silence_id, exc)


@dataclass(frozen=True, slots=True)
class PrometheusCheck:
    """`expressions`: alertname -> the PromQL of its rule, from the spec (as generated). The
    payload's generatorURL is never read: whoever posts the webhook must not choose the check
    that decides "cleared"."""

    url: str
    expressions: Mapping[str, str] = field(default_factory=dict)
    wait: float = 30.0

    def cleared(self, alert: Alert) -> tuple[bool, str]:
        """Poll the alert's own expression until it returns nothing, or give up after `wait`."""
        expr = self.expressions.get(alert.name)
        if not expr:
            return False, f"the spec has no alert {alert.name[:80]!r} whose expression to check"
        deadline = time.monotonic() + self.wait
        last = "not checked"
        while True:
            try:
                found = _request(
                    f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
                )
                series = found["data"]["result"]
                if not series:
                    return True, f"{expr} returns nothing"
                last = f"{expr} still returns {len(series)} series"
            except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
                last = f"Prometheus {self.url} unreachable: {exc}"
            if time.monotonic() >= deadline:
                return False, last
            time.sleep(1.0)
