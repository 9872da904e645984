"""Helpers of the diagnosis lab tests: zones, settings on loopback, and one call to run a diagnosis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailwarden.core.secrets import SecretValue
from mailwarden.core.settings import DiagnoseSettings
from mailwarden.db.engine import Database
from mailwarden.diagnose import Diagnosis, Request, diagnose
from mailwarden.diagnose.evidence import Endpoint

from lab.dns import DnsLab

NS = "ns1.lab.test. 300 IN A 127.0.0.2\n"


def full_zone(domain: str, mx: str | None = None, ttl: int = 300) -> str:
    """A domain as a careful admin sets it up: MX, A, SPF, DMARC, NS."""
    return (
        f"{domain}. {ttl} IN MX 10 {mx or 'mail.' + domain}.\n"
        f"{domain}. {ttl} IN A 127.0.0.1\n"
        f'{domain}. {ttl} IN TXT "v=spf1 mx -all"\n'
        f'_dmarc.{domain}. {ttl} IN TXT "v=DMARC1; p=none"\n'
        f"{domain}. {ttl} IN NS ns1.lab.test.\n"
    )


def zones(imaps_port: int = 993) -> tuple[str, str]:
    common = NS + "".join(
        full_zone(d)
        for d in (
            "example.test",
            "yourcompany.test",
            "expired.test",
            "hold.test",
            "soon.test",
            "intercept.test",
            "lapsed.cn",
            "renewsoon.cn",
            "held.cn",
        )
    )
    common += "nomx.test. 300 IN A 127.0.0.1\nnomx.test. 300 IN NS ns1.lab.test.\n"
    common += full_zone("googlemx.test", "aspmx.l.google.com")
    common += full_zone("gm.test", "alt1.aspmx.l.google.com")
    common += full_zone("ms.test", "ms-test.mail.protection.outlook.com")
    common += full_zone("ali.test", "mx1.qiye.aliyun.com")
    common += full_zone("ne.test", "163mx01.mxmail.netease.com")
    common += full_zone("qqmail.test", "mx1.qq.com")
    common += full_zone("exm.test", "mxbiz1.qq.com")
    common += full_zone("zo.test", "mx.zoho.com")
    common += (
        full_zone("srv.test", "mail.srv.test")
        + f"_imaps._tcp.srv.test. 300 IN SRV 0 1 {imaps_port} localhost.\n"
    )
    resolver = common + full_zone("prop.test", "old.prop.test", ttl=1800)
    authoritative = common + full_zone("prop.test", "new.prop.test", ttl=1800)
    return resolver, authoritative


def settings_for(dns: DnsLab | None, **overrides: Any) -> DiagnoseSettings:
    base: dict[str, Any] = {
        "dns_servers": [dns.server] if dns else ["127.0.0.1:9"],
        "dns_authoritative_port": dns.port if dns else 53,
        "rdap_base_url": "http://127.0.0.1:9",  # nothing listens: RDAP is "unknown", never a finding
        "connect_timeout": 2.0,
        "reply_timeout": 3.0,
        "dns_timeout": 2.0,
        "deadline": 6.0,
    }
    base.update(overrides)
    return DiagnoseSettings(**base)


def imap(port: int, tls: str = "implicit", host: str = "127.0.0.1") -> Endpoint:
    return Endpoint("imap", host, port, tls)  # type: ignore[arg-type]


def smtp(port: int, tls: str = "implicit", host: str = "127.0.0.1") -> Endpoint:
    return Endpoint("smtp", host, port, tls)  # type: ignore[arg-type]


async def run(
    address: str,
    settings: DiagnoseSettings,
    db: Database | None = None,
    *,
    password: str | None = None,
    ca_file: Path | str | None = None,
    **endpoints: Endpoint,
) -> Diagnosis:
    request = Request(
        address=address,
        secret=SecretValue(password) if password is not None else None,
        ca_file=str(ca_file) if ca_file else None,
        **endpoints,  # type: ignore[arg-type]
    )
    return await diagnose(request, settings, db)


def codes(result: Diagnosis) -> list[str]:
    return [f.code for f in result.findings]
