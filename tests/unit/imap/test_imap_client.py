"""IMAPClient against scripted loopback servers: greeting, STARTTLS, LOGIN/PLAIN/XOAUTH2, ID, LOGOUT."""

from __future__ import annotations

import base64
import logging

import pytest
from imap_fake_server import FakeServer, Peer
from imap_tls import TLSFiles

from mailwarden.core.errors import ConfigError, TLSFailure
from mailwarden.core.secrets import SecretValue
from mailwarden.imap import IMAPAuthError, IMAPClient, IMAPError

CAPS = "IMAP4rev1 SASL-IR ID LITERAL+ AUTH=PLAIN"
PASSWORD_ZH = "邮箱密码2026"


async def open_plain(server: FakeServer, **options: object) -> IMAPClient:
    return await IMAPClient.open(
        "127.0.0.1",
        server.port,
        tls="none",
        allow_plaintext=True,
        timeout=5,
        **options,  # type: ignore[arg-type]
    )


async def test_it_takes_the_capabilities_from_the_greeting_without_asking() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(f"* OK [CAPABILITY {CAPS}] ready")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_plain(server) as client:
        assert client.capabilities == {"IMAP4REV1", "SASL-IR", "ID", "LITERAL+", "AUTH=PLAIN"}
        assert client.state == "not_authenticated"


async def test_it_asks_for_the_capabilities_when_the_greeting_has_none() -> None:
    async def script(peer: Peer) -> None:
        await peer.say("* OK ready")
        command = await peer.command()
        assert command.name == "CAPABILITY"
        await peer.say("* CAPABILITY IMAP4rev1 IDLE", f"{command.tag} OK done")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_plain(server) as client:
        assert client.capabilities == {"IMAP4REV1", "IDLE"}


async def test_a_bye_greeting_is_an_error_with_the_servers_words() -> None:
    async def script(peer: Peer) -> None:
        await peer.say("* BYE [UNAVAILABLE] Server shutting down")

    async with FakeServer(script) as server:
        with pytest.raises(IMAPError) as caught:
            await open_plain(server)

    error = caught.value
    assert (error.key, error.status, error.code, error.text) == (
        "imap.bye_greeting",
        "BYE",
        "UNAVAILABLE",
        "Server shutting down",
    )
    assert not error.permanent


async def test_preauth_on_a_plaintext_connection_starts_authenticated() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(f"* PREAUTH [CAPABILITY {CAPS}] welcome")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_plain(server) as client:
        assert client.state == "authenticated"


async def test_preauth_before_starttls_is_refused_because_tls_could_never_start(tls_files: TLSFiles) -> None:
    async def script(peer: Peer) -> None:
        await peer.say("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] welcome")
        assert await peer.closed_by_client()

    async with FakeServer(script) as server:
        with pytest.raises(TLSFailure) as caught:
            await IMAPClient.open("127.0.0.1", server.port, tls="starttls", ca_file=tls_files.ca_file)

    assert caught.value.key == "imap.starttls_preauth"


async def test_a_server_without_starttls_is_refused_not_used_in_plaintext(tls_files: TLSFiles) -> None:
    async def script(peer: Peer) -> None:
        await peer.say("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready")
        assert await peer.closed_by_client()

    async with FakeServer(script) as server:
        with pytest.raises(TLSFailure) as caught:
            await IMAPClient.open("127.0.0.1", server.port, tls="starttls", ca_file=tls_files.ca_file)

    assert (caught.value.key, caught.value.permanent) == ("imap.starttls_unsupported", True)


async def test_starttls_upgrades_the_socket_and_reads_the_capabilities_again(tls_files: TLSFiles) -> None:
    async def script(peer: Peer) -> None:
        await peer.say("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready")
        command = await peer.command()
        assert command.name == "STARTTLS"
        await peer.say(f"{command.tag} OK Begin TLS negotiation now.")
        await peer.start_tls(tls_files.server_context)
        command = await peer.command()
        assert command.name == "CAPABILITY"
        await peer.say("* CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN", f"{command.tag} OK done")
        command = await peer.command()
        assert command.name == "AUTHENTICATE PLAIN"
        assert base64.b64decode(command.args) == b"\0sales@example.test\0password"
        await peer.say(f"{command.tag} OK [CAPABILITY IMAP4rev1 IDLE] Logged in")
        await peer.serve_logout()

    async with (
        FakeServer(script) as server,
        await IMAPClient.open("localhost", server.port, tls="starttls", ca_file=tls_files.ca_file) as client,
    ):
        assert client.connection.encrypted
        assert await client.authenticate("sales@example.test", "password") == "PLAIN"
        assert client.capabilities == {"IMAP4REV1", "IDLE"}


