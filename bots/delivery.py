"""Delivering the notification outbox: each row rendered in the member's language, once.

Pull channels (web chat, terminal) get a member's pending notifications with their next
reply or poll; push platforms (Telegram, Discord, Messenger) get them from the delivery
worker through their output channel.
"""

from __future__ import annotations

from sqlmodel import Session

from bots.catalog import Catalog
from bots.messages import Button, Reply
from community.models import Member, Notification
from community.notifications import claim_pending, mark_sent

PULL_PLATFORMS = ("web", "terminal")


def render(catalog: Catalog, member: Member, notification: Notification) -> Reply:
    """The notification as the member reads it, from the catalogue, in their language.

    A parameter given in both languages ("name_lt", "name_en") reaches the text as "name"
    in the member's language, and one given as a catalogue key ("why_key":
    "rewards.rule_manual") as "why" in that message's words; a notification that asks for
    an answer gets its buttons."""
    params = dict(notification.params)
    suffix = f"_{member.language}"
    params |= {key.removesuffix(suffix): v for key, v in params.items() if key.endswith(suffix)}
    params |= {
        key.removesuffix("_key"): catalog.text(member.language, value)
        for key, value in notification.params.items()
        if key.endswith("_key") and isinstance(value, str) and catalog.has(value)
    }
    text = catalog.text(member.language, notification.message_key, **params)
    image = params.get("image")  # a reply kept for later keeps its picture (bots/reply_later.py)
    if not (isinstance(image, str) and image.startswith(("https://", "http://"))):
        image = None
    return Reply(text=text, buttons=_buttons(catalog, member, notification), image=image)


def _buttons(catalog: Catalog, member: Member, notification: Notification) -> tuple[Button, ...]:
    if (
        notification.message_key == "rewards.mayor_invitation"
        and "invitation_id" in notification.params
    ):
        invitation = notification.params["invitation_id"]
        return tuple(
            Button(
                catalog.text(member.language, f"rewards.rsvp_button_{answer}"),
                f"/rsvp {invitation} {answer}",
            )
            for answer in ("yes", "no")
        )
    # a notification may carry its own answer buttons (a poll's choices, a match's yes/no)
    return tuple(
        Button(
            str(button.get(f"label_{member.language}") or button.get("label_lt") or ""),
            str(button["payload"]),
        )
        for button in notification.params.get("buttons", ())
        if isinstance(button, dict) and button.get("payload")
    )


def collect_for(
    *, session: Session, catalog: Catalog, member: Member, platform: str
) -> list[Reply]:
    """Pending notifications of one member on a pull channel, marked sent as they are taken."""
    if platform not in PULL_PLATFORMS or member.id is None:
        return []
    replies = []
    for notification in claim_pending(session=session, member_id=member.id, platform=platform):
        replies.append(render(catalog, member, notification))
        mark_sent(session=session, notification=notification)
    return replies
