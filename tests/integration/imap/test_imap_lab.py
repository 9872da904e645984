"""The IMAP client against the lab's real Dovecot 2.3: TLS both ways, every login method, every refusal."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from mailwarden.core.errors import ConfigError, NetworkError, TLSFailure
from mailwarden.imap import IMAPAuthError, IMAPClient

TIMEOUT = 10.0


async def open_imaps(dovecot: Any, **options: Any) -> IMAPClient:
    options = {"ca_file": dovecot.ca_file, "timeout": TIMEOUT, **options}
    return await IMAPClient.open(dovecot.host, dovecot.imaps_port, tls="implicit", **options)


async def refusal(dovecot: Any, address: str, password: str) -> IMAPAuthError:
    async with await open_imaps(dovecot) as client:
        with pytest.raises(IMAPAuthError) as caught:
            await client.login(address, password)
        assert client.state == "not_authenticated"
    return caught.value


async def test_it_logs_in_over_implicit_tls(dovecot: Any, mail_user: Any) -> None:
    async with await open_imaps(dovecot) as client:
        assert client.connection.encrypted
        assert "AUTH=PLAIN" in client.capabilities

        method = await client.authenticate(mail_user.address, mail_user.password)

        assert method == "PLAIN"
        assert client.state == "authenticated"
        assert {"IDLE", "CONDSTORE", "QRESYNC", "LITERAL+"} <= client.capabilities
        server = await client.id({"name": "mailwarden", "version": "0.1.0"})
        assert server is not None
        assert server.get("name") == "Dovecot"


async def test_it_logs_in_over_starttls_and_asks_for_capabilities_again(dovecot: Any, mail_user: Any) -> None:
    client = await IMAPClient.open(
        dovecot.host, dovecot.imap_port, tls="starttls", ca_file=dovecot.ca_file, timeout=TIMEOUT
    )
    async with client:
        assert client.connection.encrypted
        assert "STARTTLS" not in client.capabilities  # the list read after the upgrade

        await client.login(mail_user.address, mail_user.password)

        assert client.state == "authenticated"


async def test_credentials_are_not_sent_in_plaintext_unless_allowed(dovecot: Any, mail_user: Any) -> None:
    async with await IMAPClient.open(dovecot.host, dovecot.imap_port, tls="none", timeout=TIMEOUT) as client:
        with pytest.raises(ConfigError) as caught:
            await client.login(mail_user.address, mail_user.password)
    assert caught.value.key == "imap.plaintext_refused"

    allowed = await IMAPClient.open(
        dovecot.host, dovecot.imap_port, tls="none", allow_plaintext=True, timeout=TIMEOUT
    )
    async with allowed:
        await allowed.login(mail_user.address, mail_user.password)
        assert not allowed.connection.encrypted


async def test_a_wrong_password_is_authenticationfailed(dovecot: Any, mail_user: Any) -> None:
    error = await refusal(dovecot, mail_user.address, mail_user.password + "-wrong")

    assert (error.code, error.text, error.status, error.command) == (
        "AUTHENTICATIONFAILED",
        "Authentication failed.",
        "NO",
        "LOGIN",
    )
    assert error.permanent
    assert error.key == "imap.auth.authenticationfailed"


async def test_a_disabled_account_is_contactadmin(dovecot: Any, mail_user: Any) -> None:
    dovecot.disable_user(mail_user.address)

    error = await refusal(dovecot, mail_user.address, mail_user.password)

    assert (error.code, error.text, error.permanent) == ("CONTACTADMIN", "Account_disabled_by_admin", True)


async def test_an_expired_password_is_expired(dovecot: Any) -> None:
    user = dovecot.expired_user()

    error = await refusal(dovecot, user.address, user.password)

    assert (error.code, error.text, error.permanent) == ("EXPIRED", "Password expired", True)


async def test_a_temporary_auth_failure_is_unavailable_and_worth_retrying(dovecot: Any) -> None:
    user = dovecot.tempfail_user()

    error = await refusal(dovecot, user.address, user.password)

    assert error.code == "UNAVAILABLE"
    assert error.text.startswith("Temporary authentication failure.")
    assert not error.permanent


@pytest.mark.parametrize("method", ["login", "authenticate_plain"])
@pytest.mark.parametrize("password", ["邮箱密码2026", 'quote"and\\backslash'], ids=["chinese", "quoted"])
async def test_passwords_beyond_plain_ascii_work_with_login_and_plain(
    dovecot: Any, method: str, password: str
) -> None:
    user = dovecot.add_user(password=password)

    async with await open_imaps(dovecot) as client:
        await getattr(client, method)(user.address, password)

        assert client.state == "authenticated"


@pytest.mark.parametrize("tls", ["implicit", "starttls"])
async def test_a_certificate_from_an_unknown_ca_is_refused(dovecot: Any, tls: str) -> None:
    port = dovecot.imaps_port if tls == "implicit" else dovecot.imap_port

    with pytest.raises(TLSFailure) as caught:
        await IMAPClient.open(dovecot.host, port, tls=tls, timeout=TIMEOUT)  # type: ignore[arg-type]

    assert (caught.value.key, caught.value.permanent) == ("tls.verify", True)
    assert (caught.value.host, caught.value.port) == (dovecot.host, port)


async def test_a_port_nobody_listens_on_is_refused(dovecot: Any) -> None:
    with socket.socket() as probe:
        probe.bind((dovecot.host, 0))
        port = probe.getsockname()[1]

    with pytest.raises(NetworkError) as caught:
        await IMAPClient.open(dovecot.host, port, ca_file=dovecot.ca_file, timeout=TIMEOUT)

    assert (caught.value.key, caught.value.port) == ("net.refused", port)
