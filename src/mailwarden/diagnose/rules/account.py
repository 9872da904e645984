"""The address itself: characters that look right and are not (see probes/address.py)."""

from __future__ import annotations

from mailwarden.diagnose.evidence import AddressIssue, Evidence
from mailwarden.diagnose.findings import Finding

__all__ = ["rules"]


def _describe(issue: AddressIssue) -> str:
    name = f"U+{ord(issue.char):04X}"
    shown = repr(issue.char) if issue.kind == "space" else f"'{issue.char}'"
    instead = f" -> '{issue.suggestion}'" if issue.suggestion else ""
    return f"position {issue.index + 1}: {shown} ({name}, {issue.kind}){instead}"


def _login_refused(evidence: Evidence) -> bool:
    results = [r.login for r in evidence.imap] + [r.login for r in evidence.smtp]
    results += [r.login for r in evidence.pop3]
    return any(login is not None and login.state == "refused" for login in results)


def rules(evidence: Evidence) -> list[Finding]:
    address = evidence.address
    findings: list[Finding] = []
    certain = [i for i in address.issues if i.kind in ("fullwidth", "nfkc", "confusable")]
    if certain:
        findings.append(
            Finding(
                "account.confusable",
                0.95,
                [f"{address.original!r}"] + [_describe(i) for i in certain],
                {"chars": " ".join(f"'{i.char}'" for i in certain), "address": address.normalized},
                ["address"],
            )
        )
    spaces = [i for i in address.issues if i.kind == "space"]
    if spaces:
        findings.append(
            Finding(
                "account.typo",
                0.9,
                [f"{address.original!r}"] + [_describe(i) for i in spaces],
                {"chars": " ".join(f"U+{ord(i.char):04X}" for i in spaces), "address": address.normalized},
                ["address"],
            )
        )
    slips = [i for i in address.issues if i.kind == "digit_letter"]
    if slips:
        missing = evidence.dns is not None and evidence.dns.nxdomain
        sure = 0.9 if missing else 0.85 if _login_refused(evidence) else 0.6
        findings.append(
            Finding(
                "account.typo",
                sure,
                [f"{address.original!r}"] + [_describe(i) for i in slips],
                {
                    "chars": " ".join(f"'{i.char}'" for i in slips),
                    "address": address.guess or address.normalized,
                },
                ["address"],
            )
        )
    if any(i.kind == "syntax" for i in address.issues):
        findings.append(
            Finding(
                "account.typo", 0.95, [repr(address.original)], {"chars": "@", "address": address.original}
            )
        )
    return findings
