"""``mailwarden demo`` as a newcomer runs it: a child process in an empty folder, inside a network
namespace that has nothing but loopback (so the demo cannot need the outside world), with a HOME of its
own (so a file written outside ``./demo-data`` is seen)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
LOOPBACK_ONLY = ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "demo"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWARDEN_")}
    (home.parent / "tmp").mkdir(exist_ok=True)
    env.update(HOME=str(home), TMPDIR=str(home.parent / "tmp"), PYTHONDONTWRITEBYTECODE="1", COLUMNS="110")
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
    assert list(home.iterdir()) == [] and list((folder / "tmp").iterdir()) == []
    # what the tour saw is in the database it leaves behind: conversations with assignees, a reply sent
    db = sqlite3.connect(work / "demo-data" / "data" / "mailwarden.db")
    try:
        assigned = db.execute("SELECT count(*) FROM inbox_conversations WHERE assignee_id IS NOT NULL")
        assert assigned.fetchone()[0] > 10
        sent = db.execute("SELECT count(*) FROM inbox_outgoing WHERE status IN ('sent', 'filed')")
        assert sent.fetchone()[0] == 1
    finally:
        db.close()


def _start(
    work: Path, home: Path, command: list[str] | None = None
) -> tuple[subprocess.Popen[str], int, list[str]]:
    """``mailwarden demo`` in the background, read until its banner names the API port."""
    process = subprocess.Popen(
        [*(command or [sys.executable, "-m", "mailwarden", "demo"]), "--port", "0", "--live-every", "3600"],
        cwd=work, env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Authorization: Bearer" in line:  # the banner's API line came just before
            break
    api = [line for line in lines if line.strip().startswith("API")]
    if not api:
        process.kill()
        pytest.fail("the demo did not come up:\n" + "".join(lines) + (process.stdout.read() or ""))
    port = int(api[0].split()[1].rsplit(":", 1)[1].split("/")[0])
    return process, port, lines


def test_ctrl_c_stops_everything_and_the_next_run_continues(folder: Path) -> None:
    work, home = folder / "work", folder / "home"
    process, port, lines = _start(work, home)
    try:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, "".join(lines) + rest
    assert "next `mailwarden demo` continues" in rest
    with socket.socket() as probe:  # nothing is left listening: the port is free again
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    again = subprocess.run(
        _demo(work, "--tour", "--port", "0", "--live-every", "3600"),
        cwd=work, env=_env(home), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    output = again.stdout + again.stderr
    assert again.returncode == 0, output
    assert "Continuing the previous demo" in output and "Tour: 6 of 6 steps worked." in output
    assert "Sync: 0 new messages archived" in output  # the archive of the first run is still this server's


def test_after_a_crash_the_next_run_asks_for_reset_and_keeps_the_data(folder: Path) -> None:
    work, home = folder / "work", folder / "home"
    # started the newcomer's way: scripts/demo (which installs what is missing first: nothing, here)
    process, _, _ = _start(work, home, [str(REPO / "scripts" / "demo"), "--dir", str(work / "demo-data")])
    process.kill()
    process.communicate(timeout=30)  # reaps it and closes its pipe
    database = work / "demo-data" / "data" / "mailwarden.db"
    assert database.exists()
    again = subprocess.run(
        [sys.executable, "-m", "mailwarden", "demo", "--port", "0"],
        cwd=work, env=_env(home), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert again.returncode == 2 and "--reset" in again.stderr
    assert database.exists()


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


def test_a_taken_port_is_said_at_once_and_nothing_is_written(folder: Path) -> None:
    work = folder / "work"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "mailwarden", "demo", "--port", str(port)],
            cwd=work, env=_env(folder / "home"), capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 2 and f"127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert list(work.iterdir()) == []
