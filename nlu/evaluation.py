"""How well a model understands held-out examples: accuracy, macro F1, out-of-scope recall, the
intents it confuses; and k-fold cross-validation on our own data.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from nlu.answers import OTHER, answer_intent, split_answer_intent
from nlu.embeddings import QueryEmbedder
from nlu.model import NluModel, language_of, train_model
from nlu.training_data import OUT_OF_SCOPE, Example, TrainingData

log = logging.getLogger(__name__)


class IntentScore(TypedDict):
    precision: float
    recall: float
    f1: float
    support: int


class Report(TypedDict):
    """What `alytus nlu test --json` prints; rates are fractions from 0 to 1."""

    examples: int
    accuracy: float
    in_scope_accuracy: float
    oos_recall: float | None
    macro_f1: float
    per_intent: dict[str, IntentScore]
    confused: list[dict[str, Any]]


@dataclass
class Predictions:
    gold: list[str]
    predicted: list[str]
    languages: list[str | None]


def predict_examples(
    model: NluModel, embedder: QueryEmbedder, examples: list[Example]
) -> Predictions:
    """Predict every example (embedded in one batch): an answer to one of the bot's
    questions by that question's reader, any other by the intent model."""
    embeddings = embedder.embed([example.text for example in examples])
    predicted = []
    for example, vector in zip(examples, embeddings, strict=True):
        parts = split_answer_intent(example.intent)
        if parts is not None and model.answers is not None:
            ranking = model.answers.rank(parts[0], example.text, vector)
            predicted.append(answer_intent(parts[0], ranking[0][0]) if ranking else OTHER)
        else:
            predicted.append(model.predict(example.text, vector).intent)
    return Predictions(
        gold=[example.intent for example in examples],
        predicted=predicted,
        languages=[language_of(example.source) for example in examples],
    )


def report(predictions: Predictions, *, top_confused: int = 10) -> Report:
    gold, predicted = np.array(predictions.gold), np.array(predictions.predicted)
    in_scope = gold != OUT_OF_SCOPE
    labels = sorted(set(predictions.gold))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0
    )
    confused = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    return Report(
        examples=len(gold),
        accuracy=float(np.mean(gold == predicted)) if len(gold) else 0.0,
        in_scope_accuracy=float(np.mean(gold[in_scope] == predicted[in_scope]))
        if in_scope.any()
        else 0.0,
        oos_recall=float(np.mean(predicted[~in_scope] == OUT_OF_SCOPE))
        if (~in_scope).any()
        else None,
        macro_f1=float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)),
        per_intent={
            label: IntentScore(precision=float(p), recall=float(r), f1=float(f), support=int(s))
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
        confused=[
            {"intent": g, "predicted": p, "count": n}
            for (g, p), n in confused.most_common(top_confused)
        ],
    )


def cross_validate(
    data: TrainingData, embedder: QueryEmbedder, *, folds: int = 5, seed: int = 0
) -> dict[str, Report]:
    """k-fold cross-validation; one report for all examples and one per language."""
    examples = data.examples
    intents = [example.intent for example in examples]
    smallest = min(Counter(intents).values())
    splitter = StratifiedKFold(
        n_splits=max(2, min(folds, smallest)), shuffle=True, random_state=seed
    )
    embedder.embed([example.text for example in examples], progress=True)  # fill the cache once
    gathered = Predictions([], [], [])
    for number, (train_index, test_index) in enumerate(splitter.split(examples, intents), 1):
        log.info("fold %d/%d", number, splitter.n_splits)
        fold_data = TrainingData(
            examples=[examples[i] for i in train_index],
            synonyms=data.synonyms,
            lookups=data.lookups,
            regexes=data.regexes,
        )
        model = train_model(fold_data, embedder)
        part = predict_examples(model, embedder, [examples[i] for i in test_index])
        gathered.gold += part.gold
        gathered.predicted += part.predicted
        gathered.languages += part.languages
    reports = {"all": report(gathered)}
    for language in sorted({code for code in gathered.languages if code}):
        keep = [i for i, code in enumerate(gathered.languages) if code == language]
        reports[language] = report(
            Predictions(
                [gathered.gold[i] for i in keep],
                [gathered.predicted[i] for i in keep],
                [language] * len(keep),
            )
        )
    return reports
