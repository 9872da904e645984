"""``mailwarden demo`` as a newcomer runs it: a child process in an empty folder, inside a network
namespace that has nothing but loopback (so the demo cannot need the outside world), with a HOME of its
own (so a file written outside ``./demo-data`` is seen)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

LOOPBACK_ONLY = ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "demo"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWARDEN_")}
    env.update(HOME=str(home), PYTHONDONTWRITEBYTECODE="1", COLUMNS="110")
    return env


def _demo(folder: Path, *args: str) -> list[str]:
    return [*LOOPBACK_ONLY, sys.executable, "-m", "mailwarden", "demo", *args]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    (tmp_path / "work").mkdir()
    return tmp_path


def test_the_tour_shows_every_part_working_on_loopback_alone(folder: Path) -> None:
    work, home = folder / "work", folder / "home"
    done = subprocess.run(
        _demo(work, "--tour", "--port", "0", "--live-every", "3600"),
        cwd=work, env=_env(home), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Tour: 6 of 6 steps worked." in output
    marks = [line[:4] for line in output.splitlines() if line[:4] in ("   ✓", "   ✗")]
    assert marks == ["   ✓"] * 6
    # the console channel printed the live inquiry's alert, naming its assignee
    assert "[inquiry.new]" in output
    # nothing was written outside ./demo-data (Python's own caches were turned off for the child)
    assert sorted(p.name for p in work.iterdir()) == ["demo-data"]
    assert list(home.iterdir()) == []
    # what the tour saw is in the database it leaves behind: conversations with assignees, a reply sent
    db = sqlite3.connect(work / "demo-data" / "data" / "mailwarden.db")
    try:
        assigned = db.execute("SELECT count(*) FROM inbox_conversations WHERE assignee_id IS NOT NULL")
        assert assigned.fetchone()[0] > 10
        sent = db.execute("SELECT count(*) FROM inbox_outgoing WHERE status IN ('sent', 'filed')")
        assert sent.fetchone()[0] == 1
    finally:
        db.close()


def test_ctrl_c_stops_everything_and_the_next_run_needs_reset(folder: Path) -> None:
    work, home = folder / "work", folder / "home"
    process = subprocess.Popen(
        [sys.executable, "-m", "mailwarden", "demo", "--port", "0", "--live-every", "3600"],
        cwd=work, env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Authorization: Bearer" in line:  # the banner's API line came just before
                break
        assert any("Ctrl-C" in line for line in lines), "".join(lines)
        url = next(line.split()[1] for line in lines if line.strip().startswith("API"))
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, "".join(lines) + rest
    # nothing is left listening: the port is free again
    import socket

    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    again = subprocess.run(
        [sys.executable, "-m", "mailwarden", "demo", "--port", "0"],
        cwd=work, env=_env(home), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert again.returncode == 2 and "--reset" in again.stderr


def test_a_folder_that_is_not_a_demo_is_never_replaced(folder: Path) -> None:
    work = folder / "work"
    (work / "demo-data").mkdir()
    (work / "demo-data" / "precious.txt").write_text("keep me")
    done = subprocess.run(
        [sys.executable, "-m", "mailwarden", "demo", "--reset", "--lang", "zh-CN"],
        cwd=work, env=_env(folder / "home"), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "--dir" in done.stderr
    assert (work / "demo-data" / "precious.txt").read_text() == "keep me"
