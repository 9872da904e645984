"""mailwarden: keeps a team's shared mailbox reachable, backed up and answered."""

# The one place the version is written (pyproject.toml reads it from here). Not importlib.metadata: that
# import alone cost a tenth of a second on every command.
__version__ = "0.1.0"
