"""Is a message from a person, or from a machine? Only a person's mail opens a conversation or starts a clock.

:func:`classify` returns a :class:`NoiseVerdict`: a ``kind`` and every piece of :class:`Evidence` found
(which header said what), so an agent can see *why* a message was filed as noise and a rule can be
corrected from facts rather than guesses. The kinds, strongest first — a message showing several is
filed under the first:

``read_receipt``  RFC 8098: ``multipart/report; report-type=disposition-notification``, or a
                  message/disposition-notification part.
``bounce``        RFC 3464: ``multipart/report; report-type=delivery-status`` or a message/delivery-status
                  part; Exim's ``X-Failed-Recipients``; the plain-text bounces of qmail, Exim, QQ Mail and
                  NetEase (see :mod:`.bounces`), recognised by their wording *and* a machine sender.
``auto_reply``    RFC 3834 ``Auto-Submitted: auto-replied``; ``X-Autoreply``; ``X-Autorespond``;
                  ``Precedence: auto_reply``; Exchange's ``X-MS-Exchange-Inbox-Rules-Loop`` with
                  ``X-Auto-Response-Suppress: All``; an out-of-office subject ("Automatic reply:",
                  "自动回复:") together with a header signal.
``notification``  RFC 3834 ``Auto-Submitted: auto-generated`` / ``auto-notified`` (a machine's message that
                  answers nothing), or a null envelope sender (``Return-Path: <>``) and nothing more.
``mailing_list``  ``List-Id`` (RFC 2919) other than the caller's own lists, or ``Precedence: list``.
``bulk``          ``Precedence: bulk`` / ``junk``, ``List-Unsubscribe`` (RFC 2369) and its one-click
                  ``List-Unsubscribe-Post`` (RFC 8058), Gmail's ``Feedback-ID``: newsletters and campaigns.
                  ``List-Unsubscribe`` alone on a *reply* does not count: newsletters answer nothing, and
                  CRM and sales tools may add the header to a person's mail.
``person``        none of these.

Why a subject alone never makes an auto-reply: people write "Automatic reply: order 4711" when they answer
one ("RE: Automatic reply: ..."), forward one, or copy a subject; a customer's real question filed as noise
is lost (no conversation, no SLA clock), while an auto-reply filed as a person costs an agent one click.
So the subject only *confirms* a header: Exchange and Outlook put ``X-Auto-Response-Suppress`` on their
out-of-office replies (it is not a signal alone: Outlook puts it on meeting requests too) and send them
with a null envelope sender.

Why ``own_list_ids``: a team that receives its mail through its own list (a Google Group as sales@) gets
every customer's message with that group's ``List-Id``; such a list is not noise.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal, get_args

# bounced_message_ids is re-exported: which message a bounce returns is the next question after classify
from mailwarden.inbox.bounces import bounced_message_ids, text_bounce_evidence
from mailwarden.mime import ParsedMessage

__all__ = ["KINDS", "Evidence", "Kind", "NoiseVerdict", "bounced_message_ids", "classify"]

Kind = Literal["person", "read_receipt", "bounce", "auto_reply", "notification", "mailing_list", "bulk"]
KINDS: tuple[Kind, ...] = get_args(Kind)

#: Subject prefixes of out-of-office replies: Outlook/Exchange in the languages of the markets we sell to,
#: Lotus Notes ("AUTO:"), and the Chinese webmails (QQ, NetEase, Aliyun write 自动回复).
_OOF_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)? ?response|out of (?:the )?office|auto|autoreply"
    r"|自动回复|自動回覆|自動回复|自動応答|자동 회신|automatische antwort|abwesenheitsnotiz"
    r"|réponse automatique|respuesta automática|risposta automatica|resposta automática"
    r"|automatisch antwoord|autosvar|automaattinen vastaus|automatyczna odpowiedź"
    r"|автоматический ответ|otomatik yanıt|tự động trả lời|ตอบกลับอัตโนมัติ|رد تلقائي)\s*[:：]",
    re.IGNORECASE,
)
#: RFC 3834 section 5: "auto-replied" answers a message; the other values are machine messages of their own
_AUTO_REPLIED = "auto-replied"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact: ``header`` said ``value``, which ``means`` this (a stable, machine-readable word)."""

    header: str
    value: str
    means: str


