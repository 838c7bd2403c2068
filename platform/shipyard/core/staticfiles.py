"""Static file storage: WhiteNoise's compressed manifest storage, usable before collectstatic."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """collectstatic writes content-hashed copies with gzip and Brotli variants and a manifest;
    ``{% static %}`` then names the hashed copy, which WhiteNoise caches for a year.

    Until collectstatic has written a manifest (a fresh checkout, the test suite), files keep
    their own names and the finders serve them: frontend/dist is already content-hashed by Vite.
    Once a manifest exists, a name missing from it is an error, as in Django's own storage.
    """

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:
            return name
        return super().stored_name(name)
