"""Session-wide questions and switches: NAMESPACE, GETQUOTAROOT, ENABLE, COMPRESS.

Each follows the server's CAPABILITY: asking a server for something it does not offer earns a BAD, and a
BAD in a sync loop looks like a broken mailbox. So a missing capability answers None / empty / False here,
and the caller decides what "unknown" means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mailwarden.imap.commands import Raw
from mailwarden.imap.folders import Folder, folder_argument
from mailwarden.imap.items import as_int, as_text, decode_name
from mailwarden.imap.responses import Value
from mailwarden.imap.session import Session

__all__ = [
    "Namespace",
    "Namespaces",
    "Quota",
    "QuotaResource",
    "compress",
    "enable",
    "getquotaroot",
    "namespace",
]


@dataclass(frozen=True, slots=True)
class Namespace:
    """One namespace (RFC 2342): folders under ``prefix``, levels split by ``delimiter``."""

    prefix: str
    raw_prefix: bytes
    delimiter: str | None


@dataclass(frozen=True, slots=True)
class Namespaces:
    """The user's own folders, other users' folders, shared folders (each may be empty)."""

    personal: tuple[Namespace, ...]
    other_users: tuple[Namespace, ...]
    shared: tuple[Namespace, ...]


@dataclass(frozen=True, slots=True)
class QuotaResource:
    """Usage and limit of one resource; ``STORAGE`` counts KiB (1024 octets), ``MESSAGE`` messages."""

    name: str
    usage: int
    limit: int


@dataclass(frozen=True, slots=True)
class Quota:
    """One quota root (RFC 2087 / 9208) and its resources by upper-case name."""

    root: str
    resources: Mapping[str, QuotaResource]

    @property
    def storage(self) -> QuotaResource | None:
        """In KiB."""
        return self.resources.get("STORAGE")

    @property
    def messages(self) -> QuotaResource | None:
        return self.resources.get("MESSAGE")


async def namespace(session: Session) -> Namespaces | None:
    """NAMESPACE, or None when the server does not offer it (then assume one personal namespace)."""
    session.ready("NAMESPACE")
    if not session.offers("NAMESPACE"):
        return None
    result = await session.connection.execute("NAMESPACE", wants=("NAMESPACE",))
    for response in result.untagged:
        try:
            groups = [_namespace_group(value) for value in response.data[:3]]
            if len(groups) != 3:
                raise ValueError("NAMESPACE needs three groups")
        except ValueError as exc:
            session.bad_data("NAMESPACE", exc)
        return Namespaces(*groups)
    session.bad_data("NAMESPACE", "no NAMESPACE response")


def _namespace_group(value: Value) -> tuple[Namespace, ...]:
    if value is None:
        return ()
    if not isinstance(value, tuple):
        raise ValueError(f"a namespace group is not a list: {value!r}")
    out = []
    for entry in value:
        if not isinstance(entry, tuple) or len(entry) < 2 or not isinstance(entry[0], bytes):
            raise ValueError(f"a namespace is not (prefix delimiter): {entry!r}")
        prefix, delimiter = bytes(entry[0]), entry[1]
        text = None if delimiter is None else as_text(delimiter, "the delimiter")
        out.append(Namespace(decode_name(prefix) if prefix else "", prefix, text))
    return tuple(out)


async def getquotaroot(session: Session, folder: str | Folder) -> tuple[Quota, ...] | None:
    """The quotas that apply to ``folder`` (usually one), or None when the server has no QUOTA."""
    session.ready("GETQUOTAROOT")
    if not session.offers("QUOTA"):
        return None
    result = await session.connection.execute(
        "GETQUOTAROOT", folder_argument(folder), wants=("QUOTAROOT", "QUOTA")
    )
    roots: list[str] = []
    quotas: dict[str, Quota] = {}
    try:
        for response in result.untagged:
            if response.name == "QUOTAROOT":
                roots += [as_text(root, "a quota root") for root in response.data[1:]]
            else:
                quota = _quota(response.data)
                quotas[quota.root] = quota
    except ValueError as exc:
        session.bad_data("GETQUOTAROOT", exc)
    order = roots + [root for root in quotas if root not in roots]
    return tuple(quotas[root] for root in order if root in quotas)


def _quota(data: tuple[Value, ...]) -> Quota:
    if len(data) != 2 or not isinstance(data[1], tuple) or len(data[1]) % 3:
        raise ValueError("QUOTA is not root (resource usage limit ...)")
    listed = data[1]
    resources = {}
    for index in range(0, len(listed), 3):
        name = as_text(listed[index], "a quota resource").upper()
        usage = as_int(listed[index + 1], name)
        limit = as_int(listed[index + 2], name)
        resources[name] = QuotaResource(name, usage, limit)
    return Quota(as_text(data[0], "a quota root"), resources)


async def enable(session: Session, *capabilities: str) -> frozenset[str]:
    """ENABLE (RFC 5161) what the server offers of ``capabilities``; returns what it enabled.

    Asking only for advertised ones keeps a server from answering BAD; an empty answer is normal for a
    server without ENABLE. Once enabled, a capability stays on for the session (``session.enabled``).
    """
    session.ready("ENABLE")
    wanted = [c.upper() for c in capabilities if session.offers(c) and c.upper() not in session.enabled]
    if not wanted or not session.offers("ENABLE"):
        return frozenset(c.upper() for c in capabilities) & session.enabled
    arguments = [Raw(c.encode("ascii")) for c in wanted]
    result = await session.connection.execute("ENABLE", *arguments, wants=("ENABLED",))
    try:
        now = {as_text(value, "ENABLED").upper() for response in result.untagged for value in response.data}
    except ValueError as exc:
        session.bad_data("ENABLE", exc)
    if "QRESYNC" in now:
        now.add("CONDSTORE")  # RFC 7162 3.2.3: enabling QRESYNC enables CONDSTORE too
    session.enabled |= now
    return frozenset(c.upper() for c in capabilities) & session.enabled


async def compress(session: Session) -> bool:
    """COMPRESS=DEFLATE when offered (after login: compressing credentials helps nobody); False otherwise."""
    session.ready("COMPRESS")
    if not session.offers("COMPRESS=DEFLATE"):
        return False
    await session.connection.compress()
    return True
