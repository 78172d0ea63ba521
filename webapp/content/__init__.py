"""Handling of user-supplied content (HTML, files)."""
