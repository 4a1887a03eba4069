"""`/link`: the same person on two platforms. Without a code it gives one; with a code it
joins this platform's account to the member who asked for it (community.links)."""

from __future__ import annotations

from bots.messages import Reply
from bots.turn import Turn
from community.links import new_link_code, redeem_link_code
from community.members import find_identity


def link(turn: Turn, argument: str) -> list[Reply]:
    code = argument.strip()
    if not code:
        if turn.member.onboarded_at is None:
            return [
                Reply(text=turn.t("link.join_first"), buttons=(turn.button("menu.join", "/start"),))
            ]
        issued = new_link_code(session=turn.session, member_id=turn.member_id)
        return [Reply(text=turn.t("link.code", code=issued, minutes=10))]
    identity = find_identity(
        session=turn.session, platform=turn.incoming.platform, user_id=turn.incoming.user_id
    )
    assert identity is not None  # the engine made it for this very message
    result = redeem_link_code(session=turn.session, code=code, identity=identity)
    if not result.ok or result.member is None:
        return [Reply(text=turn.t(f"link.refused_{result.refused}"))]
    if turn.member.id != result.member.id and identity.member_id == result.member.id:
        turn.erased = True  # this turn's (fresh) member is gone; nothing of it to save
    turn.member = result.member
    return [Reply(text=turn.t("link.done", platform=turn.incoming.platform))]
