"""What the chain and the law see: every positive reward is expected on chain under its key
and account; erasure keeps the entries but unlinks them and removes what is personal."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from community.database import Database
from community.settings import Settings
from ledger.addresses import member_address
from ledger.outbox import proof_of
from rewards.invitations import rsvp, send_mayor_invitation
from rewards.journal import award, expected_on_chain, export_member, forget_member, standing_of
from rewards.leaderboard import join_leaderboard, leaderboard
from rewards.models import RewardEvent
from tests.rewards.members import make_member


def _give(session, settings, member, key: str, points: int) -> None:
    result = award(
        session=session,
        settings=settings,
        member_id=member.id,
        rule="manual",
        key=key,
        points=points,
        reason="test",
    )
    assert result.awarded


def test_every_positive_reward_is_expected_on_chain_and_queued_once(
    db: Database, settings: Settings
):
    with db.session() as session:
        member = make_member(session)
        _give(session, settings, member, "a", 30)
        _give(session, settings, member, "b", -5)
        expected = expected_on_chain(session, settings)
        account = member_address(settings, member.id)
        assert [(e.reward_key, e.account, e.points) for e in expected] == [
            ("manual:a", account, 30)
        ]
        proof = proof_of(session=session, reward_key="manual:a")
        assert proof is not None and proof.status == "pending"
        assert proof_of(session=session, reward_key="manual:b") is None


def test_erasure_keeps_the_entries_without_the_member_and_drops_what_is_personal(
    db: Database, settings: Settings
):
    with db.session() as session:
        member = make_member(session)
        other = make_member(session)
        _give(session, settings, member, "a", 300)
        _give(session, settings, other, "b", 20)
        join_leaderboard(session, member.id, "Ona iš Londono")
        report = send_mayor_invitation(
            session=session, event="Miesto šventė", held_on=date(2026, 9, 12), min_points=250
        )
        assert rsvp(session, report.invitation_id, member.id, "yes")
        exported = export_member(session=session, member_id=member.id)
        assert exported["points"] == 300 and exported["leaderboard_name"] == "Ona iš Londono"
        assert exported["mayor_invitations"] == [
            {"event": "Miesto šventė", "date": "2026-09-12", "answer": "yes"}
        ]
        assert [e["key"] for e in exported["events"]] == ["manual:a"]

        removed = forget_member(session=session, member_id=member.id)

        assert removed == ["reward_link", "leaderboard", "invitations"]
        events = list(session.exec(select(RewardEvent).order_by(RewardEvent.key)))
        assert [(e.key, e.member_id) for e in events] == [
            ("manual:a", None),
            ("manual:b", other.id),
        ]
        assert events[0].account == member_address(settings, member.id)
        assert len(expected_on_chain(session, settings)) == 2
        assert standing_of(session=session, member_id=member.id).points == 0
        assert leaderboard(session) == []
        assert export_member(session=session, member_id=member.id)["events"] == []


def test_without_consent_to_on_chain_rewards_nothing_goes_on_chain(
    db: Database, settings: Settings
):
    with db.session() as session:
        member = make_member(session, onchain=False)
        _give(session, settings, member, "c", 20)
        assert standing_of(session=session, member_id=member.id).points == 20
        assert proof_of(session=session, reward_key="manual:c") is None
        assert [e.reward_key for e in expected_on_chain(session, settings)] == []
