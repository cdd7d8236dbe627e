"""Webhook deliveries: stored before the answer, then claimed by one worker each."""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sre.remediation.state.schema import LEASE, deliveries, transaction


def store_delivery(engine: Engine, body: bytes, now: float | None = None) -> int:
    """Durably record one webhook body before it is acknowledged."""
    with transaction(engine) as conn:
        result = conn.execute(
            deliveries.insert().values(received_at=now or time.time(), body=body.decode())
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def claim_deliveries(engine: Engine, now: float, limit: int = 100) -> list[tuple[int, bytes]]:
    """Claim unprocessed deliveries for this worker, oldest first.

    A claim is a conditional update, so two workers (threads, processes or replicas) never
    take the same delivery; a claim left by a dead worker expires after LEASE seconds, and
    processing again is safe because episodes and runs are unique in the database.
    """
    claimable = sa.and_(
        deliveries.c.processed_at.is_(None),
        sa.or_(deliveries.c.claimed_at.is_(None), deliveries.c.claimed_at < now - LEASE),
    )
    with transaction(engine) as conn:
        candidates = (
            conn.execute(
                sa.select(deliveries.c.id).where(claimable).order_by(deliveries.c.id).limit(limit)
            )
            .scalars()
            .all()
        )
    claimed: list[tuple[int, bytes]] = []
    for delivery in candidates:
        with transaction(engine) as conn:
            won = conn.execute(
                deliveries.update()
                .where(deliveries.c.id == delivery, claimable)
                .values(claimed_at=now)
            ).rowcount
            if won:
                body = conn.execute(
                    sa.select(deliveries.c.body).where(deliveries.c.id == delivery)
                ).scalar_one()
                claimed.append((int(delivery), body.encode()))
    return claimed


def unprocessed(engine: Engine) -> int:
    with transaction(engine) as conn:
        count = conn.execute(
            sa.select(sa.func.count())
            .select_from(deliveries)
            .where(deliveries.c.processed_at.is_(None))
        ).scalar()
    return int(count or 0)


def mark_processed(engine: Engine, delivery: int, now: float | None = None) -> None:
    with transaction(engine) as conn:
        conn.execute(
            deliveries.update()
            .where(deliveries.c.id == delivery)
            .values(processed_at=now or time.time())
        )
