"""POP3: greeting, CAPA (RFC 2449), STLS (RFC 2595), one login, STAT.

There is no POP3 client elsewhere in mailwarden (it archives over IMAP), and a diagnosis needs only these
few commands, so they are spoken here directly. The login is one attempt, through the same
:class:`~mailwarden.diagnose.probes.login.LoginPolicy` as IMAP and SMTP: ``AUTH PLAIN`` with an initial
response (RFC 5034) when CAPA offers SASL PLAIN, else ``USER``/``PASS`` (RFC 1939) -- where a refused USER
ends the attempt, PASS is never sent after it. Never over plaintext, and never retried.

Refusals carry RFC 2449/3206 response codes (``-ERR [AUTH] ...``, ``[IN-USE]``, ``[LOGIN-DELAY]``,
``[SYS/TEMP]``, ``[SYS/PERM]``): they are kept as the outcome's ``code``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import ssl
from pathlib import Path

from mailwarden.core.secrets import SecretValue
from mailwarden.core.tls import client_context
from mailwarden.diagnose.evidence import Endpoint, LoginOutcome, Pop3Result
from mailwarden.diagnose.probes import tls
from mailwarden.diagnose.probes.login import LoginPolicy
from mailwarden.diagnose.probes.tcp import Connected, classify, open_tcp

__all__ = ["probe_pop3"]

_CODE = re.compile(r"^-ERR \[([A-Z0-9/-]+)\]")
_MULTILINE_LIMIT = 200


class _Closed(ConnectionError):
    """The server closed the connection mid-dialogue."""


def _text(raw: bytes) -> str:
    """A server line as it meant it: UTF-8, else GB18030 (Chinese providers answer in GBK)."""
    raw = raw.rstrip(b"\r\n")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", "replace")


class _Session:
    def __init__(self, connection: Connected, result: Pop3Result, timeout: float) -> None:
        self.connection = connection
        self.result = result
        self.timeout = timeout

    async def line(self) -> str:
        async with asyncio.timeout(self.timeout):
            raw = await self.connection.reader.readline()
        if not raw:
            raise _Closed("the server closed the connection")
        return _text(raw)

    async def command(self, text: str, shown: str | None = None) -> str:
        self.connection.writer.write(text.encode() + b"\r\n")
        await self.connection.writer.drain()
        answer = await self.line()
        self.result.lines.append(f"C: {shown or text}")
        self.result.lines.append(f"S: {answer}")
        return answer

    async def capa(self) -> list[str]:
        answer = await self.command("CAPA")
        if not answer.startswith("+OK"):
            return []  # an RFC 1939 server without CAPA
        capabilities = []
        for _ in range(_MULTILINE_LIMIT):
            line = await self.line()
            if line == ".":
                break
            capabilities.append(line)
        self.result.lines.append("S: " + " / ".join(capabilities))
        return capabilities


def _offers(capabilities: list[str], word: str) -> bool:
    return any(c.upper().split()[:1] == [word] for c in capabilities if c.strip())


def _sasl(capabilities: list[str]) -> list[str]:
    for c in capabilities:
        parts = c.upper().split()
        if parts and parts[0] == "SASL":
            return parts[1:]
    return []


async def probe_pop3(
    endpoint: Endpoint,
    *,
    username: str,
    secret: SecretValue | None,
    oauth: bool,
    ca_file: str | None,
    timeout: float,  # noqa: ASYNC109 -- per reply
    policy: LoginPolicy,
) -> Pop3Result:
    result = Pop3Result(endpoint)
    outcome: LoginOutcome | None = None
    try:
        connection = await open_tcp(endpoint.host, endpoint.port, timeout)
    except (OSError, TimeoutError) as exc:
        result.error_kind, result.error = classify(exc)
        await policy.settled("pop3", endpoint.host, None)
        return result
    try:
        context = await asyncio.to_thread(client_context, Path(ca_file) if ca_file else None)
        session = _Session(connection, result, timeout)
        if endpoint.tls == "implicit":
            await tls.start_tls(connection, context, endpoint.host, timeout)
        result.greeting = await session.line()
        result.lines.append(f"S: {result.greeting}")
        if not result.greeting.startswith("+OK"):
            result.error_kind, result.error = "greeting", result.greeting
            return result
        result.capabilities = await session.capa()
        if endpoint.tls == "starttls":
            if not _offers(result.capabilities, "STLS"):
                result.error_kind, result.error = "no_stls", "STLS is not offered"
                return result
            answer = await session.command("STLS")
            if not answer.startswith("+OK"):
                result.error_kind, result.error = "no_stls", answer
                return result
            await tls.start_tls(connection, context, endpoint.host, timeout)
            result.capabilities = await session.capa()  # RFC 2595: they may change after STLS
        if secret is not None:
            outcome = await _login(session, username, secret, oauth, policy)
            if outcome.state == "ok":
                result.stat = await session.command("STAT")
        # the answers that matter are in; a server that hangs up at QUIT is no finding
        with contextlib.suppress(OSError, TimeoutError):
            await session.command("QUIT")
    except (OSError, TimeoutError) as exc:  # ssl.SSLError is an OSError
        if isinstance(exc, ssl.SSLError | ssl.CertificateError):
            result.error_kind, result.error = tls.outcome_of(exc)
        else:
            result.error_kind, result.error = classify(exc)
    finally:
        await policy.settled("pop3", endpoint.host, outcome)
        await connection.close()
    return result


async def _login(
    session: _Session, username: str, secret: SecretValue, oauth: bool, policy: LoginPolicy
) -> LoginOutcome:
    result = session.result
    endpoint = result.endpoint
    if endpoint.tls == "none":
        result.login = LoginOutcome("skipped", reason="plaintext_refused")
        return result.login
    mechanisms = _sasl(result.capabilities)
    if oauth and "XOAUTH2" not in mechanisms:
        result.login = LoginOutcome("error", reason="no_mechanism", code=" ".join(mechanisms) or "-")
        return result.login
    skip = await policy.may_login("pop3", endpoint.host)
    if skip is not None:
        result.login = skip
        return skip
    password = secret.reveal()
    if oauth:
        token = f"user={username}\x01auth=Bearer {password}\x01\x01"
        answer = await session.command(
            "AUTH XOAUTH2 " + base64.b64encode(token.encode()).decode(), "AUTH XOAUTH2 ****"
        )
        if answer.startswith("+ "):  # RFC 7628-style error challenge: answer it with an empty line
            answer = await session.command("", "(empty)")
        method = "XOAUTH2"
    elif "PLAIN" in mechanisms:
        blob = base64.b64encode(f"\0{username}\0{password}".encode()).decode()
        answer = await session.command(f"AUTH PLAIN {blob}", "AUTH PLAIN ****")
        method = "AUTH PLAIN"
    else:
        answer = await session.command(f"USER {username}")
        if answer.startswith("+OK"):
            answer = await session.command(f"PASS {password}", "PASS ****")
        method = "USER/PASS"
    if answer.startswith("+OK"):
        result.login = LoginOutcome("ok", f"+OK ({method})")
    else:
        code = _CODE.match(answer)
        result.login = LoginOutcome("refused", answer, code[1] if code else "")
    return result.login
