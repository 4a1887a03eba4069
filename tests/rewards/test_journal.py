"""The reward journal as members and staff notice it: points appear once, caps hold,
referrals pay the referrer once the friend has joined, level-ups are announced once."""

from __future__ import annotations

import pytest
from sqlmodel import select

from community.database import Database
from community.members import erase_member
from community.models import utcnow
from community.settings import Settings
from rewards import journal
from rewards.journal import award, standing_of
from rewards.models import RewardEvent
from rewards.rules import set_rule
from tests.rewards.members import at, make_member, notifications_of


def test_points_appear_and_a_second_identical_award_adds_nothing(db: Database, settings):
    with db.session() as session:
        member = make_member(session)
        first = award(
            session=session,
            settings=settings,
            member_id=member.id,
            rule="onboarding.complete",
            key=str(member.id),
        )
        again = award(
            session=session,
            settings=settings,
            member_id=member.id,
            rule="onboarding.complete",
            key=str(member.id),
        )
        standing = standing_of(session=session, member_id=member.id)

    assert first.awarded and first.event is not None and first.refused is None
    assert first.event.key == f"onboarding.complete:{member.id}"
    assert first.event.account.startswith("0x") and len(first.event.account) == 42
    assert not again.awarded and again.refused == "duplicate" and again.event is None
    assert standing.points == 50
    assert [badge.code for badge in standing.badges] == ["onboarding_done"]
    assert [event.rule for event in standing.latest] == ["onboarding.complete"]


