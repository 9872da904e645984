"""Ports: a real timeout (iptables DROP) against a real RST (REJECT with tcp-reset), inside a network
namespace the test creates, through the real command; and the whole diagnosis inside 8 seconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from diag_lab import netns

_ARGS = [
    "diagnose", "sales@example.test", "--imap-host", "127.0.0.1", "--imap-port", "993",
    "--smtp-host", "127.0.0.1", "--smtp-port", "465", "--dns-server", "127.0.0.1:53", "--json",
]  # fmt: skip


def _diagnose_in(namespace: str, tmp_path) -> dict:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWARDEN_")}
    env.update(
        MAILWARDEN_CONFIG=str(tmp_path / "none.toml"),
        MAILWARDEN_DATA_DIR=str(tmp_path),
        MAILWARDEN_DIAGNOSE__RDAP_BASE_URL="http://127.0.0.1:80",
    )
    (tmp_path / "none.toml").write_text("")
    done = subprocess.run(
        ["ip", "netns", "exec", namespace, sys.executable, "-m", "mailwarden", *_ARGS],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    return json.loads(done.stdout)


def test_every_port_dropped_is_a_timeout_and_the_diagnosis_ends_within_8_seconds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with netns(
        [["-A", "OUTPUT", "-p", "tcp", "-j", "DROP"], ["-A", "OUTPUT", "-p", "udp", "-j", "DROP"]]
    ) as ns:
        report = _diagnose_in(ns, tmp_path)
    assert report["verdict"]["code"] == "net.port_blocked_drop"
    assert report["elapsed_ms"] < 8000
    assert any("timeout" in line for line in report["verdict"]["evidence"])


def test_a_reset_is_a_refusal_not_a_timeout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules = [
        ["-A", "OUTPUT", "-p", "tcp", "--dport", port, "-j", "REJECT", "--reject-with", "tcp-reset"]
        for port in ("993", "465")
    ]
    with netns(rules) as ns:
        report = _diagnose_in(ns, tmp_path)
    assert report["verdict"]["code"] == "net.port_blocked_reject"
    assert "net.port_blocked_drop" not in [f["code"] for f in report["findings"]]
