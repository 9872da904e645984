"""The login and what is behind it: refusals read through the provider's documented texts, RFC 5530 codes
(IMAP), RFC 2449/3206 response codes (POP3) and RFC 3463 enhanced status codes (SMTP); EXAMINE; quota."""

from __future__ import annotations

from mailwarden.diagnose.evidence import Evidence, ImapResult, LoginOutcome, Pop3Result, SmtpResult
from mailwarden.diagnose.findings import Finding
from mailwarden.diagnose.providers import Catalogue

__all__ = ["classify", "rules"]

#: RFC 5530 codes that say more than "refused"
_IMAP_CODES = {
    "EXPIRED": ("auth.password_expired", 0.95),
    "CONTACTADMIN": ("auth.account_disabled", 0.85),
    "AUTHORIZATIONFAILED": ("auth.permission_denied", 0.85),
    "PRIVACYREQUIRED": ("config.wrong_tls_mode", 0.85),
    "UNAVAILABLE": ("provider.outage", 0.6),
    "LIMIT": ("provider.throttled", 0.8),
    "INUSE": ("provider.throttled", 0.6),
    "THROTTLED": ("provider.throttled", 0.9),
    "OVERQUOTA": ("quota.full", 0.9),
}
#: RFC 2449 / 3206 POP3 response codes that say more than "refused" ([AUTH] is the plain refusal)
_POP3_CODES = {
    "LOGIN-DELAY": ("provider.throttled", 0.85),
    "IN-USE": ("provider.throttled", 0.6),
    "SYS/TEMP": ("provider.outage", 0.5),
}
#: RFC 3463 / 4954 enhanced codes of a refused AUTH
_SMTP_CODES = {
    "5.7.8": ("auth.wrong_password", 0.8),
    "5.7.9": ("auth.app_password_required", 0.7),
    "5.7.3": ("auth.wrong_password", 0.6),
    "5.7.1": ("auth.permission_denied", 0.6),
    "4.7.0": ("provider.outage", 0.45),
    "4.7.12": ("auth.app_password_required", 0.6),
    "5.7.0": ("auth.wrong_password", 0.5),
}


def classify(answer: str, code: str, evidence: Evidence, catalogue: Catalogue) -> tuple[str, float]:
    """The finding code a refusal means, and how sure that is."""
    provider = evidence.provider
    if provider is not None and (known := provider.explain(answer)) is not None:
        return known.code, known.confidence
    if code in _IMAP_CODES:
        return _IMAP_CODES[code]
    if code in _POP3_CODES:
        return _POP3_CODES[code]
    for known in catalogue.generic:
        if known.matches(answer):
            return known.code, known.confidence
    if code in _SMTP_CODES:
        return _SMTP_CODES[code]
    return "auth.wrong_password", 0.8 if code in ("AUTHENTICATIONFAILED", "AUTH") else 0.5


def _findings_for(
    protocol: str, login: LoginOutcome, evidence: Evidence, catalogue: Catalogue
) -> list[Finding]:
    check = [f"{protocol}:login"]
    findings: list[Finding] = []
    if login.state == "error" and login.reason == "no_mechanism":
        return [
            Finding(
                "auth.no_mechanism",
                0.9,
                [f"AUTH offered: {login.code}"],
                {"protocol": protocol.upper()},
                check,
            )
        ]
    if login.state == "skipped":
        if login.reason in ("no_password", "once_per_run"):
            return []
        when = login.remembered_at.isoformat(timespec="minutes") if login.remembered_at else ""
        findings.append(
            Finding(
                "auth.login_skipped",
                0.9,
                [f"{protocol.upper()} login not tried: {login.reason} {when}".rstrip()],
                {
                    "protocol": protocol.upper(),
                    "when": when,
                    "reason": login.reason,  # the code, for --json; shown as words (reason_key)
                    "reason_key": f"diagnose.skip.{login.reason}.reason",
                    "advice_key": f"diagnose.skip.{login.reason}.advice",
                },
                check,
            )
        )
        if not login.answer:
            return findings
    elif login.state != "refused":
        return []
    code, sure = classify(login.answer, login.code, evidence, catalogue)
    if login.state == "skipped":
        sure *= 0.9  # remembered, not seen in this run
    provider = evidence.provider
    params = {
        "protocol": protocol.upper(),
        "answer": login.answer,
        "provider": provider.name if provider else "",
    }
    if code == "auth.wrong_password" and provider is not None:
        if provider.oauth_only:
            code, sure = "auth.basic_auth_disabled", 0.8
        elif "app_password" in provider.auth:
            alternative = 0.75 if "password" not in provider.auth else 0.55
            findings.append(Finding("auth.app_password_required", alternative, [login.answer], params, check))
    if code == "auth.app_password_required" and evidence.username and provider is None:
        sure = min(sure, 0.85)
    findings.append(Finding(code, sure, [login.answer], params, check))
    return findings


def _imap(result: ImapResult, evidence: Evidence, catalogue: Catalogue) -> list[Finding]:
    findings: list[Finding] = []
    if result.login is not None:
        findings += _findings_for("imap", result.login, evidence, catalogue)
    if result.examine_ok is False:
        code, sure = classify(result.examine, "", evidence, catalogue)
        if code == "auth.wrong_password":
            code, sure = "auth.permission_denied", 0.7
        if code == "auth.id_required" and result.server_id is not None:
            sure = 0.6  # we did send ID: the account itself is flagged
        params = {
            "protocol": "IMAP",
            "answer": result.examine,
            "provider": evidence.provider.name if evidence.provider else "",
        }
        findings.append(Finding(code, sure, [f"EXAMINE INBOX: {result.examine}"], params, ["imap:examine"]))
    for name, usage, limit in result.quota:
        if limit <= 0:
            continue
        share = usage / limit
        params = {"resource": name, "usage": str(usage), "limit": str(limit), "percent": f"{share:.0%}"}
        line = f"* QUOTA ({name} {usage} {limit}) = {share:.0%}"
        if share >= 1.0:
            findings.append(Finding("quota.full", 0.95, [line], params, ["imap:quota"]))
        elif share >= 0.9:
            findings.append(Finding("quota.near_full", 0.95, [line], params, ["imap:quota"]))
    return findings


def _smtp(result: SmtpResult, evidence: Evidence, catalogue: Catalogue) -> list[Finding]:
    if result.login is None:
        return []
    return _findings_for("smtp", result.login, evidence, catalogue)


def _pop3(result: Pop3Result, evidence: Evidence, catalogue: Catalogue) -> list[Finding]:
    if result.login is None:
        return []
    return _findings_for("pop3", result.login, evidence, catalogue)


def rules(evidence: Evidence, catalogue: Catalogue) -> list[Finding]:
    findings: list[Finding] = []
    for imap in evidence.imap:
        findings += _imap(imap, evidence, catalogue)
    for smtp in evidence.smtp:
        findings += _smtp(smtp, evidence, catalogue)
    for pop3 in evidence.pop3:
        findings += _pop3(pop3, evidence, catalogue)
    return findings
