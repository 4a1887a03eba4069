"""Rewards in chat: /points, /passport, /offers, /checkin, /leaderboard, /rsvp, and the awards
that taking part earns (joining, a complete profile, a friend who joined).

The rules, the journal and the passport live in rewards/; this module turns a member's
command into a call there and the result into catalogue text in the member's language.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote, urlencode

from bots.messages import Link, Reply
from bots.turn import Turn
from community.models import Member
from community.profile import profile_complete
from ledger.outbox import proof_of
from rewards.checkins import check_in
from rewards.invitations import rsvp
from rewards.journal import Standing, award, standing_of
from rewards.leaderboard import join_leaderboard, leaderboard, leave_leaderboard
from rewards.levels import levels, passport_level
from rewards.models import RewardEvent
from rewards.partners import offers_for
from rewards.passport import PassportError, issue_passport, passport_token
from rewards.passport_models import Offer, Partner
from rewards.rules import MANUAL, all_rules

LATEST = 5
REGISTER_CHECK = "/ledger/check"  # the public page that asks the chain (admin/ledger_web.py)
CHECK_DIGITS = 12  # of a reward's id in that link: short, and still one reward in billions


def _not_member(turn: Turn) -> Reply:
    return Reply(text=turn.t("profile.not_member"), buttons=(turn.button("menu.join", "/start"),))


def level_name(turn: Turn, level: object) -> str:
    return str(getattr(level, "name_lt" if turn.language == "lt" else "name_en"))


def rule_name(turn: Turn, rule: str) -> str:
    key = f"rewards.rule_{rule.replace('.', '_')}"
    return turn.t(key) if turn.catalog.has(key) else rule


def _recorded(turn: Turn, event: RewardEvent) -> tuple[str, str | None]:
    """Where the reward stands in the city register (the ledger), in words, and its id
    there once it is recorded (what the public check page asks the chain about)."""
    if not event.on_chain:
        return turn.t("rewards.proof_off"), None
    proof = proof_of(session=turn.session, reward_key=event.key)
    if proof is None or proof.status != "recorded":
        return turn.t("rewards.proof_pending"), None
    return turn.t("rewards.proof_recorded"), proof.reward_id


def register_check_url(turn: Turn, reward_ids: list[str]) -> str:
    """The public page that checks these rewards on the chain, in the member's language; the
    ids cut short, so the link stays short where a platform shows it as text."""
    shortened = ",".join(rid.removeprefix("0x")[:CHECK_DIGITS] for rid in reward_ids)
    query = urlencode({"lang": turn.language, "r": shortened}, safe=",")
    return f"{turn.settings.public_url.rstrip('/')}{REGISTER_CHECK}?{query}"


def points(turn: Turn) -> list[Reply]:
    """Balance, level, what the next level needs, and the latest rewards: whether each is in
    the city register, with one link to check them there (never a transaction hash); then
    how to earn more."""
    if turn.member.onboarded_at is None:
        return [_not_member(turn)]
    standing = standing_of(session=turn.session, member_id=turn.member_id)
    lines = [
        turn.t(
            "rewards.points",
            points=standing.points,
            level=standing.level.number,
            name=level_name(turn, standing.level),
        )
    ]
    if standing.next_level is not None:
        lines.append(
            turn.t(
                "rewards.next_level",
                points=standing.points_to_next,
                name=level_name(turn, standing.next_level),
            )
        )
    if standing.badges:
        names = ", ".join(level_name(turn, badge) for badge in standing.badges)
        lines.append(turn.t("rewards.badges", badges=names))
    recorded: list[str] = []
    if standing.latest:
        lines.append(turn.t("rewards.latest"))
        for event in standing.latest[:LATEST]:
            where, reward_id = _recorded(turn, event)
            lines.append(f"• {event.points:+d} {rule_name(turn, event.rule)} – {where}")
            recorded += [reward_id] if reward_id else []
    links: tuple[Link, ...] = ()
    if recorded:
        lines.append(turn.t("rewards.register_about"))
        links = (Link(turn.t("rewards.register_check"), register_check_url(turn, recorded)),)
    lines += ["", *_how_to_earn(turn)]  # "kaip gauti daugiau tasku" asks this too
    buttons = (turn.button("menu.passport", "/passport"), turn.button("menu.offers", "/offers"))
    return [Reply(text="\n".join(lines), buttons=buttons, links=links)]


def passport(turn: Turn) -> list[Reply]:
    """The Alytus Passport card (issued on the first ask once the level allows it); before
    that, what the passport is, how points are earned, how far the member is, and which
    partners give what. Someone still joining (or who chose not to) is told what it is."""
    standing = standing_of(session=turn.session, member_id=turn.member_id)
    if turn.member.onboarded_at is None:
        return [replace(_passport_explained(turn, standing), buttons=())]
    if not standing.level.passport:
        return [_passport_explained(turn, standing)]
    try:
        issued = issue_passport(
            session=turn.session, settings=turn.settings, member_id=turn.member_id
        )
    except PassportError:
        return [_passport_explained(turn, standing)]
    token = passport_token(turn.settings, issued)
    base = turn.settings.public_url.rstrip("/")
    verify = f"{base}/passport/verify#t={token}"
    return [
        Reply(
            text=turn.t(
                "rewards.passport",
                number=issued.number,
                until=issued.expires_at.date().isoformat(),
            ),
            image=f"{base}/passport/card.png?t={quote(token)}&lang={turn.language}",
            links=(Link(label=turn.t("rewards.passport_check"), url=verify),),
            buttons=(turn.button("menu.offers", "/offers"),),
        )
    ]


def _passport_explained(turn: Turn, standing: Standing) -> Reply:
    """For a member without the passport yet: what it is, how far they are, how points are
    earned (the rules as they hold now) and what the partners give."""
    level = passport_level()
    progress = turn.t(
        "rewards.passport_progress",
        level=level.number,
        name=level_name(turn, level),
        needed=level.min_points,
        points=standing.points,
        left=max(level.min_points - standing.points, 0),
    )
    lines = [turn.t("rewards.passport_about"), "", progress, "", *_how_to_earn(turn), ""]
    partners = _offer_lines(turn)
    lines += [turn.t("rewards.passport_partners"), *partners] if partners else []
    lines += [] if partners else [turn.t("rewards.passport_no_partners")]
    buttons = (
        turn.button("rewards.button_invite", "/invite"),
        turn.button("rewards.button_events", "/events"),
        turn.button("rewards.button_points", "/points"),
    )
    return Reply(text="\n".join(lines), buttons=buttons)


def _how_to_earn(turn: Turn) -> list[str]:
    """A line for each active reward rule with its points (staff awards have none fixed)."""
    lines = [turn.t("rewards.earn_intro")]
    for rule in all_rules(session=turn.session):
        key = f"rewards.earn_{rule.code.replace('.', '_')}"
        what = turn.t(key) if turn.catalog.has(key) else rule_name(turn, rule.code)
        if rule.active and rule.code == MANUAL:
            lines.append(f"• {what}")
        elif rule.active and rule.points:
            lines.append(turn.t("rewards.earn_line", what=what, points=rule.points))
    return lines


def _offer_lines(turn: Turn) -> list[str]:
    """Each active partner offer: who (and where), what, and from which level if above the
    passport's."""
    found = offers_for(session=turn.session, level=max(level.number for level in levels()))
    return [_offer_line(turn, offer, partner) for offer, partner in found]


