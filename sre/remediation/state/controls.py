"""The switches humans and the engine pull: kill switches, circuits and per-target locks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from sre.remediation.state.schema import circuits, locks, switches, transaction


class Controls:
    """Mixed into `StateStore`: `db` and `service` come from it."""

    db: Engine
    service: str

    # -- kill switches (global across services: `sre pause` stops everything it names) ---------

    def pause(self, name: str, who: str, now: float) -> None:
        with transaction(self.db) as conn:
            conn.execute(switches.delete().where(switches.c.name == name))
            conn.execute(switches.insert().values(name=name, paused_at=now, paused_by=who))

    def resume(self, name: str) -> bool:
        with transaction(self.db) as conn:
            return bool(conn.execute(switches.delete().where(switches.c.name == name)).rowcount)

    def paused(self) -> list[dict[str, Any]]:
        with transaction(self.db) as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(switches))]

    # -- circuits, per (service, action, target) -------------------------------------------------

    def open_circuit(self, action: str, target: str, reason: str, now: float) -> bool:
        """Open it; False when it was open already."""
        try:
            with transaction(self.db) as conn:
                conn.execute(
                    circuits.insert().values(
                        service=self.service,
                        action=action,
                        target=target,
                        opened_at=now,
                        reason=reason,
                    )
                )
        except IntegrityError:
            return False
        return True

    def reset_circuit(self, action: str, target: str) -> bool:
        """Close it; False when it was not open. With no service, any service's match closes."""
        match = [circuits.c.action == action, circuits.c.target == target]
        if self.service:
            match.append(circuits.c.service == self.service)
        with transaction(self.db) as conn:
            return bool(conn.execute(sa.delete(circuits).where(*match)).rowcount)

    def circuits(self) -> list[dict[str, Any]]:
        query = sa.select(circuits)
        if self.service:
            query = query.where(circuits.c.service == self.service)
        with transaction(self.db) as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # -- locks ------------------------------------------------------------------------------------

    def acquire(self, name: str, owner: str, now: float, ttl: float) -> bool:
        """Take `service:name` (or one whose holder let it expire); False when another holds
        it. Taking it again as its holder renews it: a take retried after a state store outage
        may find its own first attempt committed."""
        key = f"{self.service}:{name}"
        try:
            with transaction(self.db) as conn:
                conn.execute(locks.insert().values(name=key, owner=owner, expires_at=now + ttl))
            return True
        except IntegrityError:
            with transaction(self.db) as conn:
                taken = conn.execute(
                    locks.update()
                    .where(
                        locks.c.name == key,
                        sa.or_(locks.c.expires_at < now, locks.c.owner == owner),
                    )
                    .values(owner=owner, expires_at=now + ttl)
                ).rowcount
            return bool(taken)

    def release(self, name: str, owner: str) -> None:
        key = f"{self.service}:{name}"
        with transaction(self.db) as conn:
            conn.execute(locks.delete().where(locks.c.name == key, locks.c.owner == owner))

    def break_lock(self, name: str) -> None:
        """Drop `service:name` whoever holds it: only for a holder known to be gone."""
        with transaction(self.db) as conn:
            conn.execute(locks.delete().where(locks.c.name == f"{self.service}:{name}"))
