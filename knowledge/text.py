"""Lexical normalisation for Lithuanian and English: fold diacritics, drop stop words, and cut
case endings with a light stemmer, so "darželį", "darzeli" and "darželiuose" meet.

Members often type Lithuanian without diacritics and with colloquial endings ("uzregistruot
vaika i darzeli"); folding and stemming both sides lets BM25 match them to article text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

_FOLD = str.maketrans(
    {
        "ą": "a",
        "č": "c",
        "ę": "e",
        "ė": "e",
        "į": "i",
        "š": "s",
        "ų": "u",
        "ū": "u",
        "ž": "z",
        "„": '"',
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
    }
)
_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+", re.UNICODE)

# Endings longest first; a stem keeps at least MIN_STEM characters. Folded forms only:
# nouns and adjectives in the seven cases, singular and plural; verbs (infinitive, present,
# past, future, imperative, reflexive); colloquial forms ("uzregistruot", "alytuj", "vaikam").
_LT_ENDINGS = tuple(
    sorted(
        set(
            """
            iuose iuosna iesiems iosioms aisiais osiomis uosius ajame ojoje ajai ojo ajam
            uoju osios ieji uosi iems ioms iais iomis imis ems oms ams ose uose ais ies ius
            iai iui iumi ioje yje oje eje uje iu io ia ai as is ys us os es ei ui mis ami
            emis ame yse ese aus uj oj ej yj a e i o u y tis ti t siu si sime site s au ate
            ome ote ime ite kite kime sis osi asi esi isi damas dama ant int om am
            """.split()
        ),
        key=len,
        reverse=True,
    )
)
MIN_STEM = 4

_LT_STOP = frozenset(
    """
    a ar as bei bet buvo bus but da del dar daug gal galima i iki ir is ja jai jam jas jei ji
    jie jis jo ju juos ka kad kai kaip kam kas kiek kur kuri kurie kurio kuris kuo mane man
    mano mes mums mus na ne nei nors nuo o pagal per po prie reik reikia sau save savo su
    ta tai tas ten tie tik to tu tuo uz va yra yr jau kokia koks kokie kokios kokiu kada
    nes gali ka ko labai tiesa kodel kuria kurias kuriuos koki kokiu sito sis si sita sie sios
    kokiais kokias kokio kokiam kokiame kokioje kokiomis kokie kokios kurio kuriam kuriame kurioje
    kuriuo kurios kuriu kuriais kuriomis kelinta kelinto kelintas kelinti kelintos esu esam esame
    esate esi buna busiu butu but buti musu jusu tavo mudu dabar vis visai pats pati paciam paciai
    patys patiems nu cia ten sitas sita tas tokia toks tokie max maks
    """.split()
)
_EN_STOP = frozenset(
    """
    a about all an and any are as at be been but by can could did do does doing for from get
    had has have how i if in into is it its me my of on or our should so some than that
    the their them then there these they this to was we were what when where which who
    whom why will with would you your yours i'm it's can't what's where's do does much
    many there's also just still please tell know he she her his him hers us im i've we're we've
    they're you're isn't aren't don't doesn't didn't can't cant dont doesnt didnt wont won't
    anyone someone anybody somebody anything something here only
    """.split()
)
STOP_WORDS = _LT_STOP | _EN_STOP
# Stop words of one language that are content words of the other ("bus": "will be" in
# Lithuanian, the vehicle in English): kept when the whole question is in that language.
_HOMOGRAPHS = {"bus": "en"}
_LT_ONLY = _LT_STOP - _EN_STOP
_EN_ONLY = _EN_STOP - _LT_STOP


def fold(text: str) -> str:
    """Lower-case and fold Lithuanian (and any other) diacritics to ASCII letters."""
    text = text.lower().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Folded words and numbers, in order ("8 315 56 660" stays four numbers)."""
    return _WORD.findall(fold(text))


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """A light stemmer: cut one ending, keep at least MIN_STEM characters; numbers stay."""
    if word.isdigit() or len(word) <= MIN_STEM:
        return word
    if language == "en":
        return _stem_english(word)
    for ending in _LT_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


