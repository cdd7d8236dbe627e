"""The object-store interface shared by the pipeline and the remediation actions.

Keys are '/'-separated, relative to the store's root (a local directory or an S3 bucket plus
prefix). Implementations must make `write_*` atomic from a reader's point of view: a reader sees
the old object or the new one, never a partial one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from sre.errors import StorageError

CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What the store knows about one object. `sha256` is empty when `list` did not compute it."""

    key: str
    size: int
    sha256: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class ObjectStore(Protocol):
    """List, read, write, copy, delete and head objects under one root."""

    @property
    def url(self) -> str:
        """Where the store lives, as a user would type it (a path or s3://bucket/prefix)."""
        ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with `prefix`, in key order (sizes; no checksums)."""
        ...

    def head(self, key: str) -> ObjectInfo:
        """Size, sha256 and metadata of one object; raises ObjectNotFound."""
        ...

    def exists(self, key: str) -> bool: ...

    def read_bytes(self, key: str) -> bytes: ...

    def write_bytes(
        self, key: str, data: bytes, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo: ...

    def download(self, key: str, dest: Path) -> None:
        """Stream the object to a local file."""
        ...

    def upload(
        self, src: Path, key: str, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        """Stream a local file into the store; returns its size and sha256."""
        ...

    def copy(
        self, src_key: str, dst_key: str, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo: ...

    def delete(self, key: str) -> None:
        """Delete one object; deleting a missing key is not an error."""
        ...

    def local_path(self, key: str) -> Path | None:
        """A path the engine may read directly, or None when the object is remote."""
        ...


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_stream(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def check_key(key: str) -> str:
    """Refuse keys that could escape the store's root; return the key unchanged."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise StorageError(f"invalid object key {key!r}", op="key", key=key)
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise StorageError(f"invalid object key {key!r}", op="key", key=key)
    return key


def check_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a key that may end in '/'; return it unchanged."""
    if prefix and prefix.rstrip("/"):
        check_key(prefix.rstrip("/"))
    elif prefix:
        raise StorageError(f"invalid prefix {prefix!r}", op="list", key=prefix)
    return prefix
