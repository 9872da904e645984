"""Synthetic bilingual trade mails for the search benchmark: raw RFC 5322 messages, deterministic per index.

Message ``i`` depends only on ``(seed, i)``. What they hold, in the shares of a Chinese exporter's shared
mailbox: inquiries (询盘), quotations (报价), Proforma Invoices, L/C (信用证) drafts and amendments,
shipment and payment notices, sample requests, complaints, newsletters and internal chat; English, Chinese
or both; sentences from the sync benchmark's banks (``phrases.py``) plus filler drawn from a Zipf-like
vocabulary of ~4,000 English and ~2,500 Chinese words, so that term frequencies look like mail rather than
like a phrase book; 1 in 4 with an attachment (a price list or PI as text/csv), which the index reads.
"""

from __future__ import annotations

import random
import zlib
from datetime import UTC, datetime, timedelta

from phrases import EN, ZH, fill, subject_for

PRODUCTS = (
    "LED panel light", "solar water pump", "stainless steel valve", "cotton T-shirt", "PVC pipe fitting",
    "ceramic tile", "bamboo cutting board", "lithium battery pack", "hydraulic cylinder", "glass mosaic",
    "aluminium profile", "silicone baking mat", "bluetooth speaker", "office chair", "fishing reel",
)  # fmt: skip
PORTS = ("Hamburg", "Rotterdam", "Antwerp", "Felixstowe", "Los Angeles", "Dubai", "Santos", "Mombasa")
COMPANIES_EN = (
    "ACME Trading", "Global Parts", "Nordic Home", "Baltic Import", "Sunrise Retail", "Atlas Tools",
    "Pacific Garden", "Hanse Handel", "Iberia Supplies", "Gulf Star", "Andes Import", "Lagos Wholesale",
)  # fmt: skip
SUFFIXES = ("GmbH", "Ltd.", "LLC", "S.L.", "B.V.", "S.p.A.", "FZE", "Pty Ltd")
COMPANIES_ZH = (
    "宁波海天贸易",
    "义乌小商品城",
    "深圳华信电子",
    "青岛远洋进出口",
    "广州美达家居",
    "浙江新光照明",
)
KINDS = (
    ("inquiry", 20), ("quotation", 15), ("pi", 8), ("lc", 5), ("shipment", 12), ("payment", 8),
    ("sample", 7), ("complaint", 3), ("newsletter", 12), ("internal", 10),
)  # fmt: skip
HEAD_ZH = {
    "inquiry": "询盘", "quotation": "报价", "pi": "形式发票", "lc": "信用证", "shipment": "装运通知",
    "payment": "付款", "sample": "样品", "complaint": "投诉", "newsletter": "新品推荐", "internal": "内部",
}  # fmt: skip
HEAD_EN = {
    "inquiry": "Inquiry", "quotation": "Quotation", "pi": "Proforma Invoice", "lc": "L/C draft",
    "shipment": "Shipment advice", "payment": "Payment", "sample": "Sample request", "complaint": "Complaint",
    "newsletter": "New products", "internal": "Note",
}  # fmt: skip
_SYLLABLES = tuple(c + v for c in "bdfghjklmnprstvz" for v in "aeiou")
_HANZI = (
    "的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会家可下而过天去能对小多"
    "然于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经"
    "长儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此话常与活正感见明问力理尔点文几定本公特做外孩相西"
    "货价单款船运柜港税证样品质量订合同箱包装交期厂商客户询盘报验关费险保"
)


def _vocabulary(rng: random.Random) -> tuple[list[str], list[str]]:
    english = sorted({"".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))) for _ in range(4500)})[:4000]
    chinese = sorted({"".join(rng.choices(_HANZI, k=rng.choice((2, 2, 2, 3, 4)))) for _ in range(3000)})[
        :2500
    ]
    return english, chinese


