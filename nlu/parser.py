"""The parser the conversation engine calls: text -> intent, entities, language, in the shape of
Rasa's parse result. Embedded model by default; a Rasa server when `rasa_url` is set, with the
embedded model as the fallback when that server is down.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, TypedDict

from nlu.answers import OTHER, split_answer_intent
from nlu.embeddings import QueryEmbedder
from nlu.entities import Entity, EntityExtractor
from nlu.language import LanguageGuesser
from nlu.model import MODEL_VERSION, NluModel, train_model
from nlu.rasa_http import RasaClient, RasaUnavailable
from nlu.training_data import OUT_OF_SCOPE, fingerprint, load_training_data

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_DATA_PATHS = (DATA_DIR / "lt", DATA_DIR / "en")
MAX_TEXT_CHARS = 10_000  # longer messages are cut, not refused
EMBEDDINGS_KEPT = 64


class IntentResult(TypedDict):
    name: str
    confidence: float


class ParseResult(TypedDict):
    """Rasa's `/model/parse` answer plus the language we detected."""

    text: str
    intent: IntentResult
    intent_ranking: list[IntentResult]
    entities: list[Entity]
    language: str


class AnswerResult(TypedDict):
    """How a message answers one of the bot's questions: the answer (`other` when it is
    none of them), its confidence and ranking, and the message's entities."""

    question: str
    value: str
    confidence: float
    ranking: list[IntentResult]
    entities: list[Entity]


class Parser:
    """Thread-safe: the model is read-only, the embedder and lingua guard themselves."""

    def __init__(
        self, model: NluModel, embedder: QueryEmbedder, rasa: RasaClient | None = None
    ) -> None:
        self.model = model
        self.embedder = embedder
        self.rasa = rasa
        self.languages = LanguageGuesser(model.vocabulary)
        # one embedding a message: the intent and the answer to a question both read it
        self._embedding = lru_cache(maxsize=EMBEDDINGS_KEPT)(self.embedder.embed_one)

    def warm_up(self) -> None:
        """Load lingua and the embedding engine before the first member writes."""
        self.languages.warm_up()
        self.embedder.embed_one("labas")

    def parse(self, text: str, *, language_hint: str | None = None) -> ParseResult:
        text = text[:MAX_TEXT_CHARS]
        language = self.languages.guess(text, hint=language_hint)
        if self.rasa is not None and text.strip():
            try:
                return _from_rasa(self.rasa.parse(text), text, language, self.model.entities)
            except RasaUnavailable as error:
                level = logging.WARNING if error.just_failed else logging.DEBUG
                log.log(level, "Rasa server unavailable, using the embedded model: %s", error)
        return self._parse_embedded(text, language)

    def _parse_embedded(self, text: str, language: str) -> ParseResult:
        prediction = self.model.remembered(text) or self.model.predict(text, self._embedding(text))
        ranking = [IntentResult(name=name, confidence=conf) for name, conf in prediction.ranking]
        return ParseResult(
            text=text,
            intent=ranking[0],
            intent_ranking=ranking,
            entities=self.model.entities.extract(text),
            language=language,
        )

    def parse_answer(
        self, text: str, question: str, *, language_hint: str | None = None
    ) -> AnswerResult:
        """Read `text` as an answer to `question` ("relation", "return", ...)."""
        text = text[:MAX_TEXT_CHARS]
        ranking: list[tuple[str, float]] = []
        if self.rasa is not None and text.strip():
            try:
                ranking = _answers_from_rasa(self.rasa.parse(text), question)
            except RasaUnavailable as error:
                level = logging.WARNING if error.just_failed else logging.DEBUG
                log.log(level, "Rasa server unavailable, using the embedded model: %s", error)
        if not ranking and self.model.answers is not None and text.strip():
            ranking = self.model.answers.rank(question, text, self._embedding(text))
        value, confidence = ranking[0] if ranking else (OTHER, 0.0)
        return AnswerResult(
            question=question,
            value=value,
            confidence=confidence,
            ranking=[IntentResult(name=name, confidence=conf) for name, conf in ranking],
            entities=self.model.entities.extract(text),
        )


def _answers_from_rasa(body: dict[str, Any], question: str) -> list[tuple[str, float]]:
    """A Rasa server trained on the same data knows the answer intents among all others:
    the question's answers from its ranking, `other` first when its top intent is none."""
    ranked = [
        (str(item.get("name")), float(item.get("confidence") or 0.0))
        for item in body.get("intent_ranking") or [body.get("intent") or {}]
    ]
    if not ranked:
        return []
    answers = []
    for name, confidence in ranked:
        parts = split_answer_intent(name)
        if parts is not None and parts[0] == question:
            answers.append((parts[1], confidence))
    top_is_answer = bool(answers) and split_answer_intent(ranked[0][0]) is not None
    if not top_is_answer:
        return [(OTHER, ranked[0][1]), *answers]
    return answers


def _from_rasa(
    body: dict[str, Any], text: str, language: str, entities: EntityExtractor
) -> ParseResult:
    """Rasa's answer in our TypedDict; places added when Rasa found none (it has no gazetteer)."""
    intent = body.get("intent") or {}
    top = IntentResult(
        name=str(intent.get("name") or OUT_OF_SCOPE),
        confidence=float(intent.get("confidence") or 0.0),
    )
    ranking = [
        IntentResult(name=str(item.get("name")), confidence=float(item.get("confidence") or 0.0))
        for item in body.get("intent_ranking") or []
    ] or [top]
    found = [
        Entity(
            entity=str(e.get("entity")),
            value=str(e.get("value")),
            start=int(e.get("start", 0)),
            end=int(e.get("end", 0)),
            extractor=str(e.get("extractor", "rasa")),
        )
        for e in body.get("entities") or []
    ]
    if not any(entity["entity"] in ("country", "city") for entity in found):
        found += [e for e in entities.extract(text) if e["entity"] in ("country", "city")]
    return ParseResult(
        text=text, intent=top, intent_ranking=ranking, entities=found, language=language
    )


def model_path(cache_dir: Path, data_paths: list[Path]) -> Path:
    """Where the model for exactly this training data is cached."""
    return cache_dir / f"nlu-{fingerprint(data_paths, salt=MODEL_VERSION)[:16]}.joblib"


def load_or_train(*, cache_dir: Path, data_paths: list[Path] | None = None) -> NluModel:
    """The cached model for this data, training (and caching) it first if the data changed."""
    paths = list(data_paths or DEFAULT_DATA_PATHS)
    path = model_path(cache_dir, paths)
    if path.exists():
        try:
            return NluModel.load(path)
        except Exception as error:  # a stale or broken cache file is retrained, never fatal
            log.warning("retraining: cannot load %s: %s", path, error)
    data = load_training_data(paths)
    embedder = QueryEmbedder(cache_dir / "embeddings.npz")
    model = train_model(data, embedder, fingerprint=path.stem)
    model.save(path)
    log.info("saved model %s", path)
    return model


def load_parser(
    *, cache_dir: Path, rasa_url: str | None = None, data_paths: list[Path] | None = None
) -> Parser:
    """The engine's parser: cached model (trained on first use), optionally fronted by Rasa."""
    model = load_or_train(cache_dir=cache_dir, data_paths=data_paths)
    rasa = RasaClient(rasa_url) if rasa_url else None
    return Parser(model, QueryEmbedder(), rasa)
