"""The facts `evaluate` decides from, read in one transaction (no writes here)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sre.remediation.evaluate import DAY, Facts, KeyFacts
from sre.remediation.state.schema import circuits, runs, switches, transaction

__all__ = ["ACTED", "gather"]

ACTED = ("success", "failed", "timed_out", "running")  # runs that count against the limits


def gather(
    db: Engine,
    service: str,
    keys: Iterable[tuple[str, str]],
    *,
    fingerprint: str,
    episode: int | None,
    stale: bool,
    now: float,
    max_runs_per_minute: int,
    since: float | None = None,
) -> Facts:
    """Everything `evaluate` needs about this alert's (action, target) keys; `since` is when
    the alert's firing period began."""
    mine = runs.c.service == service
    found: dict[tuple[str, str], KeyFacts] = {}
    with transaction(db) as conn:
        paused = frozenset(conn.execute(sa.select(switches.c.name)).scalars())
        recent = conn.execute(
            sa.select(sa.func.count())
            .select_from(runs)
            .where(
                mine,
                runs.c.started_at > now - 60,
                sa.or_(runs.c.state == "running", runs.c.outcome.in_(ACTED)),
            )
        ).scalar()
        for action, target in set(keys):
            key = sa.and_(mine, runs.c.action == action, runs.c.target == target)
            acted = sa.and_(key, runs.c.outcome.in_(ACTED) | (runs.c.state == "running"))
            circuit = conn.execute(
                sa.select(circuits.c.action).where(
                    circuits.c.service == service,
                    circuits.c.action == action,
                    circuits.c.target == target,
                )
            ).first()
            # The cooldown runs from the last run's end, and a run in progress refuses any other
            # (`in_progress`): a second alert for the same work (an escalation) must not redo
            # it meanwhile.
            busy = conn.execute(
                sa.select(runs.c.id).where(key, runs.c.state == "running").limit(1)
            ).first()
            ended = sa.func.coalesce(runs.c.finished_at, runs.c.started_at)
            last = conn.execute(sa.select(sa.func.max(ended)).where(acted)).scalar()
            today = conn.execute(
                sa.select(sa.func.count())
                .select_from(runs)
                .where(acted, runs.c.started_at > now - DAY)
            ).scalar()
            has = (
                episode is not None
                and conn.execute(
                    sa.select(runs.c.id).where(
                        key, runs.c.fingerprint == fingerprint, runs.c.episode == episode
                    )
                ).first()
                is not None
            )
            # A run that succeeded after this firing period began did this period's work, even
            # for another alert (an escalation whose delivery arrived after the fix).
            covered = None
            if since is not None:
                covered = conn.execute(
                    sa.select(sa.func.max(runs.c.id)).where(
                        key, runs.c.outcome == "success", runs.c.finished_at >= since
                    )
                ).scalar()
            found[(action, target)] = KeyFacts(
                circuit is not None,
                last,
                int(today or 0),
                has,
                in_progress=busy is not None,
                covered_by=covered,
            )
    return Facts(now, stale, paused, int(recent or 0), max_runs_per_minute, found)
