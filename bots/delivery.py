"""Delivering the notification outbox: each row rendered in the member's language, once.

Pull channels (web chat, terminal) get a member's pending notifications with their next
reply or poll; push platforms (Telegram, Discord, Messenger) get them from the delivery
worker through their output channel.
"""

from __future__ import annotations

from sqlmodel import Session

from bots.catalog import Catalog
from bots.messages import Reply
from community.models import Member, Notification
from community.notifications import claim_pending, mark_sent

PULL_PLATFORMS = ("web", "terminal")


def render(catalog: Catalog, member: Member, notification: Notification) -> Reply:
    """The notification as the member reads it, from the catalogue, in their language."""
    return Reply(
        text=catalog.text(member.language, notification.message_key, **notification.params)
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
