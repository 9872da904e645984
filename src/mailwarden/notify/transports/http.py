"""The one place where httpx meets our error tree: every chat transport posts through :class:`HTTP`.

``httpx`` errors become ``NetworkError`` / ``TLSFailure`` (never permanent: a receiver that is down now is
tried again later); an answer, whatever its status, is returned as an :class:`Answer` for the transport to
judge, since only the transport knows that DingTalk says "no" with HTTP 200 and ``errcode`` 310000.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from mailwarden.core.errors import NetworkError, TLSFailure
from mailwarden.notify.errors import BlockedAddress, DeliveryError
from mailwarden.notify.guard import GuardedBackend

__all__ = ["HTTP", "Answer"]

#: answers are quoted to users and stored in ``last_error``: enough to show what the receiver said
MAX_ANSWER = 2000


@dataclass(frozen=True)
class Answer:
    status: int
    text: str
    headers: Mapping[str, str]
    host: str
    port: int

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    def retry_after(self) -> float | None:
        value = self.headers.get("retry-after")
        try:
            return max(0.0, float(value)) if value is not None else None
        except ValueError:
            return None  # an HTTP date: rare from chat services; our back-off applies

    def refused(
        self, *, permanent: bool, scope: str = "message", retry_after: float | None = None
    ) -> DeliveryError:
        return DeliveryError(
            host=self.host,
            port=self.port,
            permanent=permanent,
            scope="channel" if scope == "channel" else "message",
            status=self.status,
            answer=self.text[:MAX_ANSWER],
            retry_after=retry_after if retry_after is not None else self.retry_after(),
        )

    def by_status(self) -> DeliveryError:
        """The usual reading of an HTTP error status, for receivers that say nothing more specific."""
        if self.status in (408, 425, 429) or self.status >= 500:
            return self.refused(permanent=False)
        if self.status in (401, 403, 404, 410):
            return self.refused(permanent=True, scope="channel")
        return self.refused(permanent=True)


def _where(url: httpx.URL | str) -> tuple[str, int]:
    parts = urlsplit(str(url))
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


class HTTP:
    """Two pooled clients per worker: one that may reach private addresses, one that may not."""

    def __init__(self, *, timeout: float = 10.0, verify: ssl.SSLContext | bool = True) -> None:
        self.timeout = timeout
        self._verify = verify
        self._clients: dict[bool, httpx.AsyncClient] = {}

    def client(self, allow_private: bool) -> httpx.AsyncClient:
        if allow_private not in self._clients:
            transport = httpx.AsyncHTTPTransport(verify=self._verify, trust_env=False)
            # httpx does not take a network backend; its pool does. Same settings, our backend.
            transport._pool = httpcore.AsyncConnectionPool(
                ssl_context=transport._pool._ssl_context,
                network_backend=GuardedBackend(allow_private=allow_private),
                max_connections=20,
                # a fresh connection per alert: a kept-alive one the server has closed fails after the
                # request was written, and that failure could not be told from "sent, answer lost"
                max_keepalive_connections=0,
            )
            self._clients[allow_private] = httpx.AsyncClient(
                transport=transport,
                timeout=self.timeout,
                follow_redirects=False,
                trust_env=False,
                headers={"User-Agent": "mailwarden"},
            )
        return self._clients[allow_private]

    async def post(
        self,
        url: str | httpx.URL,
        *,
        allow_private: bool,
        content: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        host, port = _where(url)
        request_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        try:
            response = await self.client(allow_private).post(url, content=content, headers=request_headers)
        except BlockedAddress:
            raise
        except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise NetworkError("net.timeout", host=host, port=port, seconds=self.timeout) from exc
        except httpx.ConnectError as exc:
            text = str(exc)
            if isinstance(exc.__context__, ssl.SSLError) or "SSL" in text or "certificate" in text:
                raise TLSFailure(host=host, port=port, detail=text[:300]) from exc
            if "refused" in text.lower():
                raise NetworkError("net.refused", host=host, port=port) from exc
            raise NetworkError(host=host, port=port, detail=text[:300] or type(exc).__name__) from exc
        except (httpx.WriteError, httpx.WriteTimeout) as exc:
            # the request did not get out whole: the receiver cannot have acted on it
            raise NetworkError(
                "net.reset", host=host, port=port, detail=str(exc)[:300] or "write failed"
            ) from exc
        except httpx.HTTPError as exc:
            # the request left, and no answer came (read timeout, connection closed): it may have arrived
            raise DeliveryError(
                "notify.no_answer",
                host=host,
                port=port,
                in_doubt=True,
                detail=str(exc)[:300] or type(exc).__name__,
            ) from exc
        return Answer(response.status_code, response.text, dict(response.headers), host, port)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
