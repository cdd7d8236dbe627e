"""One validator per kind of target: the only code that decides whether a target is safe.

An action's `target()` (run at admission, while Alertmanager waits) and its `plan()`, `apply()`
and `undo()` (run later) call the same function here, so a target accepted at admission can
never be refused at execution: the silent drop cannot happen by construction.

Label values are untrusted. Every check is a `fullmatch` on an ASCII allow-list (`re.match`
with `$` accepts a trailing newline; `str.isalnum` accepts full-width digits), and a refusal
names what was wrong in one line.
"""

from __future__ import annotations

import re
from datetime import date

from sre.errors import UnsafeTarget

__all__ = ["backup_label", "name", "silver_prefix", "token"]

ROOT = "silver"
_PART = re.compile(r"[A-Za-z0-9_=.-]+", re.ASCII)
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,62})", re.ASCII)
_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,127})", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _shown(value: str, limit: int = 80) -> str:
    return repr(value[:limit])


def silver_prefix(value: str, *, action: str = "quarantine") -> str:
    """A plain key prefix of one silver table: `silver/<table>/...`, never the pointer or the
    manifests (`silver/_*`), no empty, `.` or `..` part, only letters, digits and `_ = . -`."""

    def refuse(reason: str) -> UnsafeTarget:
        return UnsafeTarget(f"prefix {_shown(value)} {reason}", action=action, target=value[:120])

    if not value.startswith(f"{ROOT}/"):
        raise refuse("must start with silver/ (a key in the lake, no URL, no bucket)")
    parts = value.removesuffix("/").split("/")
    if len(parts) < 2:
        raise refuse("must name a table: silver/<table>/...")
    for part in parts[1:]:
        if part in ("", ".", ".."):
            raise refuse("has an empty, '.' or '..' part")
        if not _PART.fullmatch(part):
            raise refuse("may hold only letters, digits and _ = . - between slashes")
    if any(part.startswith("_") for part in parts[1:]):
        raise refuse("names the pointer, the manifests or a table's log (_*), never quarantined")
    return value


def backup_label(value: str, *, action: str = "restore", latest: bool = True) -> str:
    """A backup: a real calendar date `YYYY-MM-DD`, `latest` (when allowed), or
    `pre-restore-<token>` (the copy a restore keeps of what it replaced)."""
    if latest and value == "latest":
        return value
    if value.startswith("pre-restore-") and _TOKEN.fullmatch(value.removeprefix("pre-restore-")):
        return value
    if _DATE.fullmatch(value):
        try:
            date.fromisoformat(value)
            return value
        except ValueError:
            pass
    allowed = "YYYY-MM-DD (a real date)" + (", latest" if latest else "")
    raise UnsafeTarget(
        f"backup {_shown(value, 40)} must be {allowed} or pre-restore-<id>",
        action=action,
        target=value[:40],
    )


def name(value: str, *, action: str, what: str = "name") -> str:
    """A short lowercase name (a pipeline, a deployment, a connector): 1-63 of a-z 0-9 _ -,
    starting with a letter or digit. Safe in argv, URLs, JSON and Kubernetes names."""
    if not _NAME.fullmatch(value):
        raise UnsafeTarget(
            f"{what} {_shown(value, 40)} must be 1-63 of a-z 0-9 _ - (starting with a-z or 0-9)",
            action=action,
            target=value[:40],
        )
    return value


def token(value: str, *, action: str, what: str = "id") -> str:
    """An id that becomes part of object keys (an incident): letters, digits and `. _ -`,
    at most 128, no leading dot."""
    if not _TOKEN.fullmatch(value):
        raise UnsafeTarget(
            f"{what} {_shown(value, 40)} must be letters, digits and . _ - (at most 128)",
            action=action,
            target=value[:40],
        )
    return value
