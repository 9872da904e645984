"""Archive-sync benchmark: mailwarden against mbsync (Debian ``isync``) and offlineimap3, same data, one run.

Run by hand, never by CI::

    .venv/bin/python bench/sync.py [--n 10000] [--only mailwarden,mbsync,offlineimap] [--keep] [--json]

Why it is built this way:

* One private lab Dovecot (``tests/lab``) serves one generated corpus (``bench/corpus.py``) to every
  tool in the same run, so the ratios compare tools, not machines or days.
* The server lives where the lab puts it (``/dev/shm`` when there is room) so that it is never the
  bottleneck; the tools' local copies go to ``--work-dir`` (default: the system temp dir, i.e. real
  disk here), because an archive's cost is largely its fsyncs and tmpfs makes those free.
* Each tool runs as a child process timed with ``time.perf_counter``; its peak RSS is GNU time's
  ``%M`` (the largest single process of its tree), see :func:`measure` for why not ``os.wait4``, and its
  CPU seconds (``%U + %S``) are shown too: on a shared 2-vCPU host they vary far less than wall time.
* A 2 s pause, off the clock, separates the initial sync from the resync (see :func:`run_tool`).
* Dovecot's caches are warmed once before the first tool (``doveadm fetch text``), and the page cache
  is flushed (``sync``) before every measured run, so the order of the tools matters less.
* mbsync uses its defaults apart from what a pull-only archive needs (FSync yes, the default);
  offlineimap3 gets ``readonly = True`` on the remote and ``maxconnections = 1`` (also its code default).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the lab lives with the tests

import corpus  # noqa: E402
import treecpu  # noqa: E402
from anchors import ANCHORS, Target, bench_certs, mailwarden_setup  # noqa: E402

from lab import reaper  # noqa: E402
from lab._proc import LabError, RunDir  # noqa: E402
from lab.dovecot import Dovecot  # noqa: E402

DEFAULT_TOOLS = ("mailwarden", "mbsync", "offlineimap")
GNU_TIME = shutil.which("time", path="/usr/bin:/bin")  # Debian package "time"
# On disk, and not /tmp: on the machines this was written on, creating a file in /tmp cost 0.25 ms of CPU
# against 0.04 ms elsewhere on the same ext4 file system — a quarter of mbsync's time per message.
_VAR_TMP = Path("/var/tmp")  # noqa: S108 - each run makes its own mkdtemp() folder inside
DEFAULT_WORK_DIR = _VAR_TMP if _VAR_TMP.is_dir() else Path(tempfile.gettempdir())
RESYNC_PAUSE = 2.0  # seconds between a tool's initial sync and its resync (see run_tool)


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float  # ru_maxrss (GNU time %M): the largest process of the tree, not a sum
    exit_code: int
    cpu_seconds: float  # user + system CPU of the tool's tree: less noisy than wall time on a busy host


@dataclass
class Row:
    tool: str
    status: str = "ok"
    initial: Measured | None = None
    resync: Measured | None = None
    copied: int | None = None  # messages found in the local Maildir afterwards (anchors only)
    notes: list[str] = field(default_factory=list)
    samples: list[dict[str, float]] = field(default_factory=list)  # every run's seconds, with --repeat


def measure(argv: list[str], *, env: dict[str, str], cwd: Path, log: Path, timeout: float) -> Measured:
    """Run one command in its own session: wall time (perf_counter), exit code and peak RSS.

    Peak RSS comes from GNU time (``%M``) when installed: a fork of this Python process inherits its
    high-water RSS into ``ru_maxrss`` (the kernel carries it across exec), so ``os.wait4`` on our own
    child would report at least the benchmark's own ~40 MB; GNU time forks from a ~1 MB process.
    """
    os.sync()  # the previous run's dirty pages must not be flushed on this run's clock
    group = treecpu.open_group(f"mwbench-{os.getpid()}-{time.monotonic_ns()}")
    rss_file = log.with_name("rss.txt")
    rss_file.unlink(missing_ok=True)
    wrapped = [GNU_TIME, "-f", "%M %U %S", "-o", str(rss_file), "--", *argv] if GNU_TIME else argv
    with log.open("ab") as out:
        out.write(f"\n$ {shlex.join(argv)}\n".encode())
        out.flush()
        started = time.perf_counter()
        proc = subprocess.Popen(
            wrapped,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            env=env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=group.enter if group else None,  # safe: this process starts no threads
        )
        reaper.record(cwd, "group", proc.pid)  # if this process dies, the watchdog kills the tool too
        timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            elapsed = time.perf_counter() - started
            timer.cancel()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the tree, if any
            reaper.forget(cwd)
        proc.returncode = os.waitstatus_to_exitcode(status)
    peak_kb, cpu = float(usage.ru_maxrss), usage.ru_utime + usage.ru_stime
    if GNU_TIME:  # "Command terminated by signal N" may come first: the numbers are on the last line
        lines = rss_file.read_text().splitlines() if rss_file.exists() else []
        fields = lines[-1].split() if lines else []
        peak_kb, cpu = (float(fields[0]), float(fields[1]) + float(fields[2])) if len(fields) == 3 else (0, 0)
    if group is not None:
        cpu = group.seconds()  # the whole tree: fork servers and worker pools included
        group.close()
    return Measured(elapsed, peak_kb / 1024, proc.returncode, cpu)


def count_maildir(root: Path) -> int:
    """Messages in every Maildir below ``root`` (files in ``cur``/``new``)."""
    return sum(len(files) for path, _, files in os.walk(root) if os.path.basename(path) in ("cur", "new"))


def fs_of(path: Path) -> str:
    """``mount point (fstype)`` holding ``path``: the numbers mean little without it."""
    best = ("/", "?")
    with open("/proc/mounts") as mounts:
        for line in mounts:
            _, point, fstype, *_ = line.split()
            if str(path.resolve()).startswith(point.rstrip("/") + "/") and len(point) >= len(best[0]):
                best = (point, fstype)
    return f"{best[0]} ({best[1]})"


def version(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "?"


def _cpu_method() -> str:
    group = treecpu.open_group(f"mwbench-probe-{os.getpid()}")
    if group is None:
        return "GNU time %U+%S (the tool's process and the children it waited for)"
    group.close()
    return "cgroup (every process of the tool's tree)"


def byte_compile(mailwarden: Path) -> None:
    """Compile the package's modules the way ``pip install`` does, so that no run pays for compiling
    sources (an editable install under PYTHONDONTWRITEBYTECODE=1 would, on every command: 0.3 s here)."""
    python = mailwarden.parent / "python"
    where = subprocess.run(
        [str(python), "-c", "import mailwarden, os; print(os.path.dirname(mailwarden.__file__))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    subprocess.run([str(python), "-m", "compileall", "-q", where], check=True, stdout=subprocess.DEVNULL)


def run_tool(name: str, target: Target, args: argparse.Namespace, total: int) -> Row:
    """Initial sync into an empty target, then a no-change resync, of one tool."""
    row = Row(name)
    if name == "mailwarden":
        argv, env, problem = mailwarden_setup(target, args.mailwarden_cmd, args.mailwarden)
        if problem:
            row.status = problem
            return row
    else:
        argv, env = ANCHORS[name](target)
    print(f"bench: {name}: initial …", file=sys.stderr, flush=True)
    row.initial = measure(argv, env=env, cwd=target.dir, log=target.dir / "run.log", timeout=args.timeout)
    if row.initial.exit_code != 0:
        row.status = f"failed: initial sync exit {row.initial.exit_code}"
    else:
        row.resync = _resyncs(name, argv, env, target, args)
        if row.resync.exit_code != 0:
            row.status = f"failed: resync exit {row.resync.exit_code}"
    if name != "mailwarden":
        row.copied = count_maildir(target.dir / "mail")
        if row.copied != total:
            row.notes.append(f"copied {row.copied} of {total} messages")
    log = (target.dir / "run.log").read_text(errors="replace")
    if row.status != "ok" or "ERROR" in log or "Error:" in log:
        tail = [line for line in log.splitlines() if line.strip()][-6:]
        row.notes.append("log: " + " | ".join(tail))
        print(f"bench: {name}: {row.status}; end of its log:\n  " + "\n  ".join(tail), file=sys.stderr)
    return row


def _resyncs(
    name: str, argv: list[str], env: dict[str, str], target: Target, args: argparse.Namespace
) -> Measured:
    """``--resyncs`` no-change resyncs; the median time and CPU (a single short command is noisy)."""
    done: list[Measured] = []
    for attempt in range(args.resyncs):
        # mbsync sleeps up to 1 s when a Maildir changed within the current second (mtime granularity):
        # a real resync comes minutes later, so the pause stays off the clock for every tool.
        time.sleep(RESYNC_PAUSE if attempt == 0 else 1.1)
        print(f"bench: {name}: resync {attempt + 1}/{args.resyncs} …", file=sys.stderr, flush=True)
        done.append(measure(argv, env=env, cwd=target.dir, log=target.dir / "run.log", timeout=args.timeout))
        if done[-1].exit_code != 0:
            return done[-1]
    return Measured(
        statistics.median_low(m.seconds for m in done),
        max(m.peak_rss_mb for m in done),
        0,
        statistics.median_low(m.cpu_seconds for m in done),
    )


def combine(runs: list[Row]) -> Row:
    """Several runs of one tool: the median time of each phase and the highest peak RSS."""
    pairs = [(run.initial, run.resync) for run in runs if run.status == "ok" and run.initial and run.resync]
    if len(pairs) != len(runs) or len(runs) == 1:
        return next((run for run in runs if run.status != "ok"), runs[0])
    row = Row(runs[0].tool, copied=runs[-1].copied, notes=sorted({n for run in runs for n in run.notes}))
    row.samples = [
        {"initial": first.seconds, "initial_cpu": first.cpu_seconds, "resync": again.seconds}
        for first, again in pairs
    ]
    for index, phase in enumerate(("initial", "resync")):
        samples = [pair[index] for pair in pairs]
        seconds = statistics.median_low(m.seconds for m in samples)
        cpu = statistics.median_low(m.cpu_seconds for m in samples)
        setattr(row, phase, Measured(seconds, max(m.peak_rss_mb for m in samples), 0, cpu))
    return row


def _rate(row: Row, load: corpus.LoadReport) -> tuple[float, float] | None:
    if row.status != "ok" or row.initial is None:
        return None
    return load.messages / row.initial.seconds, load.raw_bytes / 1e6 / row.initial.seconds


def ratios(rows: list[Row], load: corpus.LoadReport) -> dict[str, dict[str, float | None]]:
    """mailwarden / anchor: throughput (> 1: mailwarden faster) and resync time (< 1: mailwarden faster)."""
    by_name = {row.tool: row for row in rows}
    mine = by_name.get("mailwarden")
    out: dict[str, dict[str, float | None]] = {}
    for anchor in ("mbsync", "offlineimap"):
        other = by_name.get(anchor)
        pair = (_rate(mine, load), _rate(other, load)) if mine and other else (None, None)
        throughput = pair[0][0] / pair[1][0] if pair[0] and pair[1] else None
        resync = None
        if mine and other and throughput is not None and mine.resync and other.resync:
            resync = mine.resync.seconds / other.resync.seconds
        out[anchor] = {"throughput": throughput, "resync": resync}
    return out


def table(rows: list[Row], load: corpus.LoadReport, env: dict[str, str]) -> str:
    head = (
        f"archive sync benchmark: {load.messages:,} messages, {load.raw_bytes / 1e6:,.1f} MB, "
        f"{len(load.folders)} folders (seed {env['seed']})\n"
        f"server: {env['dovecot']} on {env['server_fs']}; targets on {env['target_fs']}\n"
        f"corpus load: {load.seconds:.1f} s (write {load.write_seconds:.1f} s + index "
        f"{load.index_seconds:.1f} s) = {load.messages / load.seconds:,.0f} msg/s; "
        f"load average at start {env['loadavg_start']}\n\n"
    )
    columns = (
        ("initial s", 10),
        ("CPU s", 8),
        ("msg/s", 9),
        ("MB/s", 8),
        ("peak RSS MB", 13),
        ("resync s", 10),
        ("CPU s", 7),
        ("copied", 9),
    )
    lines = [f"{'tool':<15}" + "".join(f"{title:>{width}}" for title, width in columns)]
    for row in rows:
        rate = _rate(row, load)
        if rate is None or row.initial is None or row.resync is None:
            lines.append(f"{row.tool:<15}{row.status}")
            continue
        peak = max(row.initial.peak_rss_mb, row.resync.peak_rss_mb)
        copied = "-" if row.copied is None else f"{row.copied:,}"
        lines.append(
            f"{row.tool:<15}{row.initial.seconds:>10.2f}{row.initial.cpu_seconds:>8.1f}"
            f"{rate[0]:>9,.0f}{rate[1]:>8.1f}{peak:>13.1f}"
            f"{row.resync.seconds:>10.2f}{row.resync.cpu_seconds:>7.2f}{copied:>9}"
            + (f"  ({'; '.join(row.notes)})" if row.notes else "")
        )
    lines.append(
        "\nratios mailwarden / anchor   throughput (>1 = faster)   no-change resync time (<1 = faster)"
    )
    if not any(row.tool == "mailwarden" for row in rows):
        lines.append("  n/a: mailwarden was not run (--only)")
    for anchor, values in ratios(rows, load).items():
        shown = [f"{v:.2f}" if v is not None else "n/a" for v in (values["throughput"], values["resync"])]
        label = "mbsync" if anchor == "mbsync" else "offlineimap3"
        lines.append(f"  vs {label:<24}{shown[0]:>10}{shown[1]:>30}")
    lines.append(
        f"\nMB = 10^6 bytes of the corpus files; peak RSS = {env['rss_method']}, largest single process;\n"
        f"CPU s = {env['cpu_method']}."
    )
    return head + "\n".join(lines)


def check_packages(tools: list[str]) -> None:
    """Name the Debian packages to install instead of failing half-way through a run."""
    needs = {"mbsync": ("mbsync", "isync"), "mbsync-nofsync": ("mbsync", "isync")}
    needs["offlineimap"] = ("offlineimap", "offlineimap3")
    missing = sorted({needs[t][1] for t in tools if t in needs and shutil.which(needs[t][0]) is None})
    if missing:
        raise SystemExit(
            f"bench: missing Debian package(s): {', '.join(missing)}\n"
            f"       install them with: apt-get install -y {' '.join(missing)}"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Archive-sync benchmark: mailwarden vs mbsync vs offlineimap3."
    )
    parser.add_argument("--n", type=int, default=10_000, help="messages in the corpus (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument(
        "--only",
        default=",".join(DEFAULT_TOOLS),
        help="comma-separated tools, run in this order: mailwarden, mbsync, offlineimap, "
        "mbsync-nofsync (mbsync with FSync no, for reference)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per tool; the median is shown (default 1)"
    )
    parser.add_argument(
        "--resyncs", type=int, default=3, help="no-change resyncs per run; the median is shown (default 3)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the server and target directories")
    parser.add_argument("--json", action="store_true", help="print JSON on stdout (the table goes to stderr)")
    parser.add_argument(
        "--work-dir", type=Path, default=DEFAULT_WORK_DIR, help="where targets go (default: %(default)s)"
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per tool run (default 3600)")
    parser.add_argument(
        "--mailwarden",
        type=Path,
        default=ROOT / ".venv" / "bin" / "mailwarden",
        help="the mailwarden command",
    )
    parser.add_argument(
        "--mailwarden-cmd",
        default="{mailwarden} archive sync --no-index bench",
        help="the sync command line, run with MAILWARDEN_CONFIG set (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    args.tools = [t.strip() for t in args.only.split(",") if t.strip()]
    unknown = set(args.tools) - {*DEFAULT_TOOLS, "mbsync-nofsync"}
    if unknown:
        parser.error(f"unknown tool(s): {', '.join(sorted(unknown))}")
    return args


def _keep(directory: RunDir) -> Path:
    """Move a run directory out of its watchdog's reach (same filesystem: a rename)."""
    kept = directory.root.with_name("mwbench-kept-" + directory.root.name.rsplit("-", 1)[-1])
    directory.root.rename(kept)
    return kept


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_packages(args.tools)
    # kill / Ctrl-C in a background shell: unwind through the finally blocks that stop the children
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    server = RunDir.create()
    work = RunDir(Path(tempfile.mkdtemp(prefix="mwbench-targets-", dir=args.work_dir)))
    dovecot = Dovecot(server.root / "dovecot", bench_certs(server.root))
    try:
        dovecot.start()
        user = dovecot.add_user("bench")
        print(f"bench: loading {args.n:,} messages …", file=sys.stderr, flush=True)
        load = corpus.load(dovecot, user.address, args.n, args.seed)
        warm = time.perf_counter()
        conf = str(dovecot.config_file)
        subprocess.run(
            ["doveadm", "-c", conf, "fetch", "-u", user.address, "text", "mailbox", "*", "all"],
            stdout=subprocess.DEVNULL,
            check=True,
        )
        env = {
            "seed": str(args.seed),
            "dovecot": "Dovecot " + version(["dovecot", "--version"]),
            "mbsync": version(["mbsync", "--version"]) if shutil.which("mbsync") else "-",
            "offlineimap": version(["offlineimap", "--version"]) if shutil.which("offlineimap") else "-",
            "server_fs": fs_of(server.root),
            "target_fs": fs_of(work.root),
            "warmup_seconds": f"{time.perf_counter() - warm:.1f}",
            "loadavg_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "cpus": str(os.cpu_count()),
            "rss_method": "GNU time %M" if GNU_TIME else "os.wait4 ru_maxrss (floor: this process's RSS)",
            "cpu_method": _cpu_method(),
        }
        if "mailwarden" in args.tools:
            byte_compile(args.mailwarden)
        # Runs take turns (a, b, a, b rather than a, a, b, b) so that a slow spell of the machine falls on
        # both tools, and every target stays until the end: on a journal-less ext4 (this lab's), creating
        # files within seconds of deleting thousands costs up to ten times more CPU per file (the
        # allocator skips recently freed inodes, reading each one's table block), which made whichever tool
        # ran right after a deletion look 30-70 % slower.
        runs: dict[str, list[Row]] = {name: [] for name in args.tools}
        for attempt in range(1, args.repeat + 1):
            for name in args.tools:
                if runs[name] and runs[name][-1].status != "ok":
                    continue
                label = name if args.repeat == 1 else f"{name}-{attempt}"
                target = Target(work.root / label, dovecot, user.address, user.password)
                target.dir.mkdir()
                runs[name].append(run_tool(name, target, args, load.messages))
        rows = [combine(runs[name]) for name in args.tools]
        env["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except LabError as exc:
        print(f"bench: the lab Dovecot failed: {exc}", file=sys.stderr)
        return 2
    finally:
        dovecot.stop()
        if args.keep:
            print(f"bench: kept {_keep(server)} and {_keep(work)}", file=sys.stderr)
        server.close()
        work.close()
    if args.json:
        out = {
            "corpus": asdict(load) | {"seconds": load.seconds},
            "environment": env,
            "tools": [asdict(row) for row in rows],
            "ratios": ratios(rows, load),
        }
        print(table(rows, load, env), file=sys.stderr)  # for the person watching; stdout stays JSON
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(table(rows, load, env))
    return 0


if __name__ == "__main__":
    sys.exit(main())
