"""What the probes saw, as plain values: the only thing the rules read.

Every probe returns one of these dataclasses and never raises for a remote failure: a refused connection, a
bad certificate or a NO to LOGIN *is* the evidence. ``lines`` always hold what the other side said, exactly
(server lines are quoted, never translated).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "AddressIssue",
    "AddressResult",
    "CertInfo",
    "DnsDisagreement",
    "DnsResult",
    "Endpoint",
    "Evidence",
    "ImapResult",
    "LoginOutcome",
    "Pop3Result",
    "PortResult",
    "Protocol",
    "RdapResult",
    "SmtpResult",
    "StatusResult",
    "TcpOutcome",
    "TlsMode",
    "TlsOutcome",
]

Protocol = Literal["imap", "smtp", "pop3"]
TlsMode = Literal["implicit", "starttls", "none"]
TcpOutcome = Literal["open", "timeout", "refused", "unreachable", "reset", "dns_error", "error", "unfinished"]
TlsOutcome = Literal[
    "ok",  # verified
    "expired",
    "not_yet_valid",
    "hostname_mismatch",
    "self_signed",
    "untrusted",
    "handshake_failed",
    "plaintext_port",  # implicit TLS asked, the port speaks plaintext
    "tls_port",  # plaintext/STARTTLS asked, the port waits for a TLS handshake
    "no_starttls",  # STARTTLS asked, the server does not offer it
    "not_tried",
]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A server a client should (or says it does) talk to. ``origin``: who named it."""

    protocol: Protocol
    host: str
    port: int
    tls: TlsMode
    origin: Literal["configured", "provider", "srv", "guess"] = "configured"

    @property
    def label(self) -> str:
        return f"{self.protocol.upper()} {self.host}:{self.port} ({self.tls})"


@dataclass(frozen=True, slots=True)
class AddressIssue:
    """One suspicious character of the address: where, what, and what it probably should be."""

    kind: Literal["space", "fullwidth", "nfkc", "confusable", "digit_letter", "case_domain", "syntax"]
    index: int
    char: str
    suggestion: str
    where: Literal["local", "domain", "whole"]


@dataclass(frozen=True, slots=True)
class AddressResult:
    original: str
    #: the address with every certain fix applied (spaces, full-width, NFKC, lower-case domain)
    normalized: str
    local: str
    domain: str
    issues: tuple[AddressIssue, ...] = ()
    #: a guess where a digit may stand for a letter (``sa1es`` -> ``sales``), shown but never used
    guess: str | None = None


@dataclass(frozen=True, slots=True)
class DnsDisagreement:
    """The domain's own server says one thing, the resolver (still caching) another."""

    rrtype: str
    name: str
    resolver: tuple[str, ...]
    authoritative: tuple[str, ...]
    server: str
    #: seconds until the resolver forgets its copy (the TTL it reports is what is left)
    ttl_left: int | None


@dataclass
class DnsResult:
    domain: str
    resolver: str
    nxdomain: bool = False
    #: the resolver did not answer (timeout, SERVFAIL): nothing below can be trusted
    failure: str | None = None
    mx: list[tuple[int, str]] = field(default_factory=list)
    a: list[str] = field(default_factory=list)
    aaaa: list[str] = field(default_factory=list)
    #: ``_imaps._tcp`` and friends: (priority, weight, port, target)
    srv: dict[str, list[tuple[int, int, int, str]]] = field(default_factory=dict)
    #: autoconfig./autodiscover. names and what they resolve to (empty: absent)
    autoconfig: dict[str, list[str]] = field(default_factory=dict)
    spf: str | None = None
    dmarc: str | None = None
    ns: list[str] = field(default_factory=list)
    disagreements: list[DnsDisagreement] = field(default_factory=list)
    #: look-alike spellings of a missing domain that do exist (``exarnple.com`` -> ``example.com``)
    variants: list[str] = field(default_factory=list)
    #: every answer in zone-file form, for the report
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CertInfo:
    subject: str
    issuer: str
    issuer_org: str
    not_before: datetime
    not_after: datetime
    names: tuple[str, ...]
    self_signed: bool


