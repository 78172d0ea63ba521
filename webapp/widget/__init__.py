"""SCAFFOLD (helper C replaces): the messenger widget and its chat API."""

from flask import Flask


def init_widget(app: Flask) -> None:
    pass
