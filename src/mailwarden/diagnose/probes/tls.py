"""TLS: the handshake, the certificate (chain, expiry, names, issuer) and what a failure means.

The verified handshake comes first (the same verification the IMAP and SMTP clients do, with the user's
``--ca-file``). Only when it fails is the certificate fetched again without verification, to show *why*:
the expiry date, the names it was issued for, the issuer -- an issuer other than the provider's own means
something between us and the server is intercepting TLS.
"""

from __future__ import annotations

import asyncio
import ssl
from datetime import UTC

from cryptography import x509
from cryptography.x509.oid import NameOID

from mailwarden.diagnose.evidence import CertInfo, TlsOutcome
from mailwarden.diagnose.probes.tcp import Connected

__all__ = ["cert_info", "outcome_of", "start_tls", "unverified_context"]

#: OpenSSL X509_V_ERR_* codes, as ssl.SSLCertVerificationError.verify_code gives them
_VERIFY_CODES: dict[int, TlsOutcome] = {
    9: "not_yet_valid",
    10: "expired",
    18: "self_signed",
    19: "untrusted",
    20: "untrusted",
    21: "untrusted",
    2: "untrusted",
    62: "hostname_mismatch",
    64: "hostname_mismatch",
}


def unverified_context() -> ssl.SSLContext:
    """For looking at a certificate that failed verification; never used to send anything that matters."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def start_tls(
    connection: Connected,
    context: ssl.SSLContext,
    server_hostname: str,
    timeout: float,  # noqa: ASYNC109
) -> None:
    """Upgrade the connection in place (implicit TLS right after connect, or after STARTTLS)."""
    async with asyncio.timeout(timeout):
        await connection.writer.start_tls(
            context, server_hostname=server_hostname, ssl_handshake_timeout=timeout
        )


def outcome_of(exc: BaseException) -> tuple[TlsOutcome, str]:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _VERIFY_CODES.get(exc.verify_code, "untrusted"), exc.verify_message or str(exc)
    if isinstance(exc, ssl.SSLError):
        return "handshake_failed", exc.reason or str(exc)
    if isinstance(exc, TimeoutError):
        return "handshake_failed", "no answer to the TLS handshake"
    return "handshake_failed", f"{type(exc).__name__}: {exc}"


def _name(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def cert_info(connection: Connected) -> tuple[CertInfo | None, str | None]:
    """The peer certificate's facts and the TLS version, from an upgraded connection."""
    ssl_object = connection.writer.get_extra_info("ssl_object")
    if ssl_object is None:
        return None, None
    der = ssl_object.getpeercert(binary_form=True)
    version = ssl_object.version()
    if not der:
        return None, version
    cert = x509.load_der_x509_certificate(der)
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(str(v) for v in sans.get_values_for_type(x509.DNSName)) + tuple(
            str(v) for v in sans.get_values_for_type(x509.IPAddress)
        )
    except x509.ExtensionNotFound:
        names = ()
    issuer_org = _name(cert.issuer, NameOID.ORGANIZATION_NAME) or _name(cert.issuer, NameOID.COMMON_NAME)
    info = CertInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        issuer_org=issuer_org,
        not_before=cert.not_valid_before_utc.astimezone(UTC),
        not_after=cert.not_valid_after_utc.astimezone(UTC),
        names=names,
        self_signed=cert.issuer == cert.subject,
    )
    return info, version
