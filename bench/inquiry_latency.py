"""Inquiry latency: from LMTP delivery into sales@ to "conversation assigned, alert in the notify outbox".

mailwarden's ``worker`` (live IDLE, in-process wake-ups) against the anchor the issue names: help desks
that fetch mail on a timer (FreeScout's fetch schedule, Zammad's channel poll, Help Scout's mailbox
polling: every 30 s to 5 min). The anchor runs the same mailwarden code on the same messages, but fetched
the way they fetch: ``archive sync`` then ``inbox ingest`` every ``--poll`` seconds (30 by default, the
fastest of the anchors), so the difference measured is the fetching model alone.

Per message the stages are read from the database afterwards, on the one clock of this machine:
delivered (the LMTP transaction returned, measured here) → conversation row inserted
(``inbox_conversations.created_at``) → assigned (the ``inbox.assigned`` audit event) → the ``inquiry.new``
alert queued (``notify_outbox.created_at``). Percentiles are over every message; a message missing a
stage after the run is counted and reported, never dropped silently.

    .venv/bin/python bench/inquiry_latency.py                 # 500 messages, both modes
    .venv/bin/python bench/inquiry_latency.py --n 200 --only mailwarden --json
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from anchors import bench_certs

from lab._proc import RunDir
from lab.dovecot import Dovecot

STAGES = ("created", "assigned", "queued")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=500, help="messages delivered (default 500)")
    parser.add_argument("--rate", type=float, default=5.0, help="deliveries per second (default 5)")
    parser.add_argument("--poll", type=float, default=30.0, help="the anchor's fetch interval, seconds")
    parser.add_argument("--only", default="mailwarden,poll", help="modes: mailwarden, poll")
    parser.add_argument("--settle", type=float, default=120.0, help="seconds to wait for the last message")
    parser.add_argument("--json", action="store_true", help="JSON on stdout, the table on stderr")
    return parser.parse_args(argv)


class _Sink(http.server.BaseHTTPRequestHandler):
    """The team's chat webhook: accepts every alert (the notify worker's delivery is not measured)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


def _mw(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "mailwarden", *args], input=stdin, capture_output=True, text=True, env=env,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"mailwarden {' '.join(args[:2])} failed: {done.stderr or done.stdout}")
    return done


def _setup(root: Path, dovecot: Dovecot, sink_url: str) -> tuple[dict[str, str], str]:
    user = dovecot.add_user()
    env = {**os.environ, "MAILWARDEN_CONFIG": str(root / "mailwarden.toml")}
    _mw(env, "init", "--data-dir", str(root / "data"))
    config = root / "mailwarden.toml"
    text = config.read_text().replace('level = "INFO"', 'level = "WARNING"')
    config.write_text(text + "\n[notify]\nallow_private_targets = true\n")
    _mw(
        env, "mailbox", "add", "sales", "--address", user.address, "--username", user.address,
        "--imap-host", dovecot.host, "--imap-port", str(dovecot.imaps_port), "--imap-tls", "implicit",
        "--smtp-host", dovecot.host, "--smtp-port", "25", "--smtp-tls", "starttls",
        "--ca-file", str(dovecot.ca_file), "--password-stdin", stdin=user.password,
    )  # fmt: skip
    for name in ("alice", "bob", "chen"):
        _mw(env, "agent", "add", name, "--email", f"{name}@example.test", "--im", f"feishu:ou_{name}")
    _mw(env, "notify", "channel", "add", "team", "--kind", "webhook", "--url", sink_url, "--allow-private")
    _mw(env, "archive", "sync", "sales")  # the empty folders: the first pass is not an inquiry's cost
    # Round the clock, so that the run does not depend on the hour it is started at.
    config.write_text(
        config.read_text()
        + '\n[inbox.teams.sales]\nmailboxes = ["sales"]\nhours = { timezone = "UTC", hours = { "mon-sun" ='
        ' "00:00-24:00" } }\n'
    )
    return env, user.address


def _message(n: int, run: str) -> bytes:
    return (
        f"From: Buyer {n} <buyer{n}@company{n}-{run}.de>\r\nTo: sales@example.test\r\n"
        f"Subject: Inquiry {n}: LED panels, 500 pcs\r\nMessage-ID: <q{n}-{run}@company{n}.de>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Please send your best FOB price for 500 pieces.\r\n\r\nBest regards\r\nHamburg, Germany\r\n"
    ).encode()


def _deliver(dovecot: Dovecot, address: str, n: int, rate: float, run: str) -> dict[str, float]:
    delivered: dict[str, float] = {}
    start = time.monotonic()
    for i in range(n):
        pause = start + i / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        dovecot.deliver(address, _message(i, run))
        delivered[f"q{i}-{run}@company{i}.de"] = time.time()
    return delivered


def _first_after_start(dovecot: Dovecot, address: str, db: Path, within: float) -> float:
    """One message right after the worker started, waited for before the measured ones: it pays the
    start-up (connecting, entering IDLE, loading the language model) and is reported on its own."""
    sent = time.time()
    dovecot.deliver(address, _message(0, "start"))
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if db.exists() and "q0-start@company0.de" in _stages(db):
            return _stages(db)["q0-start@company0.de"]["created"] - sent
        time.sleep(0.05)
    raise SystemExit("the worker did not place the first message: see its log")


