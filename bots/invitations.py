"""'Invite a friend': the member's personal link and how many friends joined through it."""

from __future__ import annotations

from bots.messages import Link, Reply
from bots.referrals import referral_link
from bots.turn import Turn
from community.members import ensure_referral_code, referrals_count


def invitation(turn: Turn) -> Reply:
    if turn.member.onboarded_at is None:
        return Reply(
            text=turn.t("profile.not_member"), buttons=(turn.button("menu.join", "/start"),)
        )
    code = ensure_referral_code(session=turn.session, member=turn.member)
    link = referral_link(turn.settings, turn.incoming.platform, code)
    joined = referrals_count(session=turn.session, member_id=turn.member_id)
    return Reply(
        text=turn.t("invite.text", code=code, link=link, joined=joined),
        links=(Link(label=turn.t("onboarding.invite_link"), url=link),),
    )
