"""The rooms' dependencies point one way (DESIGN.md): a room imports only the rooms below it,
nothing imports admin, a channel never imports a flow and a flow never imports a channel."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("community", "nlu", "knowledge", "rewards", "ledger", "bots", "admin")
ALLOWED = {
    "nlu": set(),
    "community": {"nlu"},
    "knowledge": {"community"},
    "ledger": {"community"},
    "rewards": {"community", "ledger"},
    "bots": {"community", "nlu", "knowledge", "rewards", "ledger"},
    "admin": {"community", "nlu", "knowledge", "rewards", "ledger", "bots"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("room", ROOMS)
def test_a_room_imports_only_the_rooms_below_it(room: str):
    wrong = []
    for path in (ROOT / room).rglob("*.py"):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in ROOMS and top != room and top not in ALLOWED[room]:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_channels_and_flows_do_not_import_each_other():
    wrong = []
    for path in (ROOT / "bots" / "channels").rglob("*.py"):
        wrong += [f"{path.name}: {m}" for m in imported_modules(path) if "bots.flows" in m]
    for path in (ROOT / "bots" / "flows").rglob("*.py"):
        wrong += [f"{path.name}: {m}" for m in imported_modules(path) if "bots.channels" in m]
    assert wrong == []
