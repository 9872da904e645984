"""Smoke tests of the mail lab itself, with the standard library's clients only (plus asyncpg)."""

import imaplib
import os
import poplib
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from lab._proc import MissingPackageError, require_packages
from lab.dovecot import DeliveryError, Dovecot, MailUser
from lab.ports import lock_path, release_ports, reserve_ports
from lab.postfix import Postfix
from lab.postgres import Postgres

LAB_DIR = Path(__file__).resolve().parent


def tls(server: Dovecot | Postfix) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(server.ca_file))


def message(sender: str, to: str, subject: str = "lab", body: str = "hello\n") -> tuple[str, bytes]:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Message-ID"] = msgid = make_msgid(domain="lab.example.test")
    msg.set_content(body)
    return msgid, msg.as_bytes()


def imaps_login_error(dovecot: Dovecot, user: str, password: str) -> str:
    with (
        imaplib.IMAP4_SSL(dovecot.host, dovecot.imaps_port, ssl_context=tls(dovecot)) as imap,
        pytest.raises(imaplib.IMAP4.error) as refused,
    ):
        imap.login(user, password)
    return str(refused.value)


def wait_for_inbox(dovecot: Dovecot, user: MailUser, msgid: str, timeout: float = 10.0) -> bytes:
    """Poll over IMAP (bounded) until a message with ``msgid`` is in the INBOX; return its header."""
    deadline = time.monotonic() + timeout
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.imaps_port, ssl_context=tls(dovecot)) as imap:
        imap.login(user.address, user.password)
        while True:
            imap.select("INBOX", readonly=True)
            _, found = imap.search(None, "HEADER", "Message-ID", msgid)
            if found[0]:
                _, data = imap.fetch(found[0].split()[0], "(BODY.PEEK[HEADER])")
                return bytes(data[0][1])  # type: ignore[index]
            assert time.monotonic() < deadline, f"{msgid} did not reach {user.address} in {timeout} s"
            time.sleep(0.05)


def disconnected(imap: imaplib.IMAP4, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            imap.noop()
        except (imaplib.IMAP4.abort, OSError):
            return True
        time.sleep(0.01)
    return False


# --- Dovecot ------------------------------------------------------------------------------------


def test_it_logs_in_over_imaps_trusting_only_the_lab_ca(dovecot: Dovecot, mail_user: MailUser) -> None:
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.imaps_port, ssl_context=tls(dovecot)) as imap:
        assert imap.login(mail_user.address, mail_user.password)[0] == "OK"
        capabilities = imap.capability()[1][0].split()
        for capability in (b"IDLE", b"CONDSTORE", b"QRESYNC", b"QUOTA", b"SPECIAL-USE", b"MOVE", b"UIDPLUS"):
            assert capability in capabilities
    with (
        socket.create_connection((dovecot.host, dovecot.imaps_port)) as raw,
        pytest.raises(ssl.SSLCertVerificationError),  # the system CAs do not know the lab CA
    ):
        ssl.create_default_context().wrap_socket(raw, server_hostname=dovecot.host)


def test_it_logs_in_after_starttls_on_the_plain_imap_port(dovecot: Dovecot, mail_user: MailUser) -> None:
    with imaplib.IMAP4(dovecot.host, dovecot.imap_port) as imap:
        assert "STARTTLS" in imap.capabilities
        imap.starttls(ssl_context=tls(dovecot))
        assert imap.login(mail_user.address, mail_user.password)[0] == "OK"


def test_it_refuses_a_wrong_password_with_authenticationfailed_at_once(
    dovecot: Dovecot, mail_user: MailUser
) -> None:
    started = time.monotonic()
    assert "[AUTHENTICATIONFAILED]" in imaps_login_error(dovecot, mail_user.address, "wrong")
    assert "[AUTHENTICATIONFAILED]" in imaps_login_error(dovecot, "nobody@example.test", "x")
    # Dovecot 2.3 holds failures for its 0.5 s flush timer unless the passdb says "nodelay".
    assert time.monotonic() - started < 0.9


def test_it_accepts_users_added_after_start_at_once(dovecot: Dovecot) -> None:
    # Dovecot stats a passwd-file at most once per second; with one shared file, a user added in the
    # same second as any other lookup stayed invisible. Back to back, each preceded by a failed
    # lookup of the very same address:
    for n in range(4):
        local = f"late-{n}-{time.monotonic_ns()}"
        assert "[AUTHENTICATIONFAILED]" in imaps_login_error(dovecot, f"{local}@example.test", "pw")
        user = dovecot.add_user(local, "pw")
        with imaplib.IMAP4(dovecot.host, dovecot.imap_port) as imap:
            assert imap.login(user.address, user.password)[0] == "OK"