def _offer_line(turn: Turn, offer: Offer, partner: Partner) -> str:
    title = offer.title_lt if turn.language == "lt" else offer.title_en
    who = f"{partner.name} ({partner.address})" if partner.address else partner.name
    line = f"• {who}: {title}"
    if offer.min_level > passport_level().number:
        line += " " + turn.t("rewards.offer_from_level", level=offer.min_level)
    return line


def offers(turn: Turn) -> list[Reply]:
    """Partner offers the member's level opens."""
    if turn.member.onboarded_at is None:
        return [_not_member(turn)]
    standing = standing_of(session=turn.session, member_id=turn.member_id)
    lines = _offer_lines(turn)
    if not lines:
        return [Reply(text=turn.t("rewards.no_offers"))]
    lines.insert(0, turn.t("rewards.offers"))
    if not standing.level.passport:
        lines.append(turn.t("rewards.offers_need_passport"))
    return [Reply(text="\n".join(lines))]


def checkin(turn: Turn, code: str) -> list[Reply]:
    """An event check-in code that staff gave out: points once per member and event."""
    if turn.member.onboarded_at is None:
        return [_not_member(turn)]
    if not code.strip():
        return [Reply(text=turn.t("rewards.checkin_how"))]
    result = check_in(
        session=turn.session, settings=turn.settings, member_id=turn.member_id, code=code
    )
    if not result.ok:
        return [Reply(text=turn.t(f"rewards.checkin_{result.refused}"))]
    points_given = result.award.event.points if result.award and result.award.event else 0
    return [Reply(text=turn.t("rewards.checkin_ok", points=points_given))]


