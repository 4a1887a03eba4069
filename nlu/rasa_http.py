"""Adapter to a Rasa server's HTTP API (`POST /model/parse`, `GET /status`), for deployments
that run Rasa next to us instead of the embedded classifier.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

DEFAULT_TIMEOUT = 2.0
RETRY_AFTER_SECONDS = 30.0


class RasaUnavailable(RuntimeError):
    """The Rasa server did not answer, or answered with an error."""

    def __init__(self, message: str, *, just_failed: bool = True) -> None:
        super().__init__(message)
        self.just_failed = just_failed  # False while waiting to retry: not worth a warning each


class RasaClient:
    """A thread-safe client; after a failure it waits a while before trying the server again,
    so a down server costs one timeout, not one per message."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry_after: float = RETRY_AFTER_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        params = {"token": token} if token else None
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, params=params, transport=transport
        )
        self._retry_after = retry_after
        self._down_until = 0.0
        self._lock = threading.Lock()
        self.base_url = base_url

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        with self._lock:
            if time.monotonic() < self._down_until:
                raise RasaUnavailable(
                    f"Rasa at {self.base_url} was down a moment ago", just_failed=False
                )
        try:
            response = self._http.request(method, path, **kwargs)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            with self._lock:
                self._down_until = time.monotonic() + self._retry_after
            raise RasaUnavailable(f"Rasa at {self.base_url}: {error}") from error
        if not isinstance(body, dict):
            raise RasaUnavailable(f"Rasa at {self.base_url}: unexpected answer {body!r}")
        return body

    def parse(self, text: str) -> dict[str, Any]:
        """Rasa's own parse result for `text`."""
        return self._request("POST", "/model/parse", json={"text": text})

    def status(self) -> dict[str, Any]:
        """Which model the server has loaded (`model_file`, `fingerprint`, ...)."""
        return self._request("GET", "/status")

    def close(self) -> None:
        self._http.close()
