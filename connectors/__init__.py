"""connectors package (see DESIGN.md)."""
