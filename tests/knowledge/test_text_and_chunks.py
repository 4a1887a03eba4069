"""Lexical normalisation and chunking: what makes colloquial Lithuanian meet article text."""

from __future__ import annotations

from knowledge.chunking import chunk_article
from knowledge.text import detect_language, query_terms, stem, terms


def test_case_endings_and_missing_diacritics_meet_the_same_stem():
    forms = ["darželį", "darzeli", "darželiuose", "darželis", "darželio", "darzely"]
    assert {term for form in forms for term in terms(form, "lt")} == {"darzel"}
    assert set(terms("Alytuje Alytaus", "lt")) <= set(query_terms("alytuj"))
    assert stem("14", "lt") == "14"


def test_a_question_is_stemmed_for_either_language():
    question = set(query_terms("kindergartens and darželiai"))
    assert set(terms("kindergarten", "en")) <= question
    assert set(terms("darželis", "lt")) <= question


def test_language_is_told_apart_or_left_unknown():
    assert detect_language("Kaip gauti vietą Alytaus lopšelyje-darželyje ir kur kreiptis") == "lt"
    assert detect_language("How do I apply for a place in a kindergarten in Alytus?") == "en"
    assert detect_language("Lorem ipsum dolor sit amet") is None


def test_chunks_keep_to_their_section_and_lists_stay_with_their_lead():
    body = (
        "# Title\n\nIntro paragraph about the service in the city of Alytus.\n\n"
        "## Fees\n\n**Prices:**\n\n- children under 3: 3.10 EUR\n- children 3-6: 3.40 EUR\n\n"
        "## Contacts\n\nCall +370 315 55 111 on working days.\n"
    )
    chunks = chunk_article("x", "Title", body)
    by_heading = {chunk.heading: chunk.text for chunk in chunks}
    assert "3.40 EUR" in by_heading["Fees"] and "Prices:" in by_heading["Fees"]
    assert "+370" in by_heading["Contacts"] and "EUR" not in by_heading["Contacts"]
    assert all("**" not in chunk.text for chunk in chunks)


def test_a_homograph_counts_only_in_the_language_where_it_means_something():
    assert "bus" in query_terms("Where can I see the city bus timetables?")
    assert "bus" not in query_terms("koks bus oras rytoj?")


def test_price_words_are_asking_words_not_the_topic():
    from knowledge.answers import topic_concepts
    from knowledge.text import asking_terms

    assert "kainuoj" in asking_terms("kiek kainuoja siuksliu isvezimas")
    assert not asking_terms("darželio mokestis")
    topic = topic_concepts("kiek kainuoja siuksliu isvezimas")
    assert len(topic) == 2 and any("atliek" in concept for concept in topic)


def test_a_quoted_passage_is_not_cut_after_an_abbreviation():
    """An answer quotes whole paragraphs: "S. Dariaus", "g. 1", "tel.", "pvz." and "t. y."
    never end what the member reads."""
    from knowledge.passages import article_passages

    first = "Centras yra S. Dariaus ir S. Girėno g. 1, tel. 8 315 52010. Dirba kasdien."
    second = "Reikia dokumentų, pvz. paso, t. y. asmens tapatybės dokumento. Jie tikrinami."
    body = f"# Centras\n\n{first}\n\n{second}\n"
    passages = article_passages("lt-centras", "Centras", body)
    assert [passage.text for passage in passages] == [first, second]
    assert passages[1].leans_back("lt") is False
