"""WHOIS free text as registries print it (no server)."""

from __future__ import annotations

import datetime as dt

from mailwarden.diagnose.probes.rdap import _host_port, parse_whois


def test_a_gtld_answer_is_read_in_utc_with_its_epp_statuses() -> None:
    text = (
        "   Domain Name: EXAMPLE.COM\r\n   Registrar: Lab Registrar, Inc.\r\n"
        "   Registry Expiry Date: 2027-08-13T04:00:00Z\r\n"
        "   Domain Status: clientTransferProhibited https://icann.org/epp#clientTransferProhibited\r\n"
        "   Domain Status: clientHold https://icann.org/epp#clientHold\r\n"
    )
    result = parse_whois("example.com", text, "whois://x")
    assert result.expires == dt.datetime(2027, 8, 13, 4, tzinfo=dt.UTC)
    assert result.statuses == ["client transfer prohibited", "client hold"]
    assert result.registrar == "Lab Registrar, Inc."


def test_cnnic_times_are_beijing_time() -> None:
    result = parse_whois("example.cn", "Domain Name: example.cn\nExpiration Time: 2027-03-12 10:00:00\n", "w")
    assert result.expires == dt.datetime(2027, 3, 12, 2, tzinfo=dt.UTC)


def test_an_answer_without_expiry_or_status_is_a_failure() -> None:
    assert parse_whois("example.cn", "% rate limit exceeded, try again later\n", "w").failure


def test_server_settings_take_an_optional_port() -> None:
    assert _host_port("whois.cnnic.cn") == ("whois.cnnic.cn", 43)
    assert _host_port("127.0.0.1:4343") == ("127.0.0.1", 4343)
    assert _host_port("::1") == ("::1", 43)
