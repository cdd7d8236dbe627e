"""Moving objects between stores, checked end to end, and the small checks every action shares.

A copy between two stores (lake -> quarantine, lake -> backup, backup -> lake) streams the source
into a temporary file, hashes it, uploads it, and then asks the destination for the size and
sha256 it holds: an action deletes or publishes nothing on the strength of a copy it has not
read back.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sre.errors import ChecksumMismatch, ObjectNotFound
from sre.remediation.targets import token
from sre.storage import ObjectInfo, ObjectStore, sha256_file


@dataclass(frozen=True, slots=True)
class Fetched:
    """A source object held in a local file while it is being copied."""

    path: Path
    size: int
    sha256: str


def check_incident(incident: str, *, action: str) -> str:
    """Refuse an incident id that is not a plain token (it becomes part of keys)."""
    return token(incident, action=action, what="incident")


def iso(now: datetime) -> str:
    """`now` in UTC as ISO 8601 (a naive time is taken to be UTC already)."""
    moment = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    return moment.isoformat(timespec="seconds")


def heads(store: ObjectStore, prefix: str) -> list[ObjectInfo]:
    """Every object under `prefix` with its size, sha256 and metadata (one head per object)."""
    return [store.head(info.key) for info in store.list(prefix)]


def head_or_none(store: ObjectStore, key: str) -> ObjectInfo | None:
    try:
        return store.head(key)
    except ObjectNotFound:
        return None


@contextmanager
def fetched(store: ObjectStore, key: str, *, expect_sha256: str = "") -> Iterator[Fetched]:
    """The object as a local file (the store's own file when it has one), hashed; raise
    ChecksumMismatch when `expect_sha256` is given and the bytes differ."""
    with tempfile.TemporaryDirectory(prefix="sre-transfer-") as tmp:
        local = store.local_path(key)
        if local is None or not local.is_file():
            local = Path(tmp) / "object"
            store.download(key, local)
        digest = sha256_file(local)
        if expect_sha256 and digest != expect_sha256:
            raise ChecksumMismatch(
                f"{key} in {store.url} has sha256 {digest[:12]}…, expected {expect_sha256[:12]}…",
                op="copy",
                key=key,
            )
        yield Fetched(local, local.stat().st_size, digest)


def place(
    dst: ObjectStore, source: Fetched, key: str, *, metadata: Mapping[str, str] | None = None
) -> ObjectInfo:
    """Upload a fetched object, then read back size and sha256 from `dst`; raise on a mismatch."""
    dst.upload(source.path, key, metadata=metadata)
    held = dst.head(key)
    if held.size != source.size or held.sha256 != source.sha256:
        raise ChecksumMismatch(
            f"copy {key} in {dst.url} holds {held.size} bytes sha256 {held.sha256[:12]}…, "
            f"expected {source.size} bytes sha256 {source.sha256[:12]}…",
            op="verify",
            key=key,
        )
    return held


def transfer(
    src: ObjectStore,
    src_key: str,
    dst: ObjectStore,
    dst_key: str,
    *,
    expect_sha256: str = "",
    metadata: Mapping[str, str] | None = None,
) -> ObjectInfo:
    """Copy one object between stores and verify the copy; returns what `dst` holds."""
    with fetched(src, src_key, expect_sha256=expect_sha256) as source:
        return place(dst, source, dst_key, metadata=metadata)
