"""Levels come from levels.yml: named in both languages, the passport level marked."""

from __future__ import annotations

from pathlib import Path

import pytest

from rewards.levels import get_level, level_for, levels, next_level, passport_level


def test_levels_have_both_names_and_the_passport_from_its_level_up():
    found = levels()
    assert [level.number for level in found] == [1, 2, 3, 4, 5]
    assert all(level.name_lt and level.name_en for level in found)
    assert passport_level().number == 3
    assert [level.passport for level in found] == [False, False, True, True, True]


def test_points_map_to_levels():
    assert level_for(0).number == 1 and level_for(-10).number == 1
    assert level_for(99).number == 1 and level_for(100).number == 2
    assert level_for(250).name_en == "Community member" and level_for(10_000).number == 5
    assert next_level(get_level(5)) is None and next_level(get_level(1)) == get_level(2)
    with pytest.raises(ValueError):
        get_level(6)


def test_a_levels_file_without_a_passport_level_is_refused(tmp_path: Path):
    path = tmp_path / "levels.yml"
    path.write_text(
        "levels:\n  - {number: 1, name_lt: A, name_en: A, min_points: 0}\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="passport"):
        levels(path)
