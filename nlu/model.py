"""A trained NLU model: intent classifier, out-of-scope threshold, entity extractor and the
language vocabularies, trained from Rasa data and cached on disk by the data's sha256.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
from sklearn.model_selection import StratifiedKFold

from nlu.answers import AnswerModels, is_answer
from nlu.classifier import IntentClassifier, confidences
from nlu.embeddings import EMBEDDER_NAME, QueryEmbedder
from nlu.entities import EntityExtractor
from nlu.text import normalise_for_model, words
from nlu.training_data import OUT_OF_SCOPE, TrainingData, TrainingDataError

log = logging.getLogger(__name__)

MODEL_VERSION = f"alytus-nlu-5/{EMBEDDER_NAME}"
# A text whose best SVM margin is below this is out of scope. Tuned on CLINC150 validation
# (in-scope accuracy vs out-of-scope recall), where it gave 96.1 / 66.
OUT_OF_SCOPE_MARGIN = -0.55
# Text sharing no word with the training data ("xxxxxx") needs a clearly positive margin.
UNKNOWN_WORDS_MARGIN = 0.0
RANKING_LENGTH = 10
# Small data sets (ours) calibrate the margin on held-out folds instead; CLINC-sized ones would
# pay three more fits for it.
CALIBRATE_UP_TO = 6000
CALIBRATION_FOLDS = 3
# False "I did not understand" costs a member a clarifying question; a missed out-of-scope
# costs a wrong answer. Both count, in-scope accuracy a little more.
OOS_RECALL_WEIGHT = 0.3


@dataclass
class Prediction:
    """Intents ranked best first, with confidences."""

    ranking: list[tuple[str, float]]

    @property
    def intent(self) -> str:
        return self.ranking[0][0]

    @property
    def confidence(self) -> float:
        return self.ranking[0][1]


@dataclass
class NluModel:
    """Everything needed to parse a message except the embedder and lingua (loaded separately)."""

    classifier: IntentClassifier
    entities: EntityExtractor
    memory: dict[str, str]  # normalised training text -> its only intent
    vocabulary: dict[str, set[str]]  # language -> words seen in its training data
    fingerprint: str = ""
    trained_seconds: float = 0.0
    oos_margin: float = OUT_OF_SCOPE_MARGIN
    version: str = MODEL_VERSION
    intents: list[str] = field(default_factory=list)
    answers: AnswerModels | None = None  # readers of answers to the bot's own questions

    def remembered(self, text: str) -> Prediction | None:
        """Text written exactly so in the training data ("taip", "ne") needs no model."""
        normalised = normalise_for_model(text)
        if not normalised:
            return Prediction([(OUT_OF_SCOPE, 1.0)])
        intent = self.memory.get(normalised)
        return Prediction([(intent, 1.0)]) if intent else None

    def predict(self, text: str, embedding: np.ndarray) -> Prediction:
        """Ranked intents; out_of_scope first when the best margin is too low."""
        known = self.remembered(text)
        if known is not None:
            return known
        margins = self.classifier.margins([text], embedding[None, :])[0]
        probabilities = confidences(margins)
        order = np.argsort(-margins)[:RANKING_LENGTH]
        names = self.classifier.intents
        ranking = [(names[i], round(float(probabilities[i]), 4)) for i in order]
        best = margins[order[0]]
        unsure = best < self.oos_margin or (
            best < UNKNOWN_WORDS_MARGIN and not self.classifier.knows_any_word(text)
        )
        if unsure and ranking[0][0] != OUT_OF_SCOPE:
            confidence = round(1.0 - ranking[0][1], 4)
            ranking = [(OUT_OF_SCOPE, confidence)] + [i for i in ranking if i[0] != OUT_OF_SCOPE]
        return Prediction(ranking[:RANKING_LENGTH])

    def save(self, path: Path) -> None:
        """Write atomically: a half-written model must never be loaded."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        joblib.dump(self, temporary, compress=3)
        temporary.replace(path)

    @staticmethod
    def load(path: Path) -> NluModel:
        model = joblib.load(path)
        if not isinstance(model, NluModel) or model.version != MODEL_VERSION:
            raise TrainingDataError(f"{path}: not a model of this version ({MODEL_VERSION})")
        return model


