"""Server secrets: from the environment in production, generated once for the embedded defaults.

A secret set in the environment (through `Settings`) always wins. With none set, the first
use writes a random one to ALYTUS_HOME/secrets/<name> (readable by the owner only), so a
fresh `alytus init --demo` runs with no accounts and the secret survives restarts; an
operator who sets the variable later must keep the old value to keep old addresses and
passports valid.
"""

from __future__ import annotations

import os
import secrets as random
from pathlib import Path

from pydantic import SecretStr

from community.settings import Settings


def local_secret(settings: Settings, name: str, given: SecretStr | None, size: int = 32) -> bytes:
    """The secret `name`: `given` (from the environment) or the one kept in ALYTUS_HOME."""
    if given is not None and given.get_secret_value():
        return given.get_secret_value().encode("utf-8")
    path = settings.home_dir / "secrets" / name
    if not path.exists():
        _write_private(path, random.token_hex(size).encode("ascii"))
    return path.read_bytes().strip()


def _write_private(path: Path, value: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(value)


def private_home(settings: Settings) -> None:
    """ALYTUS_HOME and its secrets folder readable by their owner only (0700); the secrets,
    the demo staff passwords and the SQLite database with its WAL and shared-memory files
    0600; also when an older version (or a hand) made them looser."""
    home = settings.home_dir
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    _tighten(home, 0o700)
    secrets_dir = home / "secrets"
    _tighten(secrets_dir, 0o700)
    if secrets_dir.is_dir():
        for path in secrets_dir.iterdir():
            _tighten(path, 0o600)
    _tighten(home / "demo-staff.txt", 0o600)
    database = settings.resolved_database_url
    if database.startswith("sqlite:///"):
        path = Path(database.removeprefix("sqlite:///"))
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
            _tighten(name, 0o600)


def _tighten(path: Path, mode: int) -> None:
    try:
        if path.exists() and path.stat().st_uid == os.getuid():
            path.chmod(mode)
    except OSError:
        pass  # not ours to change: the operator's choice stands
