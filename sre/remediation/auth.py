"""Who may post to the webhook (bearer tokens or basic-auth pairs), and who may approve runs
(one bearer token per named approver): secrets compared in constant time, never logged.

The two sets are distinct on purpose: Alertmanager's token cannot approve, an approver's token
cannot post alerts."""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass

__all__ = ["Approvers", "Credentials"]


@dataclass(frozen=True, slots=True)
class Credentials:
    """Bearer tokens (two during a rotation) and basic-auth pairs; never logged."""

    tokens: tuple[bytes, ...] = ()
    basic: tuple[bytes, ...] = ()  # b"user:password"

    def check(self, header: str | None) -> int:
        """200 when allowed, 401 when no credentials came, 403 when they are wrong."""
        if not header:
            return 401
        scheme, _, value = header.partition(" ")
        given = value.strip().encode()
        if scheme.lower() == "bearer":
            allowed = self.tokens
        elif scheme.lower() == "basic":
            try:
                given = base64.b64decode(given, validate=True)
            except ValueError:
                return 403
            allowed = self.basic
        else:
            return 401
        # Compare against every secret, always, so timing says nothing about which matched.
        matched = False
        for secret in allowed:
            matched |= hmac.compare_digest(given, secret)
        return 200 if matched else 403


@dataclass(frozen=True, slots=True)
class Approvers:
    """(name, bearer token) per approver; the name is what the audit log records."""

    tokens: tuple[tuple[str, bytes], ...] = ()

    def who(self, header: str | None) -> tuple[int, str | None]:
        """(200, name) when the token is an approver's, else (401 or 403, None)."""
        scheme, _, value = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return 401, None
        given, found = value.strip().encode(), None
        for name, secret in self.tokens:  # every one, always: timing names nobody
            if hmac.compare_digest(given, secret):
                found = name
        return (200, found) if found is not None else (403, None)
