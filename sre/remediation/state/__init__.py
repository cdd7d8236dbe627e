"""Durable remediation state: deliveries, episodes, runs, circuits, switches and the audit log.

SQLite (WAL) by default; PostgreSQL when several `sre serve` replicas share the work. Exactly
once rests on the database, not on process memory: a partial unique index allows one open
episode per fingerprint, and a unique key (service, action, target, fingerprint, episode)
allows one run per episode, so concurrent requests, restarts and replicas all meet the same
constraint. `StateStore` is the only way in.
"""

from sre.remediation.state.episodes import Episode
from sre.remediation.state.schema import LEASE, connect
from sre.remediation.state.store import ACTED, StateStore

__all__ = ["ACTED", "LEASE", "Episode", "StateStore", "connect"]
