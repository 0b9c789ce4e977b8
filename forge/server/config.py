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
    `signing_key_file` (default `<data_dir>/signing.kek`) seals the projects' signing keys;
    keep it out of database backups.
    """

    data_dir: Path
    database_url: str | None = None
    max_upload_bytes: int = 64 * MIB
    max_upload_files: int = 256
    max_telemetry_batch: int = 1000
    signing_key_file: Path | None = None

    @property
    def sealing_key_path(self) -> Path:
        """The file whose key seals the projects' signing keys (see sealing.py)."""
        return self.signing_key_file or self.data_dir / "signing.kek"

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'forge.db'}"

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"
