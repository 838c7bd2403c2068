"""Content-addressed artifact storage: local filesystem by default, S3-compatible as an alternative.

Every blob is stored under ``sha256/<first two hex>/<remaining 62 hex>``; once written it never
changes. Uploads are streamed to a temporary file *inside* ``ARTIFACT_ROOT`` (same filesystem), hashed
while they stream, validated, and only then committed: an atomic ``os.replace`` for the local store,
one object upload for S3. Both stores share this code path; only ``commit``/``open``/``delete`` differ.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings

_KEY = re.compile(r"^sha256/[0-9a-f]{2}/[0-9a-f]{62}$")
CHUNK = 1024 * 1024


def key_for(sha256: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a sha256 hex digest")
    return f"sha256/{sha256[:2]}/{sha256[2:]}"


def check_key(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"not a content-addressed key: {key!r}")
    return key


def temp_dir() -> Path:
    """Where uploads stream to: inside ARTIFACT_ROOT so the final rename never crosses filesystems."""
    path = Path(settings.ARTIFACT_ROOT) / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_temp_path(suffix: str = "") -> Path:
    return temp_dir() / f"upload-{uuid.uuid4().hex}{suffix}"


@dataclass(frozen=True)
class Blob:
    key: str
    sha256: str
    size: int


def hash_file(path: Path) -> Blob:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    sha = digest.hexdigest()
    return Blob(key=key_for(sha), sha256=sha, size=size)


class ArtifactStore(Protocol):
    def commit(self, temp_path: Path, blob: Blob) -> bool:
        """Move a hashed temp file into place; returns True when this call created the blob."""

    def exists(self, key: str) -> bool: ...

    def open(self, key: str) -> IO[bytes]: ...

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> None: ...

    def local_path(self, key: str) -> Path:
        """A local filesystem path for workers (S3: downloaded once into a local cache)."""


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def commit(self, temp_path: Path, blob: Blob) -> bool:
        target = self.path(blob.key)
        if target.exists():
            temp_path.unlink(missing_ok=True)
            # the blob is about to be referenced again: restart orphan_blobs_delete's grace period
            os.utime(target)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(temp_path, 0o444)  # immutable once written
        os.replace(temp_path, target)
        return True

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def open(self, key: str) -> IO[bytes]:
        return self.path(key).open("rb")

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def local_path(self, key: str) -> Path:
        return self.path(key)


class S3Store:
    """S3-compatible object storage through django-storages (boto3 is imported lazily)."""

    def __init__(self, bucket: str, endpoint_url: str, cache_root: Path) -> None:
        from storages.backends.s3 import S3Storage

        self.storage: Any = S3Storage(bucket_name=bucket, endpoint_url=endpoint_url or None, file_overwrite=True)
        self.cache_root = Path(cache_root)

    def commit(self, temp_path: Path, blob: Blob) -> bool:
        created = False
        if not self.storage.exists(blob.key):
            with temp_path.open("rb") as fh:
                self.storage.save(blob.key, fh)
            created = True
        temp_path.unlink(missing_ok=True)
        return created

    def exists(self, key: str) -> bool:
        return bool(self.storage.exists(check_key(key)))

    def open(self, key: str) -> IO[bytes]:
        return self.storage.open(check_key(key), "rb")  # type: ignore[no-any-return]

    def size(self, key: str) -> int:
        return int(self.storage.size(check_key(key)))

    def delete(self, key: str) -> None:
        self.storage.delete(check_key(key))

    def local_path(self, key: str) -> Path:
        target = self.cache_root / check_key(key)
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".download-")
        try:
            with os.fdopen(fd, "wb") as out, self.open(key) as src:
                shutil.copyfileobj(src, out, CHUNK)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target


@lru_cache(maxsize=4)
def _store(backend: str, root: str, bucket: str, endpoint: str) -> ArtifactStore:
    if backend == "s3":
        return S3Store(bucket, endpoint, Path(root) / "cache")
    return LocalStore(Path(root))


def store() -> ArtifactStore:
    """The configured store (``settings.STORAGE_BACKEND``: ``local`` or ``s3``)."""
    return _store(settings.STORAGE_BACKEND, str(settings.ARTIFACT_ROOT), settings.S3_BUCKET, settings.S3_ENDPOINT_URL)
