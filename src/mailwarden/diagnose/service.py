"""``diagnose``: the capability's public face -- probes, rules, and the report as one value."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from mailwarden.core import i18n
from mailwarden.core.settings import DiagnoseSettings
from mailwarden.db.engine import Database
from mailwarden.diagnose.checks import Check, build_checks
from mailwarden.diagnose.evidence import Evidence
from mailwarden.diagnose.findings import Finding
from mailwarden.diagnose.providers import load_catalogue
from mailwarden.diagnose.ratelimit import Ledger
from mailwarden.diagnose.rules import evaluate
from mailwarden.diagnose.runner import Request, gather_evidence

__all__ = ["SCHEMA", "Diagnosis", "diagnose"]

#: the JSON document's version; docs/diagnose.md describes it
SCHEMA = "mailwarden.diagnose/1"


@dataclass
class Diagnosis:
    evidence: Evidence
    findings: list[Finding]
    checks: list[Check]
    login_attempts: int
    elapsed_ms: int
    unfinished: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> Finding | None:
        """The most likely cause: the first error finding (findings come ranked)."""
        return next((f for f in self.findings if f.severity == "error"), None)

    @property
    def healthy(self) -> bool:
        return self.verdict is None

    def as_dict(self, lang: str = i18n.EN) -> dict[str, Any]:
        e = self.evidence
        verdict = self.verdict
        provider = e.provider
        return {
            "schema": SCHEMA,
            "ok": self.healthy,
            "healthy": self.healthy,
            "address": e.address.original,
            "normalized_address": e.address.normalized,
            "username": e.username,
            "provider": {"id": provider.id, "name": provider.name} if provider else None,
            "verdict": verdict.as_dict(lang) if verdict else None,
            "findings": [f.as_dict(lang) for f in self.findings],
            "checks": [c.as_dict(lang) for c in self.checks],
            "login_attempts": self.login_attempts,
            "elapsed_ms": self.elapsed_ms,
            "unfinished": list(self.unfinished),
        }


async def diagnose(request: Request, settings: DiagnoseSettings, db: Database | None = None) -> Diagnosis:
    """Run every probe (concurrently, within ``settings.deadline``) and the rules.

    ``db`` holds the login ledger; without it no password may be given (the rate limit across runs is what
    keeps a diagnosis from locking the account it diagnoses).
    """
    started = time.monotonic()
    catalogue = load_catalogue(settings.providers_file)
    ledger = None
    if db is not None:
        ledger = Ledger(db, attempts=settings.login_attempts, window_minutes=settings.login_window_minutes)
        if request.secret is not None:
            await ledger.ready()
    elif request.secret is not None:
        raise ValueError("a password needs the login ledger: pass the database")
    evidence, attempts = await gather_evidence(request, settings, catalogue, ledger)
    findings = evaluate(evidence, catalogue)
    return Diagnosis(
        evidence,
        findings,
        build_checks(evidence),
        attempts,
        round((time.monotonic() - started) * 1000),
        list(evidence.unfinished),
    )
