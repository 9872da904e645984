"""Issue 6's end-to-end acceptance, on the lab, through the real ``mailwarden serve`` and its REST API.

A customer writes into sales@ (delivered by LMTP): a new inquiry, a reply in that thread, an auto-reply,
and an inquiry from a new company. The server's IDLE watcher archives them, the ingest threads them, the
assigner gives each new conversation to an agent in turn and queues an ``inquiry.new`` alert, the SLA clock
starts. An agent replies through the API: Postfix delivers it to the customer's own lab mailbox with the
right threading headers, sales@'s Sent folder holds the copy, and once the Sent folder is archived the
conversation still shows one thread with our reply in it once.

sales@ is configured with the address ``sales@trade.example`` (its login is a lab account): the lab has one
mail domain, and a customer at our own domain would be a colleague, not a contact.
"""

from __future__ import annotations

import email
import email.policy
import http.server
import imaplib
import json
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import httpx
import pytest

from cli_runner import CLI
from lab.dovecot import Dovecot, MailUser

LIVENESS = 90.0  # seconds: a generous bound for each step to happen at all, not a timing assertion
SALES = "sales@trade.example"


class _Sink(http.server.BaseHTTPRequestHandler):
    """The team's chat webhook."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        _Sink.received.append(json.loads(self.rfile.read(int(self.headers.get("content-length", 0)))))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def sink() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def _mail(sender: str, subject: str, message_id: str, *, headers: str = "", body: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: Sales <{SALES}>\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n"
        f"Date: {email.utils.formatdate(time.time() - 60)}\r\n{headers}MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    ).encode()


def _until(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + LIVENESS
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"not within {LIVENESS:.0f} s: {what}")


def _imap_messages(dovecot: Dovecot, user: MailUser, folder: str) -> list[email.message.Message]:
    client = imaplib.IMAP4_SSL(
        dovecot.host, dovecot.imaps_port, ssl_context=ssl.create_default_context(cafile=str(dovecot.ca_file))
    )
    try:
        client.login(user.address, user.password)
        client.select(folder, readonly=True)
        typ, data = client.uid("FETCH", "1:*", "(BODY.PEEK[])")
        assert typ == "OK", data
        return [
            email.message_from_bytes(part[1], policy=email.policy.default)
            for part in data
            if isinstance(part, tuple)
        ]
    finally:
        client.logout()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _setup(cli: CLI, dovecot: Dovecot, postfix: Any, sales: MailUser, sink: str) -> str:
    """Mailbox, team, two agents with rights, a chat channel; returns alice's API token."""
    cli.config.write_text(
        cli.config.read_text()
        + "\n[notify]\nallow_private_targets = true\n"
        + '\n[inbox.teams.export]\nmailboxes = ["sales"]\nagents = ["alice", "bob"]\nassign = "round_robin"\n'
        + 'hours = { timezone = "UTC", hours = { "mon-sun" = "00:00-24:00" } }\n'
        + 'sla = { first_response = "2h", next_response = "4h" }\n'
    )
    steps: list[tuple[tuple[str, ...], str | None]] = [
        (("mailbox", "add", "sales", "--address", SALES, "--username", sales.address,
          "--imap-host", dovecot.host, "--imap-port", str(dovecot.imaps_port), "--imap-tls", "implicit",
          "--smtp-host", postfix.host, "--smtp-port", str(postfix.submission_port), "--smtp-tls", "starttls",
          "--ca-file", str(dovecot.ca_file), "--password-stdin"), sales.password),
        (("agent", "add", "alice", "--email", "alice@trade.example", "--timezone", "Asia/Shanghai",
          "--im", "feishu:ou_alice"), None),
        (("agent", "add", "bob", "--email", "bob@trade.example", "--im", "feishu:ou_bob"), None),
        (("agent", "grant", "alice", "sales", "--role", "answer"), None),
        (("agent", "grant", "bob", "sales", "--role", "answer"), None),
        (("notify", "channel", "add", "team", "--kind", "webhook", "--url", sink, "--allow-private"), None),
    ]  # fmt: skip
    for args, stdin in steps:
        done = cli(*args, stdin=stdin)
        assert done.code == 0, (args[:3], done.output)
    made = cli("token", "add", "alice-web", "--agent", "alice", "--json")
    assert made.code == 0, made.output
    return str(made.json["token"])


