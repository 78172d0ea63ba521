"""Generated admin screens (Flask-AppBuilder ModelViews), registered with their menus."""

from __future__ import annotations

from flask_appbuilder import AppBuilder

from webapp.views.registry import register_views

__all__ = ["register_views", "AppBuilder"]
