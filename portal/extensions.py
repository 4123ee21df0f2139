"""The portal's Flask extensions, as bare module globals bound in ``create_app``."""

from typing import TYPE_CHECKING

from flask_caching import Cache
from flask_compress import Compress
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from portal.core.i18n import PortalBabel

# Stable constraint names so that Alembic autogenerate and SQLite batch mode agree.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# What models derive from. ``db.Model`` is made at run time, so a type checker cannot see it as
# a class; to the checker the models derive from ``Base`` (the same declarative base).
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
babel = PortalBabel()
csrf = CSRFProtect()
htmx = HTMX()
# Kyiv works through weak connections: pages, CSS, JS and SVG go out compressed.
compress = Compress()
# Storage comes from RATELIMIT_STORAGE_URI: memory by default, Redis when REDIS_URL is set.
limiter = Limiter(key_func=get_remote_address)
# Redis when REDIS_URL is set, else in the process (see Config): the dashboard's aggregates.
cache = Cache()
