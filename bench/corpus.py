"""A synthetic trade-company mailbox for the archive-sync benchmark, loaded straight into the lab Dovecot.

Why synthetic: the benchmark must run anywhere, be repeatable (same seed, same bytes) and still look like
the shared mailbox of a Chinese export business: bilingual enquiries and quotations, L/C and Proforma
Invoice threads, GB2312/GBK/Big5 bodies, multipart/alternative, and a long tail of 100 KB-2 MB
attachments that dominates the byte count. Message ``i`` depends only on ``(seed, i)``.

Why straight into Maildir: IMAP APPEND manages ~1,700 msg/s here, writing files ~3,400 msg/s (LAB.md).
Every file goes to ``cur/`` with a ``:2,`` info part, so no client pays for Dovecot's new->cur renames
during a measured run, and carries ``S=``/``W=`` sizes so Dovecot never has to read it for
RFC822.SIZE. ``doveadm force-resync`` then builds the indexes (UIDs follow file-name time = Date).

Run alone: ``.venv/bin/python bench/corpus.py --n 10000`` loads a private lab Dovecot and reports the
load time (``--stats`` only generates and prints the size mix).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import bisect
import dataclasses
import grp
import html
import os
import pwd
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from phrases import EN, ZH, ZH_GBK, ZH_TW, fill, subject_for

if TYPE_CHECKING:
    from lab.dovecot import Dovecot

# ~20 selectable folders, skewed shares (Dovecot auto-creates Drafts, Sent, Trash, Junk and Archive).
FOLDERS: tuple[tuple[str, float], ...] = (
    ("INBOX", 30), ("Sent", 14), ("Archive/2024", 12), ("Archive/2025", 10), ("客户/ACME", 5),
    ("客户/宁波海天贸易", 4), ("客户/Global Parts GmbH", 3), ("供应商/义乌小商品城", 3),
    ("询盘 Inquiries", 3), ("报价 Quotations", 3), ("订单/2025", 2.5), ("信用证 L-C", 2),
    ("Proforma Invoices", 2),
    ("Shipping/FOB", 1.5), ("Shipping/CIF", 1.5), ("Newsletters", 1.5), ("Finance.2025", 1), ("Junk", 0.7),
    ("Trash", 0.5), ("Archive", 0.5), ("Drafts", 0.3),
)  # fmt: skip
_CUM = [0.0]
for _name, _weight in FOLDERS:
    _CUM.append(_CUM[-1] + _weight)
CST = timezone(timedelta(hours=8))
_MAILERS = ("Foxmail 7.2.25.228[cn]", "Microsoft Outlook 16.0", "Apple Mail (2.3774)", "Coremail Webmail")
_PARTNERS = (
    ("ACME Trading Ltd.", "sales@acme-trading.example"), ("宁波海天贸易有限公司", "info@haitian-nb.example"),
    ("Global Parts GmbH", "einkauf@globalparts.example"), ("义乌小商品城", "order@yiwu-market.example"),
    ("台灣精密機械", "service@tw-precision.example"), ("Sunrise Imports LLC", "buyer@sunrise.example"),
)  # fmt: skip
ME = ("外贸部 Export Dept.", "bench@example.test")


@dataclasses.dataclass(frozen=True)
class Message:
    index: int
    folder: str
    flags: str  # Maildir info letters, ASCII order: "", "S", "RS", "FS", "DS"
    date: datetime
    data: bytes  # LF line ends, as Maildir stores it


def _word(text: str, charset: str) -> str:
    """RFC 2047 B-words (each <= 75 chars), never splitting a character across words."""
    if text.isascii():
        return text
    words, chunk = [], ""
    for char in text:
        if len((chunk + char).encode(charset)) > 42:
            words.append(chunk)
            chunk = ""
        chunk += char
    words.append(chunk)
    label = charset.upper()
    return "\n ".join(f"=?{label}?B?{base64.b64encode(w.encode(charset)).decode()}?=" for w in words)


def _body(text: str, charset: str, subtype: str, cte: str) -> bytes:
    raw = text.encode(charset)
    if cte == "base64":
        payload = base64.encodebytes(raw)
    elif cte == "quoted-printable":
        payload = binascii.b2a_qp(raw, istext=True) + b"\n"
    else:
        payload = raw + b"\n"
    head = f"Content-Type: text/{subtype}; charset={charset}\nContent-Transfer-Encoding: {cte}\n\n"
    return head.encode() + payload


def _attachment(rng: random.Random, size: int, name: str) -> bytes:
    """PDF-, XLSX- or JPEG-looking random bytes: incompressible, like real attachments."""
    ext = name.rsplit(".", 1)[-1]
    magic = {"pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "xlsx": b"PK\x03\x04\x14\x00\x06\x00"}.get(
        ext, b"\xff\xd8"
    )
    kind = {
        "pdf": "application/pdf",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }.get(ext, "image/jpeg")
    head = (
        f'Content-Type: {kind}; name="{_word(name, "utf-8")}"\n'
        f"Content-Transfer-Encoding: base64\n"
        f"Content-Disposition: attachment; filename*=UTF-8''{quote(name)}\n\n"
    )
    return head.encode() + base64.encodebytes(magic + rng.randbytes(max(size - len(magic), 16)))


def _text(rng: random.Random, lang: str, want: int, ctx: dict[str, str]) -> list[str]:
    """Paragraphs of 1-4 filled-in sentences until about ``want`` bytes of UTF-8."""
    banks = {"en": (EN,), "zh": (ZH,), "gbk": (ZH, ZH, ZH, ZH_GBK), "tw": (ZH_TW,), "mix": (ZH, EN)}[lang]
    paragraphs, size = [], 0
    while size < want:
        bank = rng.choice(banks)
        sep = " " if bank is EN else ""
        para = sep.join(fill(rng.choice(bank), ctx) for _ in range(rng.randint(1, 4)))
        paragraphs.append(para)
        size += len(para.encode()) + 2
    return paragraphs


def _html(paragraphs: list[str], ctx: dict[str, str]) -> str:
    cells = f"</td><td>{ctx['qty']}</td><td>USD {ctx['price']}</td></tr>\n"
    rows = "".join(f"<tr><td>{html.escape(ctx['product'])} #{n}{cells}" for n in range(1, 4))
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in paragraphs)
    return f"<html><body>\n{body}<table border=1>\n{rows}</table>\n</body></html>"


def message_id(seed: int, index: int) -> str:
    """Computable from the index alone, so that replies can point at real earlier messages."""
    return f"<{seed}.{index}.{index * 2654435761 % 2**32:08x}@mail.trade.example>"


def message(seed: int, index: int) -> Message:
    """Message ``index`` of corpus ``seed``: the same bytes on every machine and every run."""
    rng = random.Random(f"{seed}:{index}")
    folder = FOLDERS[bisect.bisect_right(_CUM, rng.random() * _CUM[-1]) - 1][0]
    year = 2024 if folder == "Archive/2024" else 2025
    start = datetime(year, 1 if year == 2024 or folder == "Archive/2025" else 7, 1, tzinfo=CST)
    span = 182 if folder == "Archive/2025" else 365 if year == 2024 else 150
    date = start + timedelta(seconds=rng.randrange(span * 86400))

    roll = rng.random()  # size class: most 2-20 KB, a tail of 100 KB-2 MB that holds most bytes
    if roll < 0.10:
        size = rng.randint(1024, 2048)
    elif roll < 0.935:
        size = int(2048 * 10 ** rng.uniform(0, 1))
    elif roll < 0.992:
        size = int(20_480 * 5 ** rng.uniform(0, 1))
    else:
        size = int(102_400 * 20 ** rng.uniform(0, 1))
    lang = rng.choices(("en", "zh", "mix", "gbk", "tw"), (35, 22, 30, 5, 8))[0]
    charset = {
        "en": "us-ascii",
        "zh": rng.choice(("utf-8", "utf-8", "gb2312")),
        "mix": rng.choice(("utf-8", "utf-8", "utf-8", "gb2312", "gbk")),
        "gbk": "gbk",
        "tw": rng.choice(("big5", "big5", "utf-8")),
    }[lang]
    cte = (
        "7bit"
        if charset == "us-ascii"
        else rng.choice(("quoted-printable", "base64", "8bit"))
        if charset == "utf-8"
        else rng.choice(("base64", "base64", "8bit"))
    )
    partner = rng.choice(_PARTNERS[4:5] if lang == "tw" else _PARTNERS)
    me = ("外貿部 Export Dept." if lang == "tw" else ME[0], ME[1])
    ctx = {
        "product": rng.choice(("LED panel light", "stainless steel valve", "solar inverter", "T-shirt")),
        "qty": str(rng.choice((500, 1000, 2000, 5000, 12000))),
        "price": f"{rng.uniform(0.8, 95):.2f}",
        "pi": f"{year}{rng.randint(1, 9999):04d}",
        "lc": f"LC{rng.randint(100000, 999999)}",
        "port": rng.choice(("Hamburg", "Rotterdam", "Los Angeles", "Felixstowe", "Jebel Ali")),
        "partner": partner[0],
    }
    subject = subject_for(rng, lang, ctx)
    sender, rcpt = (me, partner) if folder in ("Sent", "Drafts") else (partner, me)
    attach = size > 20_480
    kind = "mixed" if attach else rng.choice(("plain", "plain", "alternative"))
    inflate = {"quoted-printable": 2.4, "base64": 1.37}.get(cte, 1.0) * (2.2 if kind == "alternative" else 1)
    want = rng.randint(1500, 12_000) if attach else size - 900
    paragraphs = _text(rng, lang, max(int(want / inflate), 40), ctx)
    text = "\n\n".join(paragraphs) + f"\n\n--\n{me[0]}\nTel: +86 574 8765 4321\n"
    try:  # a legacy charset only where the text really fits it (else what a real client does: UTF-8)
        (text + subject + sender[0] + rcpt[0]).encode(charset)
    except UnicodeEncodeError:
        charset, cte = "utf-8", "base64" if cte == "7bit" else cte
    hcs = "utf-8" if charset == "us-ascii" else charset  # charset of the header encoded-words

    boundary = f"----=_Part_{index}_{rng.getrandbits(48):012x}"
    if kind == "plain":
        ctype, body = None, _body(text, charset, "plain", cte)
    else:
        alt = f"{boundary}_alt"
        inner = _body(text, charset, "plain", cte), _body(_html(paragraphs, ctx), charset, "html", cte)
        body = b"".join(b"--%s\n%s\n" % (alt.encode(), p) for p in inner) + b"--%s--\n" % alt.encode()
        ctype = f'multipart/alternative; boundary="{alt}"'
    if attach:
        parts = [(f"Content-Type: {ctype}\n\n".encode() + body) if ctype else body]
        names = (
            f"PI-{ctx['pi']}.pdf",
            f"报价单-{ctx['pi']}.xlsx",
            f"L-C draft {ctx['lc']}.pdf",
            "IMG_2041.jpg",
        )
        budget = max(size - len(body) - 1200, 4096) * 3 // 4
        for share in (0.7, 0.3) if budget > 200_000 and rng.random() < 0.5 else (1.0,):
            parts.append(_attachment(rng, int(budget * share), rng.choice(names)))
        body = (
            b"".join(b"--%s\n%s\n" % (boundary.encode(), p) for p in parts) + b"--%s--\n" % boundary.encode()
        )
        ctype = f'multipart/mixed; boundary="{boundary}"'

    stamp = date.strftime("%a, %d %b %Y %H:%M:%S +0800")
    head = [
        f"Return-Path: <{sender[1]}>",
        f"Received: from mail.{sender[1].split('@')[1]} (mail.{sender[1].split('@')[1]} "
        f"[203.0.113.{index % 250 + 1}])\n\tby mx.example.test with ESMTPS id {index:08X}\n\t"
        f"for <{rcpt[1]}>; {stamp}",
        f"Date: {stamp}",
        f"From: {_word(sender[0], hcs)} <{sender[1]}>",
        f"To: {_word(rcpt[0], hcs)} <{rcpt[1]}>",
        f"Subject: {_word(subject, hcs)}",
        f"Message-ID: {message_id(seed, index)}",
    ]
    if index > 10 and rng.random() < 0.35:  # a reply to an earlier message of the corpus
        parent = message_id(seed, rng.randrange(index))
        head += [f"In-Reply-To: {parent}", f"References: {parent}"]
    head += [f"X-Mailer: {rng.choice(_MAILERS)}", "MIME-Version: 1.0"]
    if ctype:
        head.append(f"Content-Type: {ctype}")
        body = b"\nThis is a multi-part message in MIME format.\n\n" + body
    data = ("\n".join(head) + "\n").encode() + body

    flag_roll = rng.random()
    if folder in ("Sent", "Archive/2024", "Archive/2025", "Archive", "Trash"):
        flags = "RS" if flag_roll < 0.15 else "S"
    elif folder == "Drafts":
        flags = "DS"
    else:
        flags = "" if flag_roll < 0.2 else "FS" if flag_roll < 0.25 else "RS" if flag_roll < 0.4 else "S"
    return Message(index, folder, flags, date, data)


def generate(n: int, seed: int = 1) -> Iterator[Message]:
    for index in range(n):
        yield message(seed, index)


@dataclasses.dataclass(frozen=True)
class LoadReport:
    messages: int
    raw_bytes: int  # what the files hold (LF line ends): the MB/s basis
    virtual_bytes: int  # what IMAP transfers (CRLF): Dovecot's vsize
    folders: dict[str, int]
    write_seconds: float  # generate + write the files
    index_seconds: float  # doveadm force-resync of all folders, then a status check

    @property
    def seconds(self) -> float:
        return self.write_seconds + self.index_seconds


def _doveadm(dovecot: Dovecot, *args: str) -> str:
    argv = ["/usr/bin/doveadm", "-c", str(dovecot.config_file), *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _make_dirs(path: Path, uid: int, gid: int) -> None:
    """mkdir -p owned by nobody: Dovecot (as nobody) must create its index files in every level."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        directory.mkdir(mode=0o700)
        os.chown(directory, uid, gid)


