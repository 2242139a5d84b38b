"""Service settings, from ``CAPACITY_*`` environment variables (documented in the README)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a deployment can change; defaults run on one machine with SQLite."""

    model_config = SettingsConfigDict(env_prefix="CAPACITY_", env_file=None, extra="ignore")

    data_dir: Path = Field(Path("capacity-data"), description="Where the embedded SQLite database lives.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in data_dir.")
    admin_key: SecretStr | None = Field(None, description="Creates organisations and their API keys.")
    workers: int = Field(2, ge=1, le=64, description="Solver processes running at once.")
    queue_limit: int = Field(32, ge=1, description="Jobs queued or running before a solve answers 429.")
    max_time_limit_s: float = Field(300.0, gt=0, description="Longest solve a request may ask for.")
    max_request_bytes: int = Field(20_000_000, ge=1024, description="Largest request body accepted.")
    max_projects: int = Field(5000, ge=1, description="Largest scenario accepted, in projects.")
    max_staff: int = Field(20000, ge=1, description="Largest scenario accepted, in staff records.")

    @cached_property
    def url(self) -> str:
        """The database URL in use: the configured one, or SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'capacity.db').resolve()}"
