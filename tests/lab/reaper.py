"""Safety net: kill a lab run's daemons and delete its directory once the test process is gone.

Each running server leaves a one-line record, ``<server dir>/.lab-pid`` = ``"<kind> <pid> <start time>"``:

* ``group``: kill the whole process group ``pid`` with SIGKILL (Dovecot, Postfix);
* ``postmaster``: SIGQUIT (PostgreSQL immediate shutdown), then SIGKILL if it lingers.

The start time (field 22 of ``/proc/PID/stat``) guards against a recycled pid. Servers delete their
record when they stop cleanly; whatever is left is killed by :func:`kill_recorded`, both from the test
process (finalizers, atexit) and from a watchdog (``python reaper.py ROOT``, see :func:`spawn_watchdog`)
whose stdin is a pipe held open only by the test process: when that process dies for any reason,
SIGKILL included, the watchdog reads EOF, kills what is recorded and removes ``ROOT``.

Stdlib only, and importable without the ``lab`` package, so the watchdog starts with ``python -I -S``.
"""

import contextlib
import os
import shutil
import signal
import sys
import time
from pathlib import Path

RECORD = ".lab-pid"
_watchdog_fds: list[int] = []  # write ends of the watchdog pipes: never closed before exit


def start_time(pid: int) -> int | None:
    """Kernel start time of ``pid`` (clock ticks since boot), or None if it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may contain spaces
    if fields[0] == "Z":
        return None
    return int(fields[19])


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def record(server_dir: Path, kind: str, pid: int) -> None:
    stamp = start_time(pid)
    tmp = server_dir / (RECORD + ".tmp")
    tmp.write_text(f"{kind} {pid} {stamp or 0}\n")
    tmp.replace(server_dir / RECORD)


def forget(server_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (server_dir / RECORD).unlink()


def kill_record(path: Path) -> None:
    """Kill what one record names (idempotent), then delete the record."""
    try:
        kind, pid_text, stamp_text = path.read_text().split()
    except (OSError, ValueError):
        return
    pid, stamp = int(pid_text), int(stamp_text)
    alive = start_time(pid)
    if alive is not None and alive != stamp:
        pass  # the pid was recycled by an unrelated process: leave it alone
    elif kind == "postmaster" and alive is not None:
        _signal(pid, signal.SIGQUIT)
        deadline = time.monotonic() + 3
        while start_time(pid) is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        _signal(pid, signal.SIGKILL)
    elif kind == "group" and (alive is not None or group_members(pid)):
        # The leader is ours (same start time), or it is dead and its orphans keep the group alive:
        # a group id cannot be reused while any member exists.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def kill_recorded(root: Path) -> None:
    """Kill every daemon recorded under ``root`` (its own record and its direct subdirectories')."""
    for path in [root / RECORD, *root.glob("*/" + RECORD)]:
        if path.exists():
            kill_record(path)


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def spawn_watchdog(root: Path) -> int:
    """Start the watchdog for ``root``; returns its pid. It exits by itself after the test process.

    posix_spawn rather than subprocess: a Popen object that outlives its test would be reported
    as a ResourceWarning ("subprocess ... is still running"), an error under ``-W error``."""
    read_end, write_end = os.pipe()  # both close-on-exec; the child gets read_end as its stdin only
    try:
        pid = os.posix_spawn(
            sys.executable,
            [sys.executable, "-I", "-S", str(Path(__file__).resolve()), str(root)],
            {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            file_actions=[
                (os.POSIX_SPAWN_DUP2, read_end, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
            ],
            setsid=True,  # a Ctrl-C aimed at pytest must not kill the watchdog
        )
    finally:
        os.close(read_end)
    _watchdog_fds.append(write_end)
    return pid


def main(argv: list[str]) -> int:
    root = Path(argv[1])
    with contextlib.suppress(OSError):
        while os.read(0, 4096):  # the test process never writes: this returns at its exit
            pass
    if root.exists():
        kill_recorded(root)
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
