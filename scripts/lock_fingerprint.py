"""Print the fingerprint of pyproject.toml's dependency lists, which scripts/lock writes at
the top of each lock, so a test can tell when pyproject changed and the lock did not."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def fingerprint(pyproject: Path = PYPROJECT) -> str:
    """sha256 of requires-python, the dependencies and the extras, in a stable form."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    listed = {
        "requires-python": project.get("requires-python", ""),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
    }
    return hashlib.sha256(json.dumps(listed, sort_keys=True).encode()).hexdigest()


if __name__ == "__main__":
    print(fingerprint())
