"""Object storage shared by the pipeline and the remediation actions."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sre.storage.base import ObjectInfo, ObjectStore, sha256_file
from sre.storage.local import LocalStore

__all__ = ["LocalStore", "ObjectInfo", "ObjectStore", "open_store", "sha256_file"]


def open_store(
    url: str, *, env: Mapping[str, str] | None = None, create: bool = False
) -> ObjectStore:
    """A store for a path (`./lake`, `/data/lake`, `file:///data/lake`) or `s3://bucket/prefix`.

    `env` supplies AWS settings (AWS_ENDPOINT_URL, credentials, region) for S3; it is read by
    the caller at the edge and passed down, never looked up here. `create` makes a missing local
    directory (the embedded default lake); S3 buckets are never created implicitly.
    """
    if url.startswith("s3://"):
        from sre.storage.s3 import S3Store

        return S3Store.from_url(url, env=env or {})
    path = url.removeprefix("file://")
    return LocalStore(Path(path), create=create)
