"""The IMAP client as the rest of mailwarden sees it: open, log in, ask, log out.

``async with await IMAPClient.open(host, tls="starttls", ca_file=...) as imap: await imap.authenticate(u, p)``

Policy lives here, mechanics in :mod:`.connection`:

* TLS is verified by default, against the system CAs plus an optional ``ca_file`` (a company CA, the lab CA).
* ``tls="none"`` connects, but no credential is sent over it unless ``allow_plaintext=True``: the CLI only
  sets that with ``--allow-plaintext``. A PREAUTH greeting on a connection that should have become TLS is
  refused, because STARTTLS is impossible after it and the session would silently stay in plaintext.
* After STARTTLS and after login the capability list is read again: servers advertise more (or less) then,
  and a man in the middle could have edited the first list.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Literal

from mailwarden.core.errors import ConfigError, InputError, RemoteError, TLSFailure
from mailwarden.core.secrets import SecretValue
from mailwarden.core.tls import client_context
from mailwarden.imap.auth import Mechanism, Plain, SaslExchange, XOAuth2, choose_login_method
from mailwarden.imap.commands import Raw
from mailwarden.imap.connection import CommandResult, IMAPConnection
from mailwarden.imap.errors import IMAPAuthError, IMAPError
from mailwarden.imap.operations import Operations
from mailwarden.imap.parser import ParserLimits
from mailwarden.imap.responses import UntaggedResponse
from mailwarden.imap.session import State

__all__ = ["IMAPClient", "State", "TLSMode", "default_port"]

log = logging.getLogger("mailwarden.imap")

TLSMode = Literal["implicit", "starttls", "none"]
_TLS_MODES = ("implicit", "starttls", "none")
#: passwords and tokens: a SecretValue is revealed only when sent, which also teaches the log redactor it
Secret = str | SecretValue

#: RFC 2971 limits: at most 30 pairs, field names up to 30 octets, values up to 1024
_ID_MAX_PAIRS, _ID_MAX_KEY, _ID_MAX_VALUE = 30, 30, 1024


def default_port(tls: TLSMode) -> int:
    return 993 if tls == "implicit" else 143


class IMAPClient(Operations):
    """An open IMAP session. Use :meth:`open`; the constructor takes an already greeted connection.

    Connecting, TLS and logging in are here; the folder and message commands come from
    :class:`~.operations.Operations`.
    """

    def __init__(
        self, connection: IMAPConnection, greeting: UntaggedResponse, *, allow_plaintext: bool
    ) -> None:
        super().__init__(connection, "authenticated" if greeting.name == "PREAUTH" else "not_authenticated")
        self.greeting = greeting
        self._allow_plaintext = allow_plaintext

    @classmethod
    async def open(
        cls,
        host: str,
        port: int | None = None,
        *,
        tls: TLSMode = "implicit",
        ca_file: str | Path | None = None,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
        timeout: float = 30.0,  # noqa: ASYNC109 -- the session's inactivity limit, not this call's deadline
        allow_plaintext: bool = False,
        limits: ParserLimits | None = None,
        trace: bool = False,
    ) -> IMAPClient:
        """Connect, read the greeting, do STARTTLS if asked, and know the capabilities.

        ``timeout`` bounds connecting and every later wait for the server (seconds without traffic).
        ``server_hostname`` is the name the certificate must show, if not ``host``.
        """
        if tls not in _TLS_MODES:
            raise ConfigError("imap.tls_mode", value=str(tls))
        context = None
        if tls != "none":
            context = ssl_context or await asyncio.to_thread(client_context, ca_file)  # reads the CA store
        connection = await IMAPConnection.connect(
            host,
            port or default_port(tls),
            ssl_context=context if tls == "implicit" else None,
            server_hostname=server_hostname,
            timeout=timeout,
            limits=limits,
            trace=trace,
        )
        try:
            greeting = await connection.greeting()
            if greeting.name == "BYE":
                raise IMAPError(
                    "imap.bye_greeting",
                    status="BYE",
                    code=greeting.code.name if greeting.code else None,
                    text=greeting.text,
                    host=connection.host,
                    port=connection.port,
                )
            client = cls(connection, greeting, allow_plaintext=allow_plaintext)
            if tls == "starttls":
                assert context is not None
                await client._starttls(context, server_hostname)
            if connection.capabilities is None:
                await client.capability()
        except BaseException:
            connection.abort()
            raise
        return client

    async def _starttls(self, context: ssl.SSLContext, server_hostname: str | None) -> None:
        host, port = self.connection.host, self.connection.port
        if self.greeting.name == "PREAUTH":
            raise TLSFailure("imap.starttls_preauth", permanent=True, host=host, port=port)
        capabilities = self.connection.capabilities or await self.capability()
        if "STARTTLS" not in capabilities:
            raise TLSFailure("imap.starttls_unsupported", permanent=True, host=host, port=port)
        await self.connection.starttls(context, server_hostname)
        await self.capability()

    async def capability(self) -> frozenset[str]:
        await self.connection.execute("CAPABILITY", wants=("CAPABILITY",))
        return self.capabilities

    async def authenticate(self, username: str, password: Secret) -> str:
        """Log in with PLAIN if offered, else LOGIN; returns the method used."""
        method = choose_login_method(self.capabilities)
        if method is None:
            raise self._auth_unusable("imap.auth.no_mechanism", "LOGIN")
        if method == "PLAIN":
            await self.authenticate_plain(username, password)
        else:
            await self.login(username, password)
        return method

    async def login(self, username: str, password: Secret) -> None:
        """LOGIN; a non-ASCII or odd password goes as a literal (LITERAL+ saves a round trip)."""
        self._may_send_credentials()
        if "LOGINDISABLED" in self.capabilities:
            raise self._auth_unusable("imap.auth.no_mechanism", "LOGIN")
        result = await self._refusal_as_auth_error(
            "LOGIN",
            self.connection.execute(
                "LOGIN", username, _reveal(password), wants=("CAPABILITY",), redact=True, check=False
            ),
        )
        await self._logged_in(result, "LOGIN")

    async def authenticate_plain(self, username: str, password: Secret, *, authzid: str = "") -> None:
        await self._authenticate(Plain(username, _reveal(password), authzid))

    async def authenticate_xoauth2(self, username: str, access_token: Secret) -> None:
        await self._authenticate(XOAuth2(username, _reveal(access_token)))

    async def _authenticate(self, mechanism: Mechanism) -> None:
        self._may_send_credentials()
        if f"AUTH={mechanism.name}" not in self.capabilities:
            raise self._auth_unusable("imap.auth.unsupported", "AUTHENTICATE", mechanism=mechanism.name)
        exchange = SaslExchange(mechanism, initial_sent="SASL-IR" in self.capabilities)
        args = [Raw(arg) for arg in exchange.command_arguments()]
        result = await self._refusal_as_auth_error(
            "AUTHENTICATE",
            self.connection.execute(
                "AUTHENTICATE",
                *args,
                wants=("CAPABILITY",),
                on_continuation=lambda request: exchange.answer(request.data),
                redact=True,
                check=False,
            ),
        )
        await self._logged_in(result, "AUTHENTICATE", sasl_detail=mechanism.error_detail)

    async def _refusal_as_auth_error(
        self, command: str, execution: Awaitable[CommandResult]
    ) -> CommandResult:
        """A BYE instead of an answer (too many failures, say) is a refused login too."""
        try:
            return await execution
        except IMAPError as exc:
            if exc.status != "BYE":
                raise
            raise IMAPAuthError.refused(
                "BYE", code=exc.code, text=exc.text, command=command, host=exc.host, port=exc.port
            ) from exc

    async def _logged_in(
        self, result: CommandResult, command: str, *, sasl_detail: str | None = None
    ) -> None:
        tagged = result.tagged
        if tagged.status != "OK":
            raise IMAPAuthError.refused(
                tagged.status,
                code=tagged.code.name if tagged.code else None,
                text=tagged.text,
                command=command,
                host=self.connection.host,
                port=self.connection.port,
                sasl_detail=sasl_detail,
            )
        self._state = "authenticated"
        log.info("imap %s:%s logged in with %s", self.connection.host, self.connection.port, command)
        told = (tagged.code is not None and tagged.code.name == "CAPABILITY") or any(
            response.name == "CAPABILITY" for response in result.untagged
        )
        if not told:
            self.connection.forget_capabilities()
            await self.capability()

    def _may_send_credentials(self) -> None:
        where = {"host": self.connection.host, "port": self.connection.port}
        if self._state != "not_authenticated":
            raise InputError("imap.wrong_state", state=self._state, **where)
        if not self.connection.encrypted and not self._allow_plaintext:
            raise ConfigError("imap.plaintext_refused", **where)

    def _auth_unusable(self, key: str, command: str, **params: str) -> IMAPAuthError:
        return IMAPAuthError(
            key,
            command=command,
            host=self.connection.host,
            port=self.connection.port,
            permanent=True,
            **params,
        )

    async def id(self, fields: Mapping[str, str | None] | None = None) -> dict[str, str | None] | None:
        """RFC 2971 ID: tell the server who we are, learn who it is. None if the server has no ID."""
        if "ID" not in self.capabilities:
            return None
        argument: tuple[str | None, ...] | None = None
        if fields is not None:
            if len(fields) > _ID_MAX_PAIRS:
                raise InputError("imap.argument", detail="ID takes at most 30 fields")
            pairs: list[str | None] = []
            for key, value in fields.items():
                if len(key.encode()) > _ID_MAX_KEY or (
                    value is not None and len(value.encode()) > _ID_MAX_VALUE
                ):
                    raise InputError("imap.argument", detail=f"ID field {key!r} is too long")
                pairs += [key, value]
            argument = tuple(pairs)
        result = await self.connection.execute("ID", argument, wants=("ID",))
        for response in result.untagged:
            items = response.data[0] if response.data else None
            if isinstance(items, tuple):
                return {_text(items[i]) or "": _text(items[i + 1]) for i in range(0, len(items) - 1, 2)}
        return {}  # "* ID NIL": the server prefers not to say

    async def noop(self) -> None:
        """NOOP: a keep-alive, and a chance for the server to report folder changes (see take_events)."""
        self.free("NOOP")
        await self.connection.execute("NOOP")

    async def logout(self) -> None:
        """LOGOUT, then close. The BYE that LOGOUT provokes is the expected answer, not an error."""
        try:
            if self.connection.usable:
                await self.connection.execute("LOGOUT", wants=("BYE",))
        except IMAPError as exc:
            if exc.status != "BYE":
                raise
        finally:
            self._state = "logged_out"
            self.selected = None
            await self.connection.close()

    async def close(self) -> None:
        """Close without LOGOUT (after an error, or when the session is of no further use)."""
        self._state = "logged_out"
        self.selected = None
        await self.connection.close()

    async def __aenter__(self) -> IMAPClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None or self._state == "logged_out":
            await self.close()
            return
        try:
            await self.logout()
        except RemoteError as error:
            # Leaving anyway: a failed goodbye must not turn finished work into a failure.
            log.debug("imap %s:%s logout failed: %s", self.connection.host, self.connection.port, error)


def _reveal(secret: Secret) -> str:
    return secret.reveal() if isinstance(secret, SecretValue) else secret


def _text(value: object) -> str | None:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else None
