"""A member's time zone from their country, so broadcasts respect their quiet hours.

Babel's CLDR data maps a territory to its zones; for countries with several zones (the
United States, Canada, Australia...) the one where most people live is chosen here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.core import get_global

DEFAULT_ZONE = "Europe/Vilnius"
MOST_POPULOUS = {
    "US": "America/New_York",
    "CA": "America/Toronto",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "RU": "Europe/Moscow",
    "MX": "America/Mexico_City",
    "AR": "America/Argentina/Buenos_Aires",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "DE": "Europe/Berlin",
    "NZ": "Pacific/Auckland",
    "KZ": "Asia/Almaty",
    "UA": "Europe/Kyiv",
    "CN": "Asia/Shanghai",
    "ID": "Asia/Jakarta",
    "CL": "America/Santiago",
    "EC": "America/Guayaquil",
}


@lru_cache(maxsize=512)
def zone_for_country(country: str | None) -> str:
    """The IANA zone name for an ISO country code; Vilnius when unknown or unset."""
    if not country:
        return DEFAULT_ZONE
    code = country.upper()
    if code in MOST_POPULOUS:
        return MOST_POPULOUS[code]
    zones = get_global("territory_zones").get(code) or []
    return zones[0] if zones else DEFAULT_ZONE


def parse_quiet_hours(text: str) -> tuple[int, int]:
    """'21-9' -> (21, 9): from 21:00 to 09:00 local time; equal hours mean no quiet time."""
    start, _, end = text.partition("-")
    return int(start) % 24, int(end or start) % 24


def quiet_until(moment: datetime, zone: str, quiet_hours: str) -> datetime | None:
    """The end of the quiet period `moment` falls in (in UTC terms), or None if not quiet."""
    start, end = parse_quiet_hours(quiet_hours)
    if start == end:
        return None
    local = moment.astimezone(ZoneInfo(zone))
    hour = local.hour
    quiet = (hour >= start or hour < end) if start > end else start <= hour < end
    if not quiet:
        return None
    wake = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if wake <= local:
        wake += timedelta(days=1)
    # Rebuild through the zone so a daylight-saving change overnight is respected.
    wake = datetime(wake.year, wake.month, wake.day, end, tzinfo=ZoneInfo(zone))
    return wake.astimezone(UTC)