@dataclass
class PortResult:
    """TCP, then TLS, of one endpoint, and the first words of the service."""

    endpoint: Endpoint
    tcp: TcpOutcome = "unfinished"
    tcp_detail: str = ""
    address: str = ""
    tls: TlsOutcome = "not_tried"
    tls_detail: str = ""
    tls_version: str | None = None
    cert: CertInfo | None = None
    #: the greeting line, as the server sent it
    greeting: str | None = None
    elapsed_ms: int = 0


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """One login attempt, or why none was made."""

    state: Literal["ok", "refused", "error", "skipped"]
    #: the server's answer, exactly (``NO [AUTHENTICATIONFAILED] ...``, ``535 5.7.8 ...``)
    answer: str = ""
    #: IMAP response code or SMTP enhanced status
    code: str = ""
    #: why skipped (rate limit, no password, the password was refused earlier) or what failed
    reason: str = ""
    #: when the answer is remembered from an earlier run
    remembered_at: datetime | None = None


@dataclass
class ImapResult:
    endpoint: Endpoint
    greeting: str = ""
    capabilities: list[str] = field(default_factory=list)
    server_id: dict[str, str | None] | None = None
    login: LoginOutcome | None = None
    examine: str = ""  # "OK" or the exact refusal
    examine_ok: bool | None = None
    #: (resource, usage, limit) of the INBOX quota root
    quota: list[tuple[str, int, int]] = field(default_factory=list)
    error: str = ""
    error_kind: str = ""
    lines: list[str] = field(default_factory=list)


@dataclass
class SmtpResult:
    endpoint: Endpoint
    banner: str = ""
    extensions: dict[str, str] = field(default_factory=dict)
    tls_version: str | None = None
    login: LoginOutcome | None = None
    error: str = ""
    error_kind: str = ""
    lines: list[str] = field(default_factory=list)


@dataclass
class Pop3Result:
    endpoint: Endpoint
    greeting: str = ""
    #: CAPA lines (RFC 2449), e.g. ``SASL PLAIN LOGIN``, ``STLS``, ``USER``; empty when CAPA is refused
    capabilities: list[str] = field(default_factory=list)
    login: LoginOutcome | None = None
    #: the answer to STAT after a login (``+OK 3 12345``)
    stat: str = ""
    error: str = ""
    error_kind: str = ""
    #: the dialogue, ``C:``/``S:`` lines, with the password masked
    lines: list[str] = field(default_factory=list)


@dataclass
class RdapResult:
    domain: str
    source: str = ""
    statuses: list[str] = field(default_factory=list)
    expires: datetime | None = None
    registrar: str = ""
    failure: str = ""


@dataclass
class StatusResult:
    provider: str
    source: str
    #: "none" | "minor" | "major" | "critical" (Statuspage's words), or "" when unknown
    indicator: str = ""
    incidents: list[str] = field(default_factory=list)
    failure: str = ""


@dataclass
class Evidence:
    """Everything one diagnosis saw. Rules are functions of this alone."""

    address: AddressResult
    username: str
    password_given: bool
    provider: Any  # providers.Provider | None (Any keeps this module free of the catalogue)
    configured: list[Endpoint] = field(default_factory=list)
    expected: list[Endpoint] = field(default_factory=list)
    dns: DnsResult | None = None
    ports: list[PortResult] = field(default_factory=list)
    imap: list[ImapResult] = field(default_factory=list)
    smtp: list[SmtpResult] = field(default_factory=list)
    pop3: list[Pop3Result] = field(default_factory=list)
    rdap: RdapResult | None = None
    status: StatusResult | None = None
    now: datetime | None = None
    #: probes the deadline cut short
    unfinished: list[str] = field(default_factory=list)

    def port(self, endpoint: Endpoint) -> PortResult | None:
        return next((p for p in self.ports if p.endpoint == endpoint), None)
