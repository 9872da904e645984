"""Fixtures for the IMAP unit tests: a private CA (trustme) for the scripted loopback servers."""

from __future__ import annotations

import ssl

import pytest
import trustme
from imap_tls import TLSFiles


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A CA and a server certificate for localhost, 127.0.0.1 and mail.example.test."""
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1", "mail.example.test")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = tmp_path_factory.mktemp("imap-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return TLSFiles(context, ca_file)
