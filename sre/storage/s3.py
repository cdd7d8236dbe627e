"""An object store in an S3 bucket, under an optional key prefix (`s3://bucket/prefix`).

Works with AWS S3 and S3-compatible servers (SeaweedFS, MinIO, moto). Every write records the
object's hex sha256 in the user metadata key `sha256`, so `head` does not have to read the body;
objects written by other tools lack it, and `head` then computes it by streaming the body.
S3 lower-cases user metadata keys, so this store does too, and metadata must be ASCII.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
)

from sre.errors import ObjectNotFound, StorageError, StoreUnavailable
from sre.storage.base import CHUNK, ObjectInfo, check_key, check_prefix, sha256_file

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import HeadObjectOutputTypeDef

SHA256_META = "sha256"
DEFAULT_REGION = "us-east-1"
# Errors boto3 raises on purpose; anything else is a bug and should keep its traceback.
BOTO_ERRORS = (ClientError, BotoCoreError, Boto3Error)
NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
DENIED_CODES = frozenset({"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"})


def client_config(*, path_style: bool) -> Config:
    """Modest retries and timeouts: a dead endpoint fails in seconds, not minutes."""
    return Config(
        connect_timeout=5,
        read_timeout=60,
        retries={"mode": "standard", "max_attempts": 3},
        s3={"addressing_style": "path" if path_style else "auto"},
        # The endpoint comes from `env` only, never from the process environment or ~/.aws.
        ignore_configured_endpoint_urls=True,  # type: ignore[call-arg]  # stubs lag botocore
    )


def client_from_env(env: Mapping[str, str]) -> S3Client:
    """An S3 client configured from AWS_* settings in `env` (read by the caller at the edge).

    With no keys and no AWS_PROFILE in `env`, botocore's own chain (instance or container role,
    shared files) is the fallback.
    """
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    if env.get("AWS_ACCESS_KEY_ID") and not env.get("AWS_SECRET_ACCESS_KEY"):
        message = "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
        raise StoreUnavailable(message, op="open")
    try:
        session = boto3.session.Session(
            aws_access_key_id=env.get("AWS_ACCESS_KEY_ID") or None,
            aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
            aws_session_token=env.get("AWS_SESSION_TOKEN") or None,
            region_name=region,
            profile_name=env.get("AWS_PROFILE") or None,
        )
        config = client_config(path_style=endpoint is not None)
        return session.client("s3", endpoint_url=endpoint, config=config)
    except ProfileNotFound as exc:
        raise StoreUnavailable(f"AWS profile {env['AWS_PROFILE']!r} not found", op="open") from exc


def parse_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix")."""
    if not url.startswith("s3://"):
        raise StoreUnavailable(f"not an S3 URL: {url!r} (expected s3://bucket/prefix)", op="open")
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not bucket:
        raise StoreUnavailable(f"no bucket in S3 URL {url!r}", op="open")
    return bucket, prefix


