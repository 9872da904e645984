"""RDAP from a local server (expired, on hold, expiring in ten days); typos in the address; TLS
interception by a local proxy presenting another issuer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from diag_lab import InterceptProxy, JsonServer, proxy_ca, rdap_domain
from diag_run import codes, imap, run, settings_for
from lab.certs import LabCerts
from lab.dovecot import Dovecot

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def rdap() -> JsonServer:  # type: ignore[misc]
    routes = {
        "/domain/expired.test": rdap_domain("expired.test", ["active"], NOW - dt.timedelta(days=10)),
        "/domain/hold.test": rdap_domain("hold.test", ["client hold"], NOW + dt.timedelta(days=200)),
        "/domain/soon.test": rdap_domain("soon.test", ["active"], NOW + dt.timedelta(days=10, hours=1)),
    }
    with JsonServer(routes) as server:
        yield server


@pytest.mark.parametrize(
    ("domain", "code"),
    [("expired.test", "domain.expired"), ("hold.test", "domain.hold"), ("soon.test", "domain.expiring")],
)
async def test_rdap_registration_states(lab_dns, rdap: JsonServer, domain: str, code: str) -> None:
    result = await run(f"sales@{domain}", settings_for(lab_dns, rdap_base_url=rdap.url))
    assert codes(result)[0] == code
    if code == "domain.expiring":
        assert result.findings[0].params["days"] == "10"


@pytest.mark.parametrize(
    ("address", "code", "char"),
    [
        ("sa1es@example.test", "account.typo", "'1'"),
        ("ｓales@example.test", "account.confusable", "'ｓ'"),
        ("sales@yourc0mpany.test", "account.typo", "yourcompany.test"),
    ],
)
async def test_typos_name_the_offending_character(lab_dns, address: str, code: str, char: str) -> None:
    result = await run(address, settings_for(lab_dns))
    top = result.findings[0]
    assert top.code == code
    assert char in " ".join(top.evidence) + top.params.get("address", "")


async def test_a_tls_intercepting_proxy_is_named(
    dovecot: Dovecot, lab_dns, lab_certs: LabCerts, tmp_path: Path
) -> None:
    """GIVEN a firewall re-signing TLS with its own CA, which this machine trusts (as inspected offices do)
    WHEN the provider's server is diagnosed THEN the foreign issuer is named, although verification passes."""
    ca = proxy_ca()
    bundle = tmp_path / "trusted.pem"
    bundle.write_bytes(lab_certs.ca_file.read_bytes() + ca.cert_pem.bytes())
    with InterceptProxy(ca, dovecot.imaps_port, tmp_path) as proxy:
        catalogue = tmp_path / "providers.toml"
        catalogue.write_text(
            '[[provider]]\nid = "labcorp"\nname = "Lab Corp Mail"\nmx = ["mail.intercept.test"]\n'
            'tls_issuers = ["mailwarden lab CA"]\n'
            f'imap = [{{ host = "127.0.0.1", port = {proxy.port}, tls = "implicit" }}]\n'
        )
        settings = settings_for(lab_dns, providers_file=catalogue)
        result = await run("sales@intercept.test", settings, ca_file=bundle, imap=imap(proxy.port))
    assert codes(result)[0] == "net.tls_intercepted"
    assert "Corp Firewall SSL Inspection CA" in " ".join(result.findings[0].evidence)
