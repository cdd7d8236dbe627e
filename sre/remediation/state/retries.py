"""Deliveries that failed: tried again, then dead-lettered (never claimed again)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sre.remediation.state.schema import deliveries, transaction

__all__ = ["Retries"]


class Retries:
    db: Engine
    service: str

    def unclaim(self, ids: Iterable[int]) -> None:
        """Give claimed deliveries back (a stopping worker), their attempt not counted."""
        ids = list(ids)
        if not ids:
            return
        with transaction(self.db) as conn:
            conn.execute(
                deliveries.update()
                .where(deliveries.c.id.in_(ids), deliveries.c.processed_at.is_(None))
                .values(claimed_at=None, claimed_by=None, attempts=deliveries.c.attempts - 1)
            )

    def retry(self, delivery: int) -> None:
        """A failed attempt: claimable again at once (the attempt stays counted)."""
        with transaction(self.db) as conn:
            conn.execute(
                deliveries.update()
                .where(deliveries.c.id == delivery)
                .values(claimed_at=None, claimed_by=None)
            )

    def dead_letter(self, delivery: int, now: float) -> None:
        with transaction(self.db) as conn:
            conn.execute(
                deliveries.update()
                .where(deliveries.c.id == delivery)
                .values(processed_at=now, dead_at=now)
            )

    def dead_letters(self) -> list[int]:
        with transaction(self.db) as conn:
            query = sa.select(deliveries.c.id).where(
                deliveries.c.service == self.service, deliveries.c.dead_at.is_not(None)
            )
            return [int(i) for i in conn.execute(query).scalars()]
