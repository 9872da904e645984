"""DNS, the registry and the provider's status: causes that lie before any connection."""

from __future__ import annotations

from datetime import timedelta

from mailwarden.diagnose.evidence import Endpoint, Evidence
from mailwarden.diagnose.findings import Finding

__all__ = ["rules"]

_HOLD = ("client hold", "server hold", "clienthold", "serverhold")
_GONE = ("redemption period", "pending delete", "pendingdelete", "redemptionperiod")


def rules(evidence: Evidence) -> list[Finding]:
    return _dns(evidence) + _registry(evidence) + _status(evidence) + _requirements(evidence)


def _dns(evidence: Evidence) -> list[Finding]:
    dns = evidence.dns
    if dns is None:
        return []
    where = {"domain": dns.domain, "resolver": dns.resolver}
    if dns.failure:
        return [Finding("dns.resolver_failed", 0.8, [f"{dns.resolver}: {dns.failure}"], where, ["dns"])]
    findings: list[Finding] = []
    if dns.nxdomain:
        findings.append(Finding("dns.nxdomain", 0.95, list(dns.lines), where, ["dns"]))
        if dns.variants:
            findings.append(
                Finding(
                    "account.typo",
                    0.9,
                    [f"{dns.domain}: NXDOMAIN"] + [f"{v}: exists" for v in dns.variants],
                    {"chars": dns.domain, "address": f"{evidence.address.local}@{dns.variants[0]}"},
                    ["dns"],
                )
            )
        return findings
    if not dns.mx:
        fallback = f"A {', '.join(dns.a)}" if dns.a else "no A record either"
        findings.append(
            Finding("dns.no_mx", 0.85, [f"{dns.domain}. IN MX: (none)", fallback], where, ["dns"])
        )
    findings += _mx_mismatch(evidence)
    for d in dns.disagreements:
        ttl = "?" if d.ttl_left is None else str(d.ttl_left)
        findings.append(
            Finding(
                "dns.propagating",
                0.9,
                [
                    f"resolver {dns.resolver}: {d.name}. {d.rrtype} "
                    f"{', '.join(d.resolver) or '(none)'} (TTL left {ttl} s)",
                    f"authoritative {d.server}: {d.name}. {d.rrtype} "
                    f"{', '.join(d.authoritative) or '(none)'}",
                ],
                {**where, "rrtype": d.rrtype, "ttl": ttl, "minutes": _minutes(d.ttl_left)},
                ["dns"],
            )
        )
    missing = [name for name, value in (("SPF", dns.spf), ("DMARC", dns.dmarc)) if not value]
    if missing:
        findings.append(
            Finding(
                "dns.info",
                0.9,
                [f"{dns.domain}: no {' / '.join(missing)} record"],
                {**where, "missing": " / ".join(missing)},
                ["dns"],
            )
        )
    return findings


def _minutes(seconds: int | None) -> str:
    return "?" if seconds is None else str(max(1, (seconds + 59) // 60))


def _mx_mismatch(evidence: Evidence) -> list[Finding]:
    """The MX says one provider, the client is set up for another (or for none of the MX's servers)."""
    dns, provider = evidence.dns, evidence.provider
    if dns is None or not dns.mx or provider is None or not evidence.configured:
        return []
    if not any(provider.matches_mx(host) for _, host in dns.mx):
        return []
    expected_hosts = {e.host for e in evidence.expected}
    off = [
        e
        for e in evidence.configured
        if e.protocol != "pop3" and expected_hosts and e.host not in expected_hosts
    ]
    if not off:
        return []
    # a configured server that answers is likely an alias or relay of the same service
    answering = all(_answers(evidence, e) for e in off)
    return [
        Finding(
            "dns.mx_mismatch",
            0.45 if answering else 0.85,
            [f"{dns.domain}. IN MX {p} {h}" for p, h in dns.mx]
            + [f"configured: {e.label}" for e in off]
            + [f"{provider.name}: {', '.join(sorted(expected_hosts))}"],
            {"domain": dns.domain, "provider": provider.name, "host": off[0].host},
            ["dns"],
        )
    ]


def _answers(evidence: Evidence, endpoint: Endpoint) -> bool:
    port = evidence.port(endpoint)
    return port is not None and port.tcp == "open" and port.tls in ("ok", "not_tried")


def _registry(evidence: Evidence) -> list[Finding]:
    rdap, now = evidence.rdap, evidence.now
    if rdap is None or rdap.failure or now is None:
        return []
    where = {"domain": rdap.domain, "source": rdap.source}
    lines = [f"{rdap.source}: status {', '.join(rdap.statuses) or '(none)'}"]
    if rdap.expires:
        lines.append(f"expiration {rdap.expires.isoformat()}")
        where["expires"] = rdap.expires.date().isoformat()
    findings: list[Finding] = []
    if any(s in _HOLD for s in rdap.statuses):
        findings.append(Finding("domain.hold", 0.95, lines, where, ["rdap"]))
    if (rdap.expires and rdap.expires <= now) or any(s in _GONE for s in rdap.statuses):
        findings.append(Finding("domain.expired", 0.95, lines, where, ["rdap"]))
    elif rdap.expires and rdap.expires - now <= timedelta(days=30):
        where["days"] = str((rdap.expires - now).days)
        findings.append(Finding("domain.expiring", 0.95, lines, where, ["rdap"]))
    return findings


def _status(evidence: Evidence) -> list[Finding]:
    status = evidence.status
    if status is None or status.failure or status.indicator in ("", "none"):
        return []
    sure = {"critical": 0.8, "major": 0.7}.get(status.indicator, 0.45)
    return [
        Finding(
            "provider.outage",
            sure,
            [f"{status.source}: {status.indicator}", *status.incidents[:5]],
            {"provider": status.provider, "source": status.source},
            ["status"],
        )
    ]


def _requirements(evidence: Evidence) -> list[Finding]:
    provider = evidence.provider
    if provider is None:
        return []
    needs = []
    if provider.oauth_only:
        needs.append("OAuth2 (modern authentication)")
    elif "app_password" in provider.auth and "password" not in provider.auth:
        needs.append("app password / 授权码")
    elif "app_password" in provider.auth:
        needs.append("app password / 授权码 when secure login is on")
    if provider.id_required:
        needs.append("IMAP ID (RFC 2971)")
    if not needs:
        return []
    return [
        Finding(
            "provider.requirements",
            0.9,
            [f"{provider.name}: {'; '.join(needs)}"] + ([provider.help] if provider.help else []),
            {"provider": provider.name, "needs": "; ".join(needs), "help": provider.help},
            ["provider"],
        )
    ]