def test_it_answers_contactadmin_for_a_user_disabled_while_logged_in(
    dovecot: Dovecot, mail_user: MailUser
) -> None:
    with imaplib.IMAP4_SSL(dovecot.host, dovecot.imaps_port, ssl_context=tls(dovecot)) as imap:
        imap.login(mail_user.address, mail_user.password)
    dovecot.disable_user(mail_user.address, reason="Left_the_company")
    error = imaps_login_error(dovecot, mail_user.address, mail_user.password)
    assert "[CONTACTADMIN]" in error
    assert "Left_the_company" in error


def test_it_answers_expired_for_an_expired_password(dovecot: Dovecot) -> None:
    user = dovecot.expired_user()
    assert "[EXPIRED]" in imaps_login_error(dovecot, user.address, user.password)
    assert "[AUTHENTICATIONFAILED]" in imaps_login_error(dovecot, user.address, "wrong")


def test_it_answers_unavailable_when_the_password_backend_fails(dovecot: Dovecot) -> None:
    user = dovecot.tempfail_user()
    assert "[UNAVAILABLE]" in imaps_login_error(dovecot, user.address, user.password)


def test_it_shows_an_lmtp_delivery_over_imap_and_in_folder_view(
    dovecot: Dovecot, mail_user: MailUser
) -> None:
    msgid, raw = message("someone@example.test", mail_user.address, "delivered")
    dovecot.deliver(mail_user.address, raw)
    assert b"Subject: delivered" in wait_for_inbox(dovecot, mail_user, msgid, timeout=1)
    [seen] = dovecot.folder_view(mail_user.address)
    assert (seen.uid, seen.message_id, seen.flags) == (1, msgid, frozenset())
    assert seen.size > len(raw)  # Dovecot adds Return-Path / Delivered-To / Received


def test_it_reports_an_lmtp_refusal_with_the_servers_reply(dovecot: Dovecot) -> None:
    with pytest.raises(DeliveryError) as refused:
        dovecot.deliver("nobody@example.test", b"Subject: x\r\n\r\nx\r\n")
    assert refused.value.code == 550


def test_it_refuses_an_append_over_quota_with_overquota(dovecot: Dovecot) -> None:
    user = dovecot.add_user(quota="*:storage=20K")
    with imaplib.IMAP4(dovecot.host, dovecot.imap_port) as imap:
        imap.login(user.address, user.password)
        status, data = imap.append("INBOX", None, None, b"Subject: big\r\n\r\n" + b"x" * 30_000 + b"\r\n")
    assert status == "NO"
    assert b"[OVERQUOTA]" in data[0]


def test_it_applies_a_quota_changed_after_start(dovecot: Dovecot, mail_user: MailUser) -> None:
    dovecot.deliver(mail_user.address, b"Subject: first\r\n\r\nx\r\n")  # a session read the old rule
    dovecot.set_quota(mail_user.address, "*:storage=1K")
    with pytest.raises(DeliveryError) as refused:
        dovecot.deliver(mail_user.address, b"Subject: big\r\n\r\n" + b"x" * 4_000 + b"\r\n")
    assert (refused.value.code, refused.value.reply[:5]) == (552, "5.2.2")


def test_it_offers_special_use_folders_and_creates_folders(dovecot: Dovecot, mail_user: MailUser) -> None:
    dovecot.create_folder(mail_user.address, "Reports/2024.Q1")
    with imaplib.IMAP4(dovecot.host, dovecot.imap_port) as imap:
        imap.login(mail_user.address, mail_user.password)
        listing = b"\n".join(line for line in imap.list()[1] if isinstance(line, bytes))
    for flag in (b"\\Sent", b"\\Trash", b"\\Drafts", b"\\Junk", b"\\Archive"):
        assert flag in listing
    assert b'"/" Reports/2024.Q1' in listing
    assert dovecot.folder_view(mail_user.address, "Reports/2024.Q1") == []


def test_it_kicks_a_users_sessions(dovecot: Dovecot, mail_user: MailUser) -> None:
    imap = imaplib.IMAP4(dovecot.host, dovecot.imap_port)
    try:
        imap.login(mail_user.address, mail_user.password)
        imap.select("INBOX")
        dovecot.kick(mail_user.address)
        assert disconnected(imap)
    finally:
        imap.shutdown()
    dovecot.kick(mail_user.address)  # nobody left: not an error


def test_it_serves_pop3_over_implicit_tls(dovecot: Dovecot, mail_user: MailUser) -> None:
    dovecot.deliver(mail_user.address, b"Subject: pop\r\n\r\nx\r\n")
    pop = poplib.POP3_SSL(dovecot.host, dovecot.pop3s_port, context=tls(dovecot))
    try:
        pop.user(mail_user.address)
        pop.pass_(mail_user.password)
        assert pop.stat()[0] == 1
    finally:
        pop.quit()


# --- Postfix ------------------------------------------------------------------------------------


