"""Errors of the SMTP submission client (their place in the tree is drawn in ``core/errors.py``).

    ProtocolError
    └── SMTPError        the server answered a step of the session with an error reply
        └── SMTPAuthError    the reply refused AUTH (wrong password, account locked, method disabled, ...)

``code``, ``enhanced`` and ``text`` are the reply exactly as the server sent it (the text is quoted to users,
never translated); ``stage`` says which step was refused, so the message can say "refused the login" rather
than "error 535". ``permanent`` follows the reply (see ``status.is_permanent``). Failures below the SMTP
dialogue — DNS, TCP, TLS — are the core ``NetworkError`` and ``TLSFailure``; ``boundary.py`` maps them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal, Self, get_args

from mailwarden.core.errors import ProtocolError
from mailwarden.smtp.status import Reply, parse_reply

__all__ = ["STAGES", "SMTPAuthError", "SMTPError", "Stage"]

Stage = Literal["connect", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "quit"]
STAGES: tuple[Stage, ...] = get_args(Stage)


class SMTPError(ProtocolError):
    """The server refused a step of the session with reply ``code`` (and ``enhanced`` status, when sent).

    The message key is ``smtp.refused.<stage>`` unless one is given. ``refused`` is filled only when every
    recipient of a message was refused: it maps each address to its own refusal, so none is lost.
    """

    #: what ``kind`` reports; the generic CamelCase splitter would make "s_m_t_p_error" of the acronym
    machine_kind: ClassVar[str] = "smtp_error"

    def __init__(
        self,
        reply: Reply,
        /,
        *,
        stage: Stage,
        host: str = "",
        port: int = 0,
        key: str | None = None,
        permanent: bool | None = None,
        refused: Mapping[str, SMTPError] | None = None,
        **params: Any,
    ) -> None:
        self.reply = reply
        self.stage: Stage = stage
        self.code = reply.code
        self.enhanced = None if reply.enhanced is None else str(reply.enhanced)
        self.text = reply.text
        self.refused: Mapping[str, SMTPError] = dict(refused or {})
        permanent = reply.permanent if permanent is None else permanent
        super().__init__(
            key or self._default_key(stage, permanent),
            host=host,
            port=port,
            permanent=permanent,
            stage=stage,
            reply=str(reply),
            **params,
        )

    @classmethod
    def from_reply(cls, code: int, message: str, /, *, stage: Stage, host: str, port: int) -> Self:
        """Build the error from a reply as the wire gave it: ``535, "5.7.8 Error: authentication failed"``."""
        return cls(parse_reply(code, message), stage=stage, host=host, port=port)

    @property
    def kind(self) -> str:
        return self.machine_kind

    @classmethod
    def _default_key(cls, stage: Stage, permanent: bool) -> str:
        return f"smtp.refused.{stage}"


class SMTPAuthError(SMTPError):
    """AUTH was refused. Usually the credentials are wrong, so its message key has a hint for the user."""

    machine_kind = "smtp_auth_error"

    @classmethod
    def _default_key(cls, stage: Stage, permanent: bool) -> str:
        # "454 4.7.0 Temporary authentication failure" is the server's trouble: no "check your password" hint
        return "smtp.refused.auth" if permanent else "smtp.refused.auth_transient"
