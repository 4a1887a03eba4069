"""Levels by points, read from levels.yml (names in both languages; the passport level
marked there)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

LEVELS_FILE = Path(__file__).with_name("levels.yml")


@dataclass(frozen=True)
class Level:
    number: int
    name_lt: str
    name_en: str
    min_points: int
    passport: bool  # True from the level at which the Alytus Passport is earned, up


@cache
def levels(path: Path = LEVELS_FILE) -> tuple[Level, ...]:
    """Every level, lowest first; the file is checked so a typo fails at start, not later."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["levels"]
    entries = sorted(entries, key=lambda entry: int(entry["min_points"]))
    marked = [i for i, entry in enumerate(entries) if entry.get("passport")]
    if len(marked) != 1:
        raise ValueError(f"{path}: exactly one level must be marked `passport: true`")
    if int(entries[0]["min_points"]) != 0:
        raise ValueError(f"{path}: the first level must start at 0 points")
    found = tuple(
        Level(
            number=int(entry["number"]),
            name_lt=str(entry["name_lt"]),
            name_en=str(entry["name_en"]),
            min_points=int(entry["min_points"]),
            passport=i >= marked[0],
        )
        for i, entry in enumerate(entries)
    )
    if [level.number for level in found] != list(range(1, len(found) + 1)):
        raise ValueError(f"{path}: levels must be numbered 1, 2, 3... in order of points")
    return found


def level_for(points: int) -> Level:
    """The highest level the points reach (the first level for zero or fewer)."""
    reached = levels()[0]
    for level in levels():
        if points >= level.min_points:
            reached = level
    return reached


def next_level(level: Level) -> Level | None:
    later = [other for other in levels() if other.number > level.number]
    return later[0] if later else None


def get_level(number: int) -> Level:
    for level in levels():
        if level.number == number:
            return level
    raise ValueError(f"no level {number}; levels are 1 to {len(levels())}")


def passport_level() -> Level:
    """The level at which the Alytus Passport is earned."""
    return next(level for level in levels() if level.passport)
