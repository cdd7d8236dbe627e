"""Who is running a run, and whether they are still alive.

Every run records its owner (a replica id: `--replica-id`, by default the host and port of
`sre serve`, or the host and pid of a CLI) and a heartbeat the owner's process refreshes every
`INTERVAL` seconds while it has runs in the `running` state. Another replica takes a run over
only when it has watched the heartbeat stay unchanged for `EXPIRY` seconds of its own monotonic
clock: the timestamps are never compared across machines, so clock skew between replicas cannot
make a live run look dead. Only time spent watching counts: when the watcher could not look for
`BLIND` seconds (the database was down, so no owner could beat either, or the watcher itself was
paused), it starts counting again from its next look.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sre.errors import StateError
from sre.remediation.state.schema import runs, transaction

__all__ = ["BLIND", "EXPIRY", "INTERVAL", "Heartbeat", "Watch", "default_owner", "take_over"]

log = logging.getLogger("sre.remediation")

INTERVAL = 5.0
EXPIRY = 30.0
BLIND = EXPIRY / 2


def default_owner(port: int | None = None) -> str:
    """`host:port` for a server (stable across its restarts), `host:pid` for anything else."""
    return f"{socket.gethostname()}:{port if port is not None else f'pid{os.getpid()}'}"


class Heartbeat:
    """Refreshes the heartbeat of every running run of one owner, from a daemon thread that
    lives exactly as long as the process (so a killed process stops beating at once)."""

    def __init__(self, db: Engine, owner: str, interval: float = INTERVAL) -> None:
        self.db, self.owner, self.interval = db, owner, interval
        self._started = False
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        with self._lock:
            if not self._started:
                self._started = True
                threading.Thread(target=self._loop, name="sre-heartbeat", daemon=True).start()

    def beat(self, now: float) -> int:
        with transaction(self.db) as conn:
            return int(
                conn.execute(
                    runs.update()
                    .where(runs.c.owner == self.owner, runs.c.state == "running")
                    .values(heartbeat_at=now)
                ).rowcount
            )

    def _loop(self) -> None:
        while True:
            time.sleep(self.interval)
            try:
                self.beat(time.time())
            except StateError as exc:  # the database is down: beat again when it is back
                log.warning("heartbeat of %s not recorded: %s", self.owner, exc)


class Watch:
    """Observed liveness of other owners' runs, by this process's own clock."""

    def __init__(
        self,
        expiry: float = EXPIRY,
        monotonic: Callable[[], float] = time.monotonic,
        blind: float = BLIND,
    ) -> None:
        self.expiry, self.monotonic, self.blind = expiry, monotonic, blind
        self._seen: dict[int, tuple[float | None, float]] = {}
        self._looked: float | None = None

    def expired(self, running: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The runs whose heartbeat has not moved for `expiry` seconds of watching."""
        now, dead, current = self.monotonic(), [], set()
        # A gap since the last look: whatever stood still then proves nothing about its owner.
        blind = self._looked is not None and now - self._looked > self.blind
        self._looked = now
        for run in running:
            current.add(run["id"])
            seen = self._seen.get(run["id"])
            if seen is None or seen[0] != run["heartbeat_at"] or blind:
                self._seen[run["id"]] = (run["heartbeat_at"], now)
            elif now - seen[1] >= self.expiry:
                dead.append(run)
        for gone in set(self._seen) - current:
            del self._seen[gone]
        return dead


def take_over(db: Engine, run: Mapping[str, Any], owner: str, now: float) -> bool:
    """Become the owner of a running run whose heartbeat is still the one seen; False when its
    owner beat in between, or another replica took it first."""
    seen = run["heartbeat_at"]
    same = runs.c.heartbeat_at.is_(None) if seen is None else runs.c.heartbeat_at == seen
    with transaction(db) as conn:
        return bool(
            conn.execute(
                runs.update()
                .where(runs.c.id == run["id"], runs.c.state == "running", same)
                .where(sa.or_(runs.c.owner.is_(None), runs.c.owner == run["owner"]))
                .values(owner=owner, heartbeat_at=now)
            ).rowcount
        )
