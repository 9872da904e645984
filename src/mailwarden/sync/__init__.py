"""Keeping the archive in step with the server: passes over every folder, live watching, verification."""