def leaderboard_command(turn: Turn, argument: str) -> list[Reply]:
    """'/leaderboard' shows the opted-in top; 'join NAME' and 'leave' change one's own entry."""
    if turn.member.onboarded_at is None:
        return [_not_member(turn)]
    action, _, name = argument.partition(" ")
    if action.lower() in ("join", "prisijungti"):
        if not name.strip():
            return [Reply(text=turn.t("rewards.leaderboard_how"))]
        join_leaderboard(turn.session, turn.member_id, name.strip()[:40])
        return [Reply(text=turn.t("rewards.leaderboard_joined", name=name.strip()[:40]))]
    if action.lower() in ("leave", "iseiti", "išeiti"):
        leave_leaderboard(turn.session, turn.member_id)
        return [Reply(text=turn.t("rewards.leaderboard_left"))]
    rows = leaderboard(turn.session, limit=10)
    if not rows:
        return [Reply(text=turn.t("rewards.leaderboard_empty"))]
    lines = [turn.t("rewards.leaderboard")]
    lines += [f"{place}. {name} – {score}" for place, (name, score) in enumerate(rows, 1)]
    lines.append(turn.t("rewards.leaderboard_how"))
    return [Reply(text="\n".join(lines))]


def rsvp_command(turn: Turn, argument: str) -> list[Reply]:
    """The answer to the mayor's invitation, from its buttons ('/rsvp 3 yes')."""
    invitation, _, answer = argument.partition(" ")
    if not invitation.isdigit() or answer not in ("yes", "no"):
        return [Reply(text=turn.t("common.stale_button"))]
    if not rsvp(turn.session, int(invitation), turn.member_id, answer):
        return [Reply(text=turn.t("common.stale_button"))]
    return [Reply(text=turn.t(f"rewards.rsvp_{answer}"))]


def taking_part(turn: Turn, member: Member) -> None:
    """Award what joining earns: onboarding done, a complete profile, and the friend who
    invited this member (only now that they have finished onboarding)."""
    assert member.id is not None
    session, settings = turn.session, turn.settings
    award(
        session=session,
        settings=settings,
        member_id=member.id,
        rule="onboarding.complete",
        key=str(member.id),
    )
    profile_completed(turn, member)
    if member.referred_by_id is not None:
        award(
            session=session,
            settings=settings,
            member_id=member.referred_by_id,
            rule="referral.joined",
            key=str(member.id),
        )


def profile_completed(turn: Turn, member: Member) -> None:
    """'profile.complete' once every question that applies to the member has an answer."""
    if member.id is not None and member.onboarded_at is not None and profile_complete(member):
        award(
            session=turn.session,
            settings=turn.settings,
            member_id=member.id,
            rule="profile.complete",
            key=str(member.id),
        )
