"""README.md documents every setting and keeps the two set-up commands that CI relies on."""

from __future__ import annotations

from pathlib import Path

from community.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_settings_table():
    for name in Settings.model_fields:
        assert f"ALYTUS_{name.upper()}" in README, name


def test_ci_runs_the_test_command_the_readme_gives():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test" in README and "bash scripts/test" in ci


def test_both_set_up_commands_install_the_locked_versions():
    script = (Path(__file__).resolve().parents[1] / "scripts" / "test").read_text(encoding="utf-8")
    assert ".venv/bin/pip install -r requirements/main.txt" in README
    assert "pip install -q --disable-pip-version-check -r requirements/dev.txt" in script
    assert "--no-deps -e ." in README and "--no-deps -e ." in script
