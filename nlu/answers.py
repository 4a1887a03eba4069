"""Answers to the bot's own questions, read from what people write: "gyvenu norvegijoj, osle"
at "Koks jūsų ryšys su Alytumi?" is an answer (abroad), not a service question.

Trained from Rasa-format intents named `answer_<question>_<value>` (nlu/data/*/answers.yml):
one small classifier per question, over that question's answers and an `other` class made of
the other intents' examples (a kindergarten question asked at the relation question is none of
its answers). As Rasa conditions on the active form, the conversation says which question's
classifier reads a message; the general intent model never sees these intents.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from nlu.classifier import IntentClassifier, confidences
from nlu.training_data import Example

ANSWER_PREFIX = "answer_"
ANSWERED_QUESTIONS = ("language", "consent", "relation", "return", "place")
OTHER = "other"
# Intents whose examples are answers too ("taip", "gyvenu Norvegijoje"): never negatives.
NOT_NEGATIVES = frozenset({"affirm", "deny", "inform", "change_language"})
NEGATIVES_PER_ANSWER = 2  # other-intent examples drawn per answer example, per question
SEED = 7


def answer_intent(question: str, value: str) -> str:
    return f"{ANSWER_PREFIX}{question}_{value}"


def split_answer_intent(intent: str) -> tuple[str, str] | None:
    """("relation", "emigrant") for "answer_relation_emigrant"; None for other intents."""
    if not intent.startswith(ANSWER_PREFIX):
        return None
    rest = intent[len(ANSWER_PREFIX) :]
    for question in ANSWERED_QUESTIONS:
        if rest.startswith(question + "_"):
            return question, rest[len(question) + 1 :]
    return None


def is_answer(intent: str) -> bool:
    return split_answer_intent(intent) is not None


@dataclass
class AnswerModels:
    """One fitted classifier per question; read-only after fitting (thread-safe)."""

    classifiers: dict[str, IntentClassifier]

    @classmethod
    def fit(cls, examples: list[Example], embeddings: np.ndarray) -> AnswerModels | None:
        """Fit from every example (answers and others) and their embeddings, row by row."""
        chosen: dict[str, list[int]] = {}
        negatives: list[int] = []
        for row, example in enumerate(examples):
            parts = split_answer_intent(example.intent)
            if parts is not None:
                chosen.setdefault(parts[0], []).append(row)
            elif example.intent not in NOT_NEGATIVES:
                negatives.append(row)
        classifiers = {}
        for question, rows in sorted(chosen.items()):
            drawn = random.Random(f"{SEED}:{question}").sample(
                negatives, min(len(negatives), NEGATIVES_PER_ANSWER * len(rows))
            )
            labels = [split_answer_intent(examples[row].intent)[1] for row in rows]  # type: ignore[index]
            texts = [examples[row].text for row in [*rows, *drawn]]
            classifiers[question] = IntentClassifier.fit(
                texts, [*labels, *[OTHER] * len(drawn)], embeddings[[*rows, *drawn]]
            )
        return cls(classifiers) if classifiers else None

    def rank(self, question: str, text: str, embedding: np.ndarray) -> list[tuple[str, float]]:
        """The question's answers (and `other`) best first, with confidences; [] for a
        question without a classifier."""
        classifier = self.classifiers.get(question)
        if classifier is None:
            return []
        margins = classifier.margins([text], embedding[None, :])[0]
        probabilities = confidences(margins)
        order = np.argsort(-margins)
        return [(classifier.intents[i], round(float(probabilities[i]), 4)) for i in order]
