"""The domain's registration: RDAP (RFC 9083) status and expiry, WHOIS (RFC 3912) where a TLD has no RDAP.

A domain that expired, or that its registrar put on hold, stops resolving -- mail first, and the web a day
later when caches run out. The RDAP server comes from the ``[diagnose] rdap_base_url`` setting or the IANA
bootstrap registry (RFC 9224). A TLD the bootstrap file does not list (``.cn`` for years) is asked over
WHOIS: the ``[diagnose] whois_server`` setting, else the server ``whois.iana.org`` refers to.

WHOIS is free text. We read the lines registries really print -- gTLD style (``Registry Expiry Date:``),
CNNIC's (``Expiration Time: 2025-03-12 10:00:00``, Beijing time without a zone), and a few others -- and
read the answer to the end (RFC 3912: the server closes the connection when it is done).
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

import httpx

from mailwarden.diagnose.evidence import RdapResult
from mailwarden.diagnose.probes.tcp import classify, open_tcp

__all__ = ["parse_rdap", "parse_whois", "probe_rdap"]

_WHOIS_IANA = "whois.iana.org:43"
#: the largest WHOIS answer we read; real ones are a few KiB
_WHOIS_LIMIT = 256 * 1024
#: TLDs whose registry prints local time without a zone (CNNIC: China Standard Time)
_WHOIS_ZONES = {"cn": timezone(timedelta(hours=8)), "xn--fiqs8s": timezone(timedelta(hours=8))}
_NOT_FOUND = re.compile(
    r"^\s*(No matching record|No match for|NOT FOUND|No Data Found|Domain not found)", re.I | re.M
)
_REGISTRAR = re.compile(r"^\s*(?:Sponsoring Registrar|Registrar)\s*:\s*(\S.*)$", re.IGNORECASE | re.MULTILINE)
_EXPIRY = re.compile(
    r"^\s*(?:Registry Expiry Date|Registrar Registration Expiration Date|Expiration Time|Expiry Date|"
    r"Expiration Date|paid-till)\s*:\s*(\S.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_STATUS = re.compile(r"^\s*(?:Domain )?Status\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def _date(text: str, zone: tzinfo = UTC) -> datetime | None:
    """An ISO-ish date; one without a zone is in ``zone`` (UTC unless the registry says otherwise)."""
    text = text.strip().replace("Z", "+00:00")
    for candidate in (text, text.replace(" ", "T", 1)):
        try:
            value = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
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
    if missing := _NOT_FOUND.search(text):
        result.failure = f"the registry does not know this domain: {missing[1]}"
        return result
    zone = _WHOIS_ZONES.get(domain.rsplit(".", 1)[-1].lower(), UTC)
    if match := _EXPIRY.search(text):
        result.expires = _date(match[1], zone)
    if match := _REGISTRAR.search(text):
        result.registrar = match[1].strip()
    # WHOIS writes EPP status codes in camel case (clientHold); RDAP in words (client hold)
    result.statuses = [re.sub(r"(?<=[a-z])(?=[A-Z])", " ", s).lower() for s in _STATUS.findall(text)]
    if result.expires is None and not result.statuses:
        result.failure = "no expiry or status in the WHOIS answer"
    return result


async def probe_rdap(
    domain: str,
    *,
    base_url: str,
    bootstrap_url: str,
    timeout: float,  # noqa: ASYNC109 -- per request
    whois_server: str = "",
) -> RdapResult:
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as http:
            base = base_url or await _bootstrap(http, domain, bootstrap_url)
            if base is None:
                return await _whois(domain, whois_server, timeout)
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


def _host_port(server: str) -> tuple[str, int]:
    host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
    return (host, int(port)) if port.isdigit() else (server, 43)


async def _whois(domain: str, server: str, timeout: float) -> RdapResult:  # noqa: ASYNC109
    source = server or _WHOIS_IANA
    try:
        if not server:
            referral = await _whois_query(_WHOIS_IANA, domain.rsplit(".", 1)[-1], timeout)
            named = re.search(r"^whois:\s*(\S+)", referral, re.MULTILINE)
            if named is None:
                return RdapResult(domain, source=source, failure="no WHOIS server for this TLD")
            server = source = named[1]
        text = await _whois_query(server, domain, timeout)
    except (OSError, TimeoutError) as exc:
        return RdapResult(domain, source=f"whois://{source}", failure=classify(exc)[1])
    return parse_whois(domain, text, f"whois://{server}")


async def _whois_query(server: str, query: str, timeout: float) -> str:  # noqa: ASYNC109
    """RFC 3912: one line out, then everything the server sends until it closes the connection."""
    connection = await open_tcp(*_host_port(server), timeout)
    chunks: list[bytes] = []
    try:
        connection.writer.write(query.encode("idna") + b"\r\n")
        await connection.writer.drain()
        async with asyncio.timeout(timeout):
            size = 0
            while size < _WHOIS_LIMIT and (chunk := await connection.reader.read(65536)):
                chunks.append(chunk)
                size += len(chunk)
    finally:
        await connection.close()
    return b"".join(chunks).decode("utf-8", "replace")
