"""hub package (see DESIGN.md)."""
