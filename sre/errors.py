"""Errors raised by the sre library.

Hierarchy::

    SreError
    └── StorageError              an object-store operation failed (fields: op, key)
        ├── ObjectNotFound        the key does not exist
        ├── StoreUnavailable      the store itself cannot be used: unknown path or bucket,
        │                         missing credentials, endpoint down
        └── ChecksumMismatch      bytes read back differ from the recorded checksum
    └── ManifestError             a snapshot manifest or pointer is malformed
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


class ManifestError(SreError):
    """A snapshot manifest or pointer cannot be read or is inconsistent."""
