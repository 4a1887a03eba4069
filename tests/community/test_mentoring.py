"""Matching offers and requests of help: same kind, opposite role, a shared topic word and a
shared language; a match is introduced only when both sides said yes."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from community import mentoring
from community.database import Database
from community.mentoring import MentoringError
from community.models import HelpOffer, Member
from tests.community.test_feed import add_member


def offer(
    session: Session, member: Member, role: str, topic: str, languages: str, kind: str = "mentoring"
) -> HelpOffer:
    assert member.id is not None
    return mentoring.create_offer(
        session=session,
        member_id=member.id,
        kind=kind,
        role=role,
        topic=topic,
        languages=mentoring.parse_languages(languages),
    )


def test_topics_meet_across_languages_and_without_diacritics():
    words = set(mentoring.topic_words("mentoring", "Programavimas, duomenų analizė"))
    assert {"field:it", "progr", "duome"} <= words
    assert "field:it" in mentoring.topic_words("mentoring", "software development")
    assert "field:it" in mentoring.topic_words("mentoring", "IT")
    assert "field:it" not in mentoring.topic_words("mentoring", "Italy and tourism")
    assert mentoring.parse_languages("lietuviu, anglu") == ["lt", "en"]
    assert mentoring.parse_languages("English") == ["en"]


def test_an_it_mentor_and_an_it_seeker_who_share_english_are_proposed(db: Database):
    with db.session() as session:
        ona = add_member(session, user="ona", language="lt")
        tom = add_member(session, user="tom", language="en")
        mentor = offer(session, ona, "offer", "IT, programavimas", "lt en")
        seeker = offer(session, tom, "seek", "software development", "en")
        made = mentoring.propose_matches(session=session, offer=seeker)
        assert len(made) == 1
        match = made[0]
        assert (match.offer_a_id, match.offer_b_id) == (mentor.id, seeker.id)
        assert match.reason["fields"] == ["it"] and match.reason["languages"] == ["en"]
        assert mentoring.propose_matches(session=session, offer=seeker) == []  # not twice


@pytest.mark.parametrize(
    ("role", "topic", "languages", "kind"),
    [
        ("seek", "IT", "de", "mentoring"),  # no shared language
        ("offer", "IT", "en", "mentoring"),  # the same role
        ("seek", "law", "en", "mentoring"),  # no shared topic
        ("seek", "IT", "en", "volunteering"),  # another kind
    ],
)
def test_no_proposal_without_a_shared_kind_role_topic_and_language(
    db: Database, role: str, topic: str, languages: str, kind: str
):
    with db.session() as session:
        offer(session, add_member(session, user="ona"), "offer", "IT", "lt en")
        other = offer(session, add_member(session, user="x"), role, topic, languages, kind)
        assert mentoring.propose_matches(session=session, offer=other) == []


def test_erased_members_and_drafts_are_not_proposed(db: Database):
    with db.session() as session:
        ona = add_member(session, user="ona")
        offer(session, ona, "offer", "IT", "")  # a draft: no languages yet
        seeker = offer(session, add_member(session, user="tom"), "seek", "IT", "lt")
        assert mentoring.propose_matches(session=session, offer=seeker) == []
        jonas = add_member(session, user="jonas")
        offer(session, jonas, "offer", "IT", "lt")
        jonas.erased_at = jonas.created_at
        session.add(jonas)
        session.flush()
        assert mentoring.propose_matches(session=session, offer=seeker) == []


def test_both_yes_introduces_and_one_no_declines(db: Database):
    with db.session() as session:
        ona, tom = add_member(session, user="ona"), add_member(session, user="tom")
        offer(session, ona, "offer", "IT", "en")
        seeker = offer(session, tom, "seek", "IT", "en")
        (match,) = mentoring.propose_matches(session=session, offer=seeker)
        assert match.id is not None and ona.id is not None and tom.id is not None
        with pytest.raises(MentoringError):
            mentoring.introduced_match(session=session, match_id=match.id, member_id=tom.id)
        mentoring.answer(session=session, match_id=match.id, member_id=tom.id, yes=True)
        assert match.status == "accepted_b"
        mentoring.answer(session=session, match_id=match.id, member_id=tom.id, yes=True)
        assert match.status == "accepted_b"  # one side twice is still one side
        mentoring.answer(session=session, match_id=match.id, member_id=ona.id, yes=True)
        assert match.status == "introduced"
        assert mentoring.introduced_match(session=session, match_id=match.id, member_id=ona.id)

        stranger = add_member(session, user="stranger")
        assert stranger.id is not None
        with pytest.raises(MentoringError, match="unknown_match"):
            mentoring.answer(session=session, match_id=match.id, member_id=stranger.id, yes=True)

        jonas = add_member(session, user="jonas")
        other = offer(session, jonas, "seek", "IT", "en")
        (second,) = mentoring.propose_matches(session=session, offer=other)
        assert second.id is not None and jonas.id is not None
        mentoring.answer(session=session, match_id=second.id, member_id=jonas.id, yes=False)
        assert second.status == "declined"
        with pytest.raises(MentoringError, match="already_declined"):
            mentoring.answer(session=session, match_id=second.id, member_id=ona.id, yes=True)


def test_erasure_forgets_offers_and_matches(db: Database):
    with db.session() as session:
        ona, tom = add_member(session, user="ona"), add_member(session, user="tom")
        offer(session, ona, "offer", "IT", "en")
        mentoring.propose_matches(session=session, offer=offer(session, tom, "seek", "IT", "en"))
        assert ona.id is not None and tom.id is not None
        exported = mentoring.export_member(session=session, member_id=ona.id)
        assert exported["offers"][0]["topic"] == "IT" and len(exported["matches"]) == 1
        assert mentoring.forget_member(session=session, member_id=ona.id)
        assert mentoring.export_member(session=session, member_id=ona.id) == {
            "offers": [],
            "matches": [],
        }
        assert mentoring.matches_of(session=session, member_id=tom.id) == []
