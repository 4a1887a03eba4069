"""A chat reply the platform did not take (a rate limit, an outage) waits in the
notification outbox, and the delivery worker (`alytus worker`) sends it when the platform
takes messages again, so a member's answer is not lost to a passing failure.

The reply is kept already written in the member's language (the catalogue's
`chat.reply_later` only carries it), with its buttons and its image (a link the platform
fetches, such as the passport card); links and cards become lines of text. A file is not
kept: a data export would be a second copy of personal data (the member asks again: /privacy).
"""

from __future__ import annotations

import secrets

from bots.messages import Link, Reply
from community.database import Database
from community.members import find_member, get_or_create_member
from community.notifications import enqueue

KEY = "chat.reply_later"


def _links(links: tuple[Link, ...]) -> list[str]:
    return [f"{link.label}: {link.url}" for link in links]


def _text(reply: Reply) -> str:
    lines = [reply.text.strip(), *_links(reply.links)]
    for card in reply.cards:
        lines += ["", card.title, card.text.strip(), *_links(card.links)]
    return "\n".join(lines).strip()


def keep_for_later(
    *,
    db: Database,
    platform: str,
    user_id: str,
    reply: Reply,
    occasion: str | None = None,
    language: str = "lt",
) -> bool:
    """Queue `reply` for the member behind this account. A visitor the bot did not keep as
    a member (a first "/start") becomes one now: an answer owed is something to keep.
    `occasion` (the incoming message's id and the reply's place) makes a retry add nothing."""
    with db.session() as session:
        member = find_member(session=session, platform=platform, user_id=user_id)
        if member is None:
            member, _ = get_or_create_member(
                session=session, platform=platform, user_id=user_id, language=language
            )
        if member.id is None:
            return False
        buttons = [
            {"label_lt": button.label, "label_en": button.label, "payload": button.payload}
            for button in (*reply.buttons, *(b for card in reply.cards for b in card.buttons))
        ]
        enqueue(
            session=session,
            member_id=member.id,
            platform=platform,
            message_key=KEY,
            params={"text": _text(reply), "buttons": buttons, "image": reply.image},
            dedupe_key=f"reply:{platform}:{occasion or secrets.token_hex(12)}",
        )
    return True
