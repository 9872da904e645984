"""Rules: pure functions from the evidence to findings. No sockets, no clock, no database -- so every rule
is tested with hand-built evidence, and the lab tests check the probes produce that evidence.

Each module covers one layer (the address; DNS and the registry; network and TLS; the login and the
mailbox). :func:`evaluate` runs them all and ranks the result.
"""

from __future__ import annotations

from mailwarden.diagnose.evidence import Evidence
from mailwarden.diagnose.findings import Finding, rank
from mailwarden.diagnose.providers import Catalogue
from mailwarden.diagnose.rules import account, auth, domain, network

__all__ = ["evaluate"]


def evaluate(evidence: Evidence, catalogue: Catalogue) -> list[Finding]:
    findings: list[Finding] = []
    findings += account.rules(evidence)
    findings += domain.rules(evidence)
    findings += network.rules(evidence, catalogue)
    findings += auth.rules(evidence, catalogue)
    return rank(findings)