@dataclass(frozen=True, slots=True)
class NoiseVerdict:
    kind: Kind
    evidence: tuple[Evidence, ...]

    @property
    def is_person(self) -> bool:
        """Whether the message may open a conversation and start an SLA clock."""
        return self.kind == "person"


def _first(parsed: ParsedMessage, name: str) -> str | None:
    values = parsed.headers.get(name)
    return values[0].strip() if values else None


def _report_evidence(parsed: ParsedMessage) -> dict[Kind, list[Evidence]]:
    found: dict[Kind, list[Evidence]] = {}
    report = (parsed.auto_reply.report_type or "").lower()
    if report == "disposition-notification":
        found.setdefault("read_receipt", []).append(Evidence("Content-Type", report, "rfc8098-report"))
    elif report == "delivery-status":
        found.setdefault("bounce", []).append(Evidence("Content-Type", report, "rfc3464-report"))
    for attachment in parsed.attachments:
        kind: Kind | None = None
        if attachment.content_type in {
            "message/disposition-notification",
            "message/global-disposition-notification",
        }:
            kind = "read_receipt"
        elif attachment.content_type in {"message/delivery-status", "message/global-delivery-status"}:
            kind = "bounce"
        if kind is not None and not found.get(kind):
            found.setdefault(kind, []).append(
                Evidence("Content-Type", attachment.content_type, "report-part")
            )
    return found


def _auto_evidence(parsed: ParsedMessage, header_signal: list[Evidence]) -> dict[Kind, list[Evidence]]:
    found: dict[Kind, list[Evidence]] = {}
    signals = parsed.auto_reply
    if signals.auto_submitted and signals.auto_submitted.lower() != "no":
        value = signals.auto_submitted
        kind: Kind = "auto_reply" if value.lower().startswith(_AUTO_REPLIED) else "notification"
        found.setdefault(kind, []).append(Evidence("Auto-Submitted", value, f"rfc3834-{kind}"))
    if signals.x_autoreply:
        found.setdefault("auto_reply", []).append(Evidence("X-Autoreply", signals.x_autoreply, "autoreply"))
    if signals.x_autorespond:
        found.setdefault("auto_reply", []).append(
            Evidence("X-Autorespond", signals.x_autorespond, "autorespond")
        )
    precedence = (signals.precedence or "").lower()
    if precedence in {"auto_reply", "auto-reply"}:
        found.setdefault("auto_reply", []).append(Evidence("Precedence", precedence, "precedence-auto-reply"))
    suppress = signals.x_auto_response_suppress or ""
    rules_loop = _first(parsed, "x-ms-exchange-inbox-rules-loop")
    if rules_loop and re.search(r"\ball\b", suppress, re.IGNORECASE):
        # Exchange's out-of-office: sent by an Inbox rule, suppressing every auto-response to itself
        # (the pair Zammad's out_of_office_check looks for); true in every language of the subject
        found.setdefault("auto_reply", []).append(
            Evidence("X-MS-Exchange-Inbox-Rules-Loop", rules_loop, "exchange-oof")
        )
    if _OOF_SUBJECT.match(parsed.subject) and (header_signal or found):
        found.setdefault("auto_reply", []).append(Evidence("Subject", parsed.subject[:200], "oof-subject"))
    return found


