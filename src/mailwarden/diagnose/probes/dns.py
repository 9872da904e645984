"""DNS: MX, A/AAAA, SRV (RFC 6186 / 8314), autoconfig and autodiscover, SPF and DMARC; and the domain's own
servers asked directly, so that a change the resolver has not seen yet (propagation) is told apart from a
wrong record, with how long the resolver will keep its old copy.

dnspython, with the resolver given explicitly (``[diagnose] dns_servers`` or ``--dns-server``), so the lab
can stand in for the world. All questions go out at once; each is bounded by the DNS timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

import dns.asyncquery
import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.rdatatype
import dns.resolver

from mailwarden.diagnose.evidence import DnsDisagreement, DnsResult

__all__ = ["SRV_NAMES", "Resolver", "domain_exists", "make_resolver", "probe_dns", "typo_variants"]

log = logging.getLogger(__name__)

SRV_NAMES = (
    "_imaps._tcp",
    "_imap._tcp",
    "_submissions._tcp",
    "_submission._tcp",
    "_pop3s._tcp",
    "_pop3._tcp",
)
AUTOCONFIG_NAMES = ("autoconfig", "autodiscover")
Resolver = dns.asyncresolver.Resolver


def make_resolver(servers: Sequence[str], timeout: float) -> Resolver:
    """A resolver asking ``servers`` (``IP`` or ``IP:PORT``), or the system's when none are given."""
    if servers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        addresses, ports = [], []
        for server in servers:
            host, port = _split(server)
            addresses.append(host)
            ports.append(port)
        resolver.nameservers = addresses
        resolver.port = ports[0]
        resolver.nameserver_ports = dict(zip(addresses, ports, strict=True))
    else:
        resolver = dns.asyncresolver.Resolver()
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.cache = None
    return resolver


def _split(server: str) -> tuple[str, int]:
    text = server.strip()
    if text.startswith("["):  # [v6]:port
        host, _, port = text[1:].partition("]:")
        return host, int(port or 53)
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, int(port)
    return text, 53


def describe(resolver: Resolver) -> str:
    ports = getattr(resolver, "nameserver_ports", {})
    return ", ".join(f"{ns}:{ports.get(ns, resolver.port)}" for ns in resolver.nameservers)


async def _ask(resolver: Resolver, name: str, rrtype: str) -> dns.resolver.Answer | None:
    """The answer, None when the name has no such record; NXDOMAIN and failures raise."""
    try:
        return await resolver.resolve(name, rrtype, raise_on_no_answer=False)
    except dns.resolver.NoAnswer:
        return None


class _Answered:
    """One question's answer or error, asked like a finished task."""

    def __init__(self, value: dns.resolver.Answer | BaseException | None) -> None:
        self._value = value

    def exception(self) -> BaseException | None:
        return self._value if isinstance(self._value, BaseException) else None

    def result(self) -> dns.resolver.Answer | None:
        if isinstance(self._value, BaseException):
            raise self._value
        return self._value


def _texts(answer: dns.resolver.Answer | None) -> list[str]:
    if answer is None or answer.rrset is None:
        return []
    return sorted(r.to_text() for r in answer.rrset)


async def probe_dns(
    domain: str,
    resolver: Resolver,
    *,
    authoritative_port: int = 53,
    timeout: float = 3.0,  # noqa: ASYNC109
) -> DnsResult:
    result = DnsResult(domain=domain, resolver=describe(resolver))
    try:
        await _resolve_all(domain, resolver, result)
    except dns.resolver.NXDOMAIN:
        result.nxdomain = True
        result.lines.append(f"{domain}. NXDOMAIN")
        return result
    except (dns.exception.DNSException, OSError) as exc:
        result.failure = f"{type(exc).__name__}: {exc}"
        return result
    result.disagreements = await _compare_with_authority(
        domain, resolver, result, port=authoritative_port, timeout=timeout
    )
    return result


