"""Server settings, read once from the command line or the environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Where the server keeps its state and how much it accepts.

    `data_dir` holds the artifact store (and the SQLite database unless `database_url` names
    another); several servers and workers share one data folder and one database.
    """

    data_dir: Path
    database_url: str | None = None
    max_upload_bytes: int = 64 * MIB
    max_upload_files: int = 256
    max_telemetry_batch: int = 1000

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'forge.db'}"

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"
