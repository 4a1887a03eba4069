"""The locks in requirements/ are what README's commands and CI install: they must follow
pyproject.toml, so a changed dependency that was not locked fails here (run scripts/lock)."""

from __future__ import annotations

import re
import runpy
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
LOCKS = {
    "main": (ROOT / "requirements" / "main.txt", ()),
    "dev": (ROOT / "requirements" / "dev.txt", ("dev", "rasa")),
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def pins(lock: Path) -> dict[str, str]:
    """name -> version for this interpreter (a lock may name several, by Python version)."""
    found: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match is None:
            continue
        name, version, marker = match.groups()
        if marker is None or Marker(marker).evaluate():
            found[canonicalize_name(name)] = version
    return found


def direct_requirements(extras: tuple[str, ...]) -> list[Requirement]:
    listed = list(PYPROJECT["dependencies"])
    for extra in extras:
        listed += PYPROJECT["optional-dependencies"][extra]
    return [
        requirement
        for requirement in map(Requirement, listed)
        if canonicalize_name(requirement.name) != "alytus-connect"
    ]


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_the_lock_was_refreshed_after_pyproject_changed(name):
    lock, _ = LOCKS[name]
    fingerprint = runpy.run_path(str(ROOT / "scripts" / "lock_fingerprint.py"))["fingerprint"]()
    header = lock.read_text(encoding="utf-8").splitlines()[:3]
    assert f"# pyproject-fingerprint: {fingerprint}" in header, (
        f"pyproject.toml's dependencies changed since {lock.name} was made: bash scripts/lock"
    )


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_every_dependency_is_locked_within_its_range(name):
    lock, extras = LOCKS[name]
    locked = pins(lock)
    for requirement in direct_requirements(extras):
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        version = locked.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is not in {lock.name}"
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock.name} has {requirement.name}=={version}, pyproject asks {requirement}"
        )


def test_both_locks_give_the_same_version_of_every_package_they_share():
    main, dev = pins(LOCKS["main"][0]), pins(LOCKS["dev"][0])
    differing = {
        name: (version, dev[name]) for name, version in main.items() if dev.get(name) != version
    }
    assert not differing


def test_every_lock_line_carries_a_hash():
    for lock, _ in LOCKS.values():
        text = lock.read_text(encoding="utf-8")
        for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2]):
            assert "--hash=sha256:" in block, block.splitlines()[0]


def test_every_major_version_is_capped():
    for requirement in direct_requirements(("dev", "rasa")):
        assert any(spec.operator in ("<", "<=", "==", "~=") for spec in requirement.specifier), (
            f"{requirement} has no upper bound"
        )
