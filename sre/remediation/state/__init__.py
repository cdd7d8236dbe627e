"""Durable remediation state: deliveries, episodes, runs, circuits, switches and the audit log.

SQLite (WAL) by default; PostgreSQL when several `sre serve` replicas share the work. Exactly
once rests on the database, not on process memory: a partial unique index allows one open
episode per fingerprint, and a unique key (action, target, fingerprint, episode) allows one run
per episode, so concurrent requests, restarts and replicas all meet the same constraint.
"""

from sre.remediation.state.deliveries import (
    claim_deliveries,
    mark_processed,
    store_delivery,
    unprocessed,
)
from sre.remediation.state.episodes import Episode, firing, resolved
from sre.remediation.state.runs import (
    acquire,
    has_run,
    open_circuit,
    open_run,
    record,
    release,
    running_count,
    started_since,
    update_run,
)
from sre.remediation.state.schema import (
    LEASE,
    audit,
    circuits,
    connect,
    deliveries,
    episodes,
    locks,
    meta,
    runs,
    switches,
    transaction,
)

__all__ = [
    "LEASE",
    "Episode",
    "acquire",
    "audit",
    "circuits",
    "claim_deliveries",
    "connect",
    "deliveries",
    "episodes",
    "firing",
    "has_run",
    "locks",
    "mark_processed",
    "meta",
    "open_circuit",
    "open_run",
    "record",
    "release",
    "resolved",
    "running_count",
    "runs",
    "started_since",
    "store_delivery",
    "switches",
    "transaction",
    "unprocessed",
    "update_run",
]
