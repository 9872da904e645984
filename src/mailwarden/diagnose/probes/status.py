"""The provider's own status page, when it publishes one in a form a program can read.

Two formats: Atlassian Statuspage's ``/api/v2/status.json`` (``status.indicator``: none, minor, major,
critical) and Google Workspace's ``incidents.json`` (a list of incidents; an open one has no ``end``).
The URL comes from the catalogue or the ``[diagnose] status_urls`` setting.
"""

from __future__ import annotations

from typing import Any

import httpx

from mailwarden.diagnose.evidence import StatusResult

__all__ = ["parse_status", "probe_status"]


def parse_status(provider: str, source: str, fmt: str, data: Any, product: str = "") -> StatusResult:
    result = StatusResult(provider, source)
    if fmt == "statuspage":
        status = data.get("status", {})
        result.indicator = str(status.get("indicator", ""))
        if result.indicator not in ("", "none"):
            result.incidents.append(str(status.get("description", result.indicator)))
        for incident in data.get("incidents", []):
            if incident.get("status") not in ("resolved", "postmortem"):
                result.incidents.append(str(incident.get("name", "")))
        return result
    if fmt == "google":
        open_incidents = [
            i
            for i in data
            if not i.get("end")
            and (not product or any(p.get("title") == product for p in i.get("affected_products", [])))
        ]
        result.indicator = "none"
        for incident in open_incidents:
            result.incidents.append(str(incident.get("external_desc", "")).strip().splitlines()[0][:200])
            severity = str(incident.get("severity", "")).lower()
            result.indicator = "major" if severity == "high" else "minor"
        return result
    result.failure = f"unknown status format {fmt!r}"
    return result


async def probe_status(
    provider: str,
    url: str,
    fmt: str,
    product: str,
    timeout: float,  # noqa: ASYNC109
) -> StatusResult:
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as http:
            response = await http.get(url)
            response.raise_for_status()
            return parse_status(provider, url, fmt, response.json(), product)
    except (httpx.HTTPError, ValueError, AttributeError, TypeError) as exc:
        return StatusResult(provider, url, failure=f"{type(exc).__name__}: {exc}")
