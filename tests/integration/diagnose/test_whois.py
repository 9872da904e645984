"""WHOIS for TLDs without RDAP: the IANA bootstrap file (served locally) has no ``.cn``, so the registry is
asked over WHOIS (RFC 3912) -- a local responder answering in CNNIC's layout, Beijing time and all."""

from __future__ import annotations

import datetime as dt

import pytest

from diag_lab import JsonServer, WhoisServer, cnnic_whois
from diag_run import codes, run, settings_for

BEIJING = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime.now(BEIJING).replace(microsecond=0, tzinfo=None)  # CNNIC prints naive Beijing time
REGISTERED = dt.datetime(2015, 3, 1, 10, 22, 5)
EXPIRES = {
    "lapsed.cn": NOW - dt.timedelta(days=20),
    "renewsoon.cn": NOW + dt.timedelta(days=10, hours=1),
    "held.cn": NOW + dt.timedelta(days=300),
}
BOOTSTRAP = {
    "version": "1.0",
    "publication": "2026-11-20T18:00:02Z",
    "description": "RDAP bootstrap file for Domain Name System registrations",
    "services": [
        [["com", "net"], ["https://rdap.verisign.com/com/v1/"]],
        [["test"], ["http://127.0.0.1:9/"]],
    ],
}


@pytest.fixture(scope="module")
def whois() -> WhoisServer:  # type: ignore[misc]
    statuses = {
        "lapsed.cn": ["clientHold", "serverDeleteProhibited"],
        "renewsoon.cn": ["ok"],
        "held.cn": ["serverHold"],
    }
    answers = {name: cnnic_whois(name, statuses[name], REGISTERED, EXPIRES[name]) for name in EXPIRES}
    with WhoisServer(answers) as server:
        yield server


@pytest.fixture(scope="module")
def bootstrap() -> JsonServer:  # type: ignore[misc]
    with JsonServer({"/dns.json": BOOTSTRAP}) as server:
        yield server


def _settings(lab_dns, bootstrap: JsonServer, whois: WhoisServer):  # type: ignore[no-untyped-def]
    return settings_for(
        lab_dns, rdap_base_url="", rdap_bootstrap_url=bootstrap.url + "/dns.json", whois_server=whois.address
    )


@pytest.mark.parametrize(
    ("domain", "code"),
    [("lapsed.cn", "domain.expired"), ("renewsoon.cn", "domain.expiring"), ("held.cn", "domain.hold")],
)
async def test_a_cnnic_answer_gives_the_expiry_in_utc_and_the_finding(
    lab_dns, bootstrap: JsonServer, whois: WhoisServer, domain: str, code: str
) -> None:
    result = await run(f"sales@{domain}", _settings(lab_dns, bootstrap, whois))
    rdap = result.evidence.rdap
    assert rdap is not None and rdap.failure == "", rdap
    assert rdap.source == f"whois://{whois.address}"
    assert rdap.expires == EXPIRES[domain].replace(tzinfo=BEIJING).astimezone(dt.UTC)
    assert rdap.registrar == "阿里云计算有限公司（万网）"
    assert domain in whois.queries
    assert codes(result)[0] == code, result.as_dict()
    if code == "domain.expiring":
        assert result.findings[0].params["days"] == "10"
    if domain == "lapsed.cn":
        assert "client hold" in rdap.statuses
        assert "domain.hold" in codes(result)  # the registrar's hold after expiry is shown too


async def test_a_domain_the_registry_does_not_know_is_unknown_not_a_finding(
    lab_dns, bootstrap: JsonServer, whois: WhoisServer
) -> None:
    result = await run("sales@example.test", _settings(lab_dns, bootstrap, whois))
    # .test has RDAP in this bootstrap file (nothing listens there): no WHOIS for it
    assert "example.test" not in whois.queries
    assert result.evidence.rdap is not None and result.evidence.rdap.failure
    assert not [c for c in codes(result) if c.startswith("domain.")]


async def test_a_whois_refusal_to_know_the_name_is_a_failure(
    lab_dns, bootstrap: JsonServer, whois: WhoisServer
) -> None:
    result = await run("sales@nosuch.cn", _settings(lab_dns, bootstrap, whois))
    assert result.evidence.rdap is not None
    assert "No matching record" in result.evidence.rdap.failure
    assert not [c for c in codes(result) if c.startswith("domain.")]
