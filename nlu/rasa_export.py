"""Write our training data as a Rasa 3.x project (config.yml, domain.yml, data/nlu.yml), so a
Rasa server can be trained from the same source of truth with `rasa train nlu`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from nlu.training_data import Example, TrainingData

RASA_CONFIG: dict[str, Any] = {
    "recipe": "default.v1",
    "assistant_id": "alytus-connect",
    "language": "lt",
    "pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "RegexFeaturizer", "case_sensitive": False},
        {"name": "LexicalSyntacticFeaturizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True},
        {
            "name": "RegexEntityExtractor",
            "use_lookup_tables": True,
            "use_regexes": True,
            "case_sensitive": False,
        },
        {"name": "EntitySynonymMapper"},
        {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
    ],
    "policies": [],
}


class _Block(str):
    """A string YAML writes as a literal block (`examples: |`), as Rasa files do."""


def _block_representer(dumper: yaml.SafeDumper, value: _Block) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Block, _block_representer)


def annotate(example: Example) -> str:
    """The example with its entities written back in Rasa's annotation syntax."""
    parts: list[str] = []
    cursor = 0
    for span in sorted(example.entities, key=lambda span: span.start):
        typed = example.text[span.start : span.end]
        parts.append(example.text[cursor : span.start])
        if span.value == typed:
            parts.append(f"[{typed}]({span.entity})")
        else:
            spec = json.dumps({"entity": span.entity, "value": span.value}, ensure_ascii=False)
            parts.append(f"[{typed}]{spec}")
        cursor = span.end
    parts.append(example.text[cursor:])
    return "".join(parts)


def _lines(items: list[str]) -> _Block:
    return _Block("".join(f"- {item}\n" for item in items))


def nlu_document(data: TrainingData) -> dict[str, Any]:
    """Rasa's `data/nlu.yml` content for `data`."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for example in data.examples:
        line = annotate(example)
        if line not in by_intent[example.intent]:
            by_intent[example.intent].append(line)
    synonyms: dict[str, list[str]] = defaultdict(list)
    for alias, canonical in sorted(data.synonyms.items()):
        synonyms[canonical].append(alias)
    nlu: list[dict[str, Any]] = [
        {"intent": intent, "examples": _lines(lines)} for intent, lines in sorted(by_intent.items())
    ]
    nlu += [{"synonym": name, "examples": _lines(aliases)} for name, aliases in synonyms.items()]
    nlu += [
        {"lookup": name, "examples": _lines(sorted(set(values)))}
        for name, values in sorted(data.lookups.items())
    ]
    nlu += [
        {"regex": name, "examples": _lines(list(dict.fromkeys(patterns)))}
        for name, patterns in sorted(data.regexes.items())
    ]
    return {"version": "3.1", "nlu": nlu}


def domain_document(data: TrainingData) -> dict[str, Any]:
    """Rasa's `domain.yml`: the intents and entities the NLU model knows."""
    entities = {span.entity for example in data.examples for span in example.entities}
    entities |= set(data.lookups) | set(data.regexes) | {"country", "city"}
    return {
        "version": "3.1",
        "intents": data.intents,
        "entities": sorted(entities),
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    }


def _write(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")


def export_rasa_project(data: TrainingData, directory: Path) -> list[Path]:
    """Write the project; returns the files written."""
    files = {
        directory / "config.yml": RASA_CONFIG,
        directory / "domain.yml": domain_document(data),
        directory / "data" / "nlu.yml": nlu_document(data),
    }
    for path, document in files.items():
        _write(path, document)
    return list(files)
