"""The one way mailwarden makes a TLS client context, for IMAP, SMTP and every probe.

Verification is always on (certificate chain and host name), against the system's CAs plus an optional
``ca_file`` (a company CA, a TLS-inspecting proxy's CA the user chose to trust, the test lab's CA).
TLS 1.2 is the floor: every provider we talk to offers 1.2 or 1.3.
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path

from mailwarden.core.errors import ConfigError

__all__ = ["client_context"]


def client_context(ca_file: str | Path | None = None) -> ssl.SSLContext:
    """A verifying client context. Blocking (it reads the CA store): in async code, use a thread."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=os.fspath(ca_file))
        except OSError as exc:  # a missing file, or ssl.SSLError (an OSError) for one with no certificate
            raise ConfigError("tls.ca_file_unusable", path=os.fspath(ca_file), detail=str(exc)) from exc
    return context
