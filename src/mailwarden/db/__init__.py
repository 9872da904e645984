"""Database access: the engine, the declarative base, migrations and the work-queue helpers."""
