"""The provider's status source on loopback: a Statuspage ``summary.json`` and Google Workspace's
``incidents.json`` name ``provider.outage`` when the mail service is down, and only then; a status source
that hangs neither delays the diagnosis past its deadline nor becomes a finding."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest

from mailwarden.db.engine import Database

from diag_lab import Blackhole, JsonServer, google_incident, statuspage_summary
from diag_run import codes, run, settings_for
from lab.dovecot import Dovecot, MailUser

_PAGES = {
    # the mail component is down, with an open incident that names it
    "/down/api/v2/summary.json": statuspage_summary(
        {"Mail": "major_outage", "Calendar": "operational", "Website": "operational"},
        [("IMAP and SMTP logins failing", "critical", ["Mail"])],
    ),
    # another product is down: the page is red, mail is not
    "/other/api/v2/summary.json": statuspage_summary(
        {"Mail": "operational", "Calendar": "partial_outage", "Website": "operational"},
        [("Calendar sync delayed", "major", ["Calendar"])],
    ),
    "/ok/api/v2/summary.json": statuspage_summary(
        {"Mail": "operational", "Calendar": "operational", "Website": "operational"}, []
    ),
    "/google/down/incidents.json": [
        google_incident(
            "Gmail",
            "Some users are unable to access Gmail.\nWe are investigating.",
            impact="SERVICE_OUTAGE",
            severity="high",
            ended=False,
        ),
        google_incident(
            "Gmail", "Delays in message delivery", impact="SERVICE_DISRUPTION", severity="medium", ended=True
        ),
    ],
    "/google/ok/incidents.json": [
        google_incident(
            "Gmail", "Delays in message delivery", impact="SERVICE_DISRUPTION", severity="medium", ended=True
        ),
        google_incident(
            "Google Chat",
            "Chat messages are not delivered",
            impact="SERVICE_OUTAGE",
            severity="high",
            ended=False,
        ),
    ],
}


@pytest.fixture(scope="module")
def pages() -> JsonServer:  # type: ignore[misc]
    with JsonServer(_PAGES) as server:
        yield server


def _user(dovecot: Dovecot) -> MailUser:
    return dovecot.add_user("".join(random.choices(string.ascii_lowercase, k=10)))


def _lab_provider(tmp_path: Path, dovecot: Dovecot, status_url: str) -> Path:
    """``example.test``'s MX as a provider with a Statuspage, its IMAP server the lab Dovecot."""
    catalogue = tmp_path / "providers.toml"
    catalogue.write_text(
        '[[provider]]\nid = "labmail"\nname = "Lab Mail"\nmx = ["mail.example.test"]\n'
        f'imap = [{{ host = "127.0.0.1", port = {dovecot.imaps_port}, tls = "implicit" }}]\n'
        f'status = {{ url = "{status_url}", format = "statuspage", product = "Mail" }}\n'
    )
    return catalogue


async def _diagnose_with_page(
    tmp_path: Path, dovecot: Dovecot, lab_dns, db: Database, url: str, **settings: object
):  # type: ignore[no-untyped-def]
    user = _user(dovecot)
    config = settings_for(lab_dns, providers_file=_lab_provider(tmp_path, dovecot, url), **settings)
    return await run(user.address, config, db, password=user.password, ca_file=dovecot.ca_file)


async def test_a_statuspage_incident_on_the_mail_component_is_an_outage(
    tmp_path: Path, dovecot: Dovecot, lab_dns, ledger_db: Database, pages: JsonServer
) -> None:
    result = await _diagnose_with_page(
        tmp_path, dovecot, lab_dns, ledger_db, pages.url + "/down/api/v2/summary.json"
    )
    assert result.evidence.imap[0].login is not None and result.evidence.imap[0].login.state == "ok"
    assert codes(result)[0] == "provider.outage", result.as_dict()
    evidence = " | ".join(result.findings[0].evidence)
    assert "critical" in evidence and "IMAP and SMTP logins failing (critical)" in evidence
    assert "Mail: major_outage" in evidence


@pytest.mark.parametrize("page", ["/ok/api/v2/summary.json", "/other/api/v2/summary.json"])
async def test_an_operational_mail_component_is_no_outage(
    tmp_path: Path, dovecot: Dovecot, lab_dns, ledger_db: Database, pages: JsonServer, page: str
) -> None:
    """Including a page that is red for another product (Calendar): mail is operational."""
    result = await _diagnose_with_page(tmp_path, dovecot, lab_dns, ledger_db, pages.url + page)
    assert "provider.outage" not in codes(result)
    assert result.healthy, result.as_dict()
    status = next(c for c in result.checks if c.kind == "status")
    assert status.status == "ok" and result.evidence.status is not None
    assert result.evidence.status.indicator == "none"


async def test_an_open_gmail_incident_on_the_google_dashboard_is_an_outage(
    lab_dns, pages: JsonServer
) -> None:
    settings = settings_for(lab_dns, status_urls={"gmail": pages.url + "/google/down/incidents.json"})
    result = await run("sales@gm.test", settings)
    assert result.evidence.provider is not None and result.evidence.provider.id == "gmail"
    assert codes(result)[0] == "provider.outage", result.as_dict()
    assert "Some users are unable to access Gmail." in result.findings[0].evidence


async def test_closed_gmail_incidents_and_other_products_are_no_outage(lab_dns, pages: JsonServer) -> None:
    settings = settings_for(lab_dns, status_urls={"gmail": pages.url + "/google/ok/incidents.json"})
    result = await run("sales@gm.test", settings)
    assert result.evidence.status is not None and result.evidence.status.failure == ""
    assert result.evidence.status.indicator == "none"
    assert "provider.outage" not in codes(result)


async def test_a_status_source_that_hangs_does_not_delay_the_verdict_or_become_a_finding(
    tmp_path: Path, dovecot: Dovecot, lab_dns, ledger_db: Database
) -> None:
    """GIVEN a status page that accepts the connection and never answers, and an HTTP timeout far longer
    than the deadline WHEN a healthy mailbox is diagnosed THEN it ends at the deadline, healthy."""
    with Blackhole() as hole:
        result = await _diagnose_with_page(
            tmp_path, dovecot, lab_dns, ledger_db, hole.url, http_timeout=60.0, deadline=2.5
        )
    assert result.healthy, result.as_dict()
    assert "provider.outage" not in codes(result)
    assert result.elapsed_ms < 2500 + 1500  # a generous bound: the deadline plus clean-up
    status = next(c for c in result.checks if c.id.endswith("status"))
    assert status.status in ("skipped", "unfinished")


async def test_an_unreachable_status_source_is_unknown_not_an_error(
    tmp_path: Path, dovecot: Dovecot, lab_dns, ledger_db: Database
) -> None:
    result = await _diagnose_with_page(
        tmp_path, dovecot, lab_dns, ledger_db, "http://127.0.0.1:9/api/v2/summary.json"
    )
    assert result.healthy, result.as_dict()
    assert result.evidence.status is not None and result.evidence.status.failure
