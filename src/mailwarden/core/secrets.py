"""Credentials at rest: encrypted with our key, or a reference resolved only when used.

Encryption is AES-256-GCM. A stored value reads ``mw1:<key id>:<base64 nonce+ciphertext>``; the key id lets us
say *which* key a value needs when the configured one cannot open it, instead of a bare "decryption failed".
The associated data binds a value to its purpose (``context``), so a ciphertext copied from one column to
another does not decrypt.

The key file holds one key per line; the first encrypts, all decrypt. Rotating a key is: put a new key on the
first line, keep the old one below it until every value is re-encrypted.

References (nothing stored but the reference):
    env:NAME                  the environment variable NAME
    file:PATH                 the file's content, trailing newline removed
    bw:ITEM                   Bitwarden CLI: ``bw get password ITEM`` (needs BW_SESSION)
    op://vault/item/field     1Password CLI: ``op read op://vault/item/field``
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mailwarden.core import logs
from mailwarden.core.errors import (
    InputError,
    SecretKeyInvalid,
    SecretKeyMismatch,
    SecretKeyMissing,
    SecretRefError,
)

__all__ = ["SecretBox", "SecretValue", "create_key_file", "generate_key", "parse_ref", "resolve_ref"]

log = logging.getLogger(__name__)

PREFIX = "mw1"
REF_TIMEOUT = 30.0


class SecretValue:
    """A secret in memory. Its repr never shows it; revealing it teaches the log redactor to hide it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        logs.register_secret(self._value)
        return self._value

    def __repr__(self) -> str:
        return "SecretValue('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretValue) and secrets.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self._value)


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def _decode_key(text: str, source: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise SecretKeyInvalid(source=source, detail="not URL-safe base64") from None
    if len(raw) != 32:
        raise SecretKeyInvalid(source=source, detail=f"{len(raw)} bytes, expected 32")
    return raw


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"mailwarden key id\0" + key).hexdigest()[:12]


def create_key_file(path: Path) -> bool:
    """Create a key file with mode 0600 unless one exists. Returns whether it was created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(generate_key() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return True


class SecretBox:
    """Encrypts and decrypts stored credentials."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise SecretKeyMissing()
        self._keys = {key_id(k): AESGCM(k) for k in keys}
        self._raw = list(keys)
        self.primary_id = key_id(keys[0])

    @classmethod
    def from_text(cls, text: str, source: str) -> SecretBox:
        lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        if not lines:
            raise SecretKeyInvalid(source=source, detail="empty")
        return cls([_decode_key(line, source) for line in lines])

    @classmethod
    def from_file(cls, path: Path) -> SecretBox:
        try:
            mode = path.stat().st_mode
            text = path.read_text("ascii")
        except FileNotFoundError:
            raise SecretKeyMissing() from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretKeyInvalid(source=str(path), detail=str(exc)) from exc
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("key file %s is readable by other users; chmod 600 it", path)
        return cls.from_text(text, str(path))

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self.primary_id].encrypt(
            nonce, plaintext.encode("utf-8"), context.encode("utf-8")
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{PREFIX}:{self.primary_id}:{body}"

    def decrypt(self, token: str, *, context: str) -> SecretValue:
        try:
            prefix, kid, body = token.split(":", 2)
            blob = base64.urlsafe_b64decode(body.encode("ascii"))
        except (ValueError, binascii.Error):
            raise SecretKeyMismatch(expected="?", actual=self.primary_id) from None
        if prefix != PREFIX or len(blob) < 12 + 16:
            raise SecretKeyMismatch(expected="?", actual=self.primary_id)
        aead = self._keys.get(kid)
        if aead is None:
            raise SecretKeyMismatch(expected=kid, actual=self.primary_id)
        try:
            plain = aead.decrypt(blob[:12], blob[12:], context.encode("utf-8"))
        except InvalidTag:
            raise SecretKeyMismatch(expected=kid, actual=self.primary_id) from None
        return SecretValue(plain.decode("utf-8"))

    def derive(self, purpose: str) -> list[bytes]:
        """A 32-byte key for ``purpose`` from each key, the primary's first: HMAC-SHA256 under the key of a
        fixed label and the purpose, so a derived key reveals nothing of the key (nor of another purpose's).
        Signing keys such as the inbox's conversation token key come from here: rotating the key file
        rotates them, and values made under the older key keep verifying while it stays in the file."""
        label = b"mailwarden derived key v1\x00" + purpose.encode("utf-8")
        return [hmac.new(key, label, hashlib.sha256).digest() for key in self._raw]

    def needs_rotation(self, token: str) -> bool:
        return not token.startswith(f"{PREFIX}:{self.primary_id}:")


@dataclass(frozen=True)
class SecretRef:
    scheme: str  # env | file | bw | op
    target: str

    def __str__(self) -> str:
        return self.target if self.scheme == "op" else f"{self.scheme}:{self.target}"


def parse_ref(text: str) -> SecretRef:
    """Check a reference's form now, so a typo is caught by ``mailbox add`` and not at 3 a.m."""
    text = text.strip()
    if text.startswith("op://"):
        if len(text[len("op://") :].split("/")) < 3:
            raise InputError(detail=f"1Password reference needs op://vault/item/field, got {text!r}")
        return SecretRef("op", text)
    scheme, sep, target = text.partition(":")
    if not sep or scheme not in {"env", "file", "bw"} or not target:
        raise InputError("secret.ref_unknown", ref=text)
    return SecretRef(scheme, target)


def _run_cli(argv: list[str], ref: SecretRef) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=REF_TIMEOUT, check=False)
    except FileNotFoundError:
        raise SecretRefError(ref=str(ref), detail=f"the `{argv[0]}` command is not installed") from None
    except subprocess.TimeoutExpired:
        raise SecretRefError(
            ref=str(ref), detail=f"`{argv[0]}` did not answer in {REF_TIMEOUT:.0f} s"
        ) from None
    if done.returncode != 0:
        # the CLIs' stderr says "not logged in", "item not found": useful, and holds no secret
        reason = (done.stderr or "").strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise SecretRefError(ref=str(ref), detail=f"`{argv[0]}`: {reason[0][:200]}")
    return done.stdout.rstrip("\r\n")


def resolve_ref(ref: SecretRef | str) -> SecretValue:
    ref = parse_ref(ref) if isinstance(ref, str) else ref
    if ref.scheme == "env":
        value = os.environ.get(ref.target)
        if value is None:
            raise SecretRefError(ref=str(ref), detail="the variable is not set")
    elif ref.scheme == "file":
        try:
            value = Path(ref.target).read_text("utf-8").rstrip("\r\n")
        except OSError as exc:
            raise SecretRefError(ref=str(ref), detail=exc.strerror or str(exc)) from exc
    elif ref.scheme == "bw":
        value = _run_cli(["bw", "get", "password", ref.target], ref)
    else:
        value = _run_cli(["op", "read", "--no-newline", ref.target], ref)
    if not value:
        raise SecretRefError(ref=str(ref), detail="it is empty")
    return SecretValue(value)


def load_box(secret_key: str | None, key_file: Path) -> SecretBox:
    """The box for these settings: an explicit key wins over the key file."""
    if secret_key:
        return SecretBox.from_text(secret_key, "MAILWARDEN_SECRET_KEY")
    return SecretBox.from_file(key_file)
