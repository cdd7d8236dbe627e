"""Reads of the remediation state for the CLI and the engine's facts (no writes here)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sre.remediation.decide import DAY, Facts
from sre.remediation.state import audit, circuits, runs, switches, transaction

ACTED = ("success", "failed", "running")


def facts(db: Engine, action: str, target: str, now: float) -> Facts:
    with transaction(db) as conn:
        paused = frozenset(r.name for r in conn.execute(sa.select(switches.c.name)))
        circuit = conn.execute(
            sa.select(circuits.c.action).where(
                circuits.c.action == action, circuits.c.target == target
            )
        ).first()
        acted = sa.and_(runs.c.action == action, runs.c.target == target, runs.c.outcome.in_(ACTED))
        last = conn.execute(sa.select(sa.func.max(runs.c.started_at)).where(acted)).scalar()
        today = conn.execute(
            sa.select(sa.func.count()).select_from(runs).where(acted, runs.c.started_at > now - DAY)
        ).scalar()
    return Facts(
        now=now,
        paused=paused,
        circuit_open=circuit is not None,
        last_run_at=last,
        attempts_today=int(today or 0),
    )


def _run(row: Any) -> dict[str, Any]:
    doc = dict(row._mapping)
    for key in ("plan", "alert", "result", "undo"):
        doc[key] = json.loads(doc[key]) if doc.get(key) else None
    return doc


def list_runs(db: Engine, limit: int = 50) -> list[dict[str, Any]]:
    with transaction(db) as conn:
        rows = conn.execute(sa.select(runs).order_by(runs.c.id.desc()).limit(limit)).all()
    return [_run(r) for r in rows]


def get_run(db: Engine, run_id: int) -> dict[str, Any] | None:
    with transaction(db) as conn:
        row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).first()
    return _run(row) if row is not None else None


def list_audit(db: Engine, limit: int = 100) -> list[dict[str, Any]]:
    with transaction(db) as conn:
        rows = conn.execute(sa.select(audit).order_by(audit.c.id.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


def paused(db: Engine) -> list[dict[str, Any]]:
    with transaction(db) as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(switches))]


def open_circuits(db: Engine) -> list[dict[str, Any]]:
    with transaction(db) as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(circuits))]
