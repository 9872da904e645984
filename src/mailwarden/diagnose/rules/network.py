"""Network, TLS and the client's settings compared with what the provider documents."""

from __future__ import annotations

from mailwarden.diagnose.evidence import Endpoint, Evidence, PortResult
from mailwarden.diagnose.findings import Finding
from mailwarden.diagnose.providers import Catalogue

__all__ = ["rules"]

_TCP_CODES = {
    "timeout": ("net.port_blocked_drop", 0.9),
    "refused": ("net.port_blocked_reject", 0.85),
    "unreachable": ("net.unreachable", 0.85),
    "reset": ("net.reset", 0.8),
}
_CERT_CODES = {
    "expired": ("tls.cert_expired", 0.97),
    "not_yet_valid": ("tls.cert_expired", 0.8),
    "hostname_mismatch": ("tls.cert_hostname_mismatch", 0.95),
    "self_signed": ("tls.cert_untrusted", 0.9),
    "untrusted": ("tls.cert_untrusted", 0.9),
}


def rules(evidence: Evidence, catalogue: Catalogue) -> list[Finding]:
    findings: list[Finding] = []
    for port in evidence.ports:
        findings += _tcp(port) + _tls(port, evidence, catalogue)
    findings += _settings(evidence)
    return findings


def _params(port: PortResult) -> dict[str, str]:
    e = port.endpoint
    return {"protocol": e.protocol.upper(), "host": e.host, "port": str(e.port), "tls": e.tls}


def _check(endpoint: Endpoint) -> str:
    return f"port:{endpoint.protocol}:{endpoint.host}:{endpoint.port}"


def _tcp(port: PortResult) -> list[Finding]:
    if port.tcp not in _TCP_CODES:
        return []
    code, sure = _TCP_CODES[port.tcp]
    e = port.endpoint
    line = f"connect {e.host}:{e.port}: {port.tcp} ({port.tcp_detail}) after {port.elapsed_ms} ms"
    return [Finding(code, sure, [line], _params(port), [_check(port.endpoint)])]


def _issuer_unexpected(port: PortResult, evidence: Evidence, catalogue: Catalogue) -> str | None:
    """Why the certificate's issuer says someone in between is presenting it, or None."""
    cert = port.cert
    if cert is None:
        return None
    issuer = f"{cert.issuer_org} {cert.issuer}".lower()
    known = next((name for name in catalogue.interceptors if name.lower() in issuer), None)
    if known:
        return f"issuer {cert.issuer!r} is {known}, a TLS-inspecting product"
    provider = evidence.provider
    # Only the provider's own servers are held to its issuers: a configured relay may use any CA.
    if provider is None or not provider.tls_issuers:
        return None
    if port.endpoint.host not in {e.host for e in evidence.expected}:
        return None
    if not any(name.lower() in issuer for name in provider.tls_issuers):
        return f"issuer {cert.issuer!r}; {provider.name} uses {', '.join(provider.tls_issuers)}"
    return None


def _cert_lines(port: PortResult) -> list[str]:
    cert = port.cert
    if cert is None:
        return []
    return [
        f"subject: {cert.subject}",
        f"issuer: {cert.issuer}",
        f"valid: {cert.not_before.isoformat()} .. {cert.not_after.isoformat()}",
        f"names: {', '.join(cert.names) or '(none)'}",
    ]


def _tls(port: PortResult, evidence: Evidence, catalogue: Catalogue) -> list[Finding]:
    e = port.endpoint
    params = _params(port)
    check = [_check(e)]
    if port.tls == "plaintext_port":
        params["actual"] = "starttls"
        line = f"TLS handshake to {e.host}:{e.port} failed; the port greets in plaintext: {port.greeting}"
        return [Finding("tls.wrong_mode", 0.95, [line], params, check)]
    if port.tls == "tls_port":
        params["actual"] = "implicit"
        line = f"{e.host}:{e.port} sent no greeting but completed a TLS handshake ({port.tls_version})"
        return [Finding("tls.wrong_mode", 0.95, [line, *(_cert_lines(port)[:2])], params, check)]
    if port.tls == "no_starttls":
        line = f"STARTTLS refused by {e.host}:{e.port}: {port.tls_detail}"
        return [Finding("tls.unavailable", 0.9, [port.greeting or "", line], params, check)]
    findings: list[Finding] = []
    intercepted = _issuer_unexpected(port, evidence, catalogue)
    if intercepted and port.tls in ("ok", *_CERT_CODES):
        params["issuer"] = port.cert.issuer if port.cert else ""
        sure = 0.9 if port.tls == "ok" or "TLS-inspecting" in intercepted else 0.85
        findings.append(
            Finding("net.tls_intercepted", sure, [intercepted, *_cert_lines(port)], params, check)
        )
    if port.tls in _CERT_CODES:
        code, sure = _CERT_CODES[port.tls]
        if port.cert is not None:
            params["expires"] = port.cert.not_after.date().isoformat()
            params["names"] = ", ".join(port.cert.names)
            params["issuer"] = port.cert.issuer
        findings.append(
            Finding(code, sure, [f"verify: {port.tls_detail}", *_cert_lines(port)], params, check)
        )
    elif port.tls == "handshake_failed":
        params["detail"] = port.tls_detail
        findings.append(
            Finding("tls.wrong_mode", 0.5, [f"TLS handshake failed: {port.tls_detail}"], params, check)
        )
    return findings


def _settings(evidence: Evidence) -> list[Finding]:
    """The client's host/port/TLS mode against the provider's documented (or the SRV-published) ones."""
    findings: list[Finding] = []
    for mine in evidence.configured:
        expected = [e for e in evidence.expected if e.protocol == mine.protocol]
        if not expected:
            continue
        exact = [e for e in expected if (e.host, e.port, e.tls) == (mine.host, mine.port, mine.tls)]
        if exact:
            continue
        documented = "; ".join(f"{e.host}:{e.port} {e.tls}" for e in expected)
        params = {
            "protocol": mine.protocol.upper(),
            "host": mine.host,
            "port": str(mine.port),
            "tls": mine.tls,
            "expected": documented,
        }
        lines = [f"configured: {mine.host}:{mine.port} {mine.tls}", f"documented: {documented}"]
        port = evidence.port(mine)
        # a configured server that answers is an alias or a relay: worth a word, rarely the cause
        answers = port is not None and port.tcp == "open" and port.tls in ("ok", "not_tried")
        sure = 0.45 if answers else 0.85
        same_host = [e for e in expected if e.host == mine.host]
        same_port = [e for e in same_host if e.port == mine.port]
        if not same_host:
            findings.append(Finding("config.wrong_host", sure, lines, params, ["settings"]))
        elif not same_port:
            findings.append(Finding("config.wrong_port", sure, lines, params, ["settings"]))
        else:
            findings.append(Finding("config.wrong_tls_mode", sure + 0.05, lines, params, ["settings"]))
    return findings
