"""One trained parser for the whole session: training is the slow part (about 20 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.parser import Parser, load_parser


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nlu-model")


@pytest.fixture(scope="session")
def parser(model_dir: Path) -> Parser:
    return load_parser(cache_dir=model_dir)
