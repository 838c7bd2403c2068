"""HTTP transport shared by the client and the CLI: auth, JSON errors, retries with backoff."""

from __future__ import annotations

import os
import random
import time
from typing import Any

import requests

RETRY_STATUSES = {429, 500, 502, 503, 504}


class ShipyardError(Exception):
    """A 4xx/5xx answer from Shipyard, with the server's error code, message and field errors."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


class Client:
    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 0.5,
        session: requests.Session | None = None,
    ) -> None:
        self.url = (url or os.environ.get("SHIPYARD_URL") or "http://127.0.0.1:8000").rstrip("/")
        self.token = token if token is not None else os.environ.get("SHIPYARD_TOKEN", "")
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.session = session or requests.Session()

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "shipyard-client/1"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        headers.update(extra or {})
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        retry: bool | None = None,
        headers: dict[str, str] | None = None,
        auth_headers: bool = True,
        **kwargs: Any,
    ) -> requests.Response:
        """Send a request; retry 5xx/429/connection errors with exponential backoff and jitter.

        ``retry`` defaults to True for idempotent methods. A 4xx raises :class:`ShipyardError` at once.
        """
        url = path if path.startswith("http") else f"{self.url}/{path.lstrip('/')}"
        should_retry = retry if retry is not None else method.upper() in {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
        attempts = self.retries + 1 if should_retry else 1
        sent_headers = self.headers(headers) if auth_headers else {**(headers or {})}
        last_error: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.backoff * (2 ** (attempt - 1)) * (1 + random.random() / 2))
                for value in kwargs.values():  # rewind file bodies before a retry
                    if hasattr(value, "seek"):
                        value.seek(0)
            try:
                response = self.session.request(method, url, headers=sent_headers, timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_error = exc
                continue
            if response.status_code in RETRY_STATUSES and attempt < attempts - 1:
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdecimal():
                    time.sleep(min(int(retry_after), 30))
                continue
            if response.status_code >= 400:
                raise self.error_from(response)
            return response
        if last_error is not None:
            raise ShipyardError(0, "unreachable", f"could not reach {self.url}: {last_error}")
        raise self.error_from(response)

    @staticmethod
    def error_from(response: requests.Response) -> ShipyardError:
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        return ShipyardError(
            response.status_code,
            str(error.get("code", "http_error")),
            str(error.get("message", response.text[:300] or response.reason)),
            error.get("fields"),
        )

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        response = self.request("POST", path, json=json, **kwargs)
        return response.json() if response.content else None
