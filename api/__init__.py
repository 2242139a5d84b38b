"""capacity's HTTP API (FastAPI): scenarios, solve jobs, plans and comparisons, per organisation."""

from api.main import create_app
from api.settings import Settings

__all__ = ["Settings", "create_app"]
