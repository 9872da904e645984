"""Runs the probes of one diagnosis concurrently, under one deadline, and collects the evidence.

What can start at once does: the address check, DNS, RDAP, and every endpoint the user configured. When
DNS has answered, the provider is known, and its documented endpoints (or the domain's SRV records) are
probed too. Each probe gets its own timeout, never more than the time left; at the deadline whatever still
runs is cancelled and named in ``Evidence.unfinished``. So the run ends on time however many ports a
firewall drops.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailwarden.core import clock
from mailwarden.core.secrets import SecretValue
from mailwarden.core.settings import DiagnoseSettings
from mailwarden.core.tls import client_context
from mailwarden.diagnose.evidence import DnsResult, Endpoint, Evidence, Protocol
from mailwarden.diagnose.probes import dns as dns_probe
from mailwarden.diagnose.probes.address import inspect_address
from mailwarden.diagnose.probes.imap import probe_imap
from mailwarden.diagnose.probes.pop3 import probe_pop3
from mailwarden.diagnose.probes.port import Timeouts, probe_port
from mailwarden.diagnose.probes.rdap import probe_rdap
from mailwarden.diagnose.probes.smtp import probe_smtp
from mailwarden.diagnose.probes.status import guess_format, probe_status
from mailwarden.diagnose.providers import Catalogue, Provider
from mailwarden.diagnose.ratelimit import Ledger, RunPolicy

__all__ = ["Request", "gather_evidence"]

log = logging.getLogger(__name__)

_SRV_ENDPOINTS: dict[str, tuple[Protocol, str]] = {
    "_imaps._tcp": ("imap", "implicit"),
    "_imap._tcp": ("imap", "starttls"),
    "_submissions._tcp": ("smtp", "implicit"),
    "_submission._tcp": ("smtp", "starttls"),
    "_pop3s._tcp": ("pop3", "implicit"),
    "_pop3._tcp": ("pop3", "starttls"),
}


@dataclass
class Request:
    """What to diagnose. ``imap``/``smtp``: the client's settings, to be compared with the provider's."""

    address: str
    username: str = ""
    secret: SecretValue | None = field(default=None, repr=False)
    oauth: bool = False
    imap: Endpoint | None = None
    smtp: Endpoint | None = None
    pop3: Endpoint | None = None
    ca_file: str | None = None
    dns_servers: list[str] = field(default_factory=list)


class _Run:
    def __init__(
        self,
        request: Request,
        settings: DiagnoseSettings,
        catalogue: Catalogue,
        ledger: Ledger | None,
        context: ssl.SSLContext,
    ) -> None:
        self.request = request
        self.settings = settings
        self.catalogue = catalogue
        self.context = context
        self.loop = asyncio.get_running_loop()
        self.end = self.loop.time() + settings.deadline
        self.tasks: dict[asyncio.Task[None], str] = {}
        address = inspect_address(request.address)
        self.evidence = Evidence(
            address=address,
            username=request.username or address.normalized,
            password_given=request.secret is not None,
            provider=None,
            configured=[e for e in (request.imap, request.smtp, request.pop3) if e is not None],
            now=clock.now(),
        )
        self.probed: set[Endpoint] = set()
        self.sessions: set[Protocol] = set()
        self.policy = RunPolicy(ledger, self.evidence.username, request.secret)

    def left(self, wanted: float) -> float:
        return max(0.05, min(wanted, self.end - self.loop.time() - 0.05))

    def spawn(
        self, name: str, coro: Coroutine[Any, Any, Any], done: Callable[[Any], Awaitable[None] | None]
    ) -> None:
        async def wrapped() -> None:
            result = await coro
            follow = done(result)
            if follow is not None:
                await follow

        self.tasks[asyncio.create_task(wrapped(), name=name)] = name

    async def run(self) -> Evidence:
        e = self.evidence
        domain = e.address.domain
        resolver = dns_probe.make_resolver(
            self.request.dns_servers or self.settings.dns_servers, self.left(self.settings.dns_timeout)
        )
        self.resolver = resolver
        if domain:
            self.spawn(
                "dns",
                dns_probe.probe_dns(
                    domain,
                    resolver,
                    authoritative_port=self.settings.dns_authoritative_port,
                    timeout=self.left(self.settings.dns_timeout),
                ),
                self.after_dns,
            )
            self.spawn(
                "rdap",
                probe_rdap(
                    _registered(domain),
                    base_url=self.settings.rdap_base_url,
                    bootstrap_url=self.settings.rdap_bootstrap_url,
                    whois_server=self.settings.whois_server,
                    timeout=self.left(self.settings.http_timeout),
                ),
                lambda r: setattr(e, "rdap", r),
            )
        for endpoint in e.configured:
            self.probe_endpoint(endpoint, session=True)
        if not e.configured:
            provider = self.catalogue.recognise(domain, [])
            if provider is not None:  # a consumer domain (qq.com, gmail.com): no need to wait for DNS
                self.use_provider(provider)
        if not domain:
            self.planned()
        await self.wait()
        return e

    async def wait(self) -> None:
        while pending := [t for t in self.tasks if not t.done()]:
            left = self.end - self.loop.time()
            if left <= 0:
                break
            await asyncio.wait(pending, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        pending = [t for t in self.tasks if not t.done()]
        for task in pending:
            task.cancel()
            self.evidence.unfinished.append(self.tasks[task])
        await asyncio.gather(*pending, return_exceptions=True)
        for task in self.tasks:
            if not task.cancelled() and (error := task.exception()) is not None:
                raise error

    def after_dns(self, result: DnsResult) -> None:
        e = self.evidence
        e.dns = result
        provider = e.provider or self.catalogue.recognise(e.address.domain, [h for _, h in result.mx])
        if provider is None:
            for endpoint in e.configured:
                provider = self.catalogue.recognise_host(endpoint.host)
                if provider:
                    break
        if provider is not None and e.provider is None:
            self.use_provider(provider)
        elif provider is None:
            self.use_srv(result)
        if result.nxdomain:
            self.spawn("dns.typo", self.typo_variants(e.address.domain), lambda _: None)
        self.planned()

    def planned(self) -> None:
        """Every session this run will open has been started: if none is IMAP, SMTP and POP3 log in
        without waiting for one."""
        if "imap" not in self.sessions:
            self.policy.no_imap()

    async def typo_variants(self, domain: str) -> None:
        variants = dns_probe.typo_variants(domain)
        found = await asyncio.gather(*(dns_probe.domain_exists(self.resolver, v) for v in variants))
        assert self.evidence.dns is not None
        self.evidence.dns.lines += [
            f"{v}: {'exists' if ok else 'NXDOMAIN'}" for v, ok in zip(variants, found, strict=True)
        ]
        self.evidence.dns.variants = [v for v, ok in zip(variants, found, strict=True) if ok]

    def use_provider(self, provider: Provider) -> None:
        e = self.evidence
        e.provider = provider
        protocols: tuple[Protocol, ...] = ("imap", "smtp", "pop3")
        for protocol in protocols:
            endpoints = provider.endpoints(protocol, e.address.domain)
            e.expected += endpoints
            for index, endpoint in enumerate(endpoints):
                self.probe_endpoint(endpoint, session=index == 0 and protocol not in self.sessions)
        url = self.settings.status_urls.get(provider.id) or provider.status_url
        if url:
            self.spawn(
                "status",
                probe_status(
                    provider.id,
                    url,
                    provider.status_format or guess_format(url),
                    provider.status_product,
                    self.left(self.settings.http_timeout),
                ),
                lambda r: setattr(e, "status", r),
            )

    def use_srv(self, result: DnsResult) -> None:
        e = self.evidence
        for name, (protocol, tls) in _SRV_ENDPOINTS.items():
            for _, _, port, target in result.srv.get(name, [])[:1]:
                if target in ("", "."):
                    continue  # RFC 6186: "." says the service is not offered
                endpoint = Endpoint(protocol, target, port, tls, "srv")  # type: ignore[arg-type]
                e.expected.append(endpoint)
                self.probe_endpoint(endpoint, session=protocol not in self.sessions)

    def probe_endpoint(self, endpoint: Endpoint, *, session: bool) -> None:
        e = self.evidence
        if endpoint in self.probed:
            return
        self.probed.add(endpoint)
        timeouts = Timeouts(self.left(self.settings.connect_timeout), self.left(self.settings.reply_timeout))
        self.spawn(f"port {endpoint.label}", probe_port(endpoint, self.context, timeouts), e.ports.append)
        if not session:
            return
        self.sessions.add(endpoint.protocol)
        common: dict[str, Any] = {
            "username": e.username,
            "secret": self.request.secret,
            "oauth": self.request.oauth,
            "ca_file": self.request.ca_file,
            "timeout": self.left(self.settings.reply_timeout),
            "policy": self.policy,
        }
        if endpoint.protocol == "imap":
            self.spawn(f"imap {endpoint.label}", probe_imap(endpoint, **common), e.imap.append)
        elif endpoint.protocol == "smtp":
            self.spawn(f"smtp {endpoint.label}", probe_smtp(endpoint, **common), e.smtp.append)
        else:
            self.spawn(f"pop3 {endpoint.label}", probe_pop3(endpoint, **common), e.pop3.append)


def _registered(domain: str) -> str:
    """The registered domain for RDAP: ``mail.example.com.cn`` -> ``example.com.cn`` (a short list of
    second-level public suffixes covers the markets we serve)."""
    labels = domain.split(".")
    second_level = {"com", "net", "org", "gov", "edu", "ac", "co"}
    if len(labels) >= 3 and labels[-2] in second_level and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


async def gather_evidence(
    request: Request,
    settings: DiagnoseSettings,
    catalogue: Catalogue,
    ledger: Ledger | None = None,
) -> tuple[Evidence, int]:
    """Run every probe; returns the evidence and how many login attempts were made."""
    ca_file = Path(request.ca_file) if request.ca_file else None
    context = await asyncio.to_thread(client_context, ca_file)
    run = _Run(request, settings, catalogue, ledger, context)
    evidence = await run.run()
    return evidence, run.policy.attempts
