"""Episodes: a fingerprint's firing period, the unit of exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from sre.errors import StateError
from sre.remediation.state.schema import episodes, transaction


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


def firing(engine: Engine, fingerprint: str, alertname: str, starts_at: float) -> Episode | None:
    """The episode a firing notice belongs to, opening one if needed.

    None means the notice is stale: it started before an episode of this fingerprint was
    resolved (a late or replica-shifted duplicate), so it must not start anything.
    """
    for _ in range(3):
        with transaction(engine) as conn:
            open_row = conn.execute(
                sa.select(episodes).where(
                    episodes.c.fingerprint == fingerprint, episodes.c.resolved_at.is_(None)
                )
            ).first()
            if open_row is not None:
                return _episode(open_row, joined=True)
            stale = conn.execute(
                sa.select(episodes.c.id).where(
                    episodes.c.fingerprint == fingerprint, episodes.c.resolved_at >= starts_at
                )
            ).first()
            if stale is not None:
                return None
        try:
            with transaction(engine) as conn:
                result = conn.execute(
                    episodes.insert().values(
                        fingerprint=fingerprint, alertname=alertname, starts_at=starts_at
                    )
                )
                key = result.inserted_primary_key
                assert key is not None
                return Episode(int(key[0]), fingerprint, starts_at, None, joined=False)
        except IntegrityError:
            continue  # another request or replica opened it first: join that one
    raise StateError(f"could not settle the episode of {fingerprint}")


def resolved(
    engine: Engine, fingerprint: str, alertname: str, starts_at: float, ends_at: float
) -> None:
    """Close the open episode; remember a resolution seen before its firing, too."""
    with transaction(engine) as conn:
        closed = conn.execute(
            episodes.update()
            .where(episodes.c.fingerprint == fingerprint, episodes.c.resolved_at.is_(None))
            .values(resolved_at=ends_at)
        )
        if closed.rowcount == 0:
            known = conn.execute(
                sa.select(episodes.c.id).where(
                    episodes.c.fingerprint == fingerprint, episodes.c.resolved_at >= starts_at
                )
            ).first()
            if known is None:
                conn.execute(
                    episodes.insert().values(
                        fingerprint=fingerprint,
                        alertname=alertname,
                        starts_at=starts_at,
                        resolved_at=ends_at,
                    )
                )


def peek(engine: Engine, fingerprint: str, starts_at: float) -> tuple[int | None, bool]:
    """(the open episode's id or None, whether a firing at `starts_at` would be stale)."""
    with transaction(engine) as conn:
        open_id = conn.execute(
            sa.select(episodes.c.id).where(
                episodes.c.fingerprint == fingerprint, episodes.c.resolved_at.is_(None)
            )
        ).scalar()
        if open_id is not None:
            return int(open_id), False
        stale = conn.execute(
            sa.select(episodes.c.id).where(
                episodes.c.fingerprint == fingerprint, episodes.c.resolved_at >= starts_at
            )
        ).first()
    return None, stale is not None
