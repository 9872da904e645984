"""User-given URLs must not reach this machine or the office network by accident (SSRF).

A webhook URL typed into mailwarden is fetched by mailwarden's server, from inside its network: pointed at
``http://127.0.0.1:5432`` or ``http://10.0.0.1/admin`` it would make mailwarden a proxy into places the user
cannot reach. So every address a host name resolves to is checked *when connecting* — not when the URL is
saved — and the connection goes to the checked address itself: a name that resolves to a public address for
the check and to ``127.0.0.1`` a moment later (DNS rebinding) gains nothing. Redirects are not followed, and
proxies from the environment are not used (they would connect on our behalf, unchecked).

A channel may reach private addresses when it was added with ``--allow-private`` (a chat server inside the
company, or the test suite's stand-ins on loopback).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore

from mailwarden.core.errors import InputError, NetworkError
from mailwarden.notify.errors import BlockedAddress

__all__ = ["GuardedBackend", "check_url", "is_public"]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def is_public(address: str) -> bool:
    """Whether an address is on the public internet (not loopback, private, link-local, CGNAT, ...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return False
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private: bool, schemes: Iterable[str] = ("https", "http")) -> str:
    """Check a URL's form when it is saved; a literal private address is refused right away."""
    parts = urlsplit(url.strip())
    if parts.scheme not in tuple(schemes):
        raise InputError("notify.bad_url_scheme", url=redact_url(url), schemes=", ".join(schemes))
    if not parts.hostname:
        raise InputError("notify.bad_url", url=redact_url(url))
    if parts.username or parts.password:
        raise InputError("notify.url_credentials", url=redact_url(url))
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is not None and not allow_private and not is_public(str(literal)):
        raise InputError("notify.private_url", url=redact_url(url))
    return url.strip()


def redact_url(url: str) -> str:
    """A URL fit to show: scheme, host and port; the path and query often hold the bot's token."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return "(not a URL)"
    port = f":{parts.port}" if parts.port else ""
    tail = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{parts.hostname}{port}{tail}"


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, with every resolved address checked before we connect to it."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port)
        if not self.allow_private:
            for address in addresses:
                # one private answer is enough to refuse: mixing them is how rebinding attacks start
                if not is_public(address):
                    raise BlockedAddress(host=host, port=port, address=address)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def _resolve(self, host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise NetworkError("net.dns", host=host, port=port, detail=exc.strerror or str(exc)) from exc
        seen: dict[str, None] = {}
        for _family, _type, _proto, _name, sockaddr in infos:
            seen.setdefault(str(sockaddr[0]), None)
        return list(seen)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress(host=path, port=0, address=path)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
