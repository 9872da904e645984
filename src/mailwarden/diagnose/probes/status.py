"""The provider's own status page, when it publishes one in a form a program can read.

Two formats:

* Atlassian Statuspage's ``/api/v2/summary.json`` (or ``status.json``, which has the page indicator only):
  ``status.indicator`` is none, minor, major or critical for the whole page; ``components[]`` carry
  operational, degraded_performance, partial_outage, major_outage or under_maintenance; ``incidents[]``
  are the unresolved incidents, each with its ``impact`` and the ``components`` it affects.
* Google Workspace's ``incidents.json``: every incident of the last year; an open one has no ``end``, and
  names its products in ``currently_affected_products`` / ``affected_products`` (``title``), its weight in
  ``status_impact`` (SERVICE_OUTAGE, SERVICE_DISRUPTION, SERVICE_INFORMATION) and ``severity``.

``product`` narrows a page to the mail service (a component name such as "Mail", or "Gmail"): a page that
covers forty products is red somewhere most days, and that is no reason to blame the mailbox's provider.
The URL comes from the catalogue or the ``[diagnose] status_urls`` setting. A page that cannot be read is
``failure`` -- "unknown", never "fine" and never "down".
"""

from __future__ import annotations

from typing import Any

import httpx

from mailwarden.diagnose.evidence import StatusResult

__all__ = ["guess_format", "parse_status", "probe_status"]

#: Statuspage component states as page indicators
_COMPONENT = {
    "operational": "none",
    "under_maintenance": "minor",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}
_INDICATORS = ("none", "minor", "major", "critical")
#: Google's status_impact as page indicators (SERVICE_INFORMATION is a notice, not trouble)
_GOOGLE_IMPACT = {"SERVICE_OUTAGE": "critical", "SERVICE_DISRUPTION": "major", "SERVICE_INFORMATION": "none"}
_GOOGLE_SEVERITY = {"high": "major", "medium": "minor", "low": "minor"}


class _Unreadable(ValueError):
    """The document is not what its format promises."""


def guess_format(url: str) -> str:
    """The format of a status URL given without one (a ``status_urls`` override of a provider that has no
    status source in the catalogue)."""
    return "google" if url.rstrip("/").endswith("incidents.json") else "statuspage"


def _worst(*indicators: str) -> str:
    return max(indicators, key=lambda i: _INDICATORS.index(i) if i in _INDICATORS else 0, default="none")


def _list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _Unreadable(f"{key!r} is not a list of objects")
    return value


def _statuspage(result: StatusResult, data: Any, product: str) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("status", {}), dict):
        raise _Unreadable("not a Statuspage document")
    page = str(data.get("status", {}).get("indicator", "")).lower()
    components = _list(data, "components")
    open_incidents = [
        i for i in _list(data, "incidents") if i.get("status") not in ("resolved", "postmortem")
    ]
    if not product or not components:
        # status.json, or no product named: the page as a whole
        result.indicator = page
        if page not in ("", "none"):
            result.incidents.append(str(data["status"].get("description") or page))
        result.incidents += [str(i.get("name", "")) for i in open_incidents]
        return
    wanted = product.lower()
    mine = [c for c in components if wanted in str(c.get("name", "")).lower()]
    if not mine:
        raise _Unreadable(f"no component named {product!r} on the page")
    # a group component stands for its members
    ids = {c.get("id") for c in mine}
    mine += [c for c in components if c.get("group_id") in ids and c not in mine]
    ids |= {c.get("id") for c in mine}
    result.indicator = _worst(*(_COMPONENT.get(str(c.get("status")), "none") for c in mine))
    result.incidents += [
        f"{c.get('name')}: {c.get('status')}" for c in mine if c.get("status") != "operational"
    ]
    for incident in open_incidents:
        affected = [c for c in incident.get("components") or [] if isinstance(c, dict)]
        if any(c.get("id") in ids or wanted in str(c.get("name", "")).lower() for c in affected):
            result.incidents.append(f"{incident.get('name', '')} ({incident.get('impact', '?')})")
            result.indicator = _worst(result.indicator, str(incident.get("impact", "minor")))


def _google(result: StatusResult, data: Any, product: str) -> None:
    if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
        raise _Unreadable("not a list of incidents")
    wanted = product.lower()
    result.indicator = "none"
    for incident in data:
        if incident.get("end"):
            continue
        products = incident.get("currently_affected_products") or incident.get("affected_products") or []
        names = {str(p.get("title", "")).lower() for p in products if isinstance(p, dict)}
        names.add(str(incident.get("service_name", "")).lower())
        if wanted and wanted not in names:
            continue
        impact = str(incident.get("status_impact", "")).upper()
        level = _GOOGLE_IMPACT.get(impact) or _GOOGLE_SEVERITY.get(str(incident.get("severity", "")), "minor")
        if level == "none":
            continue
        text = str(incident.get("external_desc") or "").strip()
        result.incidents.append((text.splitlines()[0] if text else impact or "incident")[:200])
        result.indicator = _worst(result.indicator, level)


def parse_status(provider: str, source: str, fmt: str, data: Any, product: str = "") -> StatusResult:
    result = StatusResult(provider, source)
    try:
        if fmt == "statuspage":
            _statuspage(result, data, product)
        elif fmt == "google":
            _google(result, data, product)
        else:
            raise _Unreadable(f"unknown status format {fmt!r}")
    except (_Unreadable, AttributeError, TypeError) as exc:
        return StatusResult(provider, source, failure=f"unreadable status document: {exc}")
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
            response = await http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return StatusResult(provider, url, failure=f"{type(exc).__name__}: {exc}")
    return parse_status(provider, url, fmt, data, product)
