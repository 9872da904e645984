"""Search benchmark: the archive's full-text index against SQLite FTS5 (trigram), same mails, one run.

    .venv/bin/python bench/search.py [--n 1000000] [--repeat 20] [--no-anchor] [--work-dir DIR] [--json]

Generates ``--n`` synthetic bilingual trade mails (``search_corpus.py``), parses each with the archive's
own parser and builds the index documents with the indexer's own code (``mailwarden.search.document``), in
worker processes; the main process adds them to the product's tantivy index and — the anchor — to an FTS5
table with the trigram tokenizer over the same subject, body, attachment text and sender.

Then each query of five kinds runs ``--repeat`` times (after one warm-up run) through the product's query
parser, query builder, search (top 20, with the total count) and snippets (``mailwarden.search.find``) —
what ``archive search`` does, minus its two small database lookups. The anchor runs the equivalent FTS5
MATCH, with ``count(*)`` and a top-20 ``snippet()``. Printed: build time, size on disk, p50/p95 per kind,
hits per query (FTS5 finds nothing for two-character Chinese terms), and the ratios.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from search_corpus import message

from mailwarden.archive.pool import worker_pool
from mailwarden.mime import parse_message
from mailwarden.search.document import RowFacts, build
from mailwarden.search.find import find, preview
from mailwarden.search.query import parse
from mailwarden.search.schema import open_index
from mailwarden.search.snippet import pattern_for
from mailwarden.search.work import to_document

CHUNK = 500
#: kind -> [(mailwarden query, FTS5 MATCH expression, extra SQL condition)]
QUERIES: dict[str, list[tuple[str, str, str]]] = {
    "two-character Chinese": [(t, f'"{t}"', "") for t in ("询盘", "报价", "样品", "付款")],
    "three-character Chinese": [(t, f'"{t}"', "") for t in ("信用证", "原产地", "交货期")],
    "English word": [("invoice", "invoice", ""), ("shipment", "shipment", ""), ("sample", "sample", "")],
    "phrase": [
        ('"proforma invoice"', '"proforma invoice"', ""),
        ('"certificate of origin"', '"certificate of origin"', ""),
        ('"ocean freight"', '"ocean freight"', ""),
    ],
    "field": [
        ("subject:报价", 'subject : "报价"', ""),
        ("subject:quotation after:2025-06-01", 'subject : "quotation"', "AND date >= '2025-06-01'"),
        ("from:nordic-home-7.example", 'sender : "nordic-home-7.example"', ""),
        ("has:attachment rotterdam", '"rotterdam"', "AND has_attachment = 1"),
    ],
}  # fmt: skip


def build_chunk(
    seed: int, start: int, stop: int, anchor: bool
) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]], float]:
    """In a worker: generate, parse and build ``[start, stop)``; the FTS5 rows too when ``anchor``."""
    began = time.process_time()
    docs, rows = [], []
    for i in range(start, stop):
        raw = message(seed, i)
        facts = RowFacts(i + 1, 1, 1 + i % 20, hashlib.sha256(raw).hexdigest(), None)
        parsed = parse_message(raw)
        docs.append(build(facts, raw, parsed).fields)
        if anchor:
            when = parsed.date.strftime("%Y-%m-%d") if parsed.date else ""
            sender = f"{parsed.from_[0].name} {parsed.from_[0].address}" if parsed.from_ else ""
            rows.append((i + 1, parsed.subject, parsed.text, sender, int(bool(parsed.attachments)), when))
    return docs, rows, time.process_time() - began


@dataclass
class Built:
    seconds: float = 0.0
    worker_cpu: float = 0.0
    tantivy_seconds: float = 0.0
    fts_seconds: float = 0.0
    index_bytes: int = 0
    fts_bytes: int = 0


def _size(path: Path) -> int:
    return (
        sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        if path.is_dir()
        else path.stat().st_size
    )


def _chunks(n: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, CHUNK):
        yield start, min(n, start + CHUNK)


def build_all(args: argparse.Namespace, work: Path) -> tuple[Any, sqlite3.Connection | None, Built]:
    index = open_index(work / "index", create=True)
    writer = index.writer(heap_size=512_000_000, num_threads=2)
    fts = None
    if args.anchor:
        fts = sqlite3.connect(work / "fts5.db")
        fts.execute("PRAGMA journal_mode=WAL")
        fts.execute(
            "CREATE VIRTUAL TABLE t USING fts5(subject, body, sender,"
            " has_attachment UNINDEXED, date UNINDEXED, tokenize='trigram')"
        )
    result = Built()
    began = time.perf_counter()
    done = 0
    with worker_pool(["search_corpus", "mailwarden.search.document"]) as pool:
        pending: list[concurrent.futures.Future[Any]] = []
        chunks = iter(_chunks(args.n))
        for start, stop in chunks:
            pending.append(pool.submit(build_chunk, args.seed, start, stop, args.anchor))
            if len(pending) < 8:
                continue
            done += _take(pending.pop(0), writer, fts, result)
            _progress(done, args.n, began)
        for future in pending:
            done += _take(future, writer, fts, result)
            _progress(done, args.n, began)
    t = time.perf_counter()
    writer.commit()
    writer.wait_merging_threads()
    result.tantivy_seconds += time.perf_counter() - t
    if fts is not None:
        t = time.perf_counter()
        fts.commit()
        fts.execute("INSERT INTO t(t) VALUES('optimize')")
        fts.commit()
        result.fts_seconds += time.perf_counter() - t
        result.fts_bytes = _size(work / "fts5.db")
    result.seconds = time.perf_counter() - began
    result.index_bytes = _size(work / "index")
    index.reload()
    sys.stderr.write("\n")
    return index, fts, result


def _take(
    future: concurrent.futures.Future[Any], writer: Any, fts: sqlite3.Connection | None, result: Built
) -> int:
    docs, rows, cpu = future.result()
    result.worker_cpu += cpu
    t = time.perf_counter()
    for fields in docs:
        writer.add_document(to_document(fields))
    result.tantivy_seconds += time.perf_counter() - t
    if fts is not None:
        t = time.perf_counter()
        fts.executemany(
            "INSERT INTO t(rowid, subject, body, sender, has_attachment, date) VALUES (?,?,?,?,?,?)", rows
        )
        result.fts_seconds += time.perf_counter() - t
    return len(docs)


def _progress(done: int, total: int, began: float) -> None:
    rate = done / max(time.perf_counter() - began, 1e-9)
    sys.stderr.write(f"\r  built {done:,}/{total:,} ({rate:,.0f} mails/s)")
    sys.stderr.flush()


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)
    hits: dict[str, int] = field(default_factory=dict)

    def pct(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def run_mailwarden(index: Any, text: str) -> int:
    query = parse(text)
    page = find(index, query, {})
    pattern = pattern_for(query.needles())
    for group in page.groups:
        preview(group[0][1], pattern)
    return page.total


def run_fts(fts: sqlite3.Connection, match: str, extra: str) -> int:
    count = fts.execute(f"SELECT count(*) FROM t WHERE t MATCH ? {extra}", (match,)).fetchone()[0]  # noqa: S608
    fts.execute(
        f"SELECT rowid, subject, snippet(t, 1, '[', ']', '…', 16) FROM t WHERE t MATCH ? {extra}"  # noqa: S608
        " ORDER BY rank LIMIT 20",
        (match,),
    ).fetchall()
    return int(count)


def measure(index: Any, fts: sqlite3.Connection | None, repeat: int) -> dict[str, dict[str, Timing]]:
    out: dict[str, dict[str, Timing]] = {}
    for kind, queries in QUERIES.items():
        mine, anchor = Timing(), Timing()
        for text, match, extra in queries:
            mine.hits[text] = run_mailwarden(index, text)  # warm-up, and the count
            if fts is not None:
                anchor.hits[text] = run_fts(fts, match, extra)
            for _ in range(repeat):
                t = time.perf_counter()
                run_mailwarden(index, text)
                mine.samples.append(time.perf_counter() - t)
                if fts is not None:
                    t = time.perf_counter()
                    run_fts(fts, match, extra)
                    anchor.samples.append(time.perf_counter() - t)
        out[kind] = {"mailwarden": mine, "fts5": anchor}
    return out


def report(args: argparse.Namespace, built: Built, timings: dict[str, dict[str, Timing]]) -> str:
    rate = args.n / built.seconds
    fts = f"; FTS5 inserts {built.fts_seconds:.1f} s" if args.anchor else ""
    lines = [
        f"{args.n:,} mails; build {built.seconds:.1f} s wall ({rate:,.0f} mails/s; parse and build in"
        f" {os.cpu_count()} workers: {built.worker_cpu:.1f} CPU s;"
        f" tantivy calls {built.tantivy_seconds:.1f} s{fts})",
        f"size on disk: mailwarden {built.index_bytes / 1e6:,.1f} MB"
        + (f", FTS5 trigram {built.fts_bytes / 1e6:,.1f} MB" if args.anchor else ""),
        "",
        f"{'query kind':26} {'mailwarden p50':>15} {'p95 ms':>8}   {'FTS5 p50':>9} {'p95 ms':>8}   p95 ratio",
    ]
    for kind, pair in timings.items():
        mine, anchor = pair["mailwarden"], pair["fts5"]
        row = f"{kind:26} {mine.pct(0.5):15.1f} {mine.pct(0.95):8.1f}"
        if anchor.samples:
            ratio = mine.pct(0.95) / anchor.pct(0.95)
            row += f"   {anchor.pct(0.5):9.1f} {anchor.pct(0.95):8.1f}   {ratio:9.2f}"
        lines.append(row)
    lines += ["", "hits (archived copies matching): mailwarden / FTS5"]
    for pair in timings.values():
        for text, count in pair["mailwarden"].hits.items():
            other = pair["fts5"].hits.get(text)
            lines.append(f"  {text:38} {count:>9,}" + (f" / {other:,}" if other is not None else ""))
    worst = max(pair["mailwarden"].pct(0.95) for pair in timings.values())
    lines.append(f"\nworst p95: {worst:.1f} ms (target < 100 ms)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-anchor", dest="anchor", action="store_false")
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the index and the FTS5 file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mw-search-bench-", dir=args.work_dir))
    try:
        index, fts, built = build_all(args, work)
        timings = measure(index, fts, args.repeat)
        if args.json:
            summary = {
                kind: {
                    tool: {"p50": t.pct(0.5), "p95": t.pct(0.95), "hits": t.hits} for tool, t in pair.items()
                }
                for kind, pair in timings.items()
            }
            print(
                json.dumps({"n": args.n, "build": built.__dict__, "p": summary}, ensure_ascii=False, indent=1)
            )
        else:
            print(report(args, built, timings))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}", file=sys.stderr)


if __name__ == "__main__":
    main()