def _stem_english(word: str) -> str:
    if word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for ending in ("ing", "ed", "ly"):
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            word = word[: -len(ending)]
            break
    if word.endswith("y") and len(word) > MIN_STEM:
        word = word[:-1] + "i"
    elif word.endswith("e") and len(word) > MIN_STEM:
        word = word[:-1]
    return word


def terms(text: str, language: str) -> list[str]:
    """Index terms of an article text in its own language (stop words dropped)."""
    return [stem(word, language) for word in words(text) if word not in STOP_WORDS]


def content_words(text: str) -> list[str]:
    """The question's folded words without stop words (a homograph stays in the language
    where it means something: "city bus timetables", not "koks bus oras")."""
    found = words(text)
    language = None
    if any(word in _HOMOGRAPHS for word in found):
        # the homograph itself must not vote; with no clear language it is kept
        others = [word for word in found if word not in _HOMOGRAPHS]
        lt, en = sum(w in _LT_ONLY for w in others), sum(w in _EN_ONLY for w in others)
        language = "lt" if lt > en else "en" if en > lt else "?"
    return [
        word
        for word in found
        if word not in STOP_WORDS
        or (language and word in _HOMOGRAPHS and _HOMOGRAPHS[word] != _other(language))
    ]


def _other(language: str) -> str:
    return {"lt": "en", "en": "lt"}.get(language, "?")


Correct = Callable[[str], "str | None"]


def _forms(word: str, correct: Correct | None) -> list[str]:
    """A word's stems in both languages, a typo read as the known term it misses (see
    `BM25Index.known`), and the glossary's words for them."""
    glossary = _glossary()
    forms: dict[str, None] = {}
    for language in ("lt", "en"):
        term = stem(word, language)
        if correct is not None and term not in glossary:
            term = correct(term) or term
        forms.setdefault(term, None)
        for translation in glossary.get(term, ()):
            forms.setdefault(translation, None)
    return list(forms)


def query_terms(text: str, correct: Correct | None = None) -> list[str]:
    """Terms of a question in both languages' stems, and the glossary's words in the other
    language: a member may ask in either, and an article may exist in only one."""
    seen: dict[str, None] = {}
    for word in content_words(text):
        for term in _forms(word, correct):
            seen.setdefault(term, None)
    return list(seen)


# Words that say what kind of answer is wanted (a price, an address), not what it is about:
# "kiek kainuoja šiukšlių išvežimas" is about rubbish collection, so they weigh little in the
# lexical search and do not count as the question's topic.
_ASKING = (
    "kainuoja kainuoti kainuos kainavo kaina kainos cost costs price prices much many "
    "moketi moket mokesiu daugiausia maziausiai adresas adresu address"
)
ASKING_STEMS = frozenset(stem(w, language) for w in _ASKING.split() for language in ("lt", "en"))


def is_asking_word(word: str) -> bool:
    """A folded word that asks for a price or an amount ("kainuoja", "cost")."""
    return any(stem(word, language) in ASKING_STEMS for language in ("lt", "en"))


# Words that say what the member wants to do, not what about ("noriu rasti", "how do I get"),
# who it is for ("mamai", "my husband") or when they ask ("šiandien"): a question's topic is its
# other words, so these do not count against an article lacking them; nor does "old" in
# Lithuanian ("sena sofa"), which says which thing, not which service.
_GENERIC = """
noriu norim norime noreciau norecau reikia reiketu reikes gauti gaut rasti rast daryti daryt
padaryti suzinoti suzinot suzinoju pasakykit pasakyk pasakykite prasau prasom sveiki labas
laba diena aciu galiu galite galeciau kreiptis ieskau ieskoti pradeti pradet turiu turim
turime turit turite reiks reiketu paklausti paklaust klausti klausiu klausimas noreciau norejau
gaut gauti gausiu gausim gaunu gali galim galima galetu sakykit sakykite atlikti atlikt
want wanted need needs needed find get gets getting got know help tell please hello hi thanks
thank give gives take takes go goes going
mama mamai mamos mociute mociutei senele senelis seneliui tetis teciui teti tevas tevui vyras
vyrui zmona zmonai sutuoktinis sutuoktiniui anukas anukui brolis sesuo kaimynas kaimynai
mum mom mother dad father husband wife spouse partner grandma grandpa grandmother grandfather
grandson granddaughter grandchild brother sister neighbour neighbor neighbours neighbors
siandien rytoj vakar ryte rytais naktj nakti today tomorrow yesterday morning night tonight
sena senas seni senu senus senos senam senoji senasis
"""
GENERIC_STEMS = frozenset(
    stem(word, language) for word in _GENERIC.split() for language in ("lt", "en")
)


