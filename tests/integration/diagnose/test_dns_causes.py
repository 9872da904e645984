"""DNS against a local server: no MX, an MX at another provider, SRV records, NXDOMAIN, propagation."""

from __future__ import annotations

from diag_run import codes, imap, run, settings_for
from lab.dovecot import Dovecot


async def test_a_domain_without_mx(lab_dns) -> None:
    result = await run("sales@nomx.test", settings_for(lab_dns))
    assert codes(result)[0] == "dns.no_mx"


async def test_an_mx_pointing_at_another_provider(lab_dns) -> None:
    result = await run(
        "sales@googlemx.test", settings_for(lab_dns), imap=imap(993, host="imap.exmail.qq.com")
    )
    assert codes(result)[0] == "dns.mx_mismatch"
    assert result.evidence.provider.id == "gmail"


async def test_srv_records_name_the_servers_to_probe(dovecot: Dovecot, lab_dns) -> None:
    result = await run("sales@srv.test", settings_for(lab_dns), ca_file=dovecot.ca_file)
    srv = [p for p in result.evidence.ports if p.endpoint.origin == "srv"]
    assert [(p.endpoint.host, p.endpoint.port, p.tls) for p in srv] == [
        ("localhost", dovecot.imaps_port, "ok")
    ]


async def test_a_domain_that_does_not_exist(lab_dns) -> None:
    result = await run("sales@nosuch.test", settings_for(lab_dns))
    assert codes(result)[0] == "dns.nxdomain"


async def test_a_change_still_propagating_is_told_with_the_ttl_left(lab_dns) -> None:
    result = await run("sales@prop.test", settings_for(lab_dns))
    top = result.findings[0]
    assert top.code == "dns.propagating"
    assert top.params["ttl"] == "1800" and "new.prop.test" in " ".join(top.evidence)
