"""The extension singletons, initialised by the app factory with ``init_app``."""

from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate

db = SQLA()
migrate = Migrate()
