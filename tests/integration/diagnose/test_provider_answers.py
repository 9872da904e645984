"""Scripted responders replaying providers' documented refusals give the right finding code each time."""

from __future__ import annotations

import pytest

from mailwarden.db.engine import Database

from diag_lab import Responder, imap_script, smtp_script
from diag_run import codes, imap, run, settings_for, smtp
from lab.certs import LabCerts

IMAP_GREETING = b"* OK [CAPABILITY IMAP4rev1 ID AUTH=PLAIN] ready\r\n"
SMTP_GREETING = b"220 smtp.lab.test ESMTP ready\r\n"


async def _imap_case(
    lab_dns, db: Database, certs: LabCerts, domain: str, script, greeting: bytes = IMAP_GREETING
) -> list[str]:  # type: ignore[no-untyped-def]
    with Responder(certs, greeting, script) as server:
        result = await run(
            f"sales@{domain}",
            settings_for(lab_dns),
            db,
            password="secret-pw",
            ca_file=certs.ca_file,
            imap=imap(server.port),
        )
    return codes(result)


async def _smtp_case(lab_dns, db: Database, certs: LabCerts, domain: str, refusal: bytes) -> list[str]:  # type: ignore[no-untyped-def]
    with Responder(certs, SMTP_GREETING, smtp_script(refusal)) as server:
        result = await run(
            f"sales@{domain}",
            settings_for(lab_dns),
            db,
            password="secret-pw",
            ca_file=certs.ca_file,
            smtp=smtp(server.port),
        )
    return codes(result)


async def test_gmail_wants_an_app_password(lab_dns, ledger_db: Database, lab_certs: LabCerts) -> None:
    refusal = (
        b"NO [ALERT] Application-specific password required: "
        b"https://support.google.com/accounts/answer/185833 (Failure)"
    )
    found = await _imap_case(lab_dns, ledger_db, lab_certs, "gm.test", imap_script(refusal))
    assert found[0] == "auth.app_password_required"


async def test_gmail_imap_disabled(lab_dns, ledger_db: Database, lab_certs: LabCerts) -> None:
    refusal = (
        b"NO [ALERT] Your account is not enabled for IMAP use. Please visit your Gmail settings page "
        b"and enable your account for IMAP access. (Failure)"
    )
    assert (await _imap_case(lab_dns, ledger_db, lab_certs, "gm.test", imap_script(refusal)))[
        0
    ] == "auth.protocol_disabled"


async def test_gmail_wants_a_web_login(lab_dns, ledger_db: Database, lab_certs: LabCerts) -> None:
    refusal = (
        b"534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1> Please log in via your web "
        b"browser and\r\n534-5.7.14 then try again.\r\n"
        b"534 5.7.14  Learn more at https://support.google.com/mail/answer/78754 - gsmtp"
    )
    assert (await _smtp_case(lab_dns, ledger_db, lab_certs, "gm.test", refusal))[
        0
    ] == "auth.web_login_required"


async def test_microsoft_365_basic_auth_disabled(lab_dns, ledger_db: Database, lab_certs: LabCerts) -> None:
    refusal = (
        b"535 5.7.139 Authentication unsuccessful, basic authentication is disabled. "
        b"[BN0PR04CA0001.namprd04.prod.outlook.com]"
    )
    assert (await _smtp_case(lab_dns, ledger_db, lab_certs, "ms.test", refusal))[
        0
    ] == "auth.basic_auth_disabled"


async def test_aliyun_blocks_the_ip(lab_dns, ledger_db: Database, lab_certs: LabCerts) -> None:
    found = await _imap_case(
        lab_dns, ledger_db, lab_certs, "ali.test", imap_script(b"NO LOGIN failed. ERR.LOGIN.IPDENY")
    )
    assert found[0] == "auth.ip_blocked"


async def test_netease_unsafe_login_without_id(lab_dns, ledger_db: Database, lab_certs: LabCerts) -> None:
    script = imap_script(
        b"OK LOGIN completed", examine=b"NO EXAMINE Unsafe Login. Please contact kefu@188.com for help"
    )
    greeting = b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Coremail System IMap Server Ready\r\n"
    found = await _imap_case(lab_dns, ledger_db, lab_certs, "ne.test", script, greeting)
    assert found[0] == "auth.id_required"


async def test_the_gbk_encoded_authorisation_code_message(
    lab_dns, ledger_db: Database, lab_certs: LabCerts
) -> None:
    refusal = "NO 登录失败，请使用授权码登录。".encode("gbk")
    found = await _imap_case(lab_dns, ledger_db, lab_certs, "qqmail.test", imap_script(refusal))
    assert found[0] == "auth.app_password_required"


async def test_qq_imap_asks_for_the_authorized_code(
    lab_dns, ledger_db: Database, lab_certs: LabCerts
) -> None:
    """QQ's IMAP says "authorized code" (pandolia/qqbot#139), its SMTP "authorization code"."""
    refusal = (
        b"NO Please using authorized code to login. More information at "
        b"http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256"
    )
    with Responder(lab_certs, IMAP_GREETING, imap_script(refusal)) as server:
        result = await run(
            "sales@qqmail.test", settings_for(lab_dns), ledger_db, password="secret-pw",
            ca_file=lab_certs.ca_file, imap=imap(server.port),
        )  # fmt: skip
    top = result.findings[0]
    assert (top.code, top.confidence) == ("auth.app_password_required", 0.97)


@pytest.mark.parametrize(
    ("domain", "refusal", "code"),
    [
        ("exm.test", b"535 Error: authentication failed, system busy", "auth.app_password_required"),
        ("ali.test", b"526 Authentication failure[1]", "auth.account_locked"),
        ("ali.test", b"535 UC_LOGIN_SOURCE_NOT_ALLOWED", "auth.protocol_disabled"),
        ("ms.test", b"535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
                    b"Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. "
                    b"[MN2PR05CA0004.namprd05.prod.outlook.com]", "auth.protocol_disabled"),
        ("ne.test", b"535 Error: authentication failed", "auth.app_password_required"),
    ],
)  # fmt: skip
async def test_documented_smtp_refusals(
    lab_dns, ledger_db: Database, lab_certs: LabCerts, domain: str, refusal: bytes, code: str
) -> None:
    assert (await _smtp_case(lab_dns, ledger_db, lab_certs, domain, refusal))[0] == code


async def test_zoho_invalid_credentials_is_a_wrong_password(
    lab_dns, ledger_db: Database, lab_certs: LabCerts
) -> None:
    found = await _imap_case(
        lab_dns,
        ledger_db,
        lab_certs,
        "zo.test",
        imap_script(b"NO [AUTHENTICATIONFAILED] Invalid credentials(Failure)"),
    )
    assert found[0] == "auth.wrong_password" and "auth.app_password_required" in found
