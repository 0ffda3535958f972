"""Where the bytes of attached files live (``STORAGE_URL``): the local filesystem by default, or
any S3-compatible object storage in production. A key is an opaque random name given by
``resolvers/files.py``; what a file is and whose it is lives in the database (``models.StoredFile``).

- ``file:///srv/ediary/files`` (default: ``files/`` under the data directory, ``EDIARY_DATA_DIR``):
  one file per key.
- ``s3://bucket/prefix?endpoint=https://storage.example&region=ru-central1``: objects under
  ``prefix/``, through boto3 (each call run in a worker thread). The credentials are boto3's own
  (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``, a profile, an instance role), never in the
  URL. The bucket need not be reachable by clients.

Both ways go through this server, whatever the storage: uploads (``PUT /files/upload/<signed
token>``), which checks the size and the type by content before anything is stored, and
downloads (``GET /files/<signed token>``), which checks at that moment that the reader's access
still stands. The storage never hands out URLs of its own: a presigned URL of a bucket could not
be revoked when access ends (README "Files")."""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit


class StorageError(RuntimeError):
    """``STORAGE_URL`` does not describe a storage this server can use."""


class Storage(Protocol):
    """The bytes of files, by key."""

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key`` (replacing what was there)."""
        ...

    async def get(self, key: str) -> bytes | None:
        """The bytes under ``key``, or None when there are none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove ``key``; nothing happens when it is not there."""
        ...


def _safe_key(key: str) -> str:
    if not key or not all(c.isalnum() or c in "-_" for c in key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


def content_disposition(name: str) -> str:
    """``attachment`` with the name in RFC 6266 form (an ASCII fallback and the UTF-8 name)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@dataclass(frozen=True)
class LocalStorage:
    """One file per key in ``root`` (made on first use), written to a temporary name and renamed,
    so a reader never sees half a file."""

    root: Path

    def _path(self, key: str) -> Path:
        return self.root / _safe_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    def _write(self, path: Path, data: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)


class S3Storage:
    """Objects of one bucket under a prefix, through boto3 (blocking calls run in threads)."""

    def __init__(self, bucket: str, prefix: str, endpoint: str | None, region: str | None) -> None:
        # Here, not at the top: only STORAGE_URL=s3://... needs boto3, a slow import the local storage
        # (and a process without boto3, tests/edge/test_storage_s3.py's skip) does without.
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=region,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )

    def _key(self, key: str) -> str:
        return f"{self.prefix}{_safe_key(key)}"

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object, Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
        )

    async def get(self, key: str) -> bytes | None:
        def read() -> bytes | None:
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            except self.client.exceptions.NoSuchKey:
                return None
            body: bytes = answer["Body"].read()
            return body

        return await asyncio.to_thread(read)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=self._key(key))


def default_url(data_dir: Path) -> str:
    return f"file://{(data_dir / 'files').resolve()}"


def check_url(url: str) -> str:
    """``url`` when it names a storage, else a StorageError saying what is wrong."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if not parts.path.startswith("/") or parts.netloc:
            raise StorageError("STORAGE_URL: a file:// URL names an absolute folder (file:///srv/ediary/files)")
    elif parts.scheme == "s3":
        if not parts.netloc:
            raise StorageError("STORAGE_URL: an s3:// URL names its bucket (s3://bucket/prefix?endpoint=...)")
        unknown = set(parse_qs(parts.query)) - {"endpoint", "region"}
        if unknown:
            raise StorageError(f"STORAGE_URL: unknown parameter {', '.join(sorted(unknown))} (endpoint, region)")
    else:
        raise StorageError("STORAGE_URL must start with file:// or s3://")
    return url


_opened: dict[str, Storage] = {}


def open_storage(url: str) -> Storage:
    """The storage ``url`` names (one per URL and process: boto3 clients are reused)."""
    if url not in _opened:
        parts = urlsplit(check_url(url))
        if parts.scheme == "file":
            _opened[url] = LocalStorage(Path(parts.path))
        else:
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            prefix = parts.path.strip("/")
            _opened[url] = S3Storage(
                parts.netloc, f"{prefix}/" if prefix else "", query.get("endpoint"), query.get("region")
            )
    return _opened[url]