def test_inquiries_become_assigned_conversations_and_an_api_reply_reaches_the_customer(
    ready_cli: CLI, dovecot: Dovecot, postfix: Any, sink: str
) -> None:
    sales, customer = dovecot.add_user(), dovecot.add_user()
    token = _setup(ready_cli, dovecot, postfix, sales, sink)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mailwarden", "serve", "--port", str(port), "--reconcile-minutes", "0.1",
         "--json"],
        env=ready_cli.env, cwd=ready_cli.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    api = httpx.Client(
        base_url=f"http://127.0.0.1:{port}/api/v1", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        _until(lambda: _get(api, "/me"), "the API listening")
        anna = f"Anna Weber <{customer.address}>"
        signature = "\r\n\r\nBest regards\r\nAnna Weber\r\nPurchasing, Berlin, Germany\r\n"
        dovecot.deliver(
            sales.address,
            _mail(anna, "LED panels, 500 pcs", "q1@weber", body="Your best FOB price?" + signature),
        )
        follow_up = _mail(
            anna, "Re: LED panels, 500 pcs", "q2@weber", body="And the MOQ?" + signature,
            headers="In-Reply-To: <q1@weber>\r\nReferences: <q1@weber>\r\n",
        )  # fmt: skip
        away = _mail(
            "Shop <noreply@shop.example>", "Out of office: your message", "ooo@shop",
            headers="Auto-Submitted: auto-replied\r\n", body="I am away until Monday.\r\n",
        )  # fmt: skip
        lamps_inquiry = _mail(
            "Jean Martin <jean@lumen-solaire.fr>", "Solar street lamps", "s1@lumen",
            body="Please quote 200 lamps.\r\n\r\nJean Martin\r\nLyon, France\r\n",
        )  # fmt: skip
        for message in (follow_up, away, lamps_inquiry):
            dovecot.deliver(sales.address, message)

        def both_assigned() -> list[dict[str, Any]]:
            items = _get(api, "/conversations")["items"]
            return items if len(items) == 2 and all(c["assignee"] for c in items) else []

        conversations = {c["subject"]: c for c in _until(both_assigned, "two assigned conversations")}
        led, lamps = conversations["LED panels, 500 pcs"], conversations["Solar street lamps"]
        # the thread: both of anna's mails in one conversation, the auto-reply in none
        assert led["messages"] == 2 and lamps["messages"] == 1
        assert led["contact"] == "Anna Weber" and lamps["company"] == "lumen-solaire.fr"
        assert {led["assignee"], lamps["assignee"]} == {"alice", "bob"}  # round robin
        shown = _get(api, f"/conversations/{lamps['id']}")
        assert shown["company"]["country"] == "FR" and shown["contact"]["addresses"] == [
            "jean@lumen-solaire.fr"
        ]
        # SLA: the first-response clock runs for both, due 2 business hours (here: round the clock) later
        for conversation in (led, lamps):
            sla = _get(api, f"/conversations/{conversation['id']}/sla")["sla"]
            first = sla["cycles"][0]
            assert (first["clock"], first["outcome"]) == ("first_response", "running")
            assert first["target_seconds"] == 7200
        # the team was told, with an @mention of each assignee (the webhook carries the alert)
        _until(
            lambda: len([a for a in _Sink.received if "inquiry" in json.dumps(a)]) >= 2, "two inquiry alerts"
        )

        # alice answers through the API (the conversation may be bob's: she has rights in the mailbox)
        answer = api.post(
            f"/conversations/{led['id']}/replies", json={"body_text": "USD 12.40 FOB Ningbo, MOQ 100."}
        )
        assert answer.status_code == 202, answer.text
        received = _until(
            lambda: _imap_messages(dovecot, customer, "INBOX"), "the reply in the customer's mailbox"
        )
        [reply] = received
        assert reply["In-Reply-To"] == "<q2@weber>"
        assert reply["References"].split() == ["<q1@weber>", "<q2@weber>"]
        assert reply["Subject"] == "Re: LED panels, 500 pcs" and SALES in reply["From"]
        assert "USD 12.40" in reply.get_body(preferencelist=("plain",)).get_content()
        [sent] = _until(lambda: _imap_messages(dovecot, sales, "Sent"), "the copy in sales@'s Sent folder")
        assert sent["Message-ID"] == reply["Message-ID"]

        def archived_once() -> dict[str, Any] | None:
            view = _get(api, f"/conversations/{led['id']}")
            out = [m for m in view["messages"] if m["direction"] == "out"]
            return view if out and out[0]["archive_message_id"] else None

        view = _until(archived_once, "the Sent copy archived and matched to the reply")
        assert [m["direction"] for m in view["messages"]] == ["in", "in", "out"]  # one thread, the reply once
        assert len(_get(api, "/conversations")["items"]) == 2
        sla = _get(api, f"/conversations/{led['id']}/sla")["sla"]
        assert sla["cycles"][0]["outcome"] == "met" and sla["cycles"][0]["replied_by"] == "alice"
        kinds = [e["kind"] for e in _get(api, f"/conversations/{led['id']}/timeline")["items"]]
        assert (
            kinds[0] == "created" and "assigned" in kinds and "reply_sent" in kinds and "reply_filed" in kinds
        )
    finally:
        api.close()
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=LIVENESS)
    assert server.returncode == 0, err[-3000:]


def _get(api: httpx.Client, path: str) -> Any:
    try:
        answer = api.get(path)
    except httpx.TransportError:  # not listening yet
        return None
    assert answer.status_code == 200, (path, answer.text)
    return answer.json()
