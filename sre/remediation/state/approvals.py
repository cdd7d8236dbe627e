"""Runs waiting for a human, and the runs the remediator tells humans about.

`decline` ends a pending run (rejected or expired) with the same conditional update that
`approve` uses to claim one, so of an approval, a rejection and an expiry racing for one run
exactly one wins. `noticeable` is what `notices` turns into alerts: pending runs, and runs that
failed or expired while their episode is still open.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sre.remediation.state.schema import JSON_COLUMNS, episodes, runs, transaction

__all__ = ["NOTICED_OUTCOMES", "Approvals"]

# Outcomes a human is told about while the alert that caused them still fires.
NOTICED_OUTCOMES = ("failed", "timed_out", "approval_expired")


class Approvals:
    """Mixed into `StateStore`: `db` and `service` come from it."""

    db: Engine
    service: str

    def pending(self) -> list[dict[str, Any]]:
        """This service's runs waiting for approval, oldest first."""
        query = sa.select(runs).where(runs.c.service == self.service, runs.c.state == "pending")
        with transaction(self.db) as conn:
            rows = conn.execute(query.order_by(runs.c.id)).all()
        return [_row(r) for r in rows]

    def decline(self, run: int, outcome: str, who: str, now: float) -> bool:
        """End a pending run with `outcome` (rejected, approval_expired); False when it was
        not pending any more (approved, rejected or expired by someone else)."""
        with transaction(self.db) as conn:
            return bool(
                conn.execute(
                    runs.update()
                    .where(runs.c.id == run, runs.c.state == "pending")
                    .values(state="done", outcome=outcome, approved_by=who, finished_at=now)
                ).rowcount
            )

    def noticeable(self, since: float) -> list[dict[str, Any]]:
        """Pending runs, and runs that ended in a NOTICED_OUTCOMES after `since` whose episode
        is still open: each is a notice until its state changes."""
        still_open = sa.exists().where(
            episodes.c.id == runs.c.episode, episodes.c.resolved_at.is_(None)
        )
        ended = sa.and_(
            runs.c.outcome.in_(NOTICED_OUTCOMES), runs.c.finished_at >= since, still_open
        )
        query = sa.select(runs).where(
            runs.c.service == self.service, sa.or_(runs.c.state == "pending", ended)
        )
        with transaction(self.db) as conn:
            rows = conn.execute(query.order_by(runs.c.id)).all()
        return [_row(r) for r in rows]


def _row(row: Any) -> dict[str, Any]:
    doc = dict(row._mapping)
    for key in JSON_COLUMNS:
        doc[key] = json.loads(doc[key]) if doc.get(key) else None
    return doc
