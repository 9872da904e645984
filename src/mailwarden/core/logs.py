"""Logging that cannot leak a password.

Two nets, because one is not enough:
1. every secret revealed in this process (:class:`~mailwarden.core.secrets.SecretValue`) is remembered and
   replaced by ``********`` in every record, wherever it appears;
2. patterns catch what was never registered: IMAP ``LOGIN``/``AUTHENTICATE`` lines, SMTP ``AUTH``,
   ``password=...``, ``Authorization:`` headers, and ``user:pass@`` in URLs.
Code still logs with ``%s`` arguments and never formats secrets on purpose; this is the safety net.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from pathlib import Path

__all__ = ["MASK", "RedactingFilter", "redact", "register_secret", "setup"]

MASK = "********"
_MIN_SECRET = 4  # shorter strings would mask ordinary words

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None

_RULES: list[tuple[re.Pattern[str], str]] = [
    # IMAP: "a1 LOGIN user pass", "a1 LOGIN "user" {5}", "a2 AUTHENTICATE PLAIN base64"
    (re.compile(r"(?i)(\bLOGIN\s+(?:\"(?:[^\"\\]|\\.)*\"|\S+)\s+)(\"(?:[^\"\\]|\\.)*\"|\S+)"), r"\1" + MASK),
    (re.compile(r"(?i)(\bAUTHENTICATE\s+\S+\s+)(\S+)"), r"\1" + MASK),
    # SMTP: "AUTH PLAIN base64", "AUTH LOGIN base64", "AUTH XOAUTH2 base64"
    (re.compile(r"(?i)(\bAUTH\s+[A-Z0-9_-]+\s+)(\S+)"), r"\1" + MASK),
    (
        re.compile(
            r"(?i)(\b(?:password|passwd|pass|pwd|secret|token|app_password|refresh_token|access_token|"
            r"secret_key|api_key|key)\b\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
        ),
        r"\1" + MASK,
    ),
    (re.compile(r"(?i)(\bAuthorization\s*:\s*\w+\s+)(\S+)"), r"\1" + MASK),
    (re.compile(r"(?i)(\bBearer\s+)([A-Za-z0-9._~+/=-]{8,})"), r"\1" + MASK),
    (re.compile(r"(://[^/\s:@]+:)([^@\s/]+)(@)"), r"\1" + MASK + r"\3"),
]


def register_secret(value: str) -> None:
    """Remember a secret so that it never appears in a log line."""
    global _pattern
    if len(value) < _MIN_SECRET or value in _secrets:
        return
    with _lock:
        _secrets.add(value)
        ordered = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    for rule, repl in _RULES:
        text = rule.sub(repl, text)
    return text


class RedactingFilter(logging.Filter):
    """Formats the record's message once, redacts it, and freezes it so handlers cannot re-expand it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            data["exception"] = record.exc_text
        return json.dumps(data, ensure_ascii=False)


def setup(level: str = "INFO", file: Path | None = None, json_format: bool = False) -> None:
    """Configure the root logger: redaction on every handler, WARNING+ to stderr, all to ``file``."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_mailwarden", False):
            root.removeHandler(handler)
            handler.close()
    formatter: logging.Formatter = (
        JsonFormatter()
        if json_format
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handlers: list[logging.Handler] = []
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.WARNING)
    handlers.append(stderr)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(file, encoding="utf-8"))
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        handler.setFormatter(formatter)
        handler._mailwarden = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
