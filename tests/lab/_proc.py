"""Shared plumbing of the lab: errors, package checks, waiting for ports, the run directory."""

import atexit
import contextlib
import errno
import glob
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from lab import reaper

INSTALL_HINT = "run scripts/install (or: apt-get install -y {packages})"


class LabError(RuntimeError):
    """A lab server could not be started, or refused what the lab asked of it."""


class MissingPackageError(LabError):
    pass


def require_packages(needs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Check ``(path glob, Debian package)`` pairs; return each glob's last match (sorted)."""
    found: dict[str, str] = {}
    missing: dict[str, str] = {}
    for pattern, package in needs:
        matches = sorted(glob.glob(pattern))
        if matches:
            found[pattern] = matches[-1]
        else:
            missing.setdefault(package, pattern)
    if missing:
        names = " ".join(missing)
        what = ", ".join(f"{pkg} (no {path})" for pkg, path in missing.items())
        raise MissingPackageError(
            f"Debian package(s) missing: {what}; " + INSTALL_HINT.format(packages=names)
        )
    return found


def render(template: str, **values: object) -> str:
    """Replace ``@NAME@`` placeholders; every placeholder must be given."""
    text = template
    for name, value in values.items():
        text = text.replace(f"@{name}@", str(value))
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise ValueError(f"unfilled placeholders: {sorted(set(left))}")
    return text


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:]) or f"({path} is empty)"


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return True
        return False


def wait_for_ports(
    host: str, ports: Iterable[int], *, proc: subprocess.Popen[bytes] | None, timeout: float, what: str
) -> None:
    """Until every port accepts a connection; raise LabError if ``proc`` exits or time runs out."""
    pending = list(ports)
    deadline = time.monotonic() + timeout
    delay = 0.005
    while pending:
        if proc is not None and proc.poll() is not None:
            raise LabError(f"{what} exited with status {proc.returncode} during start-up")
        pending = [port for port in pending if not port_open(host, port)]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise LabError(f"{what} did not open port(s) {pending} on {host} within {timeout:.0f} s")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def run_with_tty(argv: list[str], *, timeout: float, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run a command with a pseudo-terminal as stdout/stderr (Postfix only talks to a tty)."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
    finally:
        os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError as exc:  # EIO: every writer has closed the terminal
                if exc.errno != errno.EIO:
                    raise
                break
            if not data:
                break
            chunks.append(data)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    finally:
        os.close(master)
    code = proc.wait(timeout=5)
    return code, b"".join(chunks).decode(errors="replace").replace("\r\n", "\n")


# Servers started in this process; stopped at exit if a finalizer never ran.
_live: dict[int, Callable[[], None]] = {}
_live_lock = threading.Lock()


def register_live(key: object, stop: Callable[[], None]) -> None:
    with _live_lock:
        _live[id(key)] = stop


def unregister_live(key: object) -> None:
    with _live_lock:
        _live.pop(id(key), None)


@atexit.register
def _stop_everything() -> None:
    with _live_lock:
        stops = list(_live.values())
        _live.clear()
    for stop in reversed(stops):
        with contextlib.suppress(Exception):
            stop()


BASE_DIR_ENV = "MAILWARDEN_LAB_TMPDIR"


def base_dir() -> str:
    """Where run directories go: $MAILWARDEN_LAB_TMPDIR, else /dev/shm if it has 1 GiB free (on this
    VM's disk CREATE DATABASE takes ~150 ms, in memory ~35 ms), else the usual temp dir."""
    explicit = os.environ.get(BASE_DIR_ENV)
    if explicit:
        return explicit
    with contextlib.suppress(OSError):
        shm = os.statvfs("/dev/shm")
        if shm.f_bavail * shm.f_frsize >= 1 << 30 and os.access("/dev/shm", os.W_OK | os.X_OK):
            return "/dev/shm"
    return tempfile.gettempdir()


class RunDir:
    """The per-run temporary directory, watched by :mod:`lab.reaper` in case this process dies."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.watchdog_pid = reaper.spawn_watchdog(root)
        register_live(self, self.close)

    @classmethod
    def create(cls) -> "RunDir":
        # Short path: Dovecot and PostgreSQL put unix sockets in it (108-byte limit).
        root = Path(tempfile.mkdtemp(prefix="mwlab-", dir=base_dir()))
        root.chmod(0o755)  # daemons drop to nobody / dovecot / postfix / postgres and must traverse it
        return cls(root)

    def close(self) -> None:
        unregister_live(self)
        if self.root.exists():
            reaper.kill_recorded(self.root)
            shutil.rmtree(self.root, ignore_errors=True)
