"""Durable remediation state: deliveries, episodes, runs, circuits, switches and the audit log.

SQLite (WAL) by default; PostgreSQL when several `sre serve` replicas share the work. Exactly
once rests on the database, not on process memory: a partial unique index allows one open
episode per fingerprint, and a unique key (action, target, fingerprint, episode) allows one run
per episode, so concurrent requests, restarts and replicas all meet the same constraint.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from sre.errors import StateError

meta = sa.MetaData()

deliveries = sa.Table(
    "deliveries",
    meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("received_at", sa.Float, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("claimed_at", sa.Float),
    sa.Column("processed_at", sa.Float),
)
JSON_COLUMNS = ("plan", "alert", "result", "undo")
LEASE = 120.0  # a claim older than this belongs to a worker that died: another may take it
episodes = sa.Table(
    "episodes",
    meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("alertname", sa.String(256), nullable=False),
    sa.Column("starts_at", sa.Float, nullable=False),
    sa.Column("resolved_at", sa.Float),
    sa.Index(
        "one_open_episode_per_fingerprint",
        "fingerprint",
        unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    ),
)
runs = sa.Table(
    "runs",
    meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(1024), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("episode", sa.Integer, nullable=False),
    sa.Column("alertname", sa.String(256), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending | running | done
    sa.Column("outcome", sa.String(32)),
    sa.Column("plan", sa.Text),
    sa.Column("alert", sa.Text),  # what fired: labels, fingerprint, times (for approve and verify)
    sa.Column("result", sa.Text),
    sa.Column("undo", sa.Text),
    sa.Column("approved_by", sa.String(256)),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float),
    sa.UniqueConstraint("action", "target", "fingerprint", "episode", name="one_run_per_episode"),
)
locks = sa.Table(
    "locks",
    meta,
    sa.Column("name", sa.String(256), primary_key=True),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)
circuits = sa.Table(
    "circuits",
    meta,
    sa.Column("action", sa.String(32), primary_key=True),
    sa.Column("target", sa.String(1024), primary_key=True),
    sa.Column("opened_at", sa.Float, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)
switches = sa.Table(
    "switches",
    meta,
    sa.Column("name", sa.String(64), primary_key=True),  # "*" for all actions, else an action
    sa.Column("paused_at", sa.Float, nullable=False),
    sa.Column("paused_by", sa.String(256), nullable=False),
)
audit = sa.Table(
    "audit",
    meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("alertname", sa.String(256)),
    sa.Column("fingerprint", sa.String(64)),
    sa.Column("episode", sa.Integer),
    sa.Column("action", sa.String(32)),
    sa.Column("target", sa.String(1024)),
    sa.Column("policy", sa.Text),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("actor", sa.String(256)),
    sa.Column("run", sa.Integer),
    sa.Column("plan", sa.Text),
)


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


def connect(url: str) -> Engine:
    """An engine for `sqlite:///path` or `postgresql://...`, tables created if missing."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        engine = sa.create_engine(url, pool_pre_ping=True)
        if engine.dialect.name == "sqlite":
            _sqlite_pragmas(engine)
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                # Replicas start together: one creates the tables while the others wait.
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4242001)")
            meta.create_all(conn, checkfirst=True)
    except (SQLAlchemyError, OSError) as exc:
        raise StateError(f"cannot open state {_safe(url)}: {str(exc).splitlines()[0]}") from exc
    return engine


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    parsed = sa.engine.make_url(url)
    return parsed.render_as_string(hide_password=True)


def _sqlite_pragmas(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


_SQLITE_WRITERS: dict[int, threading.Lock] = {}


@contextmanager
def _serialized(engine: Engine) -> Iterator[None]:
    # SQLite has one writer at a time and its busy handler sleeps in growing steps (1, 2, 5,
    # 10... ms) while waiting, which showed as 40+ ms webhook acks under load. Threads of one
    # process queue on a lock instead and wake the moment it is free.
    if engine.dialect.name != "sqlite":
        yield
        return
    lock = _SQLITE_WRITERS.setdefault(id(engine), threading.Lock())
    with lock:
        yield


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    try:
        with _serialized(engine), engine.begin() as conn:
            yield conn
    except IntegrityError:
        raise
    except SQLAlchemyError as exc:
        raise StateError(f"state store failed: {str(exc).splitlines()[0]}") from exc


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
