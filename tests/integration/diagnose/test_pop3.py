"""POP3 against the lab Dovecot: CAPA, STLS, one login under the same rules as IMAP and SMTP (one attempt per
protocol per run, no password sent twice, never over plaintext), and the server's refusal as evidence."""

from __future__ import annotations

import random
import string

from mailwarden.db.engine import Database
from mailwarden.diagnose.evidence import Endpoint

from diag_run import codes, imap, run, settings_for, smtp
from lab.dovecot import Dovecot, MailUser
from lab.postfix import Postfix

REFUSAL = "-ERR [AUTH] Authentication failed."


def pop3(port: int, tls: str = "implicit") -> Endpoint:
    return Endpoint("pop3", "127.0.0.1", port, tls)  # type: ignore[arg-type]


def _user(dovecot: Dovecot) -> MailUser:
    return dovecot.add_user("".join(random.choices(string.ascii_lowercase, k=10)))


def _auth_lines(dovecot: Dovecot, user: MailUser) -> int:
    """Dovecot's log lines about this user's failed logins (one per attempt that reached it)."""
    return sum(
        1
        for line in dovecot.log_text().splitlines()
        if user.address in line and "auth failed" in line.lower()
    )


async def test_capa_and_a_good_login_over_pop3s(dovecot: Dovecot, lab_dns, ledger_db: Database) -> None:
    user = _user(dovecot)
    dovecot.deliver(user.address, b"Subject: one\r\n\r\nbody\r\n")
    result = await run(
        user.address, settings_for(lab_dns), ledger_db, password=user.password, ca_file=dovecot.ca_file,
        imap=imap(dovecot.imaps_port), pop3=pop3(dovecot.pop3s_port),
    )  # fmt: skip
    assert result.healthy, result.as_dict()
    (session,) = result.evidence.pop3
    assert session.greeting.startswith("+OK")
    assert "USER" in session.capabilities and any(c.startswith("SASL") for c in session.capabilities)
    assert session.login is not None and session.login.state == "ok", session.lines
    assert session.stat.startswith("+OK 1 ")
    assert result.login_attempts == 2
    assert user.password not in " ".join(session.lines)


async def test_stls_upgrades_and_capa_is_asked_again(dovecot: Dovecot, lab_dns, ledger_db: Database) -> None:
    user = _user(dovecot)
    result = await run(
        user.address, settings_for(lab_dns), ledger_db, password=user.password, ca_file=dovecot.ca_file,
        pop3=pop3(dovecot.pop3_port, "starttls"),
    )  # fmt: skip
    (session,) = result.evidence.pop3
    assert session.login is not None and session.login.state == "ok", session.lines
    assert [line for line in session.lines if line.startswith("C: ")][:3] == ["C: CAPA", "C: STLS", "C: CAPA"]
    assert result.healthy and result.evidence.unfinished == []


async def test_a_wrong_password_over_pop3_alone_is_named_at_once(
    dovecot: Dovecot, lab_dns, ledger_db: Database
) -> None:
    """No IMAP session in this run: POP3 must not wait for one until the deadline."""
    user = _user(dovecot)
    wrong = "not-" + user.password
    result = await run(
        user.address, settings_for(lab_dns), ledger_db, password=wrong, ca_file=dovecot.ca_file,
        pop3=pop3(dovecot.pop3s_port),
    )  # fmt: skip
    assert codes(result)[0] == "auth.wrong_password", result.as_dict()
    assert REFUSAL in result.findings[0].evidence
    assert result.evidence.pop3[0].login is not None and result.evidence.pop3[0].login.code == "AUTH"
    assert result.evidence.unfinished == [] and result.elapsed_ms < 5000
    assert wrong not in " ".join(result.evidence.pop3[0].lines)


async def test_a_password_imap_refused_is_not_sent_over_smtp_or_pop3(
    dovecot: Dovecot, postfix: Postfix, lab_dns, ledger_db: Database
) -> None:
    user = _user(dovecot)
    result = await run(
        user.address, settings_for(lab_dns), ledger_db, password="wrong-" + user.password,
        ca_file=dovecot.ca_file, imap=imap(dovecot.imaps_port), smtp=smtp(postfix.smtps_port),
        pop3=pop3(dovecot.pop3s_port),
    )  # fmt: skip
    assert result.login_attempts == 1
    pop3_login, smtp_login = result.evidence.pop3[0].login, result.evidence.smtp[0].login
    assert pop3_login is not None and pop3_login.reason == "refused_over_imap"
    assert smtp_login is not None and smtp_login.reason == "refused_over_imap"
    assert _auth_lines(dovecot, user) <= 1


async def test_smtp_and_pop3_without_imap_take_turns_and_one_refusal_stops_the_other(
    dovecot: Dovecot, postfix: Postfix, lab_dns, ledger_db: Database
) -> None:
    user = _user(dovecot)
    result = await run(
        user.address, settings_for(lab_dns), ledger_db, password="wrong-" + user.password,
        ca_file=dovecot.ca_file, smtp=smtp(postfix.smtps_port), pop3=pop3(dovecot.pop3s_port),
    )  # fmt: skip
    assert result.login_attempts == 1, result.as_dict()
    logins = [result.evidence.pop3[0].login, result.evidence.smtp[0].login]
    assert sorted(login.state for login in logins if login) == ["refused", "skipped"]
    # the second learns of the refusal from this run or from the ledger the first wrote to
    assert {login.reason for login in logins if login} & {"refused_in_this_run", "already_refused"}
    assert codes(result)[0] == "auth.wrong_password"


async def test_the_same_wrong_password_is_not_sent_over_pop3_in_the_next_run(
    dovecot: Dovecot, lab_dns, ledger_db: Database
) -> None:
    user = _user(dovecot)
    kwargs = dict(password="bad-" + user.password, ca_file=dovecot.ca_file, pop3=pop3(dovecot.pop3s_port))
    first = await run(user.address, settings_for(lab_dns), ledger_db, **kwargs)  # type: ignore[arg-type]
    second = await run(user.address, settings_for(lab_dns), ledger_db, **kwargs)  # type: ignore[arg-type]
    assert (first.login_attempts, second.login_attempts) == (1, 0)
    login = second.evidence.pop3[0].login
    assert login is not None and login.reason == "already_refused" and login.answer == REFUSAL
    assert _auth_lines(dovecot, user) <= 1


async def test_no_password_goes_over_plaintext_pop3(dovecot: Dovecot, lab_dns, ledger_db: Database) -> None:
    """Dovecot here allows plaintext logins; the diagnosis still never sends one."""
    user = _user(dovecot)
    plain = pop3(dovecot.pop3_port, "none")
    result = await run(user.address, settings_for(lab_dns), ledger_db, password=user.password, pop3=plain)
    (session,) = result.evidence.pop3
    assert session.capabilities and session.login is not None
    assert (session.login.state, session.login.reason) == ("skipped", "plaintext_refused")
    assert result.login_attempts == 0
    assert not [line for line in session.lines if line.startswith(("C: USER", "C: PASS", "C: AUTH"))]
