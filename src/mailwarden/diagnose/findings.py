"""Findings: what the rules conclude, each with a stable code, a severity, a confidence and the evidence.

The codes are a contract (scripts and the web UI key on them); the texts live in the locale catalogues
under ``diagnose.finding.<code>.title`` and ``.fix`` in both languages, so a code without words is a test
failure. ``PRIORITY`` orders causes: when two findings are equally sure, the one further up the chain
(a typo in the address before the password it was typed with) is the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mailwarden.core import i18n

__all__ = ["CODES", "PRIORITY", "Finding", "Severity", "rank"]

Severity = Literal["error", "warning", "info"]

#: every code and its severity; the order is the causal priority (earlier = closer to the root)
CODES: dict[str, Severity] = {
    "account.typo": "error",
    "account.confusable": "error",
    "account.unknown": "error",
    "dns.nxdomain": "error",
    "dns.resolver_failed": "warning",
    "domain.expired": "error",
    "domain.hold": "error",
    "subscription.expired": "error",
    "dns.no_mx": "warning",
    "dns.mx_mismatch": "error",
    "dns.propagating": "warning",
    "net.port_blocked_drop": "error",
    "net.port_blocked_reject": "error",
    "net.unreachable": "error",
    "net.reset": "error",
    "net.tls_intercepted": "error",
    "tls.wrong_mode": "error",
    "tls.unavailable": "error",
    "tls.cert_expired": "error",
    "tls.cert_hostname_mismatch": "error",
    "tls.cert_untrusted": "error",
    "config.wrong_host": "error",
    "config.wrong_port": "error",
    "config.wrong_tls_mode": "error",
    "provider.outage": "error",
    "provider.throttled": "error",
    "auth.ip_blocked": "error",
    "auth.account_locked": "error",
    "auth.account_disabled": "error",
    "auth.password_expired": "error",
    "auth.protocol_disabled": "error",
    "auth.basic_auth_disabled": "error",
    "auth.app_password_required": "error",
    "auth.web_login_required": "error",
    "auth.id_required": "error",
    "auth.permission_denied": "error",
    "auth.wrong_password": "error",
    "auth.login_skipped": "warning",
    "auth.no_mechanism": "error",
    "quota.full": "error",
    "quota.near_full": "warning",
    "domain.expiring": "warning",
    "provider.requirements": "info",
    "dns.info": "info",
}
PRIORITY = {code: index for index, code in enumerate(CODES)}
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class Finding:
    """One conclusion. ``evidence`` holds exact lines (server answers, DNS records, certificate fields);
    ``params`` fill the title and fix texts; ``checks`` name the checks that support it."""

    code: str
    confidence: float
    evidence: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    severity: Severity = "error"

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}")
        self.severity = CODES[self.code]
        self.confidence = round(min(1.0, max(0.0, self.confidence)), 2)

    def title(self, lang: str) -> str:
        return i18n.t(f"diagnose.finding.{self.code}.title", lang, **self._params(lang))

    def fix(self, lang: str) -> str:
        return i18n.t(f"diagnose.finding.{self.code}.fix", lang, **self._params(lang))

    def _params(self, lang: str) -> dict[str, Any]:
        """The parameters for ``lang``: a ``NAME_key`` parameter names a message, shown translated as
        ``NAME`` (formatted with the other parameters) — a reason code becomes words in either language."""
        plain = {k: v for k, v in self.params.items() if not k.endswith("_key")}
        words = {k[:-4]: i18n.t(v, lang, **plain) for k, v in self.params.items() if k.endswith("_key")}
        return {**plain, **words}

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "confidence": self.confidence,
            "title": self.title(lang),
            "evidence": list(self.evidence),
            "fix": {"zh": self.fix(i18n.ZH), "en": self.fix(i18n.EN)},
            "checks": list(self.checks),
            "params": {k: str(v) for k, v in self.params.items()},
        }


def rank(findings: list[Finding]) -> list[Finding]:
    """Most likely root cause first: severity, then confidence, then causal priority.

    Findings with the same code are merged (evidence joined), so three refused logins of one cause are one
    finding with three lines of evidence.
    """
    merged: dict[str, Finding] = {}
    for finding in findings:
        seen = merged.get(finding.code)
        if seen is None:
            merged[finding.code] = finding
            continue
        seen.confidence = max(seen.confidence, finding.confidence)
        seen.evidence += [line for line in finding.evidence if line not in seen.evidence]
        seen.checks += [check for check in finding.checks if check not in seen.checks]
        for key, value in finding.params.items():
            seen.params.setdefault(key, value)
    return sorted(merged.values(), key=_order)


def _order(finding: Finding) -> tuple[int, int, int, float]:
    # Confidence in three bands: within a band the cause nearer the root wins, so a near-certain typo in the
    # address leads a certain "password refused" that the typo explains.
    band = 0 if finding.confidence >= 0.8 else 1 if finding.confidence >= 0.5 else 2
    return (_SEVERITY_ORDER[finding.severity], band, PRIORITY[finding.code], -finding.confidence)
