"""Server roles that follow a member's level (ALYTUS_DISCORD_LEVEL_ROLES, level -> role id).

Only the roles named in the settings are touched; staff's other roles stay as they are.
"""

from __future__ import annotations

import asyncio

import discord
from discord.http import HTTPClient

from community.database import Database
from community.members import find_member
from community.settings import Settings
from rewards.journal import standing_of


def role_for_level(level_roles: dict[int, int], level: int) -> int | None:
    """The role of the highest configured level the member has reached (None below all)."""
    reached = [number for number in level_roles if number <= level]
    return level_roles[max(reached)] if reached else None


async def sync_level_role(
    client_or_http: discord.Client | HTTPClient,
    settings: Settings,
    discord_user_id: str,
    level: int,
) -> None:
    """Give the member the role of their level in the server and take the other levels'
    roles away; a user who is not in the server is left alone."""
    guild_id = settings.discord_guild_id
    if guild_id is None or not settings.discord_level_roles:
        return
    http = client_or_http.http if isinstance(client_or_http, discord.Client) else client_or_http
    try:
        member = await http.get_member(guild_id, discord_user_id)
    except discord.NotFound:
        return
    held = {int(role) for role in member.get("roles", [])}
    wanted = role_for_level(settings.discord_level_roles, level)
    if wanted is not None and wanted not in held:
        await http.add_role(guild_id, discord_user_id, wanted)
    for role in sorted((set(settings.discord_level_roles.values()) & held) - {wanted}):
        await http.remove_role(guild_id, discord_user_id, role)


async def level_of(db: Database, discord_user_id: str) -> int | None:
    """The level of the member behind a Discord account (None: no such member)."""
    return await asyncio.to_thread(_level_of, db, discord_user_id)


def _level_of(db: Database, discord_user_id: str) -> int | None:
    with db.session() as session:
        member = find_member(session=session, platform="discord", user_id=discord_user_id)
        if member is None or member.id is None or member.erased_at is not None:
            return None
        return standing_of(session=session, member_id=member.id).level.number
