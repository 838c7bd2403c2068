"""Streaming upload handling: files go straight to a temp file inside ARTIFACT_ROOT, hashed as they stream.

A 500 MB upload never sits in the web process's memory: Django's multipart parser hands us 64 KiB
chunks; each is hashed, counted against ``MAX_UPLOAD_BYTES`` and written out. Going over the limit
aborts the request with 413 and removes the partial file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from shipyard.core.errors import PayloadTooLarge
from shipyard.registry import storage


class HashedUploadedFile(UploadedFile):
    """An uploaded file on disk with its sha256 and size known; the temp file goes away on close."""

    def __init__(self, path: Path, name: str, content_type: str, size: int, sha256: str, charset: Any) -> None:
        self.temp_path = path
        self.sha256 = sha256
        super().__init__(path.open("rb"), name, content_type, size, charset)

    def temporary_file_path(self) -> str:
        return str(self.temp_path)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.temp_path.unlink(missing_ok=True)

    @property
    def blob(self) -> storage.Blob:
        return storage.Blob(key=storage.key_for(self.sha256), sha256=self.sha256, size=self.size or 0)


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The upload is larger than the limit of {limit} bytes (MAX_UPLOAD_BYTES).")


class HashingUploadHandler(FileUploadHandler):
    chunk_size = 256 * 1024

    def __init__(self, request: Any = None, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = limit if limit is not None else int(settings.MAX_UPLOAD_BYTES)
        self.total = 0
        self.path: Path | None = None
        self.fh: Any = None
        self.digest: Any = None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.path = storage.new_temp_path()
        self.fh = self.path.open("wb")
        self.digest = hashlib.sha256()
        self.size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.total += len(raw_data)
        if self.total > self.limit:
            self.abort()
            raise too_large(self.limit)
        self.digest.update(raw_data)
        self.fh.write(raw_data)
        self.size += len(raw_data)
        return None

    def abort(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None

    def file_complete(self, file_size: int) -> HashedUploadedFile | None:
        assert self.fh is not None and self.path is not None
        self.fh.close()
        self.fh = None
        path, self.path = self.path, None
        return HashedUploadedFile(
            path,
            self.file_name or "upload",
            self.content_type or "application/octet-stream",
            self.size,
            self.digest.hexdigest(),
            self.charset,
        )

    def upload_interrupted(self) -> None:
        self.abort()


def install(request: Any) -> None:
    """Make ``request`` (a Django HttpRequest) stream its files through :class:`HashingUploadHandler`.

    Must run before anything reads ``request.POST``/``FILES`` (DRF's ``initialize_request``).
    """
    request.upload_handlers = [HashingUploadHandler(request)]


def check_content_length(request: Any) -> None:
    """Answer 413 before reading the body when the declared length is already over the limit."""
    limit = int(settings.MAX_UPLOAD_BYTES)
    raw = request.META.get("CONTENT_LENGTH") or ""
    try:
        declared = int(raw)
    except ValueError:
        return
    # multipart framing adds a little around the file itself
    if declared > limit + 1024 * 1024:
        raise too_large(limit)
