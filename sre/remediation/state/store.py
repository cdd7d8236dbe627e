"""`StateStore`: the one object that reads and writes remediation state, by intent.

The engine, the server and the CLI call its methods (`admit`, `claim`, `facts`, `open_run`,
`finish`, `approve`, `pause`, ...); none of them issues SQL. Every key carries the service, so
two services sharing one database never share a run, a cooldown, a circuit or a lock.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from sre.remediation.evaluate import Facts
from sre.remediation.state import episodes as ep
from sre.remediation.state import liveness
from sre.remediation.state.approvals import Approvals
from sre.remediation.state.audit_log import AuditLog
from sre.remediation.state.controls import Controls
from sre.remediation.state.facts import ACTED, gather
from sre.remediation.state.retries import Retries
from sre.remediation.state.schema import (
    JSON_COLUMNS,
    LEASE,
    audit,
    connect,
    deliveries,
    runs,
    transaction,
)

__all__ = ["ACTED", "StateStore"]


def _encode(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: json.dumps(v) if k in JSON_COLUMNS and v is not None else v for k, v in values.items()
    }


def _run(row: Any) -> dict[str, Any]:
    doc = dict(row._mapping)
    for key in JSON_COLUMNS:
        doc[key] = json.loads(doc[key]) if doc.get(key) else None
    return doc


class StateStore(Controls, AuditLog, Retries, Approvals):
    """State of `service` (empty: every service, for the read-only CLI views)."""

    def __init__(self, db: Engine, service: str = "", owner: str | None = None) -> None:
        self.db, self.service = db, service
        self.owner = owner or liveness.default_owner()
        self.heartbeat = liveness.Heartbeat(db, self.owner)

    @classmethod
    def open(cls, url: str, service: str = "", owner: str | None = None) -> StateStore:
        return cls(connect(url), service, owner)

    def ping(self) -> bool:
        try:
            with self.db.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    # -- deliveries -----------------------------------------------------------------------------

    def admit(self, body: bytes, now: float, refusals: Sequence[Mapping[str, Any]] = ()) -> int:
        """Store one delivery and the refusals decided at admission, in one transaction."""
        with transaction(self.db) as conn:
            key = conn.execute(
                deliveries.insert().values(
                    service=self.service, received_at=now, body=body.decode()
                )
            ).inserted_primary_key
            assert key is not None
            delivery = int(key[0])
            for refusal in refusals:
                conn.execute(
                    audit.insert().values(
                        at=now, service=self.service, delivery=delivery, **refusal
                    )
                )
        return delivery

    def claim(self, now: float, limit: int = 100) -> list[tuple[int, bytes, int]]:
        """Claim this service's unprocessed deliveries, oldest first: a conditional update, so
        two workers never take the same one; a claim older than LEASE belongs to a dead worker.
        Each claim counts an attempt (returned third), so a delivery that kills its worker
        outright is still dead-lettered after MAX_ATTEMPTS claims."""
        claimable = sa.and_(
            deliveries.c.service == self.service,
            deliveries.c.processed_at.is_(None),
            sa.or_(deliveries.c.claimed_at.is_(None), deliveries.c.claimed_at < now - LEASE),
        )
        query = sa.select(deliveries.c.id).where(claimable).order_by(deliveries.c.id).limit(limit)
        with transaction(self.db) as conn:
            candidates = conn.execute(query).scalars().all()
        claimed: list[tuple[int, bytes, int]] = []
        for delivery in candidates:
            with transaction(self.db) as conn:
                won = conn.execute(
                    deliveries.update()
                    .where(deliveries.c.id == delivery, claimable)
                    .values(
                        claimed_at=now, claimed_by=self.owner, attempts=deliveries.c.attempts + 1
                    )
                ).rowcount
                if won:
                    body, attempts = conn.execute(
                        sa.select(deliveries.c.body, deliveries.c.attempts).where(
                            deliveries.c.id == delivery
                        )
                    ).one()
                    claimed.append((int(delivery), body.encode(), int(attempts)))
        return claimed

    def release_claims(self) -> int:
        """Give back the unprocessed deliveries this replica claimed in an earlier life (it
        restarted: they would otherwise wait out their lease)."""
        mine = sa.and_(deliveries.c.service == self.service, deliveries.c.claimed_by == self.owner)
        release = deliveries.update().where(mine, deliveries.c.processed_at.is_(None))
        with transaction(self.db) as conn:
            return int(conn.execute(release.values(claimed_at=None, claimed_by=None)).rowcount)

    def processed(self, delivery: int, now: float) -> None:
        with transaction(self.db) as conn:
            conn.execute(
                deliveries.update().where(deliveries.c.id == delivery).values(processed_at=now)
            )

    def backlog(self) -> int:
        with transaction(self.db) as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(deliveries)
                    .where(
                        deliveries.c.service == self.service, deliveries.c.processed_at.is_(None)
                    )
                ).scalar()
                or 0
            )

    # -- episodes -------------------------------------------------------------------------------

    def firing(
        self, fingerprint: str, alertname: str, starts_at: float, now: float
    ) -> ep.Episode | None:
        """The episode a firing belongs to (opened if needed); None for a stale copy."""
        return ep.firing(self.db, fingerprint, alertname, starts_at, now)

    def resolved(
        self, fingerprint: str, alertname: str, starts_at: float, ends: float | None, now: float
    ) -> bool:
        """Close the open episode this resolve belongs to; True when it closed one."""
        return ep.resolved(self.db, fingerprint, alertname, starts_at, ends, now)

    def over(self, run: int, now: float) -> bool:
        """Close the episode of `run` (if still open): Alertmanager no longer shows it firing."""
        return ep.over(self.db, run, now)

    def episode_of(self, fingerprint: str, starts_at: float, now: float) -> tuple[int | None, bool]:
        """(open episode or None, stale) without opening anything: for `sre simulate`."""
        return ep.peek(self.db, fingerprint, starts_at, now)

    # -- facts ----------------------------------------------------------------------------------

    def facts(
        self,
        keys: Iterable[tuple[str, str]],
        *,
        fingerprint: str,
        episode: int | None,
        stale: bool,
        now: float,
        max_runs_per_minute: int,
        since: float | None = None,
    ) -> Facts:
        """Everything `evaluate` needs about this alert's (action, target) keys."""
        return gather(
            self.db,
            self.service,
            keys,
            fingerprint=fingerprint,
            episode=episode,
            stale=stale,
            now=now,
            max_runs_per_minute=max_runs_per_minute,
            since=since,
        )

    # -- runs -----------------------------------------------------------------------------------

    def open_run(self, values: Mapping[str, Any]) -> int | None:
        """Insert a run; None when this (service, action, target, fingerprint, episode) has one."""
        mine = {"owner": self.owner, "heartbeat_at": values.get("started_at")}
        try:
            with transaction(self.db) as conn:
                key = conn.execute(
                    runs.insert().values(service=self.service, **mine, **_encode(values))
                ).inserted_primary_key
                self.heartbeat.ensure_started()
                assert key is not None
                return int(key[0])
        except IntegrityError:
            return None

    def update(self, run: int, **values: Any) -> None:
        with transaction(self.db) as conn:
            conn.execute(runs.update().where(runs.c.id == run).values(**_encode(values)))

    def finish(
        self,
        run: int,
        outcome: str,
        result: Mapping[str, Any],
        now: float,
        undo: Mapping[str, Any] | None = None,
    ) -> None:
        self.update(
            run,
            state="done",
            outcome=outcome,
            result=dict(result),
            finished_at=now,
            **({"undo": dict(undo)} if undo else {}),
        )

    def approve(self, run: int, who: str, now: float | None = None) -> bool:
        """Claim a pending run for `who`; False when it is not pending (someone else won)."""
        self.heartbeat.ensure_started()
        with transaction(self.db) as conn:
            return bool(
                conn.execute(
                    runs.update()
                    .where(runs.c.id == run, runs.c.state == "pending")
                    .values(
                        state="running",
                        approved_by=who,
                        outcome=None,
                        owner=self.owner,
                        heartbeat_at=now if now is not None else time.time(),
                    )
                ).rowcount
            )

    def restart(self, run: int, now: float) -> bool:
        """Start an interrupted run's second attempt; False when it had one already."""
        self.heartbeat.ensure_started()
        with transaction(self.db) as conn:
            return bool(
                conn.execute(
                    runs.update()
                    .where(runs.c.id == run, runs.c.state == "running", runs.c.attempt < 2)
                    .values(attempt=2, started_at=now)
                ).rowcount
            )

    def take_over(self, run: Mapping[str, Any], now: float) -> bool:
        """Own a running run whose owner stopped (see `liveness`); False when it is alive."""
        self.heartbeat.ensure_started()
        return liveness.take_over(self.db, run, self.owner, now)

    def earlier_running(self, run: int) -> bool:
        """Whether a run recorded before `run` for the same episode is still running."""
        mine = sa.select(runs.c.fingerprint, runs.c.episode).where(runs.c.id == run).subquery()
        with transaction(self.db) as conn:
            found = conn.execute(
                sa.select(runs.c.id)
                .where(
                    runs.c.service == self.service,
                    runs.c.fingerprint == mine.c.fingerprint,
                    runs.c.episode == mine.c.episode,
                    runs.c.id < run,
                    runs.c.state == "running",
                )
                .limit(1)
            ).first()
        return found is not None

    def running(self) -> list[dict[str, Any]]:
        """This service's runs in the `running` state, whoever executes them."""
        with transaction(self.db) as conn:
            rows = conn.execute(
                sa.select(runs).where(runs.c.service == self.service, runs.c.state == "running")
            ).all()
        return [_run(r) for r in rows]

    def running_count(self) -> int:
        with transaction(self.db) as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(runs).where(runs.c.state == "running")
                ).scalar()
                or 0
            )

    def run(self, run: int) -> dict[str, Any] | None:
        with transaction(self.db) as conn:
            row = conn.execute(sa.select(runs).where(runs.c.id == run)).first()
        return _run(row) if row is not None else None

    def runs(self, limit: int = 50, outcome: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(runs).order_by(runs.c.id.desc()).limit(limit)
        if self.service:
            query = query.where(runs.c.service == self.service)
        if outcome:
            query = query.where(runs.c.outcome == outcome)
        with transaction(self.db) as conn:
            return [_run(r) for r in conn.execute(query).all()]