def language_of(source: str) -> str | None:
    """Training files live in data/<language>/, so an example's folder names its language."""
    folder = Path(source.rsplit(":", 1)[0]).parent.name
    return folder if folder in ("lt", "en") else None


def _memory(data: TrainingData) -> dict[str, str]:
    seen: dict[str, set[str]] = {}
    for example in data.examples:
        if is_answer(example.intent):
            continue  # "taip" answers consent; as a message of its own it is `affirm`
        seen.setdefault(normalise_for_model(example.text), set()).add(example.intent)
    return {text: next(iter(intents)) for text, intents in seen.items() if len(intents) == 1}


def _vocabulary(data: TrainingData) -> dict[str, set[str]]:
    vocabulary: dict[str, set[str]] = {}
    for example in data.examples:
        language = language_of(example.source)
        if language:
            vocabulary.setdefault(language, set()).update(words(normalise_for_model(example.text)))
    shared = set.intersection(*vocabulary.values()) if len(vocabulary) > 1 else set()
    return {language: tokens - shared for language, tokens in vocabulary.items()}


def calibrate_oos_margin(texts: list[str], intents: list[str], embeddings: np.ndarray) -> float:
    """The margin threshold that best separates held-out in-scope from out-of-scope examples."""
    labels = np.array(intents)
    is_oos = labels == OUT_OF_SCOPE
    if len(texts) > CALIBRATE_UP_TO or is_oos.sum() < 2 * CALIBRATION_FOLDS:
        return OUT_OF_SCOPE_MARGIN
    smallest = min(np.unique(labels, return_counts=True)[1])
    splitter = StratifiedKFold(
        n_splits=min(CALIBRATION_FOLDS, smallest), shuffle=True, random_state=0
    )
    best = np.empty(len(texts))
    predicted = np.empty(len(texts), dtype=object)
    for train_index, test_index in splitter.split(texts, labels):
        classifier = IntentClassifier.fit(
            [texts[i] for i in train_index],
            [intents[i] for i in train_index],
            embeddings[train_index],
        )
        margins = classifier.margins([texts[i] for i in test_index], embeddings[test_index])
        best[test_index] = margins.max(axis=1)
        predicted[test_index] = np.array(classifier.intents)[margins.argmax(axis=1)]
    candidates = np.round(np.arange(-1.5, 0.51, 0.05), 2)

    def score(threshold: float) -> float:
        rejected = (best < threshold) | (predicted == OUT_OF_SCOPE)
        in_scope = np.mean((predicted[~is_oos] == labels[~is_oos]) & ~rejected[~is_oos])
        return float(in_scope + OOS_RECALL_WEIGHT * np.mean(rejected[is_oos]))

    return float(max(candidates, key=score))


def train_model(data: TrainingData, embedder: QueryEmbedder, *, fingerprint: str = "") -> NluModel:
    """Fit a model on all examples in `data`."""
    if len({intent for intent in data.intents if not is_answer(intent)}) < 2:
        raise TrainingDataError("training data needs at least two intents")
    started = time.perf_counter()
    every_text = [example.text for example in data.examples]
    log.info("training on %d examples, %d intents", len(every_text), len(data.intents))
    every_embedding = embedder.embed(every_text, progress=True)
    main = [row for row, example in enumerate(data.examples) if not is_answer(example.intent)]
    texts = [every_text[row] for row in main]
    intents = [data.examples[row].intent for row in main]
    embeddings = every_embedding[main]
    classifier = IntentClassifier.fit(texts, intents, embeddings)
    model = NluModel(
        classifier=classifier,
        entities=EntityExtractor.from_training_data(data),
        memory=_memory(data),
        vocabulary=_vocabulary(data),
        fingerprint=fingerprint,
        intents=sorted(set(intents)),
        oos_margin=calibrate_oos_margin(texts, intents, embeddings),
        answers=AnswerModels.fit(data.examples, every_embedding),
    )
    model.trained_seconds = time.perf_counter() - started
    log.info(
        "trained in %.1f s (out-of-scope margin %.2f)", model.trained_seconds, model.oos_margin
    )
    return model