def test_a_race_lost_at_the_unique_key_is_a_duplicate_and_the_session_goes_on(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    with db.session() as session:
        member = make_member(session)
        award(
            session=session,
            settings=settings,
            member_id=member.id,
            rule="manual",
            key="x",
            points=30,
            reason="r",
        )
        # Another process wrote the same reward after our check: only the constraint sees it.
        monkeypatch.setattr(journal, "_event_by_key", lambda session, key: None)
        raced = award(
            session=session,
            settings=settings,
            member_id=member.id,
            rule="manual",
            key="x",
            points=30,
            reason="r",
        )
        assert raced.refused == "duplicate"
        assert standing_of(session=session, member_id=member.id).points == 30


def test_caps_hold_per_day_in_alytus_time_and_in_total(db: Database, settings: Settings):
    with db.session() as session:
        member = make_member(session)

        def check_in(event: str, moment: str) -> str | None:
            return award(
                session=session,
                settings=settings,
                member_id=member.id,
                rule="event.checkin",
                key=f"{event}:{member.id}",
                now=at(moment),
            ).refused

        # three a day (the default cap); the fourth the same day is refused
        assert [check_in(f"e{n}", "2026-06-01T08:00") for n in range(3)] == [None] * 3
        assert check_in("e3", "2026-06-01T20:59") == "cap_day"
        # 21:30 UTC is already the next day in Alytus (UTC+3 in summer)
        assert check_in("e4", "2026-06-01T21:30") is None

        set_rule(session=session, code="event.checkin", cap_total=5)
        assert check_in("e5", "2026-06-03T10:00") is None
        assert check_in("e6", "2026-06-04T10:00") == "cap_total"
        assert standing_of(session=session, member_id=member.id).points == 5 * 40

        twice = award(
            session=session,
            settings=settings,
            member_id=member.id,
            rule="onboarding.complete",
            key="another-key",
        )
        assert twice.awarded
        assert (
            award(
                session=session,
                settings=settings,
                member_id=member.id,
                rule="onboarding.complete",
                key="yet-another",
            ).refused
            == "cap_total"
        )


def test_an_inactive_rule_unknown_rule_and_unknown_member_give_nothing(db, settings):
    with db.session() as session:
        member = make_member(session)
        set_rule(session=session, code="profile.complete", active=False)
        results = [
            award(
                session=session,
                settings=settings,
                member_id=member.id,
                rule="profile.complete",
                key="1",
            ),
            award(session=session, settings=settings, member_id=member.id, rule="nope", key="1"),
            award(
                session=session,
                settings=settings,
                member_id=member.id + 1000,
                rule="onboarding.complete",
                key="1",
            ),
        ]
        assert [r.refused for r in results] == ["inactive", "unknown_rule", "unknown_member"]
        assert standing_of(session=session, member_id=member.id).points == 0


def test_a_manual_award_needs_a_reason_and_may_correct_downwards(db, settings):
    with db.session() as session:
        member = make_member(session)

        def manual(key: str, points: int, reason: str | None):
            return award(
                session=session,
                settings=settings,
                member_id=member.id,
                rule="manual",
                key=key,
                points=points,
                reason=reason,
                actor="staff:ona",
            )

        assert manual("a", 70, None).refused == "reason_required"
        assert manual("a", 70, "  ").refused == "reason_required"
        given = manual("a", 70, "helped at the city cleanup")
        assert given.awarded and given.event.reason == "helped at the city cleanup"
        assert given.event.actor == "staff:ona"
        assert manual("b", -20, "typo in the cleanup award").awarded
        assert standing_of(session=session, member_id=member.id).points == 50
        with pytest.raises(ValueError):
            award(
                session=session,
                settings=settings,
                member_id=member.id,
                rule="manual",
                key="c",
                reason="forgot the points",
            )


def test_referral_pays_the_referrer_once_the_friend_has_joined_and_once_per_friend(
    db: Database, settings: Settings
):
    with db.session() as session:
        referrer = make_member(session)
        friend = make_member(session, onboarded=False, referred_by=referrer)
        stranger = make_member(session)

        def referral(member_id: int, invitee_id: int):
            return award(
                session=session,
                settings=settings,
                member_id=member_id,
                rule="referral.joined",
                key=str(invitee_id),
            )

        assert referral(referrer.id, friend.id).refused == "not_onboarded"
        friend.onboarded_at = utcnow()
        session.add(friend)
        assert referral(stranger.id, friend.id).refused == "unknown_member"
        assert referral(referrer.id, referrer.id).refused == "self_referral"
        assert referral(referrer.id, friend.id).awarded
        assert referral(referrer.id, friend.id).refused == "duplicate"

        assert standing_of(session=session, member_id=referrer.id).points == 100
        assert standing_of(session=session, member_id=friend.id).points == 0
        badges = standing_of(session=session, member_id=referrer.id).badges
        assert [badge.code for badge in badges] == ["first_referral"]


def test_a_level_up_is_announced_once_on_the_members_latest_channel(db, settings):
    with db.session() as session:
        member = make_member(session, platform="discord")
        first = award(
            session=session,
            settings=settings,
            member_id=member.id,
            rule="manual",
            key="a",
            points=90,
            reason="r",
        )
        assert first.level_up is None
        up = award(
            session=session,
            settings=settings,
            member_id=member.id,
            rule="manual",
            key="b",
            points=20,
            reason="r",
        )
        assert up.level_up is not None and up.level_up.number == 2
        down = award(
            session=session,
            settings=settings,
            member_id=member.id,
            rule="manual",
            key="c",
            points=-20,
            reason="r",
        )
        again = award(
            session=session,
            settings=settings,
            member_id=member.id,
            rule="manual",
            key="d",
            points=20,
            reason="r",
        )
        assert down.level_up is None and again.level_up is not None

        announced = notifications_of(session, member, "rewards.level_up_why")
        assert len(announced) == 1
        assert announced[0].platform == "discord"
        assert announced[0].params == {
            "level": 2,
            "name_lt": "Kaimynas",
            "name_en": "Neighbour",
            "points": 20,
            "total": 110,
            "why": "r",  # staff's own reason for a manual award
        }
        assert announced[0].dedupe_key == f"level_up:{member.id}:2"


def test_standing_shows_level_next_level_passport_and_the_five_latest(db, settings):
    with db.session() as session:
        member = make_member(session)
        for n in range(7):
            award(
                session=session,
                settings=settings,
                member_id=member.id,
                rule="manual",
                key=str(n),
                points=40,
                reason=f"award {n}",
                now=at(f"2026-05-0{n + 1}T12:00"),
            )
        standing = standing_of(session=session, member_id=member.id)

    assert standing.points == 280
    assert (standing.level.number, standing.level.passport) == (3, True)
    assert standing.next_level is not None and standing.next_level.number == 4
    assert standing.points_to_next == 500 - 280
    assert [event.reason for event in standing.latest] == [f"award {n}" for n in (6, 5, 4, 3, 2)]


def test_a_new_member_stands_at_the_first_level(db, settings):
    with db.session() as session:
        member = make_member(session)
        standing = standing_of(session=session, member_id=member.id)
    assert (standing.points, standing.level.number, standing.level.passport) == (0, 1, False)
    assert standing.points_to_next == 100 and standing.badges == [] and standing.latest == []


def test_an_erased_member_gets_no_more_rewards(db, settings):
    with db.session() as session:
        member = make_member(session)
        erase_member(session=session, member=member, notice_version="2026-11")
        refused = award(
            session=session,
            settings=settings,
            member_id=member.id,
            rule="onboarding.complete",
            key=str(member.id),
        )
        assert refused.refused == "unknown_member"
        assert session.exec(select(RewardEvent)).first() is None
