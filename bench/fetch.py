"""Fetch-only benchmark: CPU per message of the pipelined UID FETCH, before and after, in one run.

Run by hand, never by CI::

    .venv/bin/python bench/fetch.py [--n 10000] [--rounds 10] [--baseline REV] [--json] [--profile]

Why it is built this way:

* The archive sync is CPU-bound, and the client's share of a ``UID FETCH (UID FLAGS INTERNALDATE ...
  BODY.PEEK[])`` (TLS, parser, FETCH items, the stream to the consumer) is what this measures: the
  consumer only counts and drops the results, so nothing else is on the clock.
* One private lab Dovecot (``tests/lab``) serves the bench corpus (``bench/corpus.py``) to both sides in
  the same run, warmed once with ``doveadm fetch``, over implicit TLS on loopback (no COMPRESS: the sync
  does not compress to a local server either), with the sync's parser limits (bodies up to 1 MiB in
  memory, ``sync_limits``) and its pipeline settings (depth 4, 128 UIDs a chunk).
* "Before" is ``--baseline`` (default: ``git merge-base HEAD main``) exported with ``git archive`` into a
  temporary directory; each side runs in a child process with its ``src/`` first on ``sys.path``, so
  both import exactly their own code. Both children log in once and then fetch everything in turns,
  ``--rounds`` times each (ABBA order), so a neighbour's load on this shared 2-core host hits both alike;
  CPU is ``time.process_time`` of the child around the fetch of every folder (SELECT and SEARCH
  excluded), steadier than wall time, which is shown too. The ratio is reported of the medians, of the
  best rounds, and round by round, so the spread is in plain view.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
_SPILL = 1024 * 1024  # sync_limits(): bodies up to 1 MiB stay in memory


async def _fetch_rounds(args: argparse.Namespace) -> None:
    """Log in once, then fetch every folder each time the parent writes a line; one JSON line per round."""
    from mailwarden.imap import IMAPClient, ParserLimits

    profile = None
    if args.profile:
        import cProfile

        profile = cProfile.Profile()
    limits = ParserLimits(spill_threshold=_SPILL, spool_dir=Path(args.spool))
    client = await IMAPClient.open(args.host, args.port, ca_file=args.ca, timeout=600, limits=limits)
    async with client:
        await client.authenticate(args.user, args.password)
        print("ready", flush=True)
        while sys.stdin.readline().strip() == "go":  # blocking on purpose: the connection is idle meanwhile
            messages = body_bytes = 0
            cpu = wall = 0.0
            for folder in json.loads(args.folders):
                await client.examine(folder)
                uids = await client.uid_search()
                if profile is not None:
                    profile.enable()
                started_cpu, started = time.process_time(), time.perf_counter()
                async for result in client.uid_fetch(uids, depth=4, chunk_size=128):
                    messages += 1
                    body_bytes += result.body.size if result.body is not None else 0
                    result.discard()
                cpu += time.process_time() - started_cpu
                wall += time.perf_counter() - started
                if profile is not None:
                    profile.disable()
            round_ = {"messages": messages, "bytes": body_bytes, "cpu": cpu, "wall": wall}
            print(json.dumps(round_), flush=True)
        await client.logout()
    if profile is not None:
        import pstats

        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(45)


def _worker(args: argparse.Namespace) -> None:
    """Child process: fetch rounds with whichever mailwarden is first on sys.path."""
    import mailwarden

    print(json.dumps({"source": mailwarden.__file__}), flush=True)
    asyncio.run(_fetch_rounds(args))


class _Child:
    """One long-lived child per side, so that the sides alternate round by round (load hits both alike)."""

    def __init__(self, src: Path, server: dict[str, str], args: argparse.Namespace) -> None:
        env = {**os.environ, "PYTHONPATH": str(src)}
        command = [sys.executable, __file__, "--worker", *(f"--{k}={v}" for k, v in server.items())]
        if args.profile:
            command.append("--profile")
        self.src = src
        self.proc = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        source = json.loads(self._line())["source"]
        if not str(source).startswith(str(src)):
            self.close()
            raise SystemExit(f"bench: the child imported {source}, not the code under {src}")
        if self._line() != "ready":
            raise SystemExit(f"bench: the child for {src} did not log in")

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"bench: the child for {self.src} failed (exit {self.proc.wait()})")
        return line.strip()

    def round(self) -> dict[str, float]:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        return {key: float(value) for key, value in json.loads(self._line()).items()}

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _export(revision: str, into: Path) -> None:
    """``src/`` of ``revision`` into ``into`` (git archive: the checkout itself is not touched)."""
    archive = into / "src.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", revision, "src"], cwd=_ROOT, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(into / "src")], check=True)


def _revision(args: argparse.Namespace) -> str:
    if args.baseline:
        return str(args.baseline)
    merge_base = ["git", "merge-base", "HEAD", "main"]
    return subprocess.run(merge_base, cwd=_ROOT, check=True, capture_output=True, text=True).stdout.strip()


def _measure(
    args: argparse.Namespace, server: dict[str, str]
) -> tuple[str, list[dict[str, float]], list[dict[str, float]]]:
    revision = _revision(args)
    before: list[dict[str, float]] = []
    after: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        _export(revision, Path(tmp))
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(_ROOT / "src")], check=True)
        old, new = _Child(Path(tmp) / "src", server, args), _Child(_ROOT / "src", server, args)
        try:
            for index in range(args.rounds):
                print(f"bench: round {index + 1}/{args.rounds} …", file=sys.stderr, flush=True)
                if index % 2:  # ABBA: neither side always goes first
                    after.append(new.round())
                    before.append(old.round())
                else:
                    before.append(old.round())
                    after.append(new.round())
        finally:
            old.close()
            new.close()
    return revision, before, after


def _summary(samples: list[dict[str, float]]) -> dict[str, float]:
    per_message = [s["cpu"] / s["messages"] * 1e3 for s in samples]
    rates = [s["messages"] / s["wall"] for s in samples]
    return {
        "cpu_ms_per_message": statistics.median(per_message),
        "cpu_ms_min": min(per_message),
        "cpu_ms_max": max(per_message),
        "msg_per_s": statistics.median(rates),
        "cpu_msg_per_s": 1e3 / statistics.median(per_message),
        "messages": samples[0]["messages"],
        "megabytes": samples[0]["bytes"] / 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="messages in the corpus (default 10000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--rounds", type=int, default=10, help="fetches of everything per side, alternating (default 10)"
    )
    parser.add_argument("--baseline", help="revision to compare with (default: git merge-base HEAD main)")
    parser.add_argument("--json", action="store_true", help="JSON on stdout")
    parser.add_argument("--profile", action="store_true", help="cProfile each child (top 25 on stderr)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    for hidden in ("host", "port", "ca", "user", "password", "folders", "spool"):
        parser.add_argument(f"--{hidden}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return 0

    sys.path.insert(0, str(_ROOT / "tests"))  # the lab lives with the tests
    sys.path.insert(0, str(_ROOT / "bench"))
    import corpus

    from lab._proc import RunDir
    from lab.certs import make_certs
    from lab.dovecot import Dovecot

    run = RunDir.create()
    try:
        with Dovecot(run.root / "dovecot", make_certs(run.root)) as dovecot:
            user = dovecot.add_user("bench")
            print(f"bench: loading {args.n:,} messages …", file=sys.stderr, flush=True)
            load = corpus.load(dovecot, user.address, args.n, args.seed)
            warm = ["doveadm", "-c", str(dovecot.config_file), "fetch", "-u", user.address, "text"]
            subprocess.run([*warm, "mailbox", "*", "all"], stdout=subprocess.DEVNULL, check=True)
            spool = run.root / "spool"
            spool.mkdir()
            server = {
                "host": dovecot.host,
                "port": str(dovecot.imaps_port),
                "ca": str(dovecot.ca_file),
                "user": user.address,
                "password": user.password,
                "folders": json.dumps(sorted(load.folders)),
                "spool": str(spool),
            }
            loadavg = " ".join(f"{x:.2f}" for x in os.getloadavg())
            revision, before, after = _measure(args, server)
    finally:
        run.close()

    old, new = _summary(before), _summary(after)
    ratio = old["cpu_ms_per_message"] / new["cpu_ms_per_message"]
    best_ratio = old["cpu_ms_min"] / new["cpu_ms_min"]
    round_ratios = sorted(
        (b["cpu"] / b["messages"]) / (a["cpu"] / a["messages"]) for b, a in zip(before, after, strict=True)
    )
    if args.json:
        report = {
            "baseline": revision,
            "loadavg_start": loadavg,
            "before": old,
            "after": new,
            "cpu_ratio_medians": ratio,
            "cpu_ratio_best": best_ratio,
            "round_ratios": round_ratios,
            "samples": {"before": before, "after": after},
        }
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"UID FETCH of {int(new['messages']):,} messages ({new['megabytes']:,.1f} MB of bodies), "
        f"{args.rounds} rounds per side, alternating; load average at start {loadavg}"
    )
    print(f"{'':26}{'CPU ms/msg median (min-max)':>30}{'msg/s wall':>12}{'msg/CPU-s':>11}")
    for label, row in ((f"before {revision[:9]}", old), ("after (this checkout)", new)):
        spread = f"{row['cpu_ms_per_message']:.4f} ({row['cpu_ms_min']:.4f}-{row['cpu_ms_max']:.4f})"
        print(f"{label:26}{spread:>30}{row['msg_per_s']:>12,.0f}{row['cpu_msg_per_s']:>11,.0f}")
    shown = ", ".join(f"{r:.2f}" for r in round_ratios)
    print(
        f"CPU per message, before / after: {ratio:.2f}x of the medians, {best_ratio:.2f}x of the best rounds"
    )
    print(f"  round by round (sorted): {shown}")
    print(f"CPU per message saved (medians): {(1 - 1 / ratio) * 100:.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
