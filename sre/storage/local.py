"""The embedded default store: a directory on the local disk."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from sre.errors import ObjectNotFound, StorageError, StoreUnavailable
from sre.storage.base import ObjectInfo, check_key, check_prefix, sha256_file

# Metadata lives beside the object, as S3 keeps it beside the body.
META_SUFFIX = ".meta.json"


def file_mode() -> int:
    """The mode a plain `open()` gives a new file: 0o666 less the process umask.

    Temporary files are created 0600; objects renamed into place get this mode instead, so a
    reader running as another user (node_exporter's textfile collector) can read them when the
    umask allows it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no /proc: read the umask by setting it, then put it back
    os.umask(mask)
    return 0o666 & ~mask


class LocalStore:
    """Objects are files under `root`; writes go to a temporary file and are renamed into place."""

    def __init__(self, root: Path, *, create: bool = False) -> None:
        self.root = root.resolve()
        self.mode = file_mode()
        if create:
            self.root.mkdir(parents=True, exist_ok=True)
        if not self.root.is_dir():
            raise StoreUnavailable(f"lake directory {root} does not exist", op="open")

    @property
    def url(self) -> str:
        return str(self.root)

    def _path(self, key: str) -> Path:
        check_key(key)
        name = key.rsplit("/", 1)[-1]
        if name.endswith(META_SUFFIX) or name.startswith(".tmp-"):
            raise StorageError(f"invalid object key {key!r} (reserved name)", op="key", key=key)
        return self.root / key

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        check_prefix(prefix)
        base = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not base.is_dir():
            return
        keys: list[tuple[str, int]] = []
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                if name.endswith(META_SUFFIX) or name.startswith(".tmp-"):
                    continue
                full = Path(dirpath) / name
                key = full.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append((key, full.stat().st_size))
        for key, size in sorted(keys):
            yield ObjectInfo(key=key, size=size)

    def head(self, key: str) -> ObjectInfo:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(f"no object {key} in {self.url}", op="head", key=key)
        return ObjectInfo(
            key=key, size=path.stat().st_size, sha256=sha256_file(path), metadata=self._meta(path)
        )

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def read_bytes(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"no object {key} in {self.url}", op="read", key=key) from exc

    def write_bytes(
        self, key: str, data: bytes, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        self._path(key)
        with tempfile.NamedTemporaryFile(dir=self.root, prefix=".tmp-", delete=False) as handle:
            handle.write(data)
        return self._place(Path(handle.name), key, metadata, move=True)

    def download(self, key: str, dest: Path) -> None:
        src = self._path(key)
        if not src.is_file():
            raise ObjectNotFound(f"no object {key} in {self.url}", op="download", key=key)
        tmp = dest.with_name(f".tmp-{dest.name}")
        try:
            shutil.copyfile(src, tmp)
            tmp.replace(dest)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"cannot download {key}: {exc}", op="download", key=key) from exc

    def upload(
        self, src: Path, key: str, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        return self._place(src, key, metadata, move=False)

    def copy(
        self, src_key: str, dst_key: str, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        src = self._path(src_key)
        if not src.is_file():
            raise ObjectNotFound(f"no object {src_key} in {self.url}", op="copy", key=src_key)
        merged = {**self._meta(src), **(metadata or {})}
        return self._place(src, dst_key, merged, move=False)

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
            path.with_name(path.name + META_SUFFIX).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete {key}: {exc}", op="delete", key=key) from exc

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def _place(
        self, src: Path, key: str, metadata: Mapping[str, str] | None, *, move: bool
    ) -> ObjectInfo:
        dest = self._path(key)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            if move:
                tmp = src
            else:
                fd, name = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
                os.close(fd)
                tmp = Path(name)
                shutil.copyfile(src, tmp)
            digest = sha256_file(tmp)
            tmp.chmod(self.mode)
            tmp.replace(dest)
            meta_path = dest.with_name(dest.name + META_SUFFIX)
            if metadata:
                meta_path.write_text(json.dumps(dict(metadata), sort_keys=True))
            else:
                meta_path.unlink(missing_ok=True)
        except OSError as exc:
            message = f"cannot write {key} in {self.url}: {exc}"
            raise StorageError(message, op="write", key=key) from exc
        return ObjectInfo(
            key=key, size=dest.stat().st_size, sha256=digest, metadata=dict(metadata or {})
        )

    @staticmethod
    def _meta(path: Path) -> dict[str, str]:
        meta_path = path.with_name(path.name + META_SUFFIX)
        if not meta_path.is_file():
            return {}
        loaded: dict[str, str] = json.loads(meta_path.read_text())
        return loaded
