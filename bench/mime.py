"""MIME parsing benchmark: mailwarden's splitter against the stdlib's BytesFeedParser, same corpus, one run.

Run by hand, never by CI::

    .venv/bin/python bench/mime.py [--n 2000] [--rounds 5] [--baseline REV] [--pairs 10] [--json]
    .venv/bin/python bench/mime.py --baseline-only      # only the before/after rows

It generates the archive-sync corpus (``bench/corpus.py``, with CRLF line ends as IMAP delivers them) and
times, per message:

* ``tree``: raw bytes to the ``compat32`` message tree — ``split()`` against ``BytesFeedParser`` fed in
  1 MiB chunks (what ``mime/tree.py`` did before ``split``);
* ``parse_message (feedparser swapped in)``: the whole parse (headers, bodies, attachment hashes) of this
  checkout, once as it is and once with the feedparser put back in place of the splitter;
* ``before/after``: this checkout against ``--baseline`` (default: the commit this branch started from,
  ``git merge-base HEAD main``). Two child processes, one with that revision's ``src/`` first on
  ``sys.path`` and one with this checkout's, are asked for one round at a time, alternately (who goes
  first alternates too), ``--pairs`` rounds: a burst of load from elsewhere on a shared host then hits
  both sides alike. Three entry points are timed: ``parse_message(raw)``,
  ``parse_message(raw, text=False)`` and the archive's ``meta_of(raw)`` (what the sync's worker
  processes run). Each child also hashes the ``repr`` of every result, so the table says whether both
  revisions gave the same results on every message.

Times are CPU seconds (``time.process_time``): on a shared 2-vCPU host they vary far less than wall time.
Each side's best round is reported, and, for the before/after rows, the spread of the per-round ratios
(before/after of two runs back to back). The results are also compared: every message must
give the same metadata with both parsers, apart from ``message/*`` attachments, whose bytes are now the
bytes sent instead of a re-serialised parse (docs/decisions/0007-own-mime-splitter.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesFeedParser
from email.policy import compat32
from pathlib import Path
from typing import TYPE_CHECKING, Any

import corpus

# Only the standard library and ``corpus`` at import time: the ``--worker`` child runs against an older
# ``src/`` (the baseline) that may have no ``mime.split``.
if TYPE_CHECKING:
    from mailwarden.mime.split import Split

_CHUNK = 1 << 20
_ROOT = Path(__file__).resolve().parent.parent


def feedparser_tree(raw: bytes) -> Message:
    """The stdlib path that ``tree._parse`` used before the splitter."""
    parser = BytesFeedParser(policy=compat32)
    for start in range(0, len(raw), _CHUNK):
        parser.feed(raw[start : start + _CHUNK])
    return parser.close()


def _feedparser_parse(raw: bytes | Path) -> tuple[Split, bytes]:
    from mailwarden.mime import tree
    from mailwarden.mime.split import Split

    data = raw.read_bytes() if isinstance(raw, Path) else raw
    return Split(feedparser_tree(data)), tree._linesep(data[:4096])


@contextmanager
def feedparser_swapped_in() -> Iterator[None]:
    from mailwarden.mime import tree

    original = tree._parse
    tree._parse = _feedparser_parse
    try:
        yield
    finally:
        tree._parse = original


def cpu_seconds(work: Callable[[bytes], object], messages: list[bytes]) -> float:
    start = time.process_time()
    for raw in messages:
        work(raw)
    return time.process_time() - start


def split_tree(raw: bytes) -> Message:
    from mailwarden.mime import tree
    from mailwarden.mime.split import split

    return split(raw, max_depth=tree.MAX_DEPTH, max_parts=tree.MAX_PARTS).message


def compare(messages: list[bytes]) -> int:
    """How many messages give different metadata with the two parsers (message/* attachments aside)."""

    from mailwarden.archive.meta import meta_of

    def comparable(raw: bytes) -> object:
        meta = meta_of(raw)
        meta.attachments = [a for a in meta.attachments if not str(a["content_type"]).startswith("message/")]
        return meta

    new = [comparable(raw) for raw in messages]
    with feedparser_swapped_in():
        old = [comparable(raw) for raw in messages]
    return sum(a != b for a, b in zip(new, old, strict=True))


def _corpus(n: int, seed: int) -> list[bytes]:
    return [m.data.replace(b"\n", b"\r\n") for m in corpus.generate(n, seed)]


#: the entry points timed against the baseline, by the name they are reported under
ENTRY_POINTS = ("parse_message", "parse_message_lean", "meta_of")


def _entry_points() -> dict[str, Callable[[bytes], object]]:
    from mailwarden.archive.meta import meta_of
    from mailwarden.mime import parse_message

    def lean(raw: bytes) -> object:
        return parse_message(raw, text=False)

    return {"parse_message": parse_message, "parse_message_lean": lean, "meta_of": meta_of}


def _results_digest(work: Callable[[bytes], object], messages: list[bytes]) -> str:
    sha = hashlib.sha256()
    for raw in messages:
        sha.update(repr(work(raw)).encode("utf-8", "surrogatepass"))
    return sha.hexdigest()


def _worker(args: argparse.Namespace) -> None:
    """Child process serving the parent, one line at a time, with whichever mailwarden is first on sys.path.

    ``time NAME`` answers the CPU seconds of one round of NAME over the corpus, ``digest NAME`` the
    SHA-256 of the ``repr`` of every result. The parent alternates two such children round by round, so a
    burst of load from elsewhere on the host hits both revisions alike.
    """
    import mailwarden

    messages = _corpus(args.n, args.seed)
    works = _entry_points()
    print(json.dumps({"source": mailwarden.__file__}), flush=True)
    for line in sys.stdin:
        command, name = line.split()
        if command == "time":
            answer: object = cpu_seconds(works[name], messages)
        else:
            answer = _results_digest(works[name], messages)
        print(json.dumps(answer), flush=True)


def _export(revision: str, into: Path) -> None:
    """``src/`` of ``revision`` into ``into`` (git archive: the checkout itself is not touched)."""
    archive = into / "src.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", revision, "src"], cwd=_ROOT, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")


class _Child:
    """A ``--worker`` child running the code under ``src``."""

    def __init__(self, src: Path, args: argparse.Namespace) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(_ROOT / "bench")])}
        command = [sys.executable, __file__, "--worker", "--n", str(args.n), "--seed", str(args.seed)]
        self.process = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        source = str(self._read()["source"])
        if not source.startswith(str(src)):
            self.close()
            raise SystemExit(f"the child imported {source}, not the code under {src}")

    def _read(self) -> Any:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"a --worker child failed (exit status {self.process.wait()})")
        return json.loads(line)

    def ask(self, command: str) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait()


@dataclass
class BeforeAfter:
    """Per entry point: each round's (before, after) CPU seconds, and whether the results were the same."""

    revision: str
    samples: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    same_results: dict[str, bool] = field(default_factory=dict)

    def best(self, name: str) -> tuple[float, float]:
        pairs = self.samples[name]
        return min(before for before, _ in pairs), min(after for _, after in pairs)

    def ratios(self, name: str) -> list[float]:
        """before/after of each round (the two revisions ran back to back), sorted."""
        return sorted(before / after for before, after in self.samples[name])


def before_after(args: argparse.Namespace) -> BeforeAfter:
    merge_base = ["git", "merge-base", "HEAD", "main"]
    revision = (
        args.baseline
        or subprocess.run(merge_base, cwd=_ROOT, check=True, capture_output=True, text=True).stdout.strip()
    )
    result = BeforeAfter(revision)
    with tempfile.TemporaryDirectory() as tmp:
        _export(revision, Path(tmp))
        before, after = _Child(Path(tmp) / "src", args), _Child(_ROOT / "src", args)
        try:
            for name in ENTRY_POINTS:  # a warm-up round each, and the results compared
                same = before.ask(f"digest {name}") == after.ask(f"digest {name}")
                result.same_results[name] = same
            for number in range(args.pairs):
                for name in ENTRY_POINTS:
                    # who goes first alternates: the second of two runs tends to find warmer caches
                    if number % 2:
                        new = float(after.ask(f"time {name}"))
                        old = float(before.ask(f"time {name}"))
                    else:
                        old = float(before.ask(f"time {name}"))
                        new = float(after.ask(f"time {name}"))
                    result.samples.setdefault(name, []).append((old, new))
        finally:
            before.close()
            after.close()
    return result


_LABELS = {
    "parse_message": "parse_message(raw)",
    "parse_message_lean": "parse_message(raw, text=False)",
    "meta_of": "meta_of(raw)",
}


def _print_before_after(found: BeforeAfter, count: int) -> None:
    rounds = len(found.samples["meta_of"])
    print(f"before = {found.revision[:10]}, after = this checkout; {rounds} interleaved rounds")
    print(f"{'CPU ms per message, best round':34}{'before':>8}{'after':>8}{'ratio':>8}   per-round ratios")
    for name in ENTRY_POINTS:
        before, after = found.best(name)
        ratios = found.ratios(name)
        spread = f"min {ratios[0]:.2f}  median {statistics.median(ratios):.2f}  max {ratios[-1]:.2f}"
        print(
            f"{_LABELS[name]:34}{before / count * 1e3:8.3f}{after / count * 1e3:8.3f}"
            f"{before / after:7.2f}x   {spread}"
        )
    for name in ENTRY_POINTS:
        same = "same" if found.same_results[name] else "DIFFERENT"
        print(f"results of {_LABELS[name]} before and after: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="messages (default 2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best is reported (default 5)")
    parser.add_argument("--baseline", help="revision to compare with (default: merge-base with main)")
    parser.add_argument("--pairs", type=int, default=10, help="before/after rounds, interleaved (default 10)")
    parser.add_argument("--baseline-only", action="store_true", help="only the before/after rows")
    parser.add_argument("--json", action="store_true", help="JSON on stdout")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return

    from mailwarden.mime import parse_message

    messages = _corpus(args.n, args.seed)
    megabytes = sum(map(len, messages)) / 1e6
    print(f"corpus: {len(messages)} messages, {megabytes:.1f} MB (CRLF)", file=sys.stderr)

    best: dict[str, float] = {}
    for _ in range(0 if args.baseline_only else args.rounds):
        sample = {
            "tree_feedparser": cpu_seconds(feedparser_tree, messages),
            "tree_split": cpu_seconds(split_tree, messages),
            "swapped_split": cpu_seconds(parse_message, messages),
        }
        with feedparser_swapped_in():
            sample["swapped_feedparser"] = cpu_seconds(parse_message, messages)
        for key, seconds in sample.items():
            best[key] = min(best.get(key, seconds), seconds)
    found = before_after(args)
    differing = None if args.baseline_only else compare(messages)

    per_msg = {key: seconds / len(messages) * 1e3 for key, seconds in best.items()}
    rows = {"tree": "tree (split vs feedparser)", "swapped": "parse_message (feedparser swapped in)"}
    ratios = {key: best[f"{key}_feedparser"] / best[f"{key}_split"] for key in rows if best}
    if args.json:
        report = {
            "messages": len(messages),
            "megabytes": round(megabytes, 1),
            "baseline": found.revision,
            "ms_per_message": {key: round(value, 4) for key, value in per_msg.items()},
            "ratios": {key: round(value, 2) for key, value in ratios.items()},
            "before_after": {
                name: {
                    "ms_per_message": [
                        [round(before / len(messages) * 1e3, 4), round(after / len(messages) * 1e3, 4)]
                        for before, after in found.samples[name]
                    ],
                    "best_ratio": round(found.best(name)[0] / found.best(name)[1], 3),
                    "pair_ratios": [round(ratio, 3) for ratio in found.ratios(name)],
                    "same_results": found.same_results[name],
                }
                for name in ENTRY_POINTS
            },
            "differing_messages": differing,
        }
        print(json.dumps(report, indent=2))
        return
    if ratios:
        print(f"{'CPU ms per message, best round':42}{'before':>10}{'after':>10}{'ratio':>9}")
        for key, label in rows.items():
            old, new = per_msg[f"{key}_feedparser"], per_msg[f"{key}_split"]
            print(f"{label:42}{old:10.3f}{new:10.3f}{ratios[key]:8.2f}x")
        print(f"messages with different metadata (message/* attachments aside): {differing}")
        print()
    _print_before_after(found, len(messages))


if __name__ == "__main__":
    main()
