"""The type of the ``tls_files`` fixture, in a module of its own.

Tests import it from here, not from ``conftest``: several test folders have a ``conftest.py``, and which one
``import conftest`` finds depends on what else the run collects.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TLSFiles:
    server_context: ssl.SSLContext
    ca_file: Path