class S3Store:
    """Objects in `bucket` under `prefix`; the keys methods take and return are relative to it."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        prefix: str = "",
        *,
        transfer: TransferConfig | None = None,
    ) -> None:
        prefix = prefix.strip("/")
        self._client = client
        self.bucket = bucket
        self.prefix = check_key(prefix) if prefix else ""
        self._root = f"{self.prefix}/" if self.prefix else ""
        self._transfer = transfer or TransferConfig()

    @classmethod
    def from_url(cls, url: str, *, env: Mapping[str, str]) -> S3Store:
        """Build a client from `env`, check that the bucket is there and usable, return a store."""
        bucket, prefix = parse_url(url)
        return cls.connect(client_from_env(env), bucket, prefix)

    @classmethod
    def connect(cls, client: S3Client, bucket: str, prefix: str = "") -> S3Store:
        """A store on `client`, after checking with one HEAD request that the bucket is usable."""
        where = f"s3://{bucket} at {client.meta.endpoint_url}"
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            code = _code(exc)
            if code in NOT_FOUND_CODES or code == "NoSuchBucket":
                message = f"S3 bucket {bucket!r} does not exist ({where})"
            elif code in DENIED_CODES:
                message = f"access denied to S3 bucket {bucket!r} ({where}): check the credentials"
            else:
                message = f"cannot open {where}: {_detail(exc)}"
            raise StoreUnavailable(message, op="open") from exc
        except NoCredentialsError as exc:
            raise StoreUnavailable(
                f"no AWS credentials found for {where}: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE",
                op="open",
            ) from exc
        except EndpointConnectionError as exc:
            message = f"cannot reach the S3 endpoint {client.meta.endpoint_url}: {exc}"
            raise StoreUnavailable(message, op="open") from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(f"cannot open {where}: {exc}", op="open") from exc
        return cls(client, bucket, prefix)

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        check_prefix(prefix)
        found: dict[str, int] = {}
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._root + prefix):
                for obj in page.get("Contents", []):
                    key = obj["Key"].removeprefix(self._root)
                    # Keys ending in "/" are folder markers made by consoles and tools, not data.
                    if key and not key.endswith("/"):
                        found[key] = obj["Size"]
        except BOTO_ERRORS as exc:
            raise self._error(exc, "list", prefix) from exc
        # SeaweedFS lists folder by folder ("a/b" before "a-c"), not in S3's byte order.
        for key in sorted(found):
            yield ObjectInfo(key=key, size=found[key])

    def head(self, key: str) -> ObjectInfo:
        response = self._head_object(key, "head")
        metadata = dict(response.get("Metadata", {}))
        digest = metadata.pop(SHA256_META, "") or self._hash_body(key)
        return ObjectInfo(key=key, size=response["ContentLength"], sha256=digest, metadata=metadata)

    def exists(self, key: str) -> bool:
        try:
            self._head_object(key, "exists")
        except ObjectNotFound:
            return False
        return True

    def read_bytes(self, key: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._abs(key))
            return response["Body"].read()
        except BOTO_ERRORS as exc:
            raise self._error(exc, "read", key) from exc

    def write_bytes(
        self, key: str, data: bytes, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        digest = hashlib.sha256(data).hexdigest()
        user = _user_metadata(metadata, key=key, op="write")
        try:
            self._client.put_object(
                Bucket=self.bucket,
                Key=self._abs(key),
                Body=data,
                Metadata={**user, SHA256_META: digest},
            )
        except BOTO_ERRORS as exc:
            raise self._error(exc, "write", key) from exc
        return ObjectInfo(key=key, size=len(data), sha256=digest, metadata=user)

    def download(self, key: str, dest: Path) -> None:
        """Stream into a temporary file beside `dest`, then rename it into place."""
        abs_key = self._abs(key)
        tmp: Path | None = None
        try:
            fd, name = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
            os.close(fd)
            tmp = Path(name)
            self._client.download_file(self.bucket, abs_key, name, Config=self._transfer)
            tmp.replace(dest)
        except BOTO_ERRORS as exc:
            raise self._error(exc, "download", key) from exc
        except OSError as exc:
            message = f"cannot download {key} to {dest}: {exc}"
            raise StorageError(message, op="download", key=key) from exc
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)

    def upload(
        self, src: Path, key: str, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        abs_key = self._abs(key)
        user = _user_metadata(metadata, key=key, op="upload")
        try:
            digest = sha256_file(src)
            size = src.stat().st_size
            self._client.upload_file(
                str(src),
                self.bucket,
                abs_key,
                ExtraArgs={"Metadata": {**user, SHA256_META: digest}},
                Config=self._transfer,
            )
        except BOTO_ERRORS as exc:
            raise self._error(exc, "upload", key) from exc
        except OSError as exc:
            message = f"cannot upload {src} to {key}: {exc}"
            raise StorageError(message, op="upload", key=key) from exc
        return ObjectInfo(key=key, size=size, sha256=digest, metadata=user)

    def copy(
        self, src_key: str, dst_key: str, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        """Server-side copy (one request: up to 5 GB); `metadata` overrides the source's."""
        dst_abs = self._abs(dst_key)
        response = self._head_object(src_key, "copy")
        source = dict(response.get("Metadata", {}))
        digest = source.pop(SHA256_META, "") or self._hash_body(src_key)
        merged = {**source, **_user_metadata(metadata, key=dst_key, op="copy")}
        try:
            self._client.copy_object(
                Bucket=self.bucket,
                Key=dst_abs,
                CopySource={"Bucket": self.bucket, "Key": self._abs(src_key)},
                # REPLACE drops every header of the source, so carry its content type over.
                ContentType=response.get("ContentType", "binary/octet-stream"),
                Metadata={**merged, SHA256_META: digest},
                MetadataDirective="REPLACE",
            )
        except BOTO_ERRORS as exc:
            raise self._error(exc, "copy", dst_key) from exc
        size = response["ContentLength"]
        return ObjectInfo(key=dst_key, size=size, sha256=digest, metadata=merged)

    def delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._abs(key))
        except BOTO_ERRORS as exc:
            error = self._error(exc, "delete", key)
            if not isinstance(error, ObjectNotFound):
                raise error from exc

    def local_path(self, key: str) -> Path | None:
        return None

    def _abs(self, key: str) -> str:
        return self._root + check_key(key)

    def _head_object(self, key: str, op: str) -> HeadObjectOutputTypeDef:
        try:
            return self._client.head_object(Bucket=self.bucket, Key=self._abs(key))
        except BOTO_ERRORS as exc:
            raise self._error(exc, op, key) from exc

    def _hash_body(self, key: str) -> str:
        digest = hashlib.sha256()
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._abs(key))
            for chunk in response["Body"].iter_chunks(CHUNK):
                digest.update(chunk)
        except BOTO_ERRORS as exc:
            raise self._error(exc, "head", key) from exc
        return digest.hexdigest()

    def _error(self, exc: Exception, op: str, key: str) -> StorageError:
        if isinstance(exc, ClientError):
            code = _code(exc)
            if code in NOT_FOUND_CODES:
                return ObjectNotFound(f"no object {key} in {self.url}", op=op, key=key)
            if code == "NoSuchBucket":
                return StoreUnavailable(f"S3 bucket {self.bucket!r} does not exist", op=op, key=key)
            detail = _detail(exc)
        elif isinstance(exc, NoCredentialsError | EndpointConnectionError):
            return StoreUnavailable(f"cannot {op} {key} in {self.url}: {exc}", op=op, key=key)
        else:
            detail = str(exc)
        return StorageError(f"cannot {op} {key} in {self.url}: {detail}", op=op, key=key)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _detail(exc: ClientError) -> str:
    return f"{_code(exc)} {exc.response.get('Error', {}).get('Message', '')}".strip()


def _user_metadata(metadata: Mapping[str, str] | None, *, key: str, op: str) -> dict[str, str]:
    """Caller metadata as S3 will return it: lower-case keys, ASCII only, no `sha256` key."""
    user: dict[str, str] = {}
    for name, value in (metadata or {}).items():
        if not (name.isascii() and value.isascii() and name.isprintable() and value.isprintable()):
            message = f"metadata for {key} must be printable ASCII (S3 sends it as HTTP headers)"
            raise StorageError(f"{message}: {name!r}={value!r}", op=op, key=key)
        # The store owns the checksum; a caller's value is replaced by the computed one.
        if name.lower() != SHA256_META:
            user[name.lower()] = value
    return user