async def test_plaintext_injected_after_the_starttls_ok_drops_the_connection(tls_files: TLSFiles) -> None:
    async def script(peer: Peer) -> None:
        await peer.say("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready")
        command = await peer.command()
        await peer.say(f"{command.tag} OK Begin TLS", "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected")
        assert await peer.closed_by_client()

    async with FakeServer(script) as server:
        with pytest.raises(TLSFailure) as caught:
            await IMAPClient.open("127.0.0.1", server.port, tls="starttls", ca_file=tls_files.ca_file)

    assert caught.value.key == "imap.starttls_injection"


async def test_a_non_ascii_password_waits_for_the_continuation_before_its_literal() -> None:
    secret = PASSWORD_ZH.encode()

    async def script(peer: Peer) -> None:
        # no LITERAL+ and no AUTH=PLAIN: LOGIN with a synchronising literal
        await peer.say("* OK [CAPABILITY IMAP4rev1] ready")
        command = await peer.command()
        assert command.name == "LOGIN"
        assert command.args == b'"zh@example.test" {%d}' % len(secret)
        assert await peer.silent_for(0.2)
        await peer.say("+ Ready for literal")
        assert await peer.exactly(len(secret) + 2) == secret + b"\r\n"
        await peer.say(f"{command.tag} OK [CAPABILITY IMAP4rev1] Logged in")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_plain(server) as client:
        assert await client.authenticate("zh@example.test", PASSWORD_ZH) == "LOGIN"
        assert client.state == "authenticated"


async def test_with_literal_plus_the_password_goes_out_without_waiting() -> None:
    secret = PASSWORD_ZH.encode()

    async def script(peer: Peer) -> None:
        await peer.say("* OK [CAPABILITY IMAP4rev1 LITERAL+] ready")
        command = await peer.command()
        assert command.args == b'"zh@example.test" {%d+}' % len(secret)
        assert await peer.exactly(len(secret) + 2) == secret + b"\r\n"
        await peer.say(f"{command.tag} OK [CAPABILITY IMAP4rev1] Logged in")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_plain(server) as client:
        await client.login("zh@example.test", SecretValue(PASSWORD_ZH))


async def test_a_refusal_instead_of_the_continuation_ends_the_login_without_the_literal() -> None:
    async def script(peer: Peer) -> None:
        await peer.say("* OK [CAPABILITY IMAP4rev1] ready")
        command = await peer.command()
        await peer.say(f"{command.tag} NO [AUTHENTICATIONFAILED] Authentication failed.")
        await peer.serve_logout()  # the next line is LOGOUT: the literal never came

    async with FakeServer(script) as server, await open_plain(server) as client:
        with pytest.raises(IMAPAuthError) as caught:
            await client.login("zh@example.test", PASSWORD_ZH)

    assert (caught.value.code, caught.value.text) == ("AUTHENTICATIONFAILED", "Authentication failed.")


async def test_plain_without_sasl_ir_answers_the_first_continuation() -> None:
    async def script(peer: Peer) -> None:
        await peer.say("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready")
        command = await peer.command()
        assert (command.name, command.args) == ("AUTHENTICATE PLAIN", b"")
        await peer.say("+ ")
        assert base64.b64decode(await peer.line()) == f"\0zh@example.test\0{PASSWORD_ZH}".encode()
        await peer.say(f"{command.tag} OK [CAPABILITY IMAP4rev1] Logged in")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_plain(server) as client:
        await client.authenticate_plain("zh@example.test", PASSWORD_ZH)


