"""CPU seconds of a whole process tree, through a cgroup of its own.

GNU time and ``wait4`` count only the descendants their parents waited for: a multiprocessing fork server
and its workers are not, so mailwarden's workers' CPU would go uncounted while mbsync, one process, is
counted in full. A cgroup counts every process in it. cgroup v2 (``cpu.stat``) or v1 (``cpuacct``); where
neither can be created (no permission, no cgroup file system), :func:`open_group` returns None and the
caller falls back to what GNU time reports.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["TreeCPU", "open_group"]

_V2 = Path("/sys/fs/cgroup")
_V1 = Path("/sys/fs/cgroup/cpuacct")


class TreeCPU:
    def __init__(self, path: Path, v2: bool) -> None:
        self.path, self.v2 = path, v2

    def enter(self) -> None:
        """Put the calling process (a child between fork and exec) into the group."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self) -> float:
        if self.v2:
            for line in (self.path / "cpu.stat").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "usage_usec":
                    return int(value) / 1e6
            return 0.0
        return int((self.path / "cpuacct.usage").read_text()) / 1e9

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.path.rmdir()


def open_group(name: str) -> TreeCPU | None:
    for base, v2, probe in ((_V2, True, "cgroup.controllers"), (_V1, False, "cpuacct.usage")):
        if not (base / probe).exists():
            continue
        path = base / name
        try:
            path.mkdir()
        except OSError:
            continue
        group = TreeCPU(path, v2)
        try:
            group.seconds()
        except OSError:
            group.close()
            continue
        return group
    return None
