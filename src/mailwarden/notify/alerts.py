"""What an alert is, before any channel touches it: plain values, and the text they become.

Capabilities that raise alerts (the inbox, the monitor, sync, drills) build an :class:`Alert` and hand it to
:func:`mailwarden.notify.service.enqueue`. Mentions are :class:`Person` values that already carry each
person's identity per chat system, so this package never reads another capability's tables: whoever knows
the assignee resolves them (the CLI from ``access``, later the inbox).

Text comes from the locale catalogues (``notify.alert.<kind>.title`` / ``.body``) in the channel's language;
times in the parameters (ISO 8601) are shown in the first mentioned person's time zone, since "due 14:00"
is read by the salesperson, wherever the server is.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailwarden.core import i18n
from mailwarden.core.errors import InputError

__all__ = [
    "ALERT_KINDS",
    "IM_KINDS",
    "Alert",
    "Person",
    "Rendered",
    "Severity",
    "digest",
    "render",
]

Severity = Literal["info", "warning", "critical"]
#: what the seed's people do with an alert decides its kinds; ``test`` is ``mailwarden notify test``
ALERT_KINDS = (
    "inquiry.new",
    "inbox.mention",
    "sla.due_soon",
    "sla.breach",
    "mailbox.incident",
    "sync.gap",
    "drill.result",
    "test",
)
#: chat systems a person can have an identity in (``--im KIND:ID``); lark uses the feishu identity if absent
IM_KINDS = ("dingtalk", "feishu", "lark", "wecom", "slack", "teams")
_DEFAULT_SEVERITY: dict[str, Severity] = {
    "inquiry.new": "info",
    "inbox.mention": "info",
    "sla.due_soon": "warning",
    "sla.breach": "critical",
    "mailbox.incident": "critical",
    "sync.gap": "warning",
    "drill.result": "info",
    "test": "info",
}
#: parameters holding a time, shown in the reader's zone
_TIME_PARAMS = ("due", "since", "at")


@dataclass(frozen=True)
class Person:
    """Someone to @mention: a name, an e-mail address, a time zone and an id per chat system."""

    name: str
    email: str | None = None
    timezone: str | None = None
    ids: Mapping[str, str] = field(default_factory=dict)

    def id_for(self, kind: str) -> str | None:
        if kind == "lark":
            return self.ids.get("lark") or self.ids.get("feishu")
        return self.ids.get(kind)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email, "timezone": self.timezone, "ids": dict(self.ids)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Person:
        return cls(data["name"], data.get("email"), data.get("timezone"), dict(data.get("ids") or {}))


@dataclass(frozen=True)
class Alert:
    """One thing to tell the team. ``key`` makes it idempotent: the same key is queued once per channel."""

    kind: str
    key: str
    params: Mapping[str, str] = field(default_factory=dict)
    mentions: Sequence[Person] = ()
    link: str | None = None
    severity: Severity | None = None

    def __post_init__(self) -> None:
        if self.kind not in ALERT_KINDS:
            raise InputError("notify.unknown_alert_kind", kind=self.kind, kinds=", ".join(ALERT_KINDS))
        if not self.key or len(self.key) > 200:
            raise InputError(detail="an alert key is 1 to 200 characters")

    @property
    def level(self) -> Severity:
        return self.severity or _DEFAULT_SEVERITY[self.kind]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "params": dict(self.params),
            "mentions": [p.as_dict() for p in self.mentions],
            "link": self.link,
            "severity": self.level,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alert:
        return cls(
            kind=data["kind"],
            key=data["key"],
            params=dict(data.get("params") or {}),
            mentions=tuple(Person.from_dict(p) for p in data.get("mentions") or ()),
            link=data.get("link"),
            severity=data.get("severity"),
        )


@dataclass(frozen=True)
class Rendered:
    """An alert as text, ready for a transport: plain lines (each transport adds its own markup)."""

    key: str
    kind: str
    title: str
    lines: tuple[str, ...]
    severity: Severity
    link: str | None
    link_label: str
    mentions: tuple[Person, ...]
    lang: str
    #: the alert keys this message carries (one, or many for a digest)
    covers: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def message_id(self) -> str:
        """A stable id for the message (e-mail Message-ID, webhook delivery id): the same on every retry."""
        return hashlib.sha256("\0".join(self.covers or (self.key,)).encode()).hexdigest()[:32]


def _zone(mentions: Sequence[Person]) -> ZoneInfo | None:
    for person in mentions:
        if person.timezone:
            try:
                return ZoneInfo(person.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return None


def _show_time(value: str, zone: ZoneInfo | None) -> str:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value  # not a time after all: show it as given
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    shown = when.astimezone(zone or UTC)
    return shown.strftime("%Y-%m-%d %H:%M ") + (shown.tzname() or "UTC")


def _lines(key: str, lang: str, params: Mapping[str, str]) -> tuple[str, ...]:
    """The template's lines, each filled in; a line whose parameter was not given is left out, so one
    template serves an inquiry with and without a company or a country."""
    template = i18n.catalog(i18n.normalize(lang)).get(key) or i18n.catalog(i18n.EN).get(key, "")
    lines = []
    for line in template.splitlines():
        fields = {name for _, name, _, _ in string.Formatter().parse(line) if name}
        if line.strip() and all(params.get(name) for name in fields):
            lines.append(line.format(**{name: params[name] for name in fields}))
    return tuple(lines)


def render(alert: Alert, lang: str) -> Rendered:
    zone = _zone(alert.mentions)
    params = {k: str(v) for k, v in alert.params.items()}
    for name in _TIME_PARAMS:
        if name in params:
            params[name] = _show_time(params[name], zone)
    base = f"notify.alert.{alert.kind}"
    # one line, whatever a customer's subject held: a CR/LF would end an e-mail header (and stop the worker)
    title = " ".join(i18n.t(f"{base}.title", lang, **params).split())
    lines = _lines(f"{base}.body", lang, params)
    return Rendered(
        key=alert.key,
        kind=alert.kind,
        title=title,
        lines=lines,
        severity=alert.level,
        link=alert.link,
        link_label=i18n.t("notify.open_link", lang),
        mentions=tuple(alert.mentions),
        lang=lang,
        covers=(alert.key,),
    )


def digest(alerts: Sequence[Alert], lang: str) -> Rendered:
    """Many alerts as one message, for a burst bigger than a channel's rate allows: one line each."""
    if not alerts:
        raise ValueError("a digest of nothing")
    parts = [render(a, lang) for a in alerts]
    mentions: dict[str, Person] = {}
    for part in parts:
        for person in part.mentions:
            mentions.setdefault(person.name, person)
    order: tuple[Severity, ...] = ("info", "warning", "critical")
    worst = max((p.severity for p in parts), key=order.index)
    lines = tuple(f"{n}. {p.title}" + (f" — {p.link}" if p.link else "") for n, p in enumerate(parts, 1))
    return Rendered(
        key=parts[0].key,
        kind="digest",
        title=i18n.t("notify.digest_title", lang, count=len(parts)),
        lines=lines,
        severity=worst,
        link=None,
        link_label=i18n.t("notify.open_link", lang),
        mentions=tuple(mentions.values()),
        lang=lang,
        covers=tuple(p.key for p in parts),
    )
