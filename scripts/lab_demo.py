"""What ``scripts/demo`` runs until the embedded demo lands: a private Dovecot and Postfix, a fresh
mailwarden in ./demo-data, a mailbox added and tested, and a second one with a wrong password, so that the
failure report can be seen too. Every command is printed before it runs."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from lab._proc import RunDir  # noqa: E402 - the lab lives with the tests
from lab.certs import make_certs  # noqa: E402
from lab.dovecot import Dovecot  # noqa: E402
from lab.postfix import Postfix  # noqa: E402

DEMO = ROOT / "demo-data"


def run(*args: str, stdin: str | None = None, expect: int = 0) -> None:
    shown = "mailwarden " + " ".join(shlex.quote(a) for a in args)
    if stdin is not None:
        shown = f"printf '%s' '********' | {shown}"
    print(f"\n\033[1m$ {shown}\033[0m", flush=True)
    env = {**os.environ, "MAILWARDEN_CONFIG": str(DEMO / "mailwarden.toml")}
    done = subprocess.run(
        [sys.executable, "-m", "mailwarden", *args], input=stdin, text=True, env=env, cwd=DEMO, check=False
    )
    if done.returncode != expect:
        raise SystemExit(f"demo: expected exit status {expect}, got {done.returncode}")


def add(name: str, address: str, password: str, dovecot: Dovecot, postfix: Postfix) -> None:
    run(
        "mailbox", "add", name, "--address", address, "--username", address,
        "--imap-host", dovecot.host, "--imap-port", str(dovecot.imaps_port), "--imap-tls", "implicit",
        "--smtp-host", postfix.host, "--smtp-port", str(postfix.submission_port), "--smtp-tls", "starttls",
        "--ca-file", str(dovecot.ca_file), "--credential-kind", "app_password", "--password-stdin",
        stdin=password,
    )  # fmt: skip


def main() -> None:
    if DEMO.exists():
        shutil.rmtree(DEMO)
    DEMO.mkdir()
    lab = RunDir.create()
    certs = make_certs(lab.root)
    dovecot = Dovecot(lab.root / "dovecot", certs)
    postfix = Postfix(lab.root / "postfix", certs, dovecot)
    try:
        print("demo: starting a private Dovecot (IMAP) and Postfix (SMTP submission) on 127.0.0.1 …")
        dovecot.start()
        postfix.start()
        sales = dovecot.add_user("sales")
        info = dovecot.add_user("info")
        print(f"demo: IMAPS on port {dovecot.imaps_port}, submission on port {postfix.submission_port}")
        run("init", "--data-dir", "data")
        add("sales", sales.address, sales.password, dovecot, postfix)
        add("info", info.address, "an-old-password", dovecot, postfix)
        run("mailbox", "list")
        run("mailbox", "test", "sales")
        run("mailbox", "test", "info", expect=1)
        run("mailbox", "test", "info", "--lang", "zh-CN", expect=1)
        print("\ndemo: done. The data is in ./demo-data; the mail servers are stopped again.")
    finally:
        postfix.stop()
        dovecot.stop()
        lab.close()


if __name__ == "__main__":
    main()
