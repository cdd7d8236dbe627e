"""Errors raised by the sre library.

Hierarchy::

    SreError
    └── StorageError              an object-store operation failed (fields: op, key)
        ├── ObjectNotFound        the key does not exist
        ├── StoreUnavailable      the store itself cannot be used: unknown path or bucket,
        │                         missing credentials, endpoint down
        └── ChecksumMismatch      bytes read back differ from the recorded checksum
    └── BackupError               a backup's record is missing or malformed
    └── SpecError                 a service spec is invalid (fields: owner, field)
        └── SpecFileError         a spec file (YAML, OpenSLO, Python) has problems, one line
                                  each naming the file and the path inside it (field: problems)
    └── GenerateError             an artefact cannot be generated: hand-written runbook content
                                  is missing or malformed, the spec cannot be loaded (field: path)
    └── RemediationError          a remediation action refused or failed (fields: action, target)
        └── UnsafeTarget          a target fails the action's allow-list (path escape, reserved
                                  key, shell metacharacters, another bucket)
"""

from __future__ import annotations


class SreError(Exception):
    """Base of every error the sre library raises on purpose."""


class StorageError(SreError):
    """An object-store operation failed."""

    def __init__(self, message: str, *, op: str = "", key: str = "") -> None:
        super().__init__(message)
        self.op = op
        self.key = key


class ObjectNotFound(StorageError):
    """The key does not exist in the store."""


class StoreUnavailable(StorageError):
    """The store cannot be used at all (unknown location, no credentials, endpoint down)."""


class ChecksumMismatch(StorageError):
    """An object's bytes do not match the checksum recorded for it."""


class BackupError(SreError):
    """A backup's record (`_backup.json`) is missing, malformed or names an object outside
    the tables it keeps."""


class SpecError(SreError, ValueError):
    """A service spec value is invalid; raised while the spec is built."""

    def __init__(self, message: str, *, owner: str = "", field: str = "") -> None:
        super().__init__(f"{owner}.{field}: {message}" if owner and field else message)
        self.owner = owner
        self.field = field


class SpecFileError(SpecError):
    """A spec file cannot be loaded; `problems` are lines `file: path.inside: what is wrong`."""

    def __init__(self, problems: list[str] | tuple[str, ...]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


class GenerateError(SreError):
    """An artefact cannot be generated from the spec and the hand-written content."""

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


class PayloadError(SreError, ValueError):
    """A webhook body is not a valid Alertmanager v4 payload; `str()` is a one-line reason."""


class StateError(SreError):
    """The remediation state store (SQLite or PostgreSQL) cannot be used."""


class RemediationError(SreError):
    """A remediation action refused to act or failed; names the action and its target."""

    def __init__(self, message: str, *, action: str = "", target: str = "") -> None:
        super().__init__(f"{action} {target!r}: {message}" if action and target else message)
        self.action = action
        self.target = target


class UnsafeTarget(RemediationError):
    """A target (a prefix, a backup date, an incident id) fails the action's allow-list."""
