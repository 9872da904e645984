"""Free loopback TCP ports for one lab run.

A port comes from the kernel (bind to port 0, then release it), and is then claimed with a POSIX
record lock on byte ``port`` of one shared lock file, held for as long as this process lives (or until
:func:`release_ports`). Two concurrent lab runs on one machine therefore never hand out the same port,
even in the window between releasing the probe socket and the server binding it. The kernel drops the
locks of a process that dies, so nothing needs cleaning up.
"""

import contextlib
import fcntl
import os
import socket
import tempfile
import threading
from pathlib import Path

HOST = "127.0.0.1"

_mutex = threading.Lock()
_held: set[int] = set()
_lock_fd: int | None = None  # POSIX locks vanish when *any* fd of the file closes: open it once only


def lock_path() -> Path:
    """One path per machine (not per $TMPDIR), so that every lab run sees the same locks."""
    tmp = Path("/tmp") if os.access("/tmp", os.W_OK) else Path(tempfile.gettempdir())
    return tmp / "mailwarden-lab-ports.lock"


def _lock_file() -> int:
    global _lock_fd
    if _lock_fd is None:
        path = lock_path()
        try:
            _lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except PermissionError:  # e.g. created by another user in sticky /tmp
            _lock_fd = os.open(path.with_name(f"{path.stem}-{os.getuid()}.lock"), os.O_RDWR | os.O_CREAT)
    return _lock_fd


def reserve_ports(count: int, host: str = HOST) -> list[int]:
    """``count`` distinct ports that were free on ``host`` a moment ago, claimed for this process."""
    ports: list[int] = []
    probes: list[socket.socket] = []  # kept open until the batch is complete, so ports are distinct
    with _mutex:
        fd = _lock_file()
        try:
            for _ in range(count * 50):
                if len(ports) == count:
                    break
                probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                probes.append(probe)
                probe.bind((host, 0))
                port: int = probe.getsockname()[1]
                if port in _held:
                    continue
                try:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, port, os.SEEK_SET)
                except OSError:
                    continue  # another lab run claimed it
                _held.add(port)
                ports.append(port)
        finally:
            for probe in probes:
                probe.close()
    if len(ports) < count:
        release_ports(ports)
        raise RuntimeError(f"could not find {count} free ports on {host}")
    return ports


def release_ports(ports: list[int]) -> None:
    with _mutex:
        for port in ports:
            if port in _held:
                with contextlib.suppress(OSError):
                    fcntl.lockf(_lock_file(), fcntl.LOCK_UN, 1, port, os.SEEK_SET)
                _held.discard(port)
