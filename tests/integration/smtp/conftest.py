"""Submission settings for the lab Postfix, and a loopback server for what Postfix cannot show."""

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from mailwarden.smtp import SubmissionSettings

SettingsFactory = Callable[..., SubmissionSettings]


@pytest.fixture
def submission(postfix: Any) -> SettingsFactory:
    """``submission()`` is the STARTTLS port with the lab CA; keyword arguments change any setting."""

    def make(**changes: Any) -> SubmissionSettings:
        values: dict[str, Any] = {
            "host": postfix.host,
            "port": postfix.submission_port,
            "tls": "starttls",
            "ca_file": postfix.ca_file,
            "timeout": 10.0,
            "local_hostname": "client.example.test",
        }
        values.update(changes)
        return SubmissionSettings(**values)

    return make


@pytest.fixture
async def plaintext_only_server() -> AsyncIterator[tuple[int, list[str]]]:
    """A server on loopback that offers AUTH but not STARTTLS, as a stripping man-in-the-middle would.

    The lab Postfix offers STARTTLS on every port, and aiosmtpd is not among our dependencies, so this is
    the smallest server that speaks enough SMTP (greeting, EHLO, QUIT). Yields its port and every command
    line it heard, so a test can check that no credential was sent.
    """
    heard: list[str] = []
    sessions_done = asyncio.Event()

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(b"220 plain.example.test ESMTP\r\n")
            while line := await reader.readline():
                command = line.decode("utf-8", "replace").rstrip("\r\n")
                heard.append(command)
                verb = command.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    writer.write(b"250-plain.example.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
                elif verb == "QUIT":
                    writer.write(b"221 2.0.0 Bye\r\n")
                    break
                else:
                    writer.write(b"502 5.5.2 Not implemented here\r\n")
                await writer.drain()
        finally:
            writer.close()
            await writer.wait_closed()
            sessions_done.set()

    server = await asyncio.start_server(session, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1], heard
        await asyncio.wait_for(sessions_done.wait(), timeout=10)
