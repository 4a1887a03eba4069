"""Suggestions from group chats: kept only above the threshold, with evidence and a short
excerpt, never for members or people on the do-not-contact list, deleted after 90 days;
staff dismiss them or add the author as a prospect (merged by handle)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from community.database import Database
from community.models import DoNotContact, GroupSuggestion, Prospect, utcnow
from community.prospects import score_prospect
from community.suggestions import (
    EXCERPT_CHARS,
    THRESHOLD,
    GroupMessage,
    SuggestionError,
    add_as_prospect,
    count_by_status,
    dismiss,
    list_suggestions,
    note_group_message,
    purge_old_suggestions,
)
from tests.community.test_feed import add_member

ALYTUS = "Sveiki! Aš iš Alytaus, baigiau Jotvingių gimnaziją, dabar gyvenu Osle."
SMALL_TALK = "Ar kas nors važiuoja į Alytų rytoj?"

_ids = iter(range(1000, 100000))


def said(
    text: str, *, author: str = "555", handle: str | None = "ona_osle", **more: str
) -> GroupMessage:
    values = {
        "platform": "telegram",
        "chat_id": "-1001234567890",
        "chat_title": "Lietuviai Norvegijoje",
        "message_id": str(next(_ids)),
        "author_id": author,
        "author_name": "Ona Petraitė",
        "author_handle": handle,
        "text": text,
    } | more
    return GroupMessage(**values)  # type: ignore[arg-type]


def test_only_messages_above_the_threshold_are_kept_with_their_evidence(db: Database):
    with db.session() as session:
        assert note_group_message(session, said(SMALL_TALK)) is None
        assert note_group_message(session, said("Kas vakare eina į koncertą?")) is None
        kept = note_group_message(session, said(ALYTUS))
        assert kept is not None and kept.score >= THRESHOLD
        assert {item["kind"] for item in kept.evidence} == {"origin", "school"}
        assert kept.excerpt == ALYTUS and kept.status == "new"
        assert kept.author_handle == "ona_osle"
        assert [s.id for s in list_suggestions(session)] == [kept.id]
        assert len(session.exec(select(GroupSuggestion)).all()) == 1  # nothing else was kept


def test_a_long_message_keeps_an_excerpt_around_the_evidence(db: Database):
    with db.session() as session:
        text = "Labas. " + "Šiandien labai gražus oras ir daug kalbų. " * 20 + ALYTUS
        kept = note_group_message(session, said(text))
        assert kept is not None
        assert len(kept.excerpt) <= EXCERPT_CHARS
        assert "Jotvingių" in kept.excerpt and kept.excerpt.startswith("…")


def test_the_same_message_delivered_twice_is_one_suggestion(db: Database):
    with db.session() as session:
        message = said(ALYTUS)
        assert note_group_message(session, message) is not None
        assert note_group_message(session, message) is None
        assert count_by_status(session)["new"] == 1


def test_members_and_people_on_the_do_not_contact_list_are_never_suggested(db: Database):
    with db.session() as session:
        member = add_member(session, user="777")
        assert member.id is not None
        assert note_group_message(session, said(ALYTUS, author="777")) is None
        session.add(DoNotContact(kind="telegram", value="no_thanks", reason="opted out"))
        session.flush()
        assert note_group_message(session, said(ALYTUS, author="888", handle="@No_Thanks")) is None
        assert session.exec(select(GroupSuggestion)).all() == []


def test_suggestions_are_deleted_after_ninety_days(db: Database):
    with db.session() as session:
        old = note_group_message(session, said(ALYTUS))
        new = note_group_message(session, said("Alytiškiai Londone – susitinkam šeštadienį!"))
        assert old is not None and new is not None
        old.created_at = utcnow() - timedelta(days=91)
        session.add(old)
        session.flush()
        assert purge_old_suggestions(session) == 1
        session.expire_all()
        assert [s.id for s in session.exec(select(GroupSuggestion))] == [new.id]


def test_staff_add_the_author_as_a_prospect_with_the_group_as_source(db: Database):
    with db.session() as session:
        kept = note_group_message(session, said(ALYTUS))
        assert kept is not None and kept.id is not None
        suggestion, prospect = add_as_prospect(session, kept.id)
        assert suggestion.status == "invited" and suggestion.prospect_id == prospect.id
        assert prospect.name == "Ona Petraitė"
        assert prospect.source == "telegram group Lietuviai Norvegijoje"
        assert prospect.lawful_basis == "legitimate_interest"
        assert prospect.telegram == "ona_osle"
        assert "school: Jotvingių gimnazija" in prospect.notes
        assert score_prospect(prospect.model_dump()).score >= THRESHOLD
        with pytest.raises(SuggestionError, match="already invited"):
            dismiss(session, kept.id)


def test_a_known_handle_is_merged_into_its_prospect(db: Database):
    with db.session() as session:
        known = Prospect(
            name="Ona P.", telegram="ona_osle", source="alumni list", lawful_basis="consent"
        )
        session.add(known)
        session.flush()
        kept = note_group_message(session, said(ALYTUS, chat_title="Alytiškiai pasaulyje"))
        assert kept is not None and kept.id is not None
        _, prospect = add_as_prospect(session, kept.id)
        assert prospect.id == known.id
        assert prospect.source == "alumni list; telegram group Alytiškiai pasaulyje"
        assert prospect.lawful_basis == "consent"  # the stronger basis stays
        assert len(session.exec(select(Prospect)).all()) == 1


def test_an_author_without_a_handle_and_one_who_opted_out_meanwhile(db: Database):
    with db.session() as session:
        nameless = note_group_message(session, said(ALYTUS, handle=None, author="4242"))
        assert nameless is not None and nameless.id is not None
        _, prospect = add_as_prospect(session, nameless.id)
        assert prospect.telegram is None and "telegram user id 4242" in prospect.notes
        later = note_group_message(session, said(ALYTUS, handle="later_out", author="43"))
        assert later is not None and later.id is not None
        session.add(DoNotContact(kind="telegram", value="later_out", reason="opted out"))
        session.flush()
        with pytest.raises(SuggestionError, match="do-not-contact"):
            add_as_prospect(session, later.id)
        assert dismiss(session, later.id).status == "dismissed"


def test_a_discord_message_is_a_suggestion_too(db: Database):
    with db.session() as session:
        kept = note_group_message(
            session,
            said(
                "I grew up in Alytus, Dainava district, now in Dublin.",
                platform="discord",
                chat_title="Lithuanians in Ireland #general",
                handle="ona.d",
            ),
        )
        assert kept is not None and kept.id is not None
        _, prospect = add_as_prospect(session, kept.id)
        assert prospect.discord == "ona.d"
        assert prospect.source == "discord server Lithuanians in Ireland #general"
