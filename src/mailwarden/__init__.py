"""mailwarden: keeps a team's shared mailbox reachable, backed up and answered."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mailwarden")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
