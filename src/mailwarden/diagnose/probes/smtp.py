"""SMTP submission: greeting, EHLO, STARTTLS, one AUTH, with the reply's enhanced status code.

mailwarden's submission client does the work (and its policy: STARTTLS required when asked for, no
password in plaintext, one mechanism only).
"""

from __future__ import annotations

from mailwarden.core.errors import ConfigError, MailwardenError, ProtocolError
from mailwarden.core.secrets import SecretValue
from mailwarden.diagnose.evidence import Endpoint, LoginOutcome, SmtpResult
from mailwarden.diagnose.probes.login import LoginPolicy, server_text
from mailwarden.smtp.client import SubmissionClient
from mailwarden.smtp.errors import SMTPAuthError, SMTPError
from mailwarden.smtp.settings import Credentials, OAuth2Token, Password, SubmissionSettings

__all__ = ["probe_smtp"]


async def probe_smtp(
    endpoint: Endpoint,
    *,
    username: str,
    secret: SecretValue | None,
    oauth: bool,
    ca_file: str | None,
    timeout: float,  # noqa: ASYNC109 -- the client's per-reply limit
    policy: LoginPolicy,
) -> SmtpResult:
    result = SmtpResult(endpoint)
    outcome: LoginOutcome | None = None
    settings = SubmissionSettings(
        host=endpoint.host,
        port=endpoint.port,
        tls=endpoint.tls,
        ca_file=ca_file,
        timeout=timeout,
        local_hostname="mailwarden.diagnose",
    )
    client = SubmissionClient(settings)
    try:
        await client.connect()
        result.banner = server_text(client.banner)
        result.lines.append(f"220 {result.banner}")
        result.extensions = dict(client.extensions)
        result.tls_version = client.tls_version
        result.lines.append("EHLO: " + " ".join(sorted(result.extensions)))
        if secret is not None:
            outcome = await _login(client, result, username, secret, oauth, policy)
        await client.quit()
    except SMTPError as exc:
        result.error, result.error_kind = server_text(str(exc.reply)), exc.kind
        result.lines.append(result.error)
    except MailwardenError as exc:
        result.error, result.error_kind = exc.render("en"), exc.kind
    finally:
        client.close()
        await policy.settled("smtp", endpoint.host, outcome)
    return result


async def _login(
    client: SubmissionClient,
    result: SmtpResult,
    username: str,
    secret: SecretValue,
    oauth: bool,
    policy: LoginPolicy,
) -> LoginOutcome:
    skip = await policy.may_login("smtp", result.endpoint.host)
    if skip is not None:
        result.login = skip
        return skip
    credentials: Credentials = (
        OAuth2Token(username, secret.reveal()) if oauth else Password(username, secret.reveal())
    )
    try:
        mechanism = await client.login(credentials)
    except SMTPAuthError as exc:
        result.login = LoginOutcome("refused", server_text(str(exc.reply)), exc.enhanced or str(exc.code))
    except ConfigError as exc:
        result.login = LoginOutcome("skipped", reason=exc.key)
    except ProtocolError as exc:
        if exc.key == "smtp.auth_unsupported":
            result.login = LoginOutcome("error", reason="no_mechanism", code=str(exc.params.get("offered")))
        else:
            raise
    else:
        result.login = LoginOutcome("ok", f"235 ({mechanism})")
    result.lines.append(f"AUTH: {result.login.answer or result.login.reason}")
    return result.login
