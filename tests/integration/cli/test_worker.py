"""``mailwarden worker`` and ``mailwarden serve`` as an operator runs them: mail delivered by LMTP becomes a
conversation through the live IDLE watcher, the API answers with a token, and SIGTERM stops both cleanly."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx

from cli_runner import CLI, add
from lab.dovecot import Dovecot

LIVENESS = 60.0  # seconds: a generous bound for a liveness check, not a timing assertion


def _inquiry(subject: str, sender: str = "Anna Weber <anna@weber-gmbh.de>") -> bytes:
    return (
        f"From: {sender}\r\nTo: sales@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@weber-gmbh.de>\r\n\r\nPlease quote 500 pieces.\r\n"
    ).encode()


def _start(cli: CLI, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mailwarden", *args, "--json"],
        env=cli.env, cwd=cli.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _until(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + LIVENESS
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {LIVENESS:.0f} s: {what}")


def _conversations(cli: CLI) -> list[dict[str, Any]]:
    result = cli("inbox", "list", "--json")
    assert result.code == 0, result.output
    return list(result.json["conversations"])


def _stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=LIVENESS)
    return process.returncode, out, err


def test_the_worker_turns_delivered_mail_into_conversations_and_stops_on_sigterm(
    ready_cli: CLI, dovecot: Dovecot
) -> None:
    user = dovecot.add_user()
    add(ready_cli, dovecot, user)
    worker = _start(ready_cli, "worker")
    try:
        dovecot.deliver(user.address, _inquiry("LED panels"))
        [found] = _until(lambda: _conversations(ready_cli), "the delivered inquiry in a conversation")
        assert found["subject"] == "LED panels" and found["company"] == "weber-gmbh.de"
    finally:
        code, out, err = _stop(worker)
    assert code == 0, err
    events = [json.loads(line)["event"] for line in out.splitlines() if line.startswith("{")]
    assert events[0] == "started" and events[-1] == "stopped", out


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_with_a_token_and_stops_on_sigterm(ready_cli: CLI, dovecot: Dovecot) -> None:
    user = dovecot.add_user()
    add(ready_cli, dovecot, user)
    assert ready_cli("agent", "add", "alice", "--email", "alice@example.test").code == 0
    assert ready_cli("agent", "grant", "alice", "sales", "--role", "answer").code == 0
    made = ready_cli("token", "add", "alice-laptop", "--agent", "alice", "--json")
    assert made.code == 0, made.output
    token = made.json["token"]
    assert token not in ready_cli("token", "list", "--json").stdout  # shown once, never again
    port = _free_port()
    server = _start(ready_cli, "serve", "--port", str(port))
    try:
        dovecot.deliver(user.address, _inquiry("Solar lamps"))
        api = httpx.Client(
            base_url=f"http://127.0.0.1:{port}/api/v1", headers={"Authorization": f"Bearer {token}"}
        )

        def listed() -> list[dict[str, Any]]:
            try:
                answer = api.get("/conversations")
            except httpx.TransportError:  # not listening yet
                return []
            return list(answer.json()["items"]) if answer.status_code == 200 else []

        [found] = _until(listed, "the inquiry through the API")
        assert found["subject"] == "Solar lamps"
        assert api.get("/conversations", headers={"Authorization": "Bearer nope"}).status_code == 401
        api.close()
    finally:
        code, out, err = _stop(server)
    assert code == 0, err
    assert '"event": "serving"' in out, out


def test_a_team_naming_an_unknown_mailbox_stops_the_worker_at_start(ready_cli: CLI) -> None:
    ready_cli.config.write_text(
        ready_cli.config.read_text() + '\n[inbox.teams.export]\nmailboxes = ["sales"]\n'
    )
    for command in (("worker", "--no-sync"), ("serve", "--port", str(_free_port()))):
        done = ready_cli(*command, "--lang", "zh-CN")
        assert done.code == 2 and "sales" in done.stderr and "团队" in done.stderr, (command, done.output)
