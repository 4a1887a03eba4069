"""The labelled knowledge-base questions typed into the whole bot, as members type them.

    .venv/bin/python bench/chat_routing.py [QUESTIONS.jsonl ...] [--split tune|held_out]

bench/kb_eval.py measures the knowledge base alone; here each question goes through the
engine (NLU first, then whatever it routes to), once from a joined member and once as the
first message of a stranger, in the question's language. For each it prints where the
question ended: cited (an expected article is the source), other article, declined ("don't
know"), out of scope (the intent's polite refusal), joining (onboarding began) or elsewhere
(a command, a flow, a clarifying question). In-scope questions should be cited; out-of-scope
ones declined or refused (a stranger may be invited to join instead). Runs in a scratch
ALYTUS_HOME with the demo articles. With --split, the calibration questions of that part
(knowledge/demo/calibration-questions.jsonl, written independently of the code) are typed
instead: "tune" was looked at while building, "held_out" never was; quote the latter.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path

from sqlmodel import select

from admin.schema import SCHEMAS
from bots.catalog import LANGUAGES, default_catalog
from bots.engine import Engine
from bots.testing import BotTester
from community.database import Database, migrate
from community.settings import Settings
from knowledge.answers import answer_question
from knowledge.demo import ARTICLES_DIR, CALIBRATION_QUESTIONS, DEV_QUESTIONS, MEMBER_QUESTIONS
from knowledge.evaluation import read_questions
from knowledge.importer import import_paths
from knowledge.models import Article
from nlu.parser import load_parser

JOIN = {
    "lt": ("/start", "lietuviu", "sutinku", "gyvenu uzsienyje", "Londone", "darbas", "gal"),
    "en": ("/start", "english", "yes", "abroad", "Ireland", "education", "within a year"),
}
OUTCOMES = ("cited", "other article", "declined", "out of scope", "joining", "elsewhere")


def outcome(text: str, expected: tuple[str, ...], titles: dict[str, str]) -> str:
    catalog = default_catalog()
    if any(titles.get(article, "\0") in text for article in expected):
        return "cited"
    for language in LANGUAGES:
        source = catalog.text(language, "kb.source", title="").split("„")[0].split("“")[0]
        if source.strip() in text:
            return "other article"
    for key, name in (
        ("kb.dont_know", "declined"),
        ("kb.dont_know_topics", "declined"),
        ("intent.out_of_scope", "out of scope"),
        ("onboarding.welcome", "joining"),
    ):
        if any(catalog.text(language, key)[:40] in text for language in LANGUAGES):
            return name
    return "elsewhere"


def split_file(split: str, folder: Path) -> Path:
    """The calibration questions of one part, as a file read_questions reads."""
    lines = CALIBRATION_QUESTIONS.read_text(encoding="utf-8").splitlines()
    chosen = [line for line in lines if line.strip() and json.loads(line)["split"] == split]
    path = folder / f"calibration-{split}.jsonl"
    path.write_text("\n".join(chosen) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--split", choices=("tune", "held_out"))
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="chat-routing-"))
    paths = list(args.paths)
    if args.split:
        paths.append(split_file(args.split, home))
    paths = paths or [DEV_QUESTIONS, MEMBER_QUESTIONS]
    settings = Settings(home=home)
    migrate(settings.resolved_database_url, SCHEMAS)
    db = Database.from_settings(settings)
    import_paths(db=db, paths=[ARTICLES_DIR])
    with db.session() as session:
        titles = {article.id: article.title for article in session.exec(select(Article)).all()}
    nlu = load_parser(cache_dir=settings.nlu_cache_dir)
    engine = Engine(db=db, settings=settings, parser=nlu, answer=answer_question)
    members = {}
    for language, steps in JOIN.items():
        members[language] = BotTester(engine=engine, user_id=f"member-{language}")
        for step in steps:
            members[language].say(step)

    counts: Counter[tuple[str, str, str]] = Counter()
    misses: list[str] = []
    for path in paths:
        for number, question in enumerate(read_questions(path)):
            in_scope = "in scope" if question.expected_article_ids else "out of scope"
            stranger = BotTester(engine=engine, user_id=f"stranger-{path.stem}-{number}")
            members[question.lang].say("/cancel")  # out of any flow the last question began
            for who, bot in (("member", members[question.lang]), ("stranger", stranger)):
                bot.say(question.q)
                found = outcome(bot.text(), question.expected_article_ids, titles)
                counts[(in_scope, who, found)] += 1
                refused = ("declined", "out of scope", "joining")[: 3 if who == "stranger" else 2]
                good = found == "cited" if question.expected_article_ids else found in refused
                if not good:
                    misses.append(f"  {in_scope:12} {who:8} {found:14} {question.q}")

    for in_scope in ("in scope", "out of scope"):
        for who in ("member", "stranger"):
            total = sum(counts[(in_scope, who, name)] for name in OUTCOMES)
            shares = ", ".join(f"{name} {counts[(in_scope, who, name)]}" for name in OUTCOMES)
            print(f"{in_scope:12} {who:8} n={total}: {shares}")
    print("not as they should be:")
    print("\n".join(misses) or "  none")


if __name__ == "__main__":
    main()
