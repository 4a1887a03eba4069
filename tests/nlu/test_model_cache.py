"""The model is cached by the sha256 of its training data and retrained only when it changes."""

from __future__ import annotations

from pathlib import Path

import pytest

import nlu.parser
from nlu.parser import load_or_train

SMALL = """\
version: "3.1"
nlu:
- intent: affirm
  examples: |
    - taip
    - jo
    - sutinku
    - yes
- intent: deny
  examples: |
    - ne
    - nesutinku
    - no
    - nope
"""


def test_unchanged_data_is_not_retrained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "nlu.yml").write_text(SMALL, encoding="utf-8")
    cache = tmp_path / "cache"
    calls: list[int] = []
    real_train = nlu.parser.train_model

    def counting_train(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real_train(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(nlu.parser, "train_model", counting_train)
    first = load_or_train(cache_dir=cache, data_paths=[data])
    second = load_or_train(cache_dir=cache, data_paths=[data])
    assert len(calls) == 1
    assert first.fingerprint == second.fingerprint

    (data / "nlu.yml").write_text(SMALL + "    - nea\n", encoding="utf-8")
    third = load_or_train(cache_dir=cache, data_paths=[data])
    assert len(calls) == 2
    assert third.fingerprint != first.fingerprint
    assert (cache / "embeddings.npz").exists()


def test_a_broken_cache_file_is_retrained(tmp_path: Path) -> None:
    data = tmp_path / "nlu.yml"
    data.write_text(SMALL, encoding="utf-8")
    cache = tmp_path / "cache"
    path = nlu.parser.model_path(cache, [data])
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a model")
    model = load_or_train(cache_dir=cache, data_paths=[data])
    assert set(model.intents) == {"affirm", "deny"}
