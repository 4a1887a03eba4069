"""Putting the engine together from settings: database, NLU parser, knowledge answers.

The web app, the terminal chat and later the bots runner all build it here, so every
channel talks to the same engine.
"""

from __future__ import annotations

import logging

from bots.engine import Engine
from community.database import Database
from community.settings import Settings
from knowledge.answers import answer_question
from nlu.parser import Parser, load_parser

log = logging.getLogger(__name__)


def nlu_parser(settings: Settings) -> Parser:
    """The NLU parser: trained on first use and cached (ALYTUS_NLU_DIR) by data hash."""
    return load_parser(cache_dir=settings.nlu_cache_dir, rasa_url=settings.rasa_url)


def build_engine(settings: Settings, db: Database | None = None) -> Engine:
    """The conversation engine with everything the embedded defaults offer."""
    return Engine(
        db=db or Database.from_settings(settings),
        settings=settings,
        parser=nlu_parser(settings),
        answer=answer_question,
    )
