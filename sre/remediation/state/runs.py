"""Runs, the audit log, locks and the counts the safety limits read."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from sre.remediation.state.schema import JSON_COLUMNS, audit, circuits, locks, runs, transaction


def open_run(engine: Engine, values: Mapping[str, Any]) -> int | None:
    """Insert a run; None when this (action, target, fingerprint, episode) already has one."""
    encoded = {
        k: json.dumps(v) if k in JSON_COLUMNS and v is not None else v for k, v in values.items()
    }
    try:
        with transaction(engine) as conn:
            result = conn.execute(runs.insert().values(**encoded))
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])
    except IntegrityError:
        return None


def update_run(engine: Engine, run: int, **values: Any) -> None:
    encoded = {
        k: json.dumps(v) if k in JSON_COLUMNS and v is not None else v for k, v in values.items()
    }
    with transaction(engine) as conn:
        conn.execute(runs.update().where(runs.c.id == run).values(**encoded))


def record(engine: Engine, **values: Any) -> None:
    """Append one audit record (refusals included); the audit table is never updated."""
    if "plan" in values and values["plan"] is not None:
        values["plan"] = json.dumps(values["plan"])
    with transaction(engine) as conn:
        conn.execute(audit.insert().values(at=values.pop("at", time.time()), **values))


def acquire(engine: Engine, name: str, owner: str, now: float, ttl: float) -> bool:
    """Take the named lock (or one whose holder let it expire); False when someone holds it."""
    try:
        with transaction(engine) as conn:
            conn.execute(locks.insert().values(name=name, owner=owner, expires_at=now + ttl))
        return True
    except IntegrityError:
        with transaction(engine) as conn:
            taken = conn.execute(
                locks.update()
                .where(locks.c.name == name, locks.c.expires_at < now)
                .values(owner=owner, expires_at=now + ttl)
            ).rowcount
        return bool(taken)


def release(engine: Engine, name: str, owner: str) -> None:
    with transaction(engine) as conn:
        conn.execute(locks.delete().where(locks.c.name == name, locks.c.owner == owner))


def running_count(engine: Engine) -> int:
    with transaction(engine) as conn:
        count = conn.execute(
            sa.select(sa.func.count()).select_from(runs).where(runs.c.state == "running")
        ).scalar()
    return int(count or 0)


def started_since(engine: Engine, since: float) -> int:
    """Runs that acted (not dry runs or approvals waiting) started after `since`."""
    with transaction(engine) as conn:
        count = conn.execute(
            sa.select(sa.func.count())
            .select_from(runs)
            .where(
                runs.c.started_at > since,
                sa.or_(runs.c.state == "running", runs.c.outcome.in_(("success", "failed"))),
            )
        ).scalar()
    return int(count or 0)


def has_run(engine: Engine, action: str, target: str, fingerprint: str, episode: int) -> bool:
    with transaction(engine) as conn:
        found = conn.execute(
            sa.select(runs.c.id).where(
                runs.c.action == action,
                runs.c.target == target,
                runs.c.fingerprint == fingerprint,
                runs.c.episode == episode,
            )
        ).first()
    return found is not None


def open_circuit(engine: Engine, action: str, target: str, reason: str, now: float) -> bool:
    """Open the circuit of (action, target); False when it was open already."""
    try:
        with transaction(engine) as conn:
            conn.execute(
                circuits.insert().values(action=action, target=target, opened_at=now, reason=reason)
            )
    except IntegrityError:
        return False
    return True
