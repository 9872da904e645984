"""Checks: every probe's result as one line for people and one object for JSON, evidence included.

Findings say what is wrong; checks say what was looked at, so a healthy report still shows its work and an
admin can compare the lines with what their own tools print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mailwarden.core import i18n
from mailwarden.diagnose.evidence import Evidence, ImapResult, Pop3Result, PortResult, SmtpResult

__all__ = ["Check", "build_checks"]

Status = Literal["ok", "warn", "fail", "skipped", "unfinished"]


@dataclass
class Check:
    id: str
    kind: str
    target: str
    status: Status
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)
    elapsed_ms: int | None = None

    def summary(self, lang: str) -> str:
        return i18n.t(self.key, lang, target=self.target, **self.params)

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "target": self.target,
            "status": self.status,
            "summary": self.summary(lang),
            "evidence": list(self.evidence),
            "elapsed_ms": self.elapsed_ms,
        }


def build_checks(evidence: Evidence) -> list[Check]:
    checks: list[Check] = []
    a = evidence.address
    checks.append(
        Check(
            "address",
            "address",
            a.original,
            "warn" if a.issues else "ok",
            "diagnose.check.address",
            {"normalized": a.normalized, "issues": len(a.issues)},
        )
    )
    if evidence.dns is not None:
        d = evidence.dns
        status: Status = (
            "fail" if d.nxdomain or d.failure else "warn" if not d.mx or d.disagreements else "ok"
        )
        outcome = "NXDOMAIN" if d.nxdomain else d.failure or f"MX {', '.join(h for _, h in d.mx) or '-'}"
        checks.append(
            Check("dns", "dns", d.domain, status, "diagnose.check.dns", {"outcome": outcome}, d.lines)
        )
    provider = evidence.provider
    checks.append(
        Check(
            "provider",
            "provider",
            a.domain,
            "ok" if provider else "skipped",
            "diagnose.check.provider",
            {"provider": provider.name if provider else "-"},
        )
    )
    checks += [_port(p) for p in evidence.ports]
    checks += [_imap(r) for r in evidence.imap]
    checks += [_smtp(r) for r in evidence.smtp]
    checks += [_pop3(r) for r in evidence.pop3]
    if evidence.rdap is not None:
        r = evidence.rdap
        outcome = r.failure or (
            f"{', '.join(r.statuses) or '-'}; expires {r.expires.date().isoformat() if r.expires else '?'}"
        )
        checks.append(
            Check(
                "rdap",
                "rdap",
                r.domain,
                "skipped" if r.failure else "ok",
                "diagnose.check.rdap",
                {"outcome": outcome},
                [r.source],
            )
        )
    if evidence.status is not None:
        s = evidence.status
        outcome = s.failure or s.indicator or "?"
        status = "skipped" if s.failure else "ok" if s.indicator in ("none", "") else "fail"
        checks.append(
            Check(
                "status",
                "status",
                s.provider,
                status,
                "diagnose.check.status",
                {"outcome": outcome},
                [s.source, *s.incidents],
            )
        )
    for name in evidence.unfinished:
        checks.append(
            Check(f"unfinished:{name}", "deadline", name, "unfinished", "diagnose.check.unfinished")
        )
    return checks


def _port(p: PortResult) -> Check:
    e = p.endpoint
    target = f"{e.protocol.upper()} {e.host}:{e.port} {e.tls} ({e.origin})"
    lines = [
        f"TCP {p.tcp}"
        + (f" {p.address}" if p.address else "")
        + (f": {p.tcp_detail}" if p.tcp_detail else "")
    ]
    if p.tls != "not_tried":
        lines.append(
            f"TLS {p.tls}"
            + (f" {p.tls_version}" if p.tls_version else "")
            + (f": {p.tls_detail}" if p.tls_detail else "")
        )
    if p.cert is not None:
        lines.append(
            f"certificate: {p.cert.subject}; issuer {p.cert.issuer}; "
            f"until {p.cert.not_after.date().isoformat()}"
        )
    if p.greeting:
        lines.append(p.greeting)
    ok = p.tcp == "open" and p.tls in ("ok", "not_tried")
    status: Status = "ok" if ok else "fail"
    return Check(
        f"port:{e.protocol}:{e.host}:{e.port}",
        "port",
        target,
        status,
        "diagnose.check.port",
        {"tcp": p.tcp, "tls": p.tls},
        lines,
        p.elapsed_ms,
    )


def _login_text(state: str | None) -> str:
    return state or "not tried"


def _imap(r: ImapResult) -> Check:
    e = r.endpoint
    login = r.login.state if r.login else None
    status: Status = "fail" if r.error or login == "refused" or r.examine_ok is False else "ok"
    if login == "skipped":
        status = "skipped"
    return Check(
        f"imap:{e.host}:{e.port}",
        "imap",
        f"{e.host}:{e.port}",
        status,
        "diagnose.check.imap",
        {"login": _login_text(login), "error": r.error or "-"},
        list(r.lines),
    )


def _smtp(r: SmtpResult) -> Check:
    e = r.endpoint
    login = r.login.state if r.login else None
    status: Status = "fail" if r.error or login == "refused" else "ok"
    if login == "skipped":
        status = "skipped"
    return Check(
        f"smtp:{e.host}:{e.port}",
        "smtp",
        f"{e.host}:{e.port}",
        status,
        "diagnose.check.smtp",
        {"login": _login_text(login), "error": r.error or "-"},
        list(r.lines),
    )


def _pop3(r: Pop3Result) -> Check:
    e = r.endpoint
    login = r.login.state if r.login else None
    status: Status = "fail" if r.error or login == "refused" else "ok"
    if login == "skipped":
        status = "skipped"
    return Check(
        f"pop3:{e.host}:{e.port}",
        "pop3",
        f"{e.host}:{e.port}",
        status,
        "diagnose.check.pop3",
        {"login": _login_text(login), "error": r.error or "-"},
        list(r.lines),
    )
