"""A reusable SRE library: object storage and snapshot manifests now; rules, dashboards,
runbooks and remediation as the service spec grows. It never imports `pipeline`."""

from sre.errors import (
    ChecksumMismatch,
    ManifestError,
    ObjectNotFound,
    SreError,
    StorageError,
    StoreUnavailable,
)
from sre.storage import LocalStore, ObjectInfo, ObjectStore, open_store

__all__ = [
    "ChecksumMismatch",
    "LocalStore",
    "ManifestError",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "SreError",
    "StorageError",
    "StoreUnavailable",
    "open_store",
]
