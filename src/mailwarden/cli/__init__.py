"""The ``mailwarden`` command line (Typer + Rich)."""
