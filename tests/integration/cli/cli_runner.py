"""Runs the real ``mailwarden`` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.dovecot import Dovecot, MailUser


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class CLI:
    """``mailwarden`` with a private config and data folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "mailwarden.toml"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWARDEN_")}
        self.env.update({"MAILWARDEN_CONFIG": str(self.config), "LANG": "C.UTF-8", "COLUMNS": "200"})

    def __call__(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
        done = subprocess.run(
            [sys.executable, "-m", "mailwarden", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            cwd=self.root,
            timeout=120,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)


def message(subject: str) -> bytes:
    """A small inquiry whose Message-ID is ``<subject@x>``."""
    head = f"From: buyer@customer.example\r\nSubject: {subject}\r\nMessage-ID: <{subject}@x>\r\n"
    return (head + "\r\nhi\r\n").encode()


def add(cli: CLI, dovecot: Dovecot, user: MailUser) -> None:
    """``mailbox add sales`` for a lab account (password stored encrypted)."""
    result = cli(
        "mailbox", "add", "sales", "--address", user.address, "--username", user.address,
        "--imap-host", dovecot.host, "--imap-port", str(dovecot.imaps_port), "--imap-tls", "implicit",
        "--smtp-host", dovecot.host, "--smtp-port", "25", "--smtp-tls", "starttls",
        "--ca-file", str(dovecot.ca_file), "--password-stdin", stdin=user.password,
    )  # fmt: skip
    assert result.code == 0, result.output
