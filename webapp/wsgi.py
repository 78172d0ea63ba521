"""WSGI entry point for gunicorn: ``gunicorn webapp.wsgi:app`` (run ``relaydesk db upgrade`` first)."""

from webapp import create_app

app = create_app()
