"""Writes that carry rules: validation, permission of every referenced id, one transaction."""
