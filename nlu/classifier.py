"""The intent classifier: a linear SVM over word and character n-grams of the folded text plus
the e5 sentence embedding.

n-grams catch the exact words people repeat ("tasku", "pakviesti"), characters catch typos and
Lithuanian endings, the embedding catches paraphrases. Measured on CLINC150 validation this beat
logistic regression on the embedding alone and trains in about 20 s on 15,000 sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from nlu.text import normalise_for_model

EMBEDDING_WEIGHT = 3.0
SVM_C = 0.5
# Softmax temperature that turns SVM margins into confidences that look like Rasa's.
TEMPERATURE = 6.0


@dataclass
class IntentClassifier:
    """Fitted vectorisers and SVM; read-only after `fit`, so safe to share between threads."""

    words: TfidfVectorizer
    chars: TfidfVectorizer
    svm: LinearSVC

    @property
    def intents(self) -> list[str]:
        return [str(label) for label in self.svm.classes_]

    @classmethod
    def fit(cls, texts: list[str], intents: list[str], embeddings: np.ndarray) -> IntentClassifier:
        normalised = [normalise_for_model(text) for text in texts]
        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 4),
            sublinear_tf=True,
            min_df=2 if len(texts) > 2000 else 1,
            max_features=20000,
        )
        features = sparse.hstack(
            [
                words.fit_transform(normalised),
                chars.fit_transform(normalised),
                sparse.csr_matrix(embeddings * EMBEDDING_WEIGHT),
            ]
        ).tocsr()
        svm = LinearSVC(C=SVM_C)
        svm.fit(features, intents)
        return cls(words=words, chars=chars, svm=svm)

    def knows_any_word(self, text: str) -> bool:
        """False for text sharing no word with the training data ("asdf", "xxxxxxx")."""
        vocabulary = self.words.vocabulary_
        return any(word in vocabulary for word in normalise_for_model(text).split())

    def margins(self, texts: list[str], embeddings: np.ndarray) -> np.ndarray:
        """SVM decision values, one row per text, one column per intent.

        Computed block by block rather than through `svm.decision_function` on stacked features:
        the same numbers without building a sparse matrix per message (parse latency).
        """
        normalised = [normalise_for_model(text) for text in texts]
        coef = self.svm.coef_
        n_words = len(self.words.vocabulary_)
        n_chars = len(self.chars.vocabulary_)
        scores = (
            self.words.transform(normalised) @ coef[:, :n_words].T
            + self.chars.transform(normalised) @ coef[:, n_words : n_words + n_chars].T
            + (embeddings * EMBEDDING_WEIGHT) @ coef[:, n_words + n_chars :].T
            + self.svm.intercept_
        )
        scores = np.asarray(scores, dtype=np.float64)
        if coef.shape[0] == 1:  # two intents: sklearn keeps one column, for the second intent
            scores = np.hstack([-scores, scores])
        return scores


def confidences(margins: np.ndarray) -> np.ndarray:
    """Softmax of margins, rows summing to 1."""
    scaled = margins * TEMPERATURE
    scaled -= scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=-1, keepdims=True)
