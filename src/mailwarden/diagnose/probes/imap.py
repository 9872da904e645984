"""IMAP: greeting, CAPABILITY, ID, one login, EXAMINE INBOX, GETQUOTAROOT -- with mailwarden's own client.

Exactly one LOGIN/AUTHENTICATE, and only when the login policy allows it; its refusal is recorded with the
server's exact words and never retried (not with another mechanism, not in another letter case).
"""

from __future__ import annotations

from mailwarden import __version__
from mailwarden.core.errors import ConfigError, MailwardenError
from mailwarden.core.secrets import SecretValue
from mailwarden.diagnose.evidence import Endpoint, ImapResult, LoginOutcome
from mailwarden.diagnose.probes.login import LoginPolicy
from mailwarden.imap.client import IMAPClient
from mailwarden.imap.errors import IMAPAuthError, IMAPError

__all__ = ["probe_imap"]

_ID = {
    "name": "mailwarden",
    "version": __version__,
    "vendor": "mailwarden",
    "support-url": "mailwarden diagnose",
}


def _answer(error: IMAPError) -> str:
    code = f" [{error.code}]" if error.code else ""
    return f"{error.status or 'NO'}{code} {error.text}".rstrip()


async def probe_imap(
    endpoint: Endpoint,
    *,
    username: str,
    secret: SecretValue | None,
    oauth: bool,
    ca_file: str | None,
    timeout: float,  # noqa: ASYNC109 -- the client's per-reply limit
    policy: LoginPolicy,
) -> ImapResult:
    result = ImapResult(endpoint)
    outcome: LoginOutcome | None = None
    try:
        client = await IMAPClient.open(
            endpoint.host, endpoint.port, tls=endpoint.tls, ca_file=ca_file, timeout=timeout
        )
    except MailwardenError as exc:
        result.error, result.error_kind = exc.render("en"), exc.kind
        if isinstance(exc, IMAPError) and exc.status:
            result.lines.append(f"* {_answer(exc)}")
        await policy.settled("imap", endpoint.host, None)
        return result
    try:
        greeting = client.greeting
        code = f"[{greeting.code.name}] " if greeting.code else ""
        result.greeting = f"* {greeting.name} {code}{greeting.text}".rstrip()
        result.lines.append(result.greeting)
        result.capabilities = sorted(client.capabilities)
        result.lines.append("* CAPABILITY " + " ".join(result.capabilities))
        try:
            result.server_id = await client.id(_ID)
        except IMAPError as exc:
            result.lines.append(f"ID: {_answer(exc)}")
        if result.server_id:
            result.lines.append("* ID " + " ".join(f'"{k}" "{v}"' for k, v in result.server_id.items()))
        if secret is not None:
            outcome = await _login(client, result, username, secret, oauth, policy)
        if outcome is not None and outcome.state == "ok":
            await _inside(client, result)
    except MailwardenError as exc:
        result.error, result.error_kind = exc.render("en"), exc.kind
    finally:
        await policy.settled("imap", endpoint.host, outcome)
        await client.close()
    return result


async def _login(
    client: IMAPClient,
    result: ImapResult,
    username: str,
    secret: SecretValue,
    oauth: bool,
    policy: LoginPolicy,
) -> LoginOutcome:
    skip = await policy.may_login("imap", result.endpoint.host)
    if skip is not None:
        result.login = skip
        return skip
    try:
        if oauth:
            await client.authenticate_xoauth2(username, secret)
            method = "XOAUTH2"
        else:
            method = await client.authenticate(username, secret)
    except IMAPAuthError as exc:
        answer = _answer(exc) if exc.status else exc.render("en")
        if exc.sasl_detail:
            answer += f" ({exc.sasl_detail})"
        result.login = LoginOutcome("refused", answer, exc.code or "", exc.key)
    except ConfigError as exc:  # plaintext: we never send a password unencrypted
        result.login = LoginOutcome("skipped", reason=exc.key)
    except MailwardenError as exc:
        result.login = LoginOutcome("error", reason=exc.render("en"))
    else:
        result.login = LoginOutcome("ok", f"OK ({method})")
    result.lines.append(f"LOGIN: {result.login.answer or result.login.reason}")
    return result.login


async def _inside(client: IMAPClient, result: ImapResult) -> None:
    try:
        await client.examine("INBOX")
        result.examine, result.examine_ok = "OK", True
    except IMAPError as exc:
        result.examine, result.examine_ok = _answer(exc), False
    result.lines.append(f"EXAMINE INBOX: {result.examine}")
    try:
        quotas = await client.getquotaroot("INBOX")
    except IMAPError as exc:
        result.lines.append(f"GETQUOTAROOT: {_answer(exc)}")
        return
    for quota in quotas or ():
        for resource in quota.resources.values():
            result.quota.append((resource.name, resource.usage, resource.limit))
            result.lines.append(f"* QUOTA {quota.root} ({resource.name} {resource.usage} {resource.limit})")
