"""Reading status documents without a server: odd but valid documents, and broken ones (never a crash,
never "fine")."""

from __future__ import annotations

from typing import Any

import pytest

from mailwarden.diagnose.probes.status import guess_format, parse_status


def test_a_status_json_without_components_falls_back_to_the_page_indicator() -> None:
    data = {"page": {"id": "x"}, "status": {"indicator": "major", "description": "Partial System Outage"}}
    result = parse_status("p", "u", "statuspage", data, product="Mail")
    assert (result.indicator, result.incidents, result.failure) == ("major", ["Partial System Outage"], "")


def test_a_group_component_stands_for_its_members() -> None:
    data = {
        "status": {"indicator": "minor"},
        "components": [
            {"id": "g", "name": "Mail", "status": "operational", "group": True},
            {"id": "m1", "name": "IMAP", "status": "partial_outage", "group_id": "g"},
            {"id": "w", "name": "Website", "status": "operational"},
        ],
        "incidents": [],
    }
    result = parse_status("p", "u", "statuspage", data, product="mail")
    assert result.indicator == "major" and result.incidents == ["IMAP: partial_outage"]


def test_a_product_missing_from_the_page_is_unknown_not_fine() -> None:
    data = {
        "status": {"indicator": "none"},
        "components": [{"id": "a", "name": "Web", "status": "operational"}],
    }
    assert "no component named" in parse_status("p", "u", "statuspage", data, product="Mail").failure


def test_an_open_google_incident_without_a_description_is_still_an_incident() -> None:
    data = [{"end": None, "external_desc": "", "status_impact": "SERVICE_OUTAGE",
             "affected_products": [{"title": "Gmail"}]}]  # fmt: skip
    result = parse_status("gmail", "u", "google", data, product="Gmail")
    assert (result.indicator, result.incidents) == ("critical", ["SERVICE_OUTAGE"])


def test_a_google_information_notice_is_not_an_outage() -> None:
    data = [{"end": None, "external_desc": "FYI", "status_impact": "SERVICE_INFORMATION",
             "severity": "low", "affected_products": [{"title": "Gmail"}]}]  # fmt: skip
    assert parse_status("gmail", "u", "google", data, product="Gmail").indicator == "none"


@pytest.mark.parametrize(
    ("fmt", "data"),
    [("google", {"not": "a list"}), ("google", ["text"]), ("statuspage", ["x"]),
     ("statuspage", {"status": "ok"}), ("statuspage", {"status": {}, "components": "x"}), ("rss", {})],
)  # fmt: skip
def test_a_broken_document_is_a_failure_not_an_exception(fmt: str, data: Any) -> None:
    result = parse_status("p", "u", fmt, data, product="Mail")
    assert result.failure and result.indicator == ""


def test_an_override_url_without_a_format_is_guessed() -> None:
    assert guess_format("https://www.google.com/appsstatus/dashboard/incidents.json") == "google"
    assert guess_format("https://status.example.com/api/v2/summary.json") == "statuspage"
