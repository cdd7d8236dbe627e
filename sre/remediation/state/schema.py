"""The state schema, connecting to SQLite or PostgreSQL, and transactions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("received_at", sa.Float, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("claimed_at", sa.Float),
    sa.Column("claimed_by", sa.String(256)),  # the replica id of the worker that claimed it
    sa.Column("processed_at", sa.Float),
)
JSON_COLUMNS = ("plan", "alert", "result", "undo", "progress")
LEASE = 120.0  # a claim older than this belongs to a worker that died: another may take it
episodes = sa.Table(
    "episodes",
    meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("alertname", sa.String(256), nullable=False),
    sa.Column("starts_at", sa.Float, nullable=False),
    sa.Column("resolved_at", sa.Float),
    # the startsAt of the firing that opened it, as sent: the identity of a firing period
    sa.Column("instance_starts", sa.Float),
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
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
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
    sa.Column("progress", sa.Text),  # what the action has started so far (Checkpoint.progress)
    sa.Column("approved_by", sa.String(256)),
    sa.Column("attempt", sa.Integer, nullable=False, default=1),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("owner", sa.String(256)),  # the replica executing it (see state/liveness.py)
    sa.Column("heartbeat_at", sa.Float),
    sa.Column("finished_at", sa.Float),
    sa.UniqueConstraint(
        "service", "action", "target", "fingerprint", "episode", name="one_run_per_episode"
    ),
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
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("action", sa.String(64), primary_key=True),
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
    sa.Column("service", sa.String(64)),
    sa.Column("delivery", sa.Integer),
    sa.Column("alertname", sa.String(256)),
    sa.Column("fingerprint", sa.String(64)),
    sa.Column("episode", sa.Integer),
    sa.Column("action", sa.String(64)),
    sa.Column("target", sa.String(1024)),
    sa.Column("policy", sa.Text),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("actor", sa.String(256)),
    sa.Column("run", sa.Integer),
    sa.Column("plan", sa.Text),
)


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
            _check_schema(conn)
    except StateError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        raise StateError(f"cannot open state {_safe(url)}: {str(exc).splitlines()[0]}") from exc
    return engine


def _check_schema(conn: Connection) -> None:
    """Refuse a database an older sre created: its keys lack the service (two services on one
    database would share circuits), and silently mixing the two is worse than stopping."""
    columns = {c["name"] for c in sa.inspect(conn).get_columns("runs")}
    if "service" not in columns or "attempt" not in columns:
        raise StateError(
            "the state database predates runs keyed by service: move it aside (or point "
            "--state at a new one); `sre runs list --state OLD` of an older sre still reads it"
        )
    # Columns added since, in place: older rows without them are read as unknown.
    for table, column, kind in _ADDED:
        if column not in {c["name"] for c in sa.inspect(conn).get_columns(table)}:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


_ADDED = (
    ("episodes", "instance_starts", "FLOAT"),
    ("runs", "owner", "VARCHAR(256)"),
    ("runs", "heartbeat_at", "FLOAT"),
    ("runs", "progress", "TEXT"),
    ("deliveries", "claimed_by", "VARCHAR(256)"),
)


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
