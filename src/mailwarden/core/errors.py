"""Every error mailwarden raises, in one tree.

The first split answers the question a user asks first: *is this my mistake, or did something break?*

    MailwardenError                 base: a message key, parameters, rendered in zh-CN or en
    ├── UserError                   the user's mistake; retrying will not help until they change something
    │   ├── ConfigError             mailwarden.toml, MAILWARDEN_* variables or command-line options are wrong
    │   ├── InputError              a value given to a command or API is malformed
    │   ├── NotFoundError           a named thing (mailbox, channel, ...) does not exist
    │   ├── ConflictError           a named thing exists already, or changed under the caller
    │   ├── PermissionDeniedError   the caller may not do this (a role too low, no agent to act as)
    │   └── SecretError             a secret cannot be read
    │       ├── SecretKeyMissing    no encryption key is configured (run `mailwarden init` or set the key)
    │       ├── SecretKeyInvalid    the configured key is malformed (wrong length, not base64)
    │       ├── SecretKeyMismatch   the key cannot decrypt data encrypted with another key
    │       └── SecretRefError      a credential reference (env:, file:, bw:, op://) does not resolve
    └── SystemFailure               something outside the user's input failed; ``permanent`` says whether a
        │                           retry can help
        ├── StorageError            the database or the file system failed
        │   └── LeaseLost           a lease we held was taken over or expired
        └── RemoteError             a remote party failed or refused (``host``, ``port``)
            ├── NetworkError        DNS lookup, connect timeout, refused, unreachable, reset, closed
            ├── TLSFailure          handshake or certificate verification failed
            └── ProtocolError       the peer answered, but not as the protocol says
                ├── imap.errors.IMAPError          tagged NO/BAD, or a BYE; RFC 5530 ``code`` and ``text``
                │   ├── imap.errors.IMAPAuthError  the login was refused
                │   └── imap.errors.IMAPParseError the server sent bytes we cannot parse
                └── smtp.errors.SMTPError          reply ``code``, RFC 3463 ``enhanced`` status, ``text``
                    └── smtp.errors.SMTPAuthError  AUTH was refused

Foreign exceptions are translated at the boundary where they arise (``raise Mapped(...) from exc``); nothing
above that boundary sees an ``OSError`` or an ``sqlalchemy`` error.

Each error carries a message ``key`` into the locale catalogues (``core/locales``) and the parameters to fill
it, so the command line and the web UI can show it in the reader's language; ``str(error)`` is English.
A key ``K`` may have a companion ``K_hint`` telling the user what to do.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from mailwarden.core import i18n

__all__ = [
    "ConfigError",
    "ConflictError",
    "InputError",
    "LeaseLost",
    "MailwardenError",
    "NetworkError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProtocolError",
    "RemoteError",
    "SecretError",
    "SecretKeyInvalid",
    "SecretKeyMismatch",
    "SecretKeyMissing",
    "SecretRefError",
    "StorageError",
    "SystemFailure",
    "TLSFailure",
    "UserError",
]


def _snake(name: str) -> str:
    """``SMTPAuthError`` -> ``smtp_auth_error``: acronyms stay whole."""
    return re.sub(r"(?<!^)(?=[A-Z][a-z])|(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


class MailwardenError(Exception):
    """Base of every error we raise on purpose."""

    default_key: ClassVar[str] = "error.unexpected"
    #: whether retrying the same operation unchanged can never succeed
    permanent: bool = True

    def __init__(self, key: str | None = None, /, **params: Any) -> None:
        self.key = key or self.default_key
        self.params = params
        # the English text is rendered when asked for (str(), a log line), not here: an error made and
        # handled without being shown (a connection closed on purpose) should not load a catalogue
        super().__init__(self.key)

    def __str__(self) -> str:
        return self.render(i18n.EN)

    def render(self, lang: str) -> str:
        return i18n.t(self.key, lang, **self.params)

    def hint(self, lang: str) -> str | None:
        hint_key = f"{self.key}_hint"
        return i18n.t(hint_key, lang, **self.params) if i18n.has(hint_key) else None

    @property
    def kind(self) -> str:
        """A stable, machine-readable name for JSON output: the class name in snake case."""
        return _snake(type(self).__name__)

    def as_dict(self, lang: str = i18n.EN) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "key": self.key, "message": self.render(lang)}
        hint = self.hint(lang)
        if hint:
            data["hint"] = hint
        return data


class UserError(MailwardenError):
    """The user's mistake. Commands exit with status 2."""

    default_key = "error.user"


class ConfigError(UserError):
    default_key = "error.config"


class InputError(UserError):
    default_key = "error.input"


class NotFoundError(UserError):
    default_key = "error.not_found"


class ConflictError(UserError):
    default_key = "error.conflict"


class PermissionDeniedError(UserError):
    default_key = "error.forbidden"


class SecretError(UserError):
    default_key = "error.secret"


class SecretKeyMissing(SecretError):
    default_key = "secret.key_missing"


class SecretKeyInvalid(SecretError):
    default_key = "secret.key_invalid"


class SecretKeyMismatch(SecretError):
    default_key = "secret.key_mismatch"


class SecretRefError(SecretError):
    default_key = "secret.ref_failed"


class SystemFailure(MailwardenError):
    """Something outside the user's input failed. ``permanent`` is False unless a subclass knows better."""

    default_key = "error.system"
    permanent = False

    def __init__(self, key: str | None = None, /, *, permanent: bool | None = None, **params: Any) -> None:
        if permanent is not None:
            self.permanent = permanent
        super().__init__(key, **params)


class StorageError(SystemFailure):
    default_key = "error.storage"


class LeaseLost(StorageError):
    default_key = "lease.lost"
    permanent = True


class RemoteError(SystemFailure):
    """A remote party failed. ``host`` and ``port`` say which one."""

    default_key = "error.remote"

    def __init__(
        self,
        key: str | None = None,
        /,
        *,
        host: str = "",
        port: int = 0,
        permanent: bool | None = None,
        **params: Any,
    ) -> None:
        self.host = host
        self.port = port
        super().__init__(key, permanent=permanent, host=host, port=port, **params)


class NetworkError(RemoteError):
    default_key = "net.failed"


class TLSFailure(RemoteError):
    default_key = "tls.failed"


class ProtocolError(RemoteError):
    default_key = "protocol.unexpected"
