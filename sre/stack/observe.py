"""What a running stack shows: Prometheus alerts, the webhook deliveries and runs `sre serve`
recorded, and its `/metrics`. Read-only; the drills and the end-to-end test build on it."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from sre.remediation.state import schema as state
from sre.stack import processes
from sre.stack.errors import StackError
from sre.stack.stack import Running

T = TypeVar("T")

__all__ = ["Delivery", "Observer", "wait_for"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook delivery `sre serve` stored: when, and the alerts it carried."""

    id: int
    received_at: float
    status: str
    alerts: tuple[Mapping[str, Any], ...]
    body: bytes

    def names(self, status: str = "firing") -> set[str]:
        return {a["labels"]["alertname"] for a in self.alerts if a["status"] == status}


def wait_for(check: Callable[[], T | None], *, timeout: float, what: str, every: float = 0.1) -> T:
    """Poll `check` until it returns something true (a non-empty list, True, a number...).

    A component that does not answer (the state database or a server down, as a drill's fault
    makes it) counts as "not yet"; the last such error is named if the wait times out."""
    deadline = time.monotonic() + timeout
    unreachable = ""
    while True:
        try:
            found = check()
        except (OSError, OperationalError) as exc:
            found, unreachable = None, f" (last: {type(exc).__name__}: {str(exc)[:200]})"
        if found:
            return found
        if time.monotonic() >= deadline:
            raise StackError(f"timed out after {timeout:.0f} s waiting for {what}{unreachable}")
        time.sleep(every)


class Observer:
    def __init__(self, stack: Running) -> None:
        self.stack = stack
        self.db = state.connect(stack.state_url)

    def _json(self, url: str) -> Any:
        return json.loads(processes.get(url, timeout=5.0))

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query of the stack's Prometheus."""
        found = self._json(
            f"{self.stack.urls['prometheus']}/api/v1/query?"
            + urllib.parse.urlencode({"query": expr})
        )
        result: list[dict[str, Any]] = found["data"]["result"]
        return result

    def alerts(self, name: str) -> list[dict[str, Any]]:
        """Prometheus' pending and firing alerts named `name`."""
        found = self._json(f"{self.stack.urls['prometheus']}/api/v1/alerts")["data"]["alerts"]
        return [a for a in found if a["labels"].get("alertname") == name]

    def firing(self, name: str) -> list[dict[str, Any]]:
        return [a for a in self.alerts(name) if a["state"] == "firing"]

    def fired_at(self, name: str) -> float | None:
        """When the firing alert `name` started firing: the evaluation at which it had been
        pending for the rule's `for` (`activeAt` + `for`), not when a poll noticed it."""
        firing = self.firing(name)
        if not firing:
            return None
        groups = self._json(f"{self.stack.urls['prometheus']}/api/v1/rules?type=alert")
        rules = [r for g in groups["data"]["groups"] for r in g["rules"] if r["name"] == name]
        hold = float(rules[0].get("duration", 0)) if rules else 0.0
        active = min(datetime.fromisoformat(a["activeAt"]).timestamp() for a in firing)
        return active + hold

    def alertmanager_alerts(self, name: str) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({"filter": f'alertname="{name}"'})
        found: list[dict[str, Any]] = self._json(
            f"{self.stack.urls['alertmanager']}/api/v2/alerts?{query}"
        )
        return found

    def deliveries(self, since: float = 0.0) -> list[Delivery]:
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(
                    state.deliveries.c.id, state.deliveries.c.received_at, state.deliveries.c.body
                )
                .where(state.deliveries.c.received_at >= since)
                .order_by(state.deliveries.c.id)
            ).all()
        found = []
        for row in rows:
            doc = json.loads(row.body)
            found.append(
                Delivery(
                    int(row.id),
                    float(row.received_at),
                    doc["status"],
                    tuple(doc["alerts"]),
                    row.body.encode(),
                )
            )
        return found

    def runs(self, since: float = 0.0) -> list[dict[str, Any]]:
        """Runs started at or after `since`, oldest first."""
        return self._rows(state.runs, state.runs.c.started_at, since)

    def audit(self, since: float = 0.0) -> list[dict[str, Any]]:
        return self._rows(state.audit, state.audit.c.at, since)

    def _rows(self, table: sa.Table, column: Any, since: float) -> list[dict[str, Any]]:
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(table).where(column >= since).order_by(table.c.id)
            ).mappings()
            return [dict(r) for r in rows]

    def remediator_metrics(self) -> dict[str, float]:
        """`sre serve`'s /metrics as `name{k="v",...}` -> value (labels sorted)."""
        text = processes.get(f"{self.stack.urls['remediator']}/metrics").decode()
        found: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
        return found

    def post(self, body: bytes, patience: float = 90.0) -> int:
        """POST a delivery to the webhook as Alertmanager does; returns the HTTP status. As
        Alertmanager does, a refused or reset connection (the replica restarting) and a 503
        (its state store unreachable) are retried, for up to `patience` seconds; any other
        HTTP error raises `urllib.error.HTTPError`."""
        token = Path(self.stack.token_file).read_text(encoding="utf-8").strip()
        request = urllib.request.Request(
            self.stack.webhook,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        deadline = time.monotonic() + patience
        while True:
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    status: int = response.status
                    return status
            except (ConnectionError, urllib.error.URLError) as exc:
                retried = not isinstance(exc, urllib.error.HTTPError) or exc.code == 503
                if not retried or time.monotonic() >= deadline:
                    raise
                time.sleep(0.5)
