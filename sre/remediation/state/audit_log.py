"""The append-only audit log: every decision, refusal, run end and dead letter, one row each."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sre.remediation.state.schema import audit, transaction

__all__ = ["AuditLog"]


class AuditLog:
    db: Engine
    service: str

    def record(self, now: float, **values: Any) -> None:
        """Append one audit record (refusals included); the audit table is never updated."""
        if values.get("plan") is not None:
            values["plan"] = json.dumps(values["plan"])
        with transaction(self.db) as conn:
            conn.execute(audit.insert().values(at=now, service=self.service or None, **values))

    def record_run(
        self, now: float, run: Mapping[str, Any], outcome: str, reason: str, actor: str
    ) -> None:
        """Audit what a human (or the server for one) did to a recorded run."""
        keys = ("alertname", "fingerprint", "episode", "action", "target")
        self.record(
            now,
            **{k: run[k] for k in keys},
            outcome=outcome,
            reason=reason,
            actor=actor,
            run=run["id"],
        )

    def refused_at_admission(self, delivery: int, fingerprint: str, action: str) -> bool:
        with transaction(self.db) as conn:
            return (
                conn.execute(
                    sa.select(audit.c.id).where(
                        audit.c.delivery == delivery,
                        audit.c.fingerprint == fingerprint,
                        audit.c.action == action,
                        audit.c.outcome == "refused_target",
                    )
                ).first()
                is not None
            )

    def audit(
        self, limit: int = 100, *, since: float | None = None, alertname: str | None = None
    ) -> list[dict[str, Any]]:
        """The newest records first, optionally from `since` (unix seconds) and of one alert."""
        query = sa.select(audit).order_by(audit.c.id.desc()).limit(limit)
        if self.service:
            query = query.where(audit.c.service == self.service)
        if since is not None:
            query = query.where(audit.c.at >= since)
        if alertname:
            query = query.where(audit.c.alertname == alertname)
        with transaction(self.db) as conn:
            return [dict(r._mapping) for r in conn.execute(query).all()]

    def audit_record(self, record: int) -> dict[str, Any] | None:
        with transaction(self.db) as conn:
            row = conn.execute(sa.select(audit).where(audit.c.id == record)).first()
        if row is None:
            return None
        doc = dict(row._mapping)
        doc["plan"] = json.loads(doc["plan"]) if doc.get("plan") else None
        return doc
