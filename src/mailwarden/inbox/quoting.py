"""The text a customer wrote in a reply, without the history their mail client quoted below it.

Language detection and signature reading must see the customer's words only: a German buyer's one-line
answer above our whole English quotation is German, and the "+86" in our quoted signature is not theirs.

:func:`customer_text` cuts the text at the first line that starts quoted history, and drops ``>`` lines
anywhere (interleaved answers keep the customer's lines between them). History starts at:

* an attribution line — "On Tue, 3 Mar 2026, Ann <a@b> wrote:" (Gmail, Apple Mail, Thunderbird; German
  "Am ... schrieb", French "Le ... a écrit", Spanish "El ... escribió", Italian "Il ... ha scritto",
  Portuguese "Em ... escreveu", Dutch "Op ... schreef", Russian "... написал(а)", Gmail's Chinese
  "... 写道：", Japanese "...のメッセージ:", Korean "...님이 작성:", and any line with a date and an
  ``<address>`` ending in a colon, as Gmail writes it in other languages), also when wrapped over two lines;
* a separator — "-----Original Message-----" (Outlook), "-----原始邮件-----" and QQ Mail's
  "------------------ 原始邮件 ------------------", "-------- Forwarded message --------";
* an Outlook header block — a line "From:" / "发件人:" / "Von:" / "De :" / "差出人:" followed within
  five lines by "Sent:" / "Date:" / "发送时间:" / "Gesendet:" / "Envoyé :" / "日付:" or "Subject:" /
  "主题:" (Outlook, Foxmail and NetEase write their quote headers so, often after a "____" rule).

A signature ("-- ") stays: it is the customer's, and says where they are.
"""

from __future__ import annotations

import re

__all__ = ["customer_text"]

_ATTRIBUTION = re.compile(
    r"^(?:On\s.{4,200}\swrote|Am\s.{4,200}\sschrieb.{0,100}|Le\s.{4,200}\sa\sécrit|El\s.{4,200}\sescribió"
    r"|Il\s.{4,200}\sha\sscritto|Em\s.{4,200}\sescreveu|Op\s.{4,200}\sschreef.{0,100}|.{4,200}\sнаписал[аи]?"
    r"|.{2,200}写道|.{2,200}寫道|.{2,200}のメッセージ|.{2,200}님이 작성"
    # Gmail in other languages: "2026年11月26日(木) 9:12 Sales <sales@example.com>:" — a date and an address
    r"|.{0,200}\d.{0,200}<[^<>@\s]+@[^<>\s]+>)\s*[:：]\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original Message|Forwarded message|Message d'origine|Ursprüngliche Nachricht"
    r"|Mensaje original|Messaggio originale|Mensagem original|Oorspronkelijk bericht|Исходное сообщение"
    r"|原始邮件|原始郵件|转发邮件|轉寄郵件|Reply message)\s*-{2,}\s*)$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(
    r"^\s*\**(?:From|发件人|發件人|寄件者|Von|De|Da|Od|От|差出人|Van)\s*\**\s*[:：]", re.I
)
_HEADER_NEXT = re.compile(
    r"^\s*\**(?:Sent|Date|发送时间|發送時間|时间|日期|Gesendet|Datum|Envoyé|Enviado|Inviato|Wysłano|Отправлено"
    r"|日付|送信日時|Subject|主题|主題|Betreff|Objet|Asunto|Oggetto|Temat|Тема|件名|To|收件人|An|À|Para|A)\s*\**\s*[:：]",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*_{10,}\s*$")


def _is_header_block(lines: list[str], index: int) -> bool:
    if not _HEADER_FROM.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 6] if line.strip()]
    return sum(bool(_HEADER_NEXT.match(line)) for line in following) >= 2


def customer_text(text: str) -> str:
    """``text`` up to the quoted history, without ``>`` lines; trailing blank lines removed."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        joined = f"{line.strip()} {lines[index + 1].strip()}" if index + 1 < len(lines) else line
        if (
            _SEPARATOR.match(line)
            or _ATTRIBUTION.match(line.strip())
            or (not line.rstrip().endswith((":", "：")) and _ATTRIBUTION.match(joined) and "@" in joined)
            or _is_header_block(lines, index)
        ):
            break
        if _RULE.match(line) and index + 1 < len(lines) and _is_header_block(lines, index + 1):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)