def _list_evidence(parsed: ParsedMessage, own_list_ids: Collection[str]) -> dict[Kind, list[Evidence]]:
    found: dict[Kind, list[Evidence]] = {}
    own = {_list_key(value) for value in own_list_ids}
    list_id = parsed.auto_reply.list_id
    if list_id and _list_key(list_id) not in own:
        found.setdefault("mailing_list", []).append(Evidence("List-Id", list_id, "rfc2919-list"))
    precedence = (parsed.auto_reply.precedence or "").lower()
    if precedence == "list" and not (list_id and _list_key(list_id) in own):
        found.setdefault("mailing_list", []).append(Evidence("Precedence", precedence, "precedence-list"))
    if precedence in {"bulk", "junk"}:
        found.setdefault("bulk", []).append(Evidence("Precedence", precedence, "precedence-bulk"))
    unsubscribe = _first(parsed, "list-unsubscribe")
    if unsubscribe and not (list_id and _list_key(list_id) in own):
        found.setdefault("bulk", []).append(
            Evidence("List-Unsubscribe", unsubscribe[:200], "rfc2369-unsubscribe")
        )
    one_click = _first(parsed, "list-unsubscribe-post")
    if one_click:
        found.setdefault("bulk", []).append(Evidence("List-Unsubscribe-Post", one_click, "rfc8058-one-click"))
    feedback = _first(parsed, "feedback-id")
    if feedback:
        found.setdefault("bulk", []).append(Evidence("Feedback-ID", feedback[:200], "bulk-feedback-id"))
    return found


def _list_key(value: str) -> str:
    """``Sales <sales.example.com>`` and ``<SALES.example.com>`` name the same list (RFC 2919: the id)."""
    match = re.search(r"<([^<>]+)>", value)
    return (match[1] if match else value).strip().lower()


def classify(parsed: ParsedMessage, *, own_list_ids: Collection[str] = ()) -> NoiseVerdict:
    """What sent ``parsed``: a person, or which kind of machine; with every piece of evidence found.

    ``own_list_ids`` are the ``List-Id`` values of lists the team's own mail arrives through (see above).
    """
    header_signal: list[Evidence] = []  # facts that confirm others but decide nothing alone
    if parsed.auto_reply.null_return_path:  # first: the notification rule below relies on it
        header_signal.append(Evidence("Return-Path", "<>", "null-sender"))
    suppress = parsed.auto_reply.x_auto_response_suppress
    if suppress:
        header_signal.append(Evidence("X-Auto-Response-Suppress", suppress, "exchange-suppress"))
    found = _report_evidence(parsed)
    failed = _first(parsed, "x-failed-recipients")
    if failed:
        found.setdefault("bounce", []).append(Evidence("X-Failed-Recipients", failed[:200], "exim-failed"))
    if not found.get("bounce"):
        text_bounce = [Evidence(*fact) for fact in text_bounce_evidence(parsed)]
        if text_bounce:
            found["bounce"] = text_bounce
    for kind, evidence in _auto_evidence(parsed, header_signal).items():
        found.setdefault(kind, []).extend(evidence)
    for kind, evidence in _list_evidence(parsed, own_list_ids).items():
        if kind == "bulk" and parsed.in_reply_to and all(e.means == "rfc2369-unsubscribe" for e in evidence):
            # newsletters answer nothing; a reply with List-Unsubscribe alone is more likely a person
            # writing from a CRM or sales tool that adds the header to all its mail: noted, not decisive
            header_signal.extend(evidence)
            continue
        found.setdefault(kind, []).extend(evidence)
    if not any(found.values()) and parsed.auto_reply.null_return_path:
        # RFC 5321 section 4.5.5: a null reverse-path is for notifications; a person's mail never has one
        found["notification"] = [header_signal[0]]
    verdict: Kind = next((kind for kind in KINDS[1:] if found.get(kind)), "person")
    evidence = [item for kind in KINDS[1:] for item in found.get(kind, [])]
    evidence += [item for item in header_signal if item not in evidence]
    return NoiseVerdict(verdict, tuple(evidence))
