"""The knowledge base: who may read an article, searching articles, keeping articles valid."""

from webapp.knowledge import articles as _articles  # noqa: F401  (registers the write rules)
