"""One trained parser for the whole session (training is the slow part): the suite-wide
model in tests/conftest.py, so the NLU tests and the conversation tests share it."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.parser import Parser


@pytest.fixture(scope="session")
def model_dir(nlu_cache_dir: Path) -> Path:
    return nlu_cache_dir


@pytest.fixture(scope="session")
def parser(nlu_parser: Parser) -> Parser:
    return nlu_parser
