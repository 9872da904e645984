"""Who is in the demo's mail: the team behind ``sales@demo.test``, its customers, its products, its folders.

The company is a Ningbo pump and valve exporter (宁波恒达实业) whose shared ``sales@`` is worked by agents
in three time zones: two in Ningbo, one in Berlin for Europe, one in São Paulo for the Americas. Every
customer and third party lives under a reserved ``.example`` domain (RFC 2606) so that nothing the demo
does can reach a real mailbox; our own side is ``demo.test``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "AGENTS",
    "CUSTOMERS",
    "DEMO_DOMAIN",
    "FOLDERS",
    "KINDS",
    "PRODUCTS",
    "SHARED_ADDRESS",
    "Customer",
    "DemoAgent",
    "Product",
    "SeedMessage",
]

DEMO_DOMAIN = "demo.test"
SHARED_ADDRESS = f"sales@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class DemoAgent:
    """One person working ``sales@``: signs replies with ``display`` and is reached on chat as ``im``."""

    name: str  # login-ish short name
    display: str
    email: str  # their own address at demo.test
    timezone: str  # IANA zone
    im: str  # chat id (Feishu open_id style)
    title: str = "Sales Manager"
    phone: str = "+86 574 8765 4321"


AGENTS: tuple[DemoAgent, ...] = (
    DemoAgent("alice", "Alice Wang", f"alice@{DEMO_DOMAIN}", "Asia/Shanghai", "ou_alice", "Sales Manager",
              "+86 574 8765 4321 ext. 801"),
    DemoAgent("bo", "Zhang Bo", f"bo@{DEMO_DOMAIN}", "Asia/Shanghai", "ou_bo", "Sales Executive (China)",
              "+86 574 8765 4321 ext. 805"),
    DemoAgent("dana", "Dana Fischer", f"dana@{DEMO_DOMAIN}", "Europe/Berlin", "ou_dana",
              "Sales Representative Europe", "+49 40 5550 1234"),
    DemoAgent("carlos", "Carlos Souza", f"carlos@{DEMO_DOMAIN}", "America/Sao_Paulo", "ou_carlos",
              "Sales Representative Americas", "+55 11 5550 4321"),
)  # fmt: skip

_AGENT = {agent.name: agent for agent in AGENTS}


@dataclass(frozen=True)
class SeedMessage:
    """One message to put in the demo mailbox: its folder, raw bytes, INTERNALDATE, flags and ``kind``."""

    folder: str  # IMAP folder name, "/" as hierarchy separator
    raw: bytes  # RFC 5322 message, CRLF line ends
    when: datetime  # INTERNALDATE (timezone-aware, UTC)
    flags: frozenset[str]  # IMAP system flags only
    kind: str  # one of KINDS


#: ``SeedMessage.kind`` values. Direction shows in the folder and From: ours are in Sent (or Drafts).
KINDS: dict[str, str] = {
    "inquiry": "a customer's first message asking for a price (English or Chinese: 询盘/询价)",
    "quotation": "our offer in Sent, prices in the text; some with a PDF quotation or an XLSX price list",
    "reply": "a message answering another in a conversation, by the customer or by us",
    "follow-up": "a chaser: ours after a quotation went unanswered, or the customer's after waiting",
    "order": "a customer's purchase order or confirmation that a deposit was paid",
    "proforma": "our proforma invoice (PI) with the PI as a PDF",
    "lc": "the letter of credit talk: MT700 draft, amendment (MT707), a discrepancy and its waiver",
    "auto-reply": "an out-of-office reply (RFC 3834 Auto-Submitted: auto-replied), English or 自动回复",
    "bounce": "a delivery status notification (RFC 3464) about one of our quotations",
    "notification": "a machine's message that answers nothing (Auto-Submitted: auto-generated)",
    "newsletter": "a trade fair's or forwarder's bulk mail (List-Id, List-Unsubscribe)",
    "spam": "junk, filed in Junk",
    "supplier": "mail with our own (domestic) suppliers, in Chinese",
    "draft": "a reply an agent has not sent yet, in Drafts",
}

#: (name, RFC 6154 special-use attribute or None)
FOLDERS: tuple[tuple[str, str | None], ...] = (
    ("INBOX", None),
    ("Sent", "\\Sent"),
    ("Drafts", "\\Drafts"),
    ("Junk", "\\Junk"),
    ("Trash", "\\Trash"),
    ("Quotations", None),
    ("Orders/2026", None),
    ("Suppliers", None),
)


@dataclass(frozen=True)
class Customer:
    """A buyer (or supplier) writing to ``sales@``; ``lang`` is "en", "zh" (GB) or "zh-TW" (Big5)."""

    name: str
    email: str
    company: str
    country: str  # ISO 3166 alpha-2
    timezone: str
    lang: str
    agent: str  # who of AGENTS looks after the market
    greeting: str  # how a letter to them opens ("Dear Hans", "王总")
    port: str = "Ningbo"  # port of discharge or delivery place

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    @property
    def owner(self) -> DemoAgent:
        return _AGENT[self.agent]


CUSTOMERS: tuple[Customer, ...] = (
    Customer("Hans Weber", "hans.weber@weber-maschinen.example", "Weber Maschinenbau GmbH", "DE",
             "Europe/Berlin", "en", "dana", "Dear Mr. Weber", "Hamburg"),
    Customer("Katrin Vogel", "k.vogel@aqua-technik.example", "Aqua Technik GmbH", "DE", "Europe/Berlin",
             "en", "dana", "Dear Katrin", "Bremerhaven"),
    Customer("Sophie Martin", "s.martin@lyon-hydraulique.example", "Lyon Hydraulique SARL", "FR",
             "Europe/Paris", "en", "dana", "Dear Sophie", "Le Havre"),
    Customer("Mike Johnson", "mike@midwest-pump-supply.example", "Midwest Pump Supply Inc.", "US",
             "America/Chicago", "en", "carlos", "Hi Mike", "Chicago (via Long Beach)"),
    Customer("Sarah Miller", "smiller@coastal-irrigation.example", "Coastal Irrigation LLC", "US",
             "America/New_York", "en", "carlos", "Dear Sarah", "Savannah"),
    Customer("João Pereira", "joao.pereira@pereira-importadora.example", "Pereira Importadora Ltda.", "BR",
             "America/Sao_Paulo", "en", "carlos", "Dear João", "Santos"),
    Customer("Ana Costa", "ana.costa1987@mailbox.example", "Costa Irrigação (Ana Costa)", "BR",
             "America/Sao_Paulo", "en", "carlos", "Dear Ana", "Itajaí"),
    Customer("Rajesh Kumar", "rajesh@kumar-agro.example", "Kumar Agro Equipments Pvt. Ltd.", "IN",
             "Asia/Kolkata", "en", "alice", "Dear Mr. Kumar", "Nhava Sheva"),
    Customer("Priya Nair", "priya.nair@webmail.example", "Nair Water Systems", "IN", "Asia/Kolkata", "en",
             "alice", "Dear Priya", "Chennai"),
    Customer("Ahmed Al Mansouri", "ahmed@gulf-star-trading.example", "Gulf Star Trading LLC", "AE",
             "Asia/Dubai", "en", "alice", "Dear Mr. Ahmed", "Jebel Ali"),
    Customer("Omar Haddad", "omar.h@desert-water.example", "Desert Water Solutions FZE", "AE", "Asia/Dubai",
             "en", "alice", "Dear Omar", "Jebel Ali"),
    Customer("王强", "wangqiang@yiwu-huitong.example", "义乌汇通进出口有限公司", "CN", "Asia/Shanghai", "zh",
             "bo", "王总", "义乌"),
    Customer("李娜", "lina@hz-tianyuan-trade.example", "杭州天元外贸有限公司", "CN", "Asia/Shanghai", "zh",
             "bo", "李经理", "杭州"),
    Customer("刘洋", "liuyang_trade@163mail.example", "刘洋（个人外贸）", "CN", "Asia/Shanghai", "zh", "bo",
             "刘先生", "广州"),
    Customer("陳志明", "chen.zm@taipei-hardware.example", "台北五金行股份有限公司", "TW", "Asia/Taipei",
             "zh-TW", "alice", "陳經理", "基隆"),
    Customer("黃家豪", "kh.wong@pacific-hk-trading.example", "太平洋貿易（香港）有限公司", "HK",
             "Asia/Hong_Kong", "zh-TW", "alice", "黃先生", "香港"),
)  # fmt: skip


@dataclass(frozen=True)
class Product:
    model: str
    en: str
    zh: str  # simplified
    tw: str  # traditional (the Big5 mails)
    unit_en: str
    unit_zh: str
    usd: float  # FOB Ningbo
    moq: int
    lead_days: int


PRODUCTS: tuple[Product, ...] = (
    Product("HD-CP50", "centrifugal water pump HD-CP50 (0.75 kW)", "离心水泵", "離心水泵", "pcs", "台", 86.5,
            100, 30),
    Product("4SP8-12", "submersible borehole pump 4SP8-12", "深井潜水泵", "深井潛水泵", "pcs", "台", 142.0,
            50, 35),
    Product("BV-SS25", "stainless steel ball valve DN25 (SS304)", "不锈钢球阀", "不鏽鋼球閥", "pcs", "只",
            6.8, 2000, 25),
    Product("GV-BR1", "brass gate valve 1 inch", "黄铜闸阀", "黃銅閘閥", "pcs", "只", 4.2, 3000, 20),
    Product("SP-600", "solar DC pump kit SP-600", "太阳能直流水泵套装", "太陽能直流水泵套裝", "sets", "套",
            318.0, 20, 40),
    Product("HD-BP370", "automatic booster pump HD-BP370", "自动增压泵", "自動增壓泵", "pcs", "台", 58.9, 200,
            30),
    Product("PT-24L", "pressure tank 24 L", "压力罐24升", "壓力罐24公升", "pcs", "个", 21.5, 300, 25),
)  # fmt: skip
