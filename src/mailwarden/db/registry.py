"""Which modules hold tables, by name.

The database layer sits below the capabilities, so it cannot import their models; Alembic's autogenerate and
the models-match-migrations test still need every table in one ``MetaData``. Like Django's INSTALLED_APPS,
this list names them and :func:`load_all` imports them on demand.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from mailwarden.db.base import Base

MODEL_MODULES = (
    "mailwarden.db.models",
    "mailwarden.mailboxes.models",
    "mailwarden.archive.models",
    "mailwarden.diagnose.models",
    "mailwarden.access.models",
    "mailwarden.notify.models",
    "mailwarden.recovery.models",
    "mailwarden.audit.models",
    "mailwarden.retention.models",
    "mailwarden.inbox.models",
    "mailwarden.inbox.models_assign",
    "mailwarden.inbox.models_reply",
    "mailwarden.inbox.models_collab",
)


def load_all() -> MetaData:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata
