"""Who may post to the webhook: bearer tokens or basic-auth pairs, compared in constant time."""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass

__all__ = ["Credentials"]


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