def _stages(db: Path) -> dict[str, dict[str, float]]:
    """Message-ID → stage → UNIX time, from the tables."""
    found: dict[str, dict[str, float]] = {}
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute(
            "SELECT m.message_id, c.uid, c.created_at FROM inbox_messages m "
            "JOIN inbox_conversations c ON c.id = m.conversation_id WHERE m.direction = 'in'"
        ).fetchall()
        assigned = dict(
            con.execute(
                "SELECT substr(target, 14), min(at) FROM audit_events WHERE action = 'inbox.assigned' "
                "GROUP BY target"
            ).fetchall()
        )
        queued = dict(
            con.execute(
                "SELECT substr(alert_key, 9), min(created_at) FROM notify_outbox "
                "WHERE alert_key LIKE 'inquiry/%' GROUP BY alert_key"
            ).fetchall()
        )
    for message_id, uid, created in rows:
        stages = {"created": _epoch(created)}
        if uid in assigned:
            stages["assigned"] = _epoch(assigned[uid])
        if uid in queued:
            stages["queued"] = _epoch(queued[uid])
        found[message_id] = stages
    return found


def _epoch(text: str) -> float:
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def _run_mode(
    mode: str, args: argparse.Namespace, dovecot: Dovecot, sink_url: str, scratch: Path
) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix=f"{mode}-", dir=scratch))
    env, address = _setup(root, dovecot, sink_url)
    worker_args = ["worker", "--json"] if mode == "mailwarden" else ["worker", "--no-sync", "--json"]
    worker = subprocess.Popen(
        [sys.executable, "-m", "mailwarden", *worker_args], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    stop_polling = threading.Event()
    poller = None
    if mode == "poll":

        def poll() -> None:  # the anchor: fetch on a timer, then process what came
            while not stop_polling.wait(args.poll):
                _mw(env, "archive", "sync", "sales", "--no-index")
                _mw(env, "inbox", "ingest")

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
    db = root / "data" / "mailwarden.db"
    try:
        first = (
            _first_after_start(dovecot, address, db, args.settle + args.poll)
            if mode == "mailwarden"
            else None
        )
        delivered = _deliver(dovecot, address, args.n, args.rate, mode)
        deadline = time.monotonic() + args.settle + (args.poll if mode == "poll" else 0)
        while time.monotonic() < deadline:
            stages = _stages(db)
            if sum(1 for m in delivered if "queued" in stages.get(m, {})) == len(delivered):
                break
            time.sleep(1.0)
    finally:
        stop_polling.set()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        if poller is not None:
            poller.join(timeout=args.poll + 60)
    stages = _stages(db)
    result: dict[str, Any] = {
        "mode": mode,
        "messages": len(delivered),
        "worker_exit": worker.returncode,
        "first_after_start": first,
    }
    for stage in STAGES:
        latencies = [stages[m][stage] - t for m, t in delivered.items() if stage in stages.get(m, {})]
        result[stage] = {
            "count": len(latencies),
            "missing": len(delivered) - len(latencies),
            "p50": _percentile(latencies, 50) if latencies else None,
            "p99": _percentile(latencies, 99) if latencies else None,
            "max": max(latencies) if latencies else None,
            "mean": statistics.fmean(latencies) if latencies else None,
            #: in delivery order, to see where slow ones fall (the first? bursts?)
            "samples": [round(v, 4) for v in latencies],
        }
    return result


def _table(results: list[dict[str, Any]]) -> str:
    lines = [
        f"{r['mode']}: the first message after the worker started: {r['first_after_start']:.2f} s (cold)"
        for r in results
        if r["first_after_start"] is not None
    ]
    lines += [f"{'mode':<12}{'stage':<10}{'n':>6}{'missing':>9}{'p50 s':>9}{'p99 s':>9}{'max s':>9}"]
    for result in results:
        for stage in STAGES:
            row = result[stage]
            fmt = lambda v: f"{v:9.3f}" if v is not None else f"{'-':>9}"  # noqa: E731
            lines.append(
                f"{result['mode']:<12}{stage:<10}{row['count']:>6}{row['missing']:>9}"
                f"{fmt(row['p50'])}{fmt(row['p99'])}{fmt(row['max'])}"
            )
    by_mode = {r["mode"]: r for r in results}
    if "mailwarden" in by_mode and "poll" in by_mode:
        ours, anchor = by_mode["mailwarden"]["queued"], by_mode["poll"]["queued"]
        if ours["p50"] and anchor["p50"]:
            lines.append(
                f"anchor / mailwarden (queued): p50 {anchor['p50'] / ours['p50']:.0f}x, "
                f"p99 {anchor['p99'] / ours['p99']:.0f}x"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = RunDir.create()
    dovecot = Dovecot(server.root / "dovecot", bench_certs(server.root))
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    sink_url = f"http://127.0.0.1:{sink.server_address[1]}/hook"
    results = []
    try:
        dovecot.start()
        for mode in args.only.split(","):
            print(f"bench: {mode}: {args.n} messages at {args.rate}/s …", file=sys.stderr, flush=True)
            results.append(_run_mode(mode, args, dovecot, sink_url, server.root))
    finally:
        sink.shutdown()
        dovecot.stop()
        server.close()
    table = _table(results)
    print(table, file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps({"n": args.n, "rate": args.rate, "poll": args.poll, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
