"""Episodes: a fingerprint's firing period, the unit of exactly once.

An episode is identified by its fingerprint and the `startsAt` Alertmanager gave the firing that
opened it (`instance_starts`): every repeat, retry and replica copy of one firing period carries
that same `startsAt`, a new period carries a later one. Times from the payload come from other
machines' clocks, so the times an episode is compared by are clamped to the receiver's: never
after now. A sender's clock may be ahead by any amount: its `startsAt` still names the period
(it is kept unclamped as `instance_starts`), but an episode never starts in the receiver's
future, where it would swallow the next real firing and ignore that firing's resolve; a far-future
`endsAt` would otherwise mark every later firing of the fingerprint as stale, for ever.

A resolve closes the open episode only when it belongs to it: it resolves the same firing (same
`startsAt`), or it ended at or after the episode started. A late resolve of an earlier period,
replayed by another Alertmanager peer or a retry, leaves the open episode alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from sre.errors import StateError
from sre.remediation.state.schema import episodes, runs, transaction

__all__ = ["Episode", "firing", "over", "peek", "resolved"]


@dataclass(frozen=True, slots=True)
class Episode:
    id: int
    fingerprint: str
    starts_at: float
    resolved_at: float | None
    joined: bool  # an earlier delivery already opened it

    @property
    def open(self) -> bool:
        return self.resolved_at is None


def _episode(row: Any, joined: bool) -> Episode:
    return Episode(int(row.id), row.fingerprint, float(row.starts_at), row.resolved_at, joined)


def _open(conn: Connection, fingerprint: str) -> Any:
    return conn.execute(
        sa.select(episodes).where(
            episodes.c.fingerprint == fingerprint, episodes.c.resolved_at.is_(None)
        )
    ).first()


def _stale(conn: Connection, fingerprint: str, instance: float, starts: float) -> bool:
    """A firing is stale when its own period is over, or it started before a resolution."""
    row = conn.execute(
        sa.select(episodes.c.id).where(
            episodes.c.fingerprint == fingerprint,
            episodes.c.resolved_at.is_not(None),
            sa.or_(episodes.c.instance_starts == instance, episodes.c.resolved_at >= starts),
        )
    ).first()
    return row is not None


def firing(
    engine: Engine, fingerprint: str, alertname: str, starts_at: float, now: float
) -> Episode | None:
    """The episode a firing notice belongs to, opening one if needed.

    None means the notice is stale: its firing period is already over (a late or
    replica-shifted duplicate), so it must not start anything.
    """
    starts = min(starts_at, now)
    for _ in range(3):
        with transaction(engine) as conn:
            open_row = _open(conn, fingerprint)
            if open_row is not None:
                return _episode(open_row, joined=True)
            if _stale(conn, fingerprint, starts_at, starts):
                return None
        try:
            with transaction(engine) as conn:
                result = conn.execute(
                    episodes.insert().values(
                        fingerprint=fingerprint,
                        alertname=alertname,
                        starts_at=starts,
                        instance_starts=starts_at,
                    )
                )
                key = result.inserted_primary_key
                assert key is not None
                return Episode(int(key[0]), fingerprint, starts, None, joined=False)
        except IntegrityError:
            continue  # another request or replica opened it first: join that one
    raise StateError(f"could not settle the episode of {fingerprint}")


def _belongs(row: Any, starts_at: float, ends: float) -> bool:
    instance = row.instance_starts if row.instance_starts is not None else row.starts_at
    return starts_at == instance or ends >= float(row.starts_at)


def resolved(
    engine: Engine,
    fingerprint: str,
    alertname: str,
    starts_at: float,
    ends_at: float | None,
    now: float,
) -> bool:
    """Close the open episode this resolve belongs to; True when it closed one.

    A resolve that closes nothing is remembered as a closed period of its own (when no episode
    of that firing exists yet), so the firing copy that arrives after it starts nothing.
    """
    starts = min(starts_at, now)
    ends = max(min(ends_at if ends_at is not None else now, now), 0.0)
    with transaction(engine) as conn:
        open_row = _open(conn, fingerprint)
        if open_row is not None and _belongs(open_row, starts_at, ends):
            conn.execute(
                episodes.update()
                .where(episodes.c.id == open_row.id)
                .values(resolved_at=max(ends, float(open_row.starts_at)))
            )
            return True
        known = conn.execute(
            sa.select(episodes.c.id).where(
                episodes.c.fingerprint == fingerprint, episodes.c.instance_starts == starts_at
            )
        ).first()
        if known is None:
            conn.execute(
                episodes.insert().values(
                    fingerprint=fingerprint,
                    alertname=alertname,
                    starts_at=starts,
                    instance_starts=starts_at,
                    resolved_at=max(ends, starts),
                )
            )
    return False


def over(engine: Engine, run: int, now: float) -> bool:
    """Close the open episode of `run`: its pre-check found the alert no longer firing in
    Alertmanager. An episode the pre-check saw end stays closed: a firing period opened by a
    copy replayed after its period (its `startsAt` far ahead of the receiver's clock) would
    otherwise stay open, and the next real firing would join it and be refused as a
    duplicate of a run that did nothing. Later copies of the same firing stay stale."""
    owner = sa.select(runs.c.episode).where(runs.c.id == run).scalar_subquery()
    with transaction(engine) as conn:
        closed = conn.execute(
            episodes.update()
            .where(episodes.c.id == owner, episodes.c.resolved_at.is_(None))
            .values(resolved_at=now)  # never before its start: starts are clamped to <= now
        ).rowcount
    return bool(closed)


def peek(engine: Engine, fingerprint: str, starts_at: float, now: float) -> tuple[int | None, bool]:
    """(the open episode's id or None, whether a firing at `starts_at` would be stale)."""
    starts = min(starts_at, now)
    with transaction(engine) as conn:
        open_row = _open(conn, fingerprint)
        if open_row is not None:
            return int(open_row.id), False
        return None, _stale(conn, fingerprint, starts_at, starts)
