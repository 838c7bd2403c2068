"""Artifact blobs of the registry: staging an upload, releasing a blob no row took, orphan cleanup.

Artifacts flow: temp file inside ARTIFACT_ROOT (hashed while written) -> validated in a child
process -> committed into content-addressed storage -> row created in one transaction. If the row
cannot be created, a blob this call created is removed again, so nothing is half-stored.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from shipyard.core.errors import DomainError
from shipyard.registry import storage
from shipyard.registry.models import DatasetVersion, ModelVersion

ArtifactInput = Any  # an uploaded file (HashedUploadedFile), a path, or a binary file object


@contextmanager
def staged(source: ArtifactInput, field: str) -> Iterator[tuple[Path, storage.Blob]]:
    """A temp copy of ``source`` inside ARTIFACT_ROOT plus its hash; removed afterwards unless committed."""
    from shipyard.registry.uploads import HashedUploadedFile

    if isinstance(source, HashedUploadedFile):
        yield source.temp_path, source.blob
        return
    temp = storage.new_temp_path()
    digest, size = hashlib.sha256(), 0
    opened: IO[bytes] | None = None
    try:
        if isinstance(source, (str, Path)):
            path = Path(source)
            if not path.is_file():
                raise DomainError(f"no such file: {path.name}", field=field)
            opened = reader = path.open("rb")
        elif hasattr(source, "read"):
            if hasattr(source, "seek"):
                source.seek(0)
            reader = source
        else:
            raise DomainError("must be a file", field=field)
        with temp.open("wb") as out:
            while chunk := reader.read(storage.CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        sha = digest.hexdigest()
        yield temp, storage.Blob(key=storage.key_for(sha), sha256=sha, size=size)
    finally:
        if opened is not None:
            opened.close()
        temp.unlink(missing_ok=True)


def release_if_orphan(key: str, created: bool) -> None:
    if not created:
        return
    referenced = (
        ModelVersion.objects.filter(artifact_key=key).exists()
        or DatasetVersion.objects.filter(file_key=key).exists()
        or DatasetVersion.objects.filter(normalized_key=key).exists()
    )
    if not referenced:
        storage.store().delete(key)


def name_of(source: Any) -> str:
    """The file name of an upload or a path, without any folder."""
    if isinstance(source, (str, Path)):
        return Path(source).name
    return Path(str(getattr(source, "name", "") or "")).name


#: Functions apps above the registry register (``AppConfig.ready``) that return which of the given
#: blob keys their rows reference (e.g. the prediction log's Parquet archives), so the orphan sweep
#: keeps them.
_reference_hooks: list[Callable[[list[str]], set[str]]] = []


def blob_reference_hook_register(hook: Callable[[list[str]], set[str]]) -> None:
    if hook not in _reference_hooks:
        _reference_hooks.append(hook)


def _referenced_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for hook in _reference_hooks:
        found |= hook(keys)
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        found |= set(ModelVersion.objects.filter(artifact_key__in=chunk).values_list("artifact_key", flat=True))
        found |= set(DatasetVersion.objects.filter(file_key__in=chunk).values_list("file_key", flat=True))
        found |= set(DatasetVersion.objects.filter(normalized_key__in=chunk).values_list("normalized_key", flat=True))
    return found


def _older_than(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False


def orphan_blobs_delete(*, grace_s: float | None = None, now: float | None = None) -> dict[str, int]:
    """Remove committed local blobs no row references, and abandoned upload temp files.

    Such blobs are left by a crash between storage commit and row insert (or a caller's rolled-back
    transaction). Only files untouched for ``grace_s`` seconds (default REGISTRY_ORPHAN_GRACE_S,
    24 h) are candidates, so an upload in flight is never hit: its temp file is being written, a
    blob it commits is new, and committing content that already exists refreshes the blob's
    mtime (``LocalStore.commit``). Each candidate is checked against the database and re-stat'ed
    right before it is removed. S3 blobs are left alone (use a bucket lifecycle rule).
    """
    grace = float(settings.REGISTRY_ORPHAN_GRACE_S if grace_s is None else grace_s)
    cutoff = (time.time() if now is None else now) - grace
    removed = {"blobs": 0, "temp_files": 0}
    store = storage.store()
    if isinstance(store, storage.LocalStore) and (store.root / "sha256").is_dir():
        candidates = {
            f"sha256/{path.parent.name}/{path.name}": path
            for path in (store.root / "sha256").glob("*/*")
            if _older_than(path, cutoff)
        }
        referenced = _referenced_keys(sorted(candidates))
        for key, path in candidates.items():
            if key in referenced or not _older_than(path, cutoff) or _referenced_keys([key]):
                continue
            path.unlink(missing_ok=True)
            removed["blobs"] += 1
    temp = Path(settings.ARTIFACT_ROOT) / "tmp"
    if temp.is_dir():
        for path in temp.glob("upload-*"):
            if _older_than(path, cutoff):
                path.unlink(missing_ok=True)
                removed["temp_files"] += 1
    return removed
