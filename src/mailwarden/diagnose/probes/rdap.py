"""The domain's registration: RDAP (RFC 9083) status and expiry, WHOIS (RFC 3912) where a TLD has no RDAP.

A domain that expired, or that its registrar put on hold, stops resolving -- mail first, and the web a day
later when caches run out. The RDAP server comes from the ``[diagnose] rdap_base_url`` setting or the IANA
bootstrap registry (RFC 9224); WHOIS from ``whois.iana.org``'s referral.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

import httpx

from mailwarden.diagnose.evidence import RdapResult
from mailwarden.diagnose.probes.tcp import classify, open_tcp

__all__ = ["parse_rdap", "parse_whois", "probe_rdap"]

_WHOIS_IANA = ("whois.iana.org", 43)
_EXPIRY = re.compile(
    r"^\s*(?:Registry Expiry Date|Registrar Registration Expiration Date|Expiration Time|Expiry Date|"
    r"Expiration Date|paid-till)\s*:\s*(\S.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_STATUS = re.compile(r"^\s*(?:Domain )?Status\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def _date(text: str) -> datetime | None:
    text = text.strip().replace("Z", "+00:00")
    for candidate in (text, text.replace(" ", "T", 1)):
        try:
            value = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def parse_rdap(domain: str, data: dict[str, Any], source: str) -> RdapResult:
    result = RdapResult(domain, source=source, statuses=[str(s).lower() for s in data.get("status", [])])
    for event in data.get("events", []):
        if event.get("eventAction") == "expiration":
            result.expires = _date(str(event.get("eventDate", "")))
    for entity in data.get("entities", []):
        if "registrar" in entity.get("roles", []):
            vcard = entity.get("vcardArray", [None, []])[1]
            result.registrar = next((str(v[3]) for v in vcard if v and v[0] == "fn"), "")
    return result


def parse_whois(domain: str, text: str, source: str) -> RdapResult:
    result = RdapResult(domain, source=source)
    if match := _EXPIRY.search(text):
        result.expires = _date(match[1])
    # WHOIS writes EPP status codes in camel case (clientHold); RDAP in words (client hold)
    result.statuses = [re.sub(r"(?<=[a-z])(?=[A-Z])", " ", s).lower() for s in _STATUS.findall(text)]
    return result


async def probe_rdap(
    domain: str,
    *,
    base_url: str,
    bootstrap_url: str,
    timeout: float,  # noqa: ASYNC109 -- per request
) -> RdapResult:
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as http:
            base = base_url or await _bootstrap(http, domain, bootstrap_url)
            if base is None:
                return await _whois(domain, timeout)
            url = f"{base.rstrip('/')}/domain/{domain}"
            response = await http.get(url, headers={"Accept": "application/rdap+json"})
            if response.status_code == 404:
                return RdapResult(domain, source=url, failure="404: the registry does not know this domain")
            response.raise_for_status()
            return parse_rdap(domain, response.json(), url)
    except (httpx.HTTPError, ValueError) as exc:
        return RdapResult(domain, source=base_url or bootstrap_url, failure=f"{type(exc).__name__}: {exc}")


async def _bootstrap(http: httpx.AsyncClient, domain: str, url: str) -> str | None:
    """The RDAP base URL for the domain's TLD from the IANA bootstrap file (None: the TLD has no RDAP)."""
    response = await http.get(url)
    response.raise_for_status()
    tld = domain.rsplit(".", 1)[-1].lower()
    for tlds, urls in response.json().get("services", []):
        if tld in (t.lower() for t in tlds) and urls:
            return str(next((u for u in urls if u.startswith("https")), urls[0]))
    return None


async def _whois(domain: str, timeout: float) -> RdapResult:  # noqa: ASYNC109
    try:
        referral = await _whois_query(*_WHOIS_IANA, domain.rsplit(".", 1)[-1], timeout)
        server = re.search(r"^whois:\s*(\S+)", referral, re.MULTILINE)
        if server is None:
            return RdapResult(domain, source="whois.iana.org", failure="no WHOIS server for this TLD")
        text = await _whois_query(server[1], 43, domain, timeout)
    except (OSError, TimeoutError) as exc:
        return RdapResult(domain, source="whois", failure=classify(exc)[1])
    return parse_whois(domain, text, f"whois://{server[1]}")


async def _whois_query(host: str, port: int, query: str, timeout: float) -> str:  # noqa: ASYNC109
    connection = await open_tcp(host, port, timeout)
    try:
        connection.writer.write(query.encode("idna") + b"\r\n")
        async with asyncio.timeout(timeout):
            data = await connection.reader.read(256 * 1024)
    finally:
        await connection.close()
    return data.decode("utf-8", "replace")
