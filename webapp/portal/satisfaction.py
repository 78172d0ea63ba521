"""SCAFFOLD (helper E replaces): satisfaction ratings."""