async def test_a_refused_xoauth2_token_gets_an_empty_answer_then_the_no() -> None:
    detail = b'{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}'

    async def script(peer: Peer) -> None:
        await peer.say("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready")
        command = await peer.command()
        assert command.name == "AUTHENTICATE XOAUTH2"
        assert base64.b64decode(command.args) == b"user=u@example.test\x01auth=Bearer ya29.expired\x01\x01"
        await peer.say(b"+ " + base64.b64encode(detail))
        assert await peer.line() == b""
        await peer.say(f"{command.tag} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_plain(server) as client:
        with pytest.raises(IMAPAuthError) as caught:
            await client.authenticate_xoauth2("u@example.test", "ya29.expired")

    error = caught.value
    assert (error.code, error.text, error.command) == (
        "AUTHENTICATIONFAILED",
        "Invalid credentials (Failure)",
        "AUTHENTICATE",
    )
    assert error.sasl_detail == detail.decode()


async def test_logindisabled_without_plain_leaves_no_way_in() -> None:
    async def script(peer: Peer) -> None:
        await peer.say("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_plain(server) as client:
        with pytest.raises(IMAPAuthError) as caught:
            await client.authenticate("u", "p")

    assert caught.value.key == "imap.auth.no_mechanism"


async def test_no_password_goes_over_plaintext_unless_allowed() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(f"* OK [CAPABILITY {CAPS}] ready")
        await peer.serve_logout()

    async with FakeServer(script) as server:
        client = await IMAPClient.open("127.0.0.1", server.port, tls="none", timeout=5)
        async with client:
            with pytest.raises(ConfigError) as caught:
                await client.authenticate("u", "secret")

    assert caught.value.key == "imap.plaintext_refused"
    assert server.peer is not None
    assert b"secret" not in server.peer.received


@pytest.mark.parametrize("method", ["login", "login-literal", "plain", "xoauth2"])
async def test_credentials_never_reach_the_log_even_with_a_protocol_trace(
    method: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = PASSWORD_ZH if method == "login-literal" else "hunter2-Secret"
    encoded = base64.b64encode(f"\0u\0{secret}".encode()).decode()

    async def script(peer: Peer) -> None:
        await peer.say("* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2 AUTH=PLAIN] ready")
        command = await peer.command()
        if method == "login-literal":
            await peer.say("+ go")
            await peer.line()
        elif method == "plain":
            await peer.say("+ ")
            await peer.line()
        elif method == "xoauth2":
            await peer.say("+ ")
            await peer.line()
            await peer.say("+ eyJzdGF0dXMiOiI0MDEifQ==")
            await peer.line()
        await peer.say(f"{command.tag} NO [AUTHENTICATIONFAILED] Authentication failed.")
        await peer.serve_logout()

    caplog.set_level(logging.DEBUG, logger="mailwarden")
    async with FakeServer(script) as server, await open_plain(server, trace=True) as client:
        login = {
            "login": client.login,
            "login-literal": client.login,
            "plain": client.authenticate_plain,
            "xoauth2": client.authenticate_xoauth2,
        }[method]
        with pytest.raises(IMAPAuthError):
            await login("u", secret)

    assert "<redacted>" in caplog.text  # the trace was on, and showed the command without its arguments
    for leak in (secret, encoded, base64.b64encode(secret.encode()).decode(), "eyJzdGF0dXMi"):
        assert leak not in caplog.text


async def test_id_tells_who_we_are_and_returns_who_the_server_is() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(f"* OK [CAPABILITY {CAPS}] ready")
        command = await peer.command()
        assert command.args == b'("name" "mailwarden" "version" "0.1.0")'
        await peer.say('* ID ("name" "Dovecot" "support-url" NIL)', f"{command.tag} OK ID completed.")
        command = await peer.command()
        assert command.args == b"NIL"
        await peer.say("* ID NIL", f"{command.tag} OK ID completed.")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_plain(server) as client:
        assert await client.id({"name": "mailwarden", "version": "0.1.0"}) == {
            "name": "Dovecot",
            "support-url": None,
        }
        assert await client.id() == {}


async def test_id_is_skipped_when_the_server_does_not_offer_it() -> None:
    async def script(peer: Peer) -> None:
        await peer.say("* OK [CAPABILITY IMAP4rev1] ready")
        await peer.serve_logout()

    async with FakeServer(script) as server, await open_plain(server) as client:
        assert await client.id({"name": "mailwarden"}) is None


async def test_a_bye_in_answer_to_a_login_is_a_refused_login() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(f"* OK [CAPABILITY {CAPS}] ready")
        await peer.command()
        await peer.say("* BYE Too many invalid IMAP commands.")

    async with FakeServer(script) as server, await open_plain(server) as client:
        with pytest.raises(IMAPAuthError) as caught:
            await client.login("u", "p")

    assert (caught.value.status, caught.value.text) == ("BYE", "Too many invalid IMAP commands.")


async def test_logout_says_goodbye_and_closes_the_socket() -> None:
    async def script(peer: Peer) -> None:
        await peer.say(f"* OK [CAPABILITY {CAPS}] ready")
        await peer.serve_logout()
        assert await peer.closed_by_client()

    async with FakeServer(script) as server:
        client = await open_plain(server)
        await client.logout()

    assert client.state == "logged_out"
    assert not client.connection.usable