_EN_WORDS, _ZH_WORDS = _vocabulary(random.Random(20261127))
# Zipf-like weights: the k-th word is drawn ~1/k as often as the first
_EN_WEIGHTS = [1.0 / (k + 1) for k in range(len(_EN_WORDS))]
_ZH_WEIGHTS = [1.0 / (k + 1) for k in range(len(_ZH_WORDS))]
_KIND_NAMES = [k for k, _ in KINDS]
_KIND_WEIGHTS = [w for _, w in KINDS]
START = datetime(2024, 1, 1, tzinfo=UTC)


def _filler(rng: random.Random, lang: str, words: int) -> str:
    if lang == "en":
        return " ".join(rng.choices(_EN_WORDS, _EN_WEIGHTS, k=words)).capitalize() + "."
    return "".join(rng.choices(_ZH_WORDS, _ZH_WEIGHTS, k=words)) + "。"


def _company(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.3:
        name = rng.choice(COMPANIES_ZH)
        return (
            name + "有限公司",
            f"{rng.choice(('info', 'sales', 'export'))}@{zlib.crc32(name.encode()) % 10_000}.example.cn",
        )
    base = rng.choice(COMPANIES_EN)
    domain = base.lower().replace(" ", "-") + f"-{rng.randint(1, 400)}.example"
    return f"{base} {rng.choice(SUFFIXES)}", f"{rng.choice(('purchasing', 'info', 'john', 'maria'))}@{domain}"


def message(seed: int, i: int) -> bytes:
    rng = random.Random(seed * 1_000_003 + i)
    kind = rng.choices(_KIND_NAMES, _KIND_WEIGHTS)[0]
    lang = rng.choices(("en", "zh", "both"), (40, 30, 30))[0]
    if kind == "internal":
        lang = "zh"
    ctx = {
        "product": rng.choice(PRODUCTS), "qty": str(rng.choice((500, 1000, 2000, 5000))),
        "price": f"{rng.uniform(0.5, 90):.2f}", "pi": f"2026-{rng.randint(1, 9999):04d}",
        "lc": f"LC{rng.randint(100000, 999999)}", "port": rng.choice(PORTS),
        "partner": rng.choice(COMPANIES_EN),
    }  # fmt: skip
    company, address = _company(rng)
    heading = (
        HEAD_EN[kind]
        if lang == "en"
        else HEAD_ZH[kind]
        if lang == "zh"
        else f"{HEAD_ZH[kind]} {HEAD_EN[kind]}"
    )
    subject = f"{heading}: {subject_for(rng, 'en' if lang == 'en' else 'zh', ctx)}"
    paragraphs = []
    for _ in range(rng.randint(2, 6)):
        bank_lang = lang if lang != "both" else rng.choice(("en", "zh"))
        if rng.random() < 0.5:
            paragraphs.append(fill(rng.choice(EN if bank_lang == "en" else ZH), ctx))
        paragraphs.append(_filler(rng, bank_lang, rng.randint(6, 40)))
    body = "\n\n".join(paragraphs) + f"\n\n--\n{company}\n"
    when = START + timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
    head = (
        f"From: {company} <{address}>\r\nTo: sales@exporter.example\r\nSubject: {subject}\r\n"
        f"Date: {when:%a, %d %b %Y %H:%M:%S +0000}\r\nMessage-ID: <{seed}.{i}@bench.example>\r\n"
        "MIME-Version: 1.0\r\n"
    )
    text = body.replace("\n", "\r\n")
    if rng.random() >= 0.25:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text).encode("utf-8")
    rows = "\r\n".join(
        f"{rng.choice(PRODUCTS)},{rng.randint(100, 9000)},USD {rng.uniform(0.5, 90):.2f},FOB Ningbo"
        for _ in range(rng.randint(3, 15))
    )
    name = f"PI-{ctx['pi']}.csv"
    return (
        head + 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n--b1\r\n"
        f'Content-Type: text/csv; charset=utf-8; name="{name}"\r\n'
        f'Content-Disposition: attachment; filename="{name}"\r\n\r\n'
        "Item,Quantity,Unit price,Terms\r\n" + rows + "\r\n--b1--\r\n"
    ).encode("utf-8")
