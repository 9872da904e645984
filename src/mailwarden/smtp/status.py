"""SMTP replies as values: the three-digit code, the RFC 3463 enhanced status, and the server's own text.

Kept free of sockets and of aiosmtplib so that the rules about what a reply *means* (above all: will retrying
help?) can be tested as plain functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["EnhancedStatus", "Reply", "is_permanent", "parse_reply"]

# RFC 3463 §2: status-code = class "." subject "." detail; class = "2"/"4"/"5"; subject and detail = 1*3digit.
# It must stand alone at the start of the text: "5.7.8 Error" is one, "5.7.8.1" or "1.2.3.4" (an address in
# the text) is not. Microsoft sends three-digit details such as 5.7.139, which the grammar allows.
_ENHANCED = re.compile(r"^([245])\.([0-9]{1,3})\.([0-9]{1,3})(?=[ \t]|$)")


@dataclass(frozen=True, slots=True)
class EnhancedStatus:
    """An RFC 3463 enhanced status code such as 5.7.8 (class 5: permanent; subject 7: security; detail 8)."""

    status_class: int
    subject: int
    detail: int

    def __str__(self) -> str:
        return f"{self.status_class}.{self.subject}.{self.detail}"

    @classmethod
    def parse(cls, text: str) -> EnhancedStatus | None:
        """The code at the very start of ``text``, or None when the text does not begin with one."""
        match = _ENHANCED.match(text)
        return None if match is None else cls(int(match[1]), int(match[2]), int(match[3]))


@dataclass(frozen=True, slots=True)
class Reply:
    """One server reply: ``text`` is what the server wrote, minus the enhanced code, lines joined by "\\n"."""

    code: int
    enhanced: EnhancedStatus | None
    text: str

    @property
    def permanent(self) -> bool:
        return is_permanent(self.code, self.enhanced)

    def __str__(self) -> str:
        """The reply as a user would recognise it from a server log: ``535 5.7.8 Error: ...``."""
        parts = [str(self.code)] if self.code > 0 else []
        if self.enhanced is not None:
            parts.append(str(self.enhanced))
        if self.text:
            parts.append(self.text)
        return " ".join(parts)


def parse_reply(code: int, message: str) -> Reply:
    """Split the enhanced status off a reply's text.

    RFC 2034 puts the enhanced code at the start of every line of a multi-line reply ("5.7.8 Username
    and Password not accepted.\\n5.7.8 Learn more at ..."), so it is removed from each line that repeats it;
    a line that carries a different code keeps it, because then it is information rather than framing.
    """
    lines = message.split("\n")
    enhanced = EnhancedStatus.parse(lines[0])
    if enhanced is None:
        return Reply(code, None, message)
    stripped = []
    for line in lines:
        if EnhancedStatus.parse(line) == enhanced:
            line = _ENHANCED.sub("", line, count=1).lstrip(" \t")
        stripped.append(line)
    return Reply(code, enhanced, "\n".join(stripped))


def is_permanent(code: int, enhanced: EnhancedStatus | None) -> bool:
    """Whether sending the same thing again, unchanged, is certain to fail the same way.

    A 4xx reply code is transient (RFC 5321 §4.2.1), and so is a 4.x.x enhanced status even under a 5xx
    code: misconfigured servers send "550 4.2.2 mailbox full", and the enhanced code is the more specific
    of the two. When the two disagree we side with "transient", because retrying a permanent failure costs
    one more refusal while giving up on a transient one loses the mail. Anything else that arrives as an
    error (5xx, or a 2xx/3xx where the protocol wanted something else) will not change by itself.
    """
    if code // 100 == 4:
        return False
    return not (enhanced is not None and enhanced.status_class == 4)
