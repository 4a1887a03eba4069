"""Chroma's side of the index: our embedder as its embedding function, and the client.

Imported only when the index first touches Chroma (chromadb takes a while to import).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings as ChromaSettings

from community.settings import Settings
from knowledge.embeddings import E5Embedder, Embedder, default_embedder


def chroma_client(settings: Settings) -> Any:
    """A Chroma server client when ALYTUS_CHROMA_URL is set, else a folder in ALYTUS_HOME."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    path = settings.home_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class ChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Our embedder as Chroma's embedding function, so Chroma never reaches for its default
    (which downloads a model); queries get e5's query prefix through `embed_query`."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = default_embedder()
        return self._embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embedder.embed_passages(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return [self.embedder.embed_query(text) for text in input]

    @staticmethod
    def name() -> str:
        return "alytus-e5"

    def default_space(self) -> Any:
        return "cosine"

    def supported_spaces(self) -> list[Any]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {"model": E5Embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        return ChromaEmbeddingFunction()