async def _resolve_all(domain: str, resolver: Resolver, result: DnsResult) -> None:
    names = [(domain, rrtype) for rrtype in ("MX", "A", "AAAA", "TXT", "NS")]
    names += [(f"_dmarc.{domain}", "TXT")] + [(f"{srv}.{domain}", "SRV") for srv in SRV_NAMES]
    names += [(f"{label}.{domain}", "A") for label in AUTOCONFIG_NAMES]
    answers = await asyncio.gather(*(_ask(resolver, n, t) for n, t in names), return_exceptions=True)
    questions = {key: _Answered(value) for key, value in zip(names, answers, strict=True)}
    # A missing sub-name (no _dmarc, no SRV) must not fail the domain; NXDOMAIN of the domain itself does.
    for rrtype in ("MX", "A", "AAAA", "TXT", "NS"):
        error = questions[(domain, rrtype)].exception()
        if error is not None and not isinstance(error, dns.resolver.NoNameservers | dns.resolver.NoAnswer):
            raise error
    mx = _ok(questions[(domain, "MX")])
    if mx is not None and mx.rrset is not None:
        result.mx = sorted((r.preference, r.exchange.to_text().rstrip(".").lower()) for r in mx.rrset)
    result.a = _texts(_ok(questions[(domain, "A")]))
    result.aaaa = _texts(_ok(questions[(domain, "AAAA")]))
    result.ns = [n.rstrip(".").lower() for n in _texts(_ok(questions[(domain, "NS")]))]
    for txt in _texts(_ok(questions[(domain, "TXT")])):
        if txt.strip('"').lower().startswith("v=spf1"):
            result.spf = txt
    dmarc = questions[(f"_dmarc.{domain}", "TXT")]
    if dmarc.exception() is None:
        result.dmarc = next((t for t in _texts(dmarc.result()) if "v=DMARC1" in t), None)
    for srv in SRV_NAMES:
        task = questions[(f"{srv}.{domain}", "SRV")]
        if task.exception() is None and (answer := task.result()) is not None and answer.rrset:
            result.srv[srv] = sorted(
                (r.priority, r.weight, r.port, r.target.to_text().rstrip(".").lower()) for r in answer.rrset
            )
    for label in AUTOCONFIG_NAMES:
        task = questions[(f"{label}.{domain}", "A")]
        if task.exception() is None:
            result.autoconfig[f"{label}.{domain}"] = _texts(task.result())
    for (name, rrtype), task in questions.items():
        if task.exception() is None and (answer := task.result()) is not None and answer.rrset is not None:
            result.lines += [f"{name}. {answer.rrset.ttl} IN {rrtype} {r.to_text()}" for r in answer.rrset]


def _ok(answered: _Answered) -> dns.resolver.Answer | None:
    return None if answered.exception() is not None else answered.result()


async def _compare_with_authority(
    domain: str,
    resolver: Resolver,
    seen: DnsResult,
    *,
    port: int,
    timeout: float,  # noqa: ASYNC109
) -> list[DnsDisagreement]:
    """Ask the domain's NS servers for MX and A directly; list where they disagree with the resolver."""
    servers: list[tuple[str, str]] = []
    for ns in seen.ns:
        with contextlib.suppress(dns.exception.DNSException, OSError):
            servers += [(ns, address) for address in _texts(await _ask(resolver, ns, "A"))]
    out: list[DnsDisagreement] = []
    views = {"MX": tuple(sorted(f"{p} {h}" for p, h in seen.mx)), "A": tuple(seen.a)}
    for rrtype, resolver_view in views.items():
        ttl_left = await _remaining_ttl(resolver, domain, rrtype)
        for ns, address in servers[:4]:
            query = dns.message.make_query(domain, rrtype)
            try:
                reply = await dns.asyncquery.udp(query, address, timeout=timeout, port=port)
            except (dns.exception.DNSException, OSError) as exc:
                log.debug("authoritative %s (%s) did not answer: %s", ns, address, exc)
                continue
            records = [
                r for rrset in reply.answer for r in rrset if rrset.rdtype == dns.rdatatype.from_text(rrtype)
            ]
            if rrtype == "MX":
                theirs = tuple(
                    sorted(f"{r.preference} {r.exchange.to_text().rstrip('.').lower()}" for r in records)
                )
            else:
                theirs = tuple(sorted(r.to_text() for r in records))
            if theirs != resolver_view:
                out.append(
                    DnsDisagreement(rrtype, domain, resolver_view, theirs, f"{ns} ({address})", ttl_left)
                )
            break  # one authoritative answer per type is enough
    return out


async def _remaining_ttl(resolver: Resolver, domain: str, rrtype: str) -> int | None:
    with contextlib.suppress(dns.exception.DNSException, OSError):
        answer = await _ask(resolver, domain, rrtype)
        if answer is not None and answer.rrset is not None:
            return int(answer.rrset.ttl)
    return None


async def domain_exists(resolver: Resolver, domain: str) -> bool:
    """True when the name has an MX or A record (used to test typo variants of a missing domain)."""
    for rrtype in ("MX", "A"):
        try:
            answer = await _ask(resolver, domain, rrtype)
        except (dns.exception.DNSException, OSError):
            return False
        if answer is not None and answer.rrset:
            return True
    return False


def typo_variants(domain: str, limit: int = 8) -> list[str]:
    """Look-alike spellings of a domain that does not exist: ``rn``/``m``, ``0``/``o``, ``1``/``l``."""
    swaps = [
        ("rn", "m"),
        ("m", "rn"),
        ("0", "o"),
        ("o", "0"),
        ("1", "l"),
        ("l", "1"),
        ("vv", "w"),
        ("cl", "d"),
    ]
    name, _, tld = domain.rpartition(".")
    variants: list[str] = []
    for old, new in swaps:
        start = name.find(old)
        while start != -1 and len(variants) < limit:
            candidate = f"{name[:start]}{new}{name[start + len(old) :]}.{tld}"
            if candidate != domain and candidate not in variants:
                variants.append(candidate)
            start = name.find(old, start + 1)
    return variants[:limit]