# Countries other than Lithuania, by their one-word names in both languages (CLDR's, through
# babel, and the short ones people use): where a member lives or comes back from ("grįžtam iš
# Norvegijos") says nothing about which service the question is about.
_COUNTRY_ALIASES = "anglija britanija skotija amerika jav england britain scotland america usa uk"
_NOT_ABROAD = frozenset({"LT", "EU", "EZ", "UN"})


@lru_cache(maxsize=1)
def _abroad_stems() -> frozenset[str]:
    from babel import Locale

    names = _COUNTRY_ALIASES.split()
    for language in ("lt", "en"):
        territories = Locale(language).territories
        names += [
            name
            for code, name in territories.items()
            if code.isalpha() and code not in _NOT_ABROAD and len(words(name)) == 1
        ]
    return frozenset(
        stem(word, language) for name in names for word in words(name) for language in ("lt", "en")
    )


def is_abroad(word: str) -> bool:
    """A folded word that names a country other than Lithuania ("norvegijos", "ireland")."""
    return any(stem(word, language) in _abroad_stems() for language in ("lt", "en"))


def asking_terms(text: str) -> set[str]:
    """Query terms that come only from the question's asking words (see `is_asking_word`)."""
    asking = [word for word in words(text) if is_asking_word(word)]
    if not asking:
        return set()
    topic = [word for word in words(text) if not is_asking_word(word)]
    return set(query_terms(" ".join(asking))) - set(query_terms(" ".join(topic)))


def question_concepts(text: str, correct: Correct | None = None) -> list[frozenset[str]]:
    """The question's content words, one set each: its stems in both languages and the
    glossary's words for it, so a passage matches a word once whichever form it uses."""
    concepts: dict[frozenset[str], None] = {}
    for word in content_words(text):
        concepts.setdefault(frozenset(_forms(word, correct)), None)
    return list(concepts)


def glossary_terms() -> frozenset[str]:
    """Every stem the glossary knows (a typo may be one of them: "siukles")."""
    return frozenset(_glossary())


@lru_cache(maxsize=1)
def _glossary() -> dict[str, tuple[str, ...]]:
    """Stem -> stems of the same idea in both languages (knowledge/glossary.yml): words on
    one side of a line are synonyms too ("šiukšlės" finds "atliekos")."""
    import yaml

    pairs = yaml.safe_load((Path(__file__).with_name("glossary.yml")).read_text("utf-8"))
    glossary: dict[str, set[str]] = {}
    for english, lithuanian in pairs:
        en = {stem(word, "en") for word in words(english)}
        lt = {stem(word, "lt") for word in words(lithuanian)}
        for term in en | lt:
            glossary.setdefault(term, set()).update((en | lt) - {term})
    return {term: tuple(sorted(other)) for term, other in glossary.items()}


def detect_language(text: str) -> str | None:
    """'lt' or 'en' when the text clearly is one of them, else None (for the import report)."""
    sample = words(text[:20_000])
    if len(sample) < 3:
        return None
    lithuanian_letters = sum(text.count(ch) for ch in "ąčęėįšųūžĄČĘĖĮŠŲŪŽ")
    lt = sum(word in _LT_ONLY for word in sample) + 2 * lithuanian_letters
    en = sum(word in _EN_ONLY for word in sample)
    if lt >= 2 and lt > 1.5 * en:
        return "lt"
    if en >= 2 and en > 1.5 * lt:
        return "en"
    return None
