"""A reusable SRE library: object storage and Delta table helpers, rules, dashboards, runbooks
and remediation for any service. It never imports `pipeline`."""

from sre.errors import (
    BackupError,
    ChecksumMismatch,
    ObjectNotFound,
    SreError,
    StorageError,
    StoreUnavailable,
)
from sre.storage import LocalStore, ObjectInfo, ObjectStore, open_store

__all__ = [
    "BackupError",
    "ChecksumMismatch",
    "LocalStore",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "SreError",
    "StorageError",
    "StoreUnavailable",
    "open_store",
]
