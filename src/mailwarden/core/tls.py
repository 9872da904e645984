"""The one way mailwarden makes a TLS client context, for IMAP, SMTP and every probe.

Verification is always on (certificate chain and host name), against the system's CAs plus an optional
``ca_file`` (a company CA, a TLS-inspecting proxy's CA the user chose to trust, the test lab's CA).
TLS 1.2 is the floor: every provider we talk to offers 1.2 or 1.3.

The system's CAs are taken from its hashed certificate directory when it has one (Debian's
``/etc/ssl/certs``, ``SSL_CERT_DIR``): OpenSSL then reads only the certificates a verification needs, where
loading the whole bundle file cost ~30 ms per context — a tenth of a no-change ``archive sync``. The same
CAs are trusted either way; without such a directory, or with ``SSL_CERT_FILE`` naming another bundle than
the system's, the bundle is loaded.
"""

from __future__ import annotations

import os
import re
import ssl
from pathlib import Path

from mailwarden.core.errors import ConfigError

__all__ = ["client_context"]


def client_context(ca_file: str | Path | None = None) -> ssl.SSLContext:
    """A verifying client context. Blocking (it reads the CA store): in async code, use a thread."""
    capath = _hashed_system_dir()
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, capath=capath)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=os.fspath(ca_file))
        except OSError as exc:  # a missing file, or ssl.SSLError (an OSError) for one with no certificate
            raise ConfigError("tls.ca_file_unusable", path=os.fspath(ca_file), detail=str(exc)) from exc
    return context


_HASHED = re.compile(r"[0-9a-f]{8}\.\d+")


def _hashed_system_dir() -> str | None:
    """The system's CA directory if OpenSSL can look certificates up in it by hash, else None."""
    paths = ssl.get_default_verify_paths()
    named = os.environ.get(paths.openssl_cafile_env)
    if named and os.path.realpath(named) != os.path.realpath(paths.openssl_cafile):
        return None  # a bundle other than the system's, named on purpose, is honoured whole
    if not paths.capath:
        return None
    try:
        with os.scandir(paths.capath) as entries:
            if any(_HASHED.fullmatch(entry.name) for entry in entries):
                return paths.capath
    except OSError:
        pass  # no such directory, or not ours to read: the bundle it is
    return None
