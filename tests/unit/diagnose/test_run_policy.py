"""The login policy of one run, without servers: who waits for whom, and what one refusal stops."""

from __future__ import annotations

import asyncio

from mailwarden.core.secrets import SecretValue
from mailwarden.diagnose.evidence import LoginOutcome
from mailwarden.diagnose.ratelimit import RunPolicy

REFUSED = LoginOutcome("refused", "535 5.7.8 Error: authentication failed", "5.7.8")


async def test_smtp_waits_for_imap_and_skips_a_password_imap_refused() -> None:
    policy = RunPolicy(None, "sales@example.com", SecretValue("pw"))
    assert await policy.may_login("imap", "h") is None
    smtp = asyncio.create_task(policy.may_login("smtp", "h"))
    await asyncio.sleep(0.01)
    assert not smtp.done()
    await policy.settled("imap", "h", LoginOutcome("refused", "NO [AUTHENTICATIONFAILED] x"))
    outcome = await smtp
    assert outcome is not None and outcome.reason == "refused_over_imap"
    assert policy.attempts == 1


async def test_without_imap_the_second_protocol_waits_for_the_first_ones_outcome() -> None:
    policy = RunPolicy(None, "sales@example.com", SecretValue("pw"))
    policy.no_imap()
    assert await policy.may_login("smtp", "h") is None
    pop3 = asyncio.create_task(policy.may_login("pop3", "h"))
    await asyncio.sleep(0.01)
    assert not pop3.done()  # not while the SMTP attempt is under way
    await policy.settled("smtp", "h", REFUSED)
    outcome = await pop3
    assert outcome is not None and (outcome.reason, outcome.answer) == ("refused_in_this_run", REFUSED.answer)
    assert policy.attempts == 1


async def test_an_accepted_password_lets_the_next_protocol_try_once() -> None:
    policy = RunPolicy(None, "sales@example.com", SecretValue("pw"))
    policy.no_imap()
    assert await policy.may_login("smtp", "h") is None
    await policy.settled("smtp", "h", LoginOutcome("ok", "235"))
    assert await policy.may_login("pop3", "h") is None
    again = await policy.may_login("pop3", "h")
    assert again is not None and again.reason == "once_per_run"
    assert policy.attempts == 2