def load(dovecot: Dovecot, user: str, n: int, seed: int = 1, *, progress: bool = True) -> LoadReport:
    """Write ``n`` messages into ``user``'s Maildirs on ``dovecot`` and let Dovecot index them."""
    uid, gid = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    existing = set(_doveadm(dovecot, "mailbox", "list", "-u", user).split("\n"))
    dirs: dict[str, Path] = {}
    for name, _ in FOLDERS:
        if name not in existing:
            _doveadm(dovecot, "mailbox", "create", "-s", "-u", user, name)
        dirs[name] = Path(_doveadm(dovecot, "mailbox", "path", "-u", user, name).strip())
        for sub in ("cur", "new", "tmp"):
            _make_dirs(dirs[name] / sub, uid, gid)
    counts: Counter[str] = Counter()
    raw = virtual = 0
    started = time.perf_counter()
    for msg in generate(n, seed):
        size, vsize = len(msg.data), len(msg.data) + msg.data.count(b"\n")
        ts = msg.date.timestamp()
        base = f"{int(ts)}.M{msg.index % 1_000_000}P{seed}Q{msg.index}.bench,S={size},W={vsize}"
        tmp, final = dirs[msg.folder] / "tmp" / base, dirs[msg.folder] / "cur" / f"{base}:2,{msg.flags}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, msg.data)
            os.fchown(fd, uid, gid)
            os.utime(fd, (ts, ts))  # Maildir INTERNALDATE is the file's mtime
        finally:
            os.close(fd)
        os.rename(tmp, final)
        counts[msg.folder] += 1
        raw, virtual = raw + size, virtual + vsize
        if progress and n >= 20_000 and (msg.index + 1) % (n // 10) == 0:
            print(f"corpus: {msg.index + 1:,}/{n:,} written", file=sys.stderr, flush=True)
    written = time.perf_counter()
    _doveadm(dovecot, "force-resync", "-u", user, "*")
    status = _doveadm(dovecot, "-f", "tab", "mailbox", "status", "-u", user, "messages vsize", "*")
    header, *lines = status.splitlines()
    rows = [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in lines if line]
    seen, seen_vsize = sum(int(r["messages"]) for r in rows), sum(int(r["vsize"]) for r in rows)
    if (seen, seen_vsize) != (n, virtual):
        raise RuntimeError(f"Dovecot sees {seen} messages / {seen_vsize} B, wrote {n} / {virtual} B")
    indexed = time.perf_counter()
    return LoadReport(n, raw, virtual, dict(counts), written - started, indexed - written)


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stats", action="store_true", help="only generate and print the size mix")
    args = parser.parse_args()
    if args.stats:
        started, sizes, folders = time.perf_counter(), [], Counter[str]()
        for msg in generate(args.n, args.seed):
            sizes.append(len(msg.data))
            folders[msg.folder] += 1
        sizes.sort()
        print(f"{args.n:,} messages, {sum(sizes) / 1e6:,.1f} MB in {time.perf_counter() - started:.1f} s")
        print(
            "size p10/p50/p90/p99/max:", [sizes[int(q * (len(sizes) - 1))] for q in (0.1, 0.5, 0.9, 0.99, 1)]
        )
        print(dict(folders.most_common()))
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from lab._proc import RunDir
    from lab.certs import make_certs
    from lab.dovecot import Dovecot

    run = RunDir.create()
    try:
        with Dovecot(run.root / "dovecot", make_certs(run.root)) as dovecot:
            user = dovecot.add_user("bench")
            report = load(dovecot, user.address, args.n, args.seed)
    finally:
        run.close()
    print(
        f"loaded {report.messages:,} messages ({report.raw_bytes / 1e6:,.1f} MB) into {len(report.folders)} "
        f"folders in {report.seconds:.1f} s (write {report.write_seconds:.1f} s, "
        f"index {report.index_seconds:.1f} s): {report.messages / report.seconds:,.0f} msg/s"
    )


if __name__ == "__main__":
    _main()
