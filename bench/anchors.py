"""How each tool of the archive-sync benchmark is configured and started (see ``bench/sync.py``).

Why these settings: the anchors should be what a careful admin would write for a pull-only archive of
every folder, and otherwise their defaults, so that "mailwarden is N x mbsync" means something.

* mbsync (isync 1.4): ``Sync Pull``, ``Create Near``, ``Patterns *``, ``SubFolders Verbatim`` (folder
  names contain "/"), ``FSync yes`` (its default; ``mbsync-nofsync`` shows what the fsyncs cost).
* offlineimap3: ``readonly = True`` on the remote (an archive must never write to the mailbox),
  ``maxconnections = 1`` (the code default is 1, although the sample offlineimap.conf shows 2),
  ``fsync`` left at its default (true), local ``sep = /`` so that a folder named "Finance.2025" is not
  mistaken for "Finance/2025".
* Every tool connects to ``localhost``: mbsync and offlineimap3 do not check IP addresses against the
  certificate, so ``127.0.0.1`` fails verification (LAB.md).
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trustme

from lab.certs import SERVER_NAMES, LabCerts
from lab.dovecot import Dovecot

HOST = "localhost"


@dataclass(frozen=True)
class Target:
    dir: Path  # fresh, empty: config, logs and the tool's local copy (in dir / "mail")
    dovecot: Dovecot
    user: str
    password: str


def bench_certs(directory: Path) -> LabCerts:
    """Like ``lab.certs.make_certs``, plus a subject commonName: offlineimap3 rejects a certificate
    without one ("CA Cert verifying failed: no commonName found in certificate"), and trustme sets none.
    """
    ca = trustme.CA(organization_name="mailwarden bench CA")
    leaf = ca.issue_cert(*SERVER_NAMES, common_name="localhost")
    certs = LabCerts(ca, directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    ca.cert_pem.write_to_path(str(certs.ca_file))
    certs.cert_file.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    fd = os.open(certs.key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(leaf.private_key_pem.bytes())
    return certs


def _private(path: Path, text: str) -> Path:
    """Config files hold the lab password: owner-only, like a real ~/.mbsyncrc."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    return path


def _mbsync(target: Target, *, fsync: bool) -> tuple[list[str], dict[str, str]]:
    mail = target.dir / "mail"
    mail.mkdir()
    rc = _private(
        target.dir / "mbsyncrc",
        f"""FSync {"yes" if fsync else "no"}

IMAPAccount bench
Host {HOST}
Port {target.dovecot.imaps_port}
User {target.user}
Pass "{target.password}"
SSLType IMAPS
CertificateFile {target.dovecot.ca_file}

IMAPStore bench-far
Account bench

MaildirStore bench-near
Path {mail}/
Inbox {mail}/INBOX
SubFolders Verbatim

Channel bench
Far :bench-far:
Near :bench-near:
Patterns *
Sync Pull
Create Near
SyncState *
""",
    )
    return ["mbsync", "-c", str(rc), "-a"], {**os.environ, "HOME": str(target.dir)}


def _offlineimap(target: Target) -> tuple[list[str], dict[str, str]]:
    conf = _private(
        target.dir / "offlineimaprc",
        f"""[general]
accounts = bench
metadata = {target.dir / "meta"}
ui = quiet

[Account bench]
localrepository = bench-local
remoterepository = bench-remote

[Repository bench-local]
type = Maildir
localfolders = {target.dir / "mail"}
sep = /

[Repository bench-remote]
type = IMAP
remotehost = {HOST}
remoteport = {target.dovecot.imaps_port}
ssl = yes
sslcacertfile = {target.dovecot.ca_file}
remoteuser = {target.user}
remotepass = {target.password}
readonly = True
maxconnections = 1
""",
    )
    return ["offlineimap", "-c", str(conf), "-o"], {**os.environ, "HOME": str(target.dir)}


ANCHORS: dict[str, Callable[[Target], tuple[list[str], dict[str, str]]]] = {
    "mbsync": lambda t: _mbsync(t, fsync=True),
    "mbsync-nofsync": lambda t: _mbsync(t, fsync=False),
    "offlineimap": _offlineimap,
}


def mailwarden_setup(
    target: Target, command: str, mailwarden: Path
) -> tuple[list[str], dict[str, str], str | None]:
    """``mailwarden init`` + ``mailbox add`` into a fresh config; returns (sync argv, env, problem).

    ``problem`` is set when the sync command does not exist yet (``archive sync`` is still being
    written): the benchmark then reports that row and still measures the anchors.
    """
    env = {**os.environ, "MAILWARDEN_CONFIG": str(target.dir / "mailwarden.toml")}
    argv = shlex.split(command.format(mailwarden=mailwarden))
    try:
        probe = subprocess.run(
            [*argv, "--help"], capture_output=True, text=True, env=env, cwd=target.dir, check=False
        )
    except FileNotFoundError:
        return argv, env, f"not available ({argv[0]} not found)"
    if probe.returncode != 0:
        if "No such command" in probe.stdout + probe.stderr:
            return argv, env, "not available (archive sync command missing)"
        return argv, env, f"not available ({shlex.join(argv)} --help: exit {probe.returncode})"
    dovecot = target.dovecot
    steps: list[tuple[list[str], str | None]] = [
        ([str(mailwarden), "init", "--data-dir", str(target.dir / "data")], None),
        (
            [
                str(mailwarden), "mailbox", "add", "bench",
                "--address", target.user, "--username", target.user,
                "--imap-host", HOST, "--imap-port", str(dovecot.imaps_port), "--imap-tls", "implicit",
                "--smtp-host", HOST, "--smtp-port", "465", "--smtp-tls", "implicit",
                "--ca-file", str(dovecot.ca_file), "--password-stdin",
            ],
            target.password,
        ),
    ]  # fmt: skip
    for step, stdin in steps:
        done = subprocess.run(
            step, input=stdin, capture_output=True, text=True, env=env, cwd=target.dir, check=False
        )
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
            return argv, env, f"setup failed: {shlex.join(step[:3])}: {detail[0]}"
    return argv, env, None
