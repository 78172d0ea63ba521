"""triggers package (see DESIGN.md)."""
