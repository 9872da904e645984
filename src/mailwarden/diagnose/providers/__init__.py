"""The provider catalogue: who runs a domain's mail, which servers and settings they document, what their
login refusals mean, and where they publish their status.

The data is ``catalogue.toml`` beside this module (package data), optionally extended by the
``[diagnose] providers_file`` setting (a company's own server: its hosts and the certificate issuer it
expects). Matching is by MX host (glob patterns) or by the address's domain for consumer services.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from mailwarden.core.errors import ConfigError
from mailwarden.diagnose.evidence import Endpoint, Protocol, TlsMode

__all__ = ["Catalogue", "KnownError", "Provider", "load_catalogue"]


@dataclass(frozen=True, slots=True)
class KnownError:
    """A refusal text a provider documents, and the finding it means. ``match`` is a case-insensitive
    regular expression searched in the server's answer."""

    match: str
    code: str
    confidence: float = 0.9

    def matches(self, answer: str) -> bool:
        return re.search(self.match, answer, re.IGNORECASE) is not None


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    mx: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    servers: tuple[Endpoint, ...] = ()
    #: "password", "app_password" (授权码 / 客户端专用密码), "oauth2"
    auth: tuple[str, ...] = ("password",)
    #: IMAP ID (RFC 2971) must be sent before the mailbox can be opened (NetEase)
    id_required: bool = False
    tls_issuers: tuple[str, ...] = ()
    status_url: str = ""
    status_format: str = ""
    status_product: str = ""
    help: str = ""
    errors: tuple[KnownError, ...] = ()

    def endpoints(self, protocol: Protocol, domain: str) -> list[Endpoint]:
        return [
            Endpoint(e.protocol, e.host.replace("{domain}", domain), e.port, e.tls, "provider")
            for e in self.servers
            if e.protocol == protocol
        ]

    def matches_mx(self, host: str) -> bool:
        host = host.rstrip(".").lower()
        return any(fnmatch.fnmatchcase(host, pattern) for pattern in self.mx)

    def explain(self, answer: str) -> KnownError | None:
        return next((known for known in self.errors if known.matches(answer)), None)

    @property
    def oauth_only(self) -> bool:
        return self.auth == ("oauth2",)


@dataclass(frozen=True)
class Catalogue:
    providers: tuple[Provider, ...]
    #: texts any server may send, tried after the provider's own
    generic: tuple[KnownError, ...] = ()
    #: issuer names of TLS-inspecting products (firewalls, antivirus)
    interceptors: tuple[str, ...] = field(default=())

    def by_id(self, provider_id: str) -> Provider | None:
        return next((p for p in self.providers if p.id == provider_id), None)

    def recognise(self, domain: str, mx_hosts: list[str]) -> Provider | None:
        """The provider whose MX patterns match the first MX host that matches any; else by domain."""
        for host in mx_hosts:
            for provider in self.providers:
                if provider.matches_mx(host):
                    return provider
        domain = domain.lower()
        return next((p for p in self.providers if domain in p.domains), None)

    def recognise_host(self, host: str) -> Provider | None:
        """Which provider a configured server host belongs to (a host in its server list)."""
        host = host.lower()
        for provider in self.providers:
            for server in provider.servers:
                if "{domain}" not in server.host and server.host == host:
                    return provider
        return None


def _endpoint(protocol: str, data: dict[str, Any]) -> Endpoint:
    tls: TlsMode = data.get("tls", "implicit")
    return Endpoint(protocol, str(data["host"]).lower(), int(data["port"]), tls, "provider")  # type: ignore[arg-type]


def _provider(data: dict[str, Any]) -> Provider:
    servers: list[Endpoint] = []
    for protocol in ("imap", "smtp", "pop3"):
        for entry in data.get(protocol, []):
            servers.append(_endpoint(protocol, entry))
    status = data.get("status", {})
    return Provider(
        id=data["id"],
        name=data["name"],
        mx=tuple(p.lower() for p in data.get("mx", [])),
        domains=tuple(d.lower() for d in data.get("domains", [])),
        servers=tuple(servers),
        auth=tuple(data.get("auth", ["password"])),
        id_required=bool(data.get("id_required", False)),
        tls_issuers=tuple(data.get("tls_issuers", [])),
        status_url=status.get("url", ""),
        status_format=status.get("format", ""),
        status_product=status.get("product", ""),
        help=data.get("help", ""),
        errors=tuple(KnownError(**e) for e in data.get("errors", [])),
    )


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(detail=f"provider catalogue {source}: {exc}") from exc


@cache
def _builtin() -> dict[str, Any]:
    text = resources.files("mailwarden.diagnose.providers").joinpath("catalogue.toml").read_text("utf-8")
    return _parse(text, "catalogue.toml")


def load_catalogue(extra: Path | None = None) -> Catalogue:
    """The built-in catalogue, with the providers of ``extra`` placed first (they win a tie)."""
    data = _builtin()
    providers = [_provider(p) for p in data.get("provider", [])]
    if extra is not None:
        try:
            text = extra.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(detail=f"providers_file {extra}: {exc.strerror}") from exc
        try:
            added = [_provider(p) for p in _parse(text, str(extra)).get("provider", [])]
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(detail=f"providers_file {extra}: {exc}") from exc
        providers = added + providers
    generic = tuple(KnownError(**e) for e in data.get("generic_errors", []))
    return Catalogue(tuple(providers), generic, tuple(data.get("interceptors", [])))