def test_it_delivers_authenticated_submission_to_the_recipients_inbox(
    postfix: Postfix, dovecot: Dovecot, mail_user: MailUser
) -> None:
    recipient = dovecot.add_user()
    msgid, raw = message(mail_user.address, recipient.address, "submitted")
    with smtplib.SMTP(postfix.host, postfix.submission_port, timeout=10) as smtp:
        smtp.ehlo()
        assert not smtp.has_extn("auth")  # no AUTH before STARTTLS
        smtp.starttls(context=tls(postfix))
        smtp.login(mail_user.address, mail_user.password)
        smtp.sendmail(mail_user.address, [recipient.address], raw)
    assert b"Subject: submitted" in wait_for_inbox(dovecot, recipient, msgid)


def test_it_rejects_a_bad_smtp_password_with_535_5_7_8(postfix: Postfix, mail_user: MailUser) -> None:
    with (
        smtplib.SMTP_SSL(postfix.host, postfix.smtps_port, context=tls(postfix), timeout=10) as smtp,
        pytest.raises(smtplib.SMTPAuthenticationError) as refused,
    ):
        smtp.login(mail_user.address, "wrong")
    assert refused.value.smtp_code == 535
    assert refused.value.smtp_error[:5] in (b"5.7.8", "5.7.8")


def test_it_takes_unauthenticated_mail_for_the_lab_domain_on_the_relay_port(
    postfix: Postfix, dovecot: Dovecot, mail_user: MailUser
) -> None:
    msgid, raw = message("outsider@elsewhere.test", mail_user.address, "relayed")
    with smtplib.SMTP(postfix.host, postfix.relay_port, timeout=10) as smtp:
        smtp.sendmail("outsider@elsewhere.test", [mail_user.address], raw)
        with pytest.raises(smtplib.SMTPRecipientsRefused):  # the lab never sends mail outside
            smtp.sendmail(mail_user.address, ["someone@outside.test"], raw)
    assert b"Subject: relayed" in wait_for_inbox(dovecot, mail_user, msgid)


# --- PostgreSQL ---------------------------------------------------------------------------------


@pytest.mark.postgres
async def test_it_connects_to_the_lab_postgres(postgres: Postgres) -> None:
    conn = await asyncpg.connect(postgres.dsn())
    try:
        assert await conn.fetchval("SELECT current_user") == "test"
        assert await conn.fetchval("SHOW fsync") == "off"
    finally:
        await conn.close()


@pytest.mark.postgres
async def test_it_creates_distinct_fresh_databases(postgres: Postgres) -> None:
    first, second = postgres.create_database(), postgres.create_database()
    assert first != second
    for name in (first, second):
        conn = await asyncpg.connect(postgres.dsn(name))
        try:
            assert await conn.fetchval("SELECT current_database()") == name
            assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0
        finally:
            await conn.close()
        postgres.drop_database(name)


@pytest.mark.postgres
async def test_pg_url_is_a_fresh_asyncpg_database(pg_url: str, postgres: Postgres) -> None:
    assert pg_url.startswith("postgresql+asyncpg://test@127.0.0.1:")
    conn = await asyncpg.connect(pg_url.replace("+asyncpg", ""))
    try:
        await conn.execute("CREATE TABLE t (id int)")  # still connected when the fixture drops it
    finally:
        await conn.close()


# --- the lab's own machinery --------------------------------------------------------------------


def test_it_names_a_missing_debian_package() -> None:
    with pytest.raises(MissingPackageError, match=r"dovecot-imaginary.*scripts/install"):
        require_packages([("/nonexistent/imaginary", "dovecot-imaginary")])


def test_it_keeps_reserved_ports_from_other_lab_runs() -> None:
    [port] = reserve_ports(1)
    probe = (  # what ports.reserve_ports does in another lab run
        "import fcntl, os\n"
        f"fd = os.open({str(lock_path())!r}, os.O_RDWR)\n"
        f"fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, {port}, os.SEEK_SET)\n"
    )
    other = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert other.returncode != 0 and "BlockingIOError" in other.stderr, other.stderr
    release_ports([port])
    free = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert free.returncode == 0, free.stderr


def test_it_cleans_up_after_a_test_process_killed_with_sigkill() -> None:
    script = (
        "import sys, time\n"
        "from lab._proc import RunDir\n"
        "from lab.certs import make_certs\n"
        "from lab.dovecot import Dovecot\n"
        "run = RunDir.create()\n"
        "server = Dovecot(run.root / 'dovecot', make_certs(run.root))\n"
        "server.start()\n"
        "print(run.root, server._proc.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(LAB_DIR.parent)}
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    root_text, pid_text = child.stdout.readline().split()
    root, dovecot_pid = Path(root_text), int(pid_text)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    deadline = time.monotonic() + 10
    while (root.exists() or _alive(dovecot_pid)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(dovecot_pid), "the watchdog left Dovecot running"
    assert not root.exists(), "the watchdog left the run directory behind"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
