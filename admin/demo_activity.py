"""Demo history for `alytus init --demo`: two months of members joining, talking and asking,
a few broadcasts and unanswered questions, so a fresh install shows non-empty charts.

Everything is fictional (platform "demo", user ids "demo-crowd-NNN") and drawn from a fixed
random seed, so two installs look alike; loading twice adds nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from community.broadcasts import DONE, FAILED, QUEUED, SENT, UNREACHABLE
from community.database import Database
from community.feed import create_item
from community.members import find_member, get_or_create_member, record_consent
from community.models import Activity, Broadcast, BroadcastDelivery, FeedItem, Member, utcnow
from community.profile import ConsentPurpose, Interest
from community.settings import Settings
from community.timezones import DEFAULT_ZONE
from knowledge.models import UnansweredQuestion
from rewards.journal import award

SEED = 20_240_607
DAYS = 60
CROWD = 96
PLATFORM = "demo"
VILNIUS = ZoneInfo(DEFAULT_ZONE)

RELATIONS = (("emigrant", 45), ("resident", 30), ("returned", 10), ("friend", 15))
ABROAD = ("GB", "GB", "GB", "NO", "NO", "IE", "IE", "DE", "US", "SE", "ES", "NL", "DK")
FRIENDS_LIVE = ("DE", "PL", "LV", "FI", "US", "GB")
CHANNELS = {
    "emigrant": ("telegram", "telegram", "discord", "messenger"),
    "friend": ("telegram", "messenger", "web"),
    "resident": ("web", "web", "messenger", "telegram"),
    "returned": ("web", "messenger", "telegram"),
}
QUESTION_SHARE = 0.45
ANSWERED_SHARE = 0.78

UNANSWERED = (
    ("lt", "Kaip užregistruoti vaiką į darželį, jei gyvename Alytaus rajone?"),
    ("lt", "Ar yra laisvų vietų darželyje Vidzgiryje?"),
    ("lt", "Kiek kainuoja darželis vienam mėnesiui?"),
    ("lt", "Kur galima nemokamai parkuoti prie ligoninės?"),
    ("lt", "Ar reikia mokėti už parkavimą savaitgaliais?"),
    ("lt", "Kada bus didžiųjų atliekų išvežimas?"),
    ("lt", "Kaip užsisakyti atliekų konteinerį?"),
    ("en", "How do I get a residence permit for my husband who is not from the EU?"),
    ("en", "Residence permit documents for a returning family?"),
    ("en", "Is there a startup grant for people who return to Alytus?"),
    ("lt", "Ar yra parama grįžusiems verslininkams startui?"),
    ("en", "Swimming pool opening hours in winter?"),
)
SITE = "https://www.alytus.lt"
# (kind, title lt, title en, text lt, text en, days ago, link, and for an event-like item
# its start (days from now, negative: past; Alytus hour) and place, else None and None)
BROADCASTS = (
    (
        "event",
        "Miesto šventė: programa (demo)",
        "City celebration: the programme (demo)",
        "Trys dienos koncertų, mugių ir sporto Alytuje: visa programa – miesto svetainėje.",
        "Three days of concerts, fairs and sport in Alytus: the whole programme is on the "
        "city's website.",
        40,
        f"{SITE}/renginiai/miesto-svente",
        (-33, 12),  # over: the history shows it, /news and /events no longer do
        "Rotušės aikštė ir Nemuno krantinė, Alytus",
    ),
    (
        "job",
        "Darbo mugė Alytuje (demo)",
        "Alytus job fair (demo)",
        "Daugiau nei 30 Alytaus įmonių ieško darbuotojų: inžinierių, IT specialistų, "
        "gydytojų ir mokytojų. Atvykite su gyvenimo aprašymu arba užsiregistruokite iš anksto – "
        "sugrįžtantiems iš užsienio įmonės siūlo pagalbą persikraustant.",
        "More than 30 Alytus companies are hiring: engineers, IT specialists, doctors and "
        "teachers. Bring your CV or register in advance – companies offer help with moving to "
        "people coming back from abroad.",
        24,
        f"{SITE}/darbo-muge",
        (6, 10),
        "Alytaus kultūros centras, Rotušės a. 14, Alytus",
    ),
    (
        "mentoring",
        "Mentorystės programa grįžtantiems (demo)",
        "Mentoring for returnees (demo)",
        "Patyrę alytiškiai padeda grįžusiems susirasti darbą, pradėti verslą ir susitvarkyti "
        "dokumentus. Mentoriaus galite paprašyti pokalbyje: /mentor.",
        "Experienced Alytus people help returnees find work, start a business and sort out "
        "their papers. Ask for a mentor in the chat: /mentor.",
        10,
        f"{SITE}/mentoryste",
        None,
        None,
    ),
)

# Events still to come, so /events and /news have something to answer in the demo:
# (title lt, title en, body lt, body en, place, link, days ahead, Alytus hour, countries)
UPCOMING_EVENTS = (
    (
        "Alytaus gimtadienis: koncertas Rotušės aikštėje (demo)",
        "Alytus birthday: a concert on the Town Hall square (demo)",
        "Visi kviečiami; alytiškiai iš užsienio – ypač.",
        "Everyone is welcome, Alytus people from abroad most of all.",
        "Rotušės aikštė, Alytus",
        f"{SITE}/renginiai/alytaus-gimtadienis",
        12,
        18,
        None,
    ),
    (
        "Alytiškių susitikimas Londone (demo)",
        "Alytus people meet in London (demo)",
        "Pasikalbėkime apie darbą ir grįžimą.",
        "Let us talk about jobs and coming back.",
        "Londonas / London",
        f"{SITE}/renginiai/alytiskiai-londone",
        9,
        19,
        ["GB"],
    ),
)


def _alytus_time(now: datetime, days: int, hour: int) -> datetime:
    """That many days from now (before, when negative) at that hour in Alytus, in UTC."""
    day = (now + timedelta(days=days)).astimezone(VILNIUS).date()
    return datetime.combine(day, time(hour), tzinfo=VILNIUS).astimezone(UTC)


@dataclass
class Person:
    member: Member
    relation: str
    platform: str
    joined: datetime
    onboarded: bool


def _weighted(chooser: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return chooser.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def _joined_at(chooser: random.Random, now: datetime) -> datetime:
    """More members join lately than at first: the community grows."""
    days_ago = DAYS * (1 - chooser.random() ** 0.7)
    return now - timedelta(days=days_ago, minutes=60 + chooser.randint(0, 600))


def _hour_for(chooser: random.Random, relation: str, weekday: int) -> int:
    """Residents write in the daytime; people abroad often in the evening and at weekends."""
    if relation in ("resident", "returned") and weekday < 5 and chooser.random() < 0.7:
        return chooser.randint(8, 16)
    return chooser.choice((7, 9, 12, 13, 17, 18, 19, 20, 20, 21, 21, 22, 23))


def _add_person(
    session: Session, settings: Settings, chooser: random.Random, n: int, now: datetime
) -> Person:
    member, _ = get_or_create_member(
        session=session,
        platform=PLATFORM,
        user_id=f"demo-crowd-{n:03}",
        language=chooser.choice(("lt", "lt", "en")),
    )
    relation = _weighted(chooser, RELATIONS)
    joined = _joined_at(chooser, now)
    member.created_at = joined
    consented = chooser.random() < 0.85
    with_profile = consented and chooser.random() < 0.9
    onboarded = with_profile and chooser.random() < 0.92
    if consented:
        for purpose in (ConsentPurpose.MEMBERSHIP, ConsentPurpose.NEWS):
            record = record_consent(
                session=session,
                member_id=member.id or 0,
                purpose=purpose,
                granted=True,
                notice_version=settings.privacy_notice_version,
                source="demo",
            )
            record.at = joined
        member.relation = relation
        if relation == "emigrant":
            member.country = chooser.choice(ABROAD)
        elif relation == "friend":
            member.country = chooser.choice(FRIENDS_LIVE)
        else:
            member.country = "LT"
    if with_profile:
        member.interests = chooser.sample([i.value for i in Interest], chooser.randint(1, 3))
        if relation == "emigrant":
            member.return_intention = chooser.choice(("no", "maybe", "maybe", "within_year"))
    if onboarded:
        member.onboarded_at = joined + timedelta(minutes=chooser.randint(2, 9))
    session.add(member)
    session.flush()
    return Person(member, relation, chooser.choice(CHANNELS[relation]), joined, onboarded)


def _conversation(
    session: Session, chooser: random.Random, person: Person, start: datetime, messages: int
) -> int:
    """One conversation's messages a few minutes apart; some are service questions."""
    at, questions = start, 0
    for _ in range(messages):
        session.add(
            Activity(at=at, member_id=person.member.id, platform=person.platform, kind="message")
        )
        if chooser.random() < QUESTION_SHARE:
            session.add(
                Activity(
                    at=at,
                    member_id=person.member.id,
                    platform=person.platform,
                    kind="question",
                    answered=chooser.random() < ANSWERED_SHARE,
                )
            )
            questions += 1
        at += timedelta(minutes=chooser.randint(1, 8), seconds=chooser.randint(0, 59))
    return questions


def _talk(
    session: Session, chooser: random.Random, people: list[Person], now: datetime
) -> tuple[int, int]:
    """Each day: the newcomers' onboarding chats and the members' questions."""
    conversations = questions = 0
    for person in people:
        _conversation(session, chooser, person, person.joined, chooser.randint(5, 8))
        conversations += 1
    first_day = (now - timedelta(days=DAYS)).astimezone(VILNIUS).date()
    for offset in range(DAYS + 1):
        day = first_day + timedelta(days=offset)
        members = [p for p in people if p.onboarded and p.joined.astimezone(VILNIUS).date() < day]
        if not members:
            continue
        for _ in range(max(1, len(members) // 6 + chooser.randint(-2, 3))):
            person = chooser.choice(members)
            hour = _hour_for(chooser, person.relation, day.weekday())
            local = datetime.combine(day, time(hour, chooser.randint(0, 59)), tzinfo=VILNIUS)
            start = local.astimezone(UTC)
            if start >= now - timedelta(minutes=60):
                continue
            questions += _conversation(session, chooser, person, start, chooser.randint(1, 5))
            conversations += 1
    return conversations, questions


def _reward(
    session: Session,
    settings: Settings,
    chooser: random.Random,
    people: list[Person],
    now: datetime,
) -> int:
    awarded = 0
    for person in people:
        if not person.onboarded or person.member.id is None:
            continue
        for rule in ("onboarding.complete", "profile.complete"):
            result = award(
                session=session,
                settings=settings,
                member_id=person.member.id,
                rule=rule,
                key=str(person.member.id),
                now=person.member.onboarded_at,
            )
            awarded += result.awarded
    for week in range(1, DAYS // 7):
        event_day = now - timedelta(days=7 * week - 2)
        came = [p for p in people if p.onboarded and p.joined < event_day]
        for person in chooser.sample(came, min(len(came), chooser.randint(3, 9))):
            result = award(
                session=session,
                settings=settings,
                member_id=person.member.id or 0,
                rule="event.checkin",
                key=f"demo-week-{week}:{person.member.id}",
                now=event_day,
            )
            awarded += result.awarded
    return awarded


def _broadcast(
    session: Session, chooser: random.Random, people: list[Person], now: datetime
) -> int:
    sent = 0
    for n, found in enumerate(BROADCASTS):
        kind, title_lt, title_en, body_lt, body_en, days_ago, url, starts, place = found
        when = now - timedelta(days=days_ago, hours=n)
        item = FeedItem(
            kind=kind,
            title_lt=title_lt,
            title_en=title_en,
            body_lt=body_lt,
            body_en=body_en,
            url=url,
            starts_at=_alytus_time(now, *starts) if starts else None,
            place=place,
            published_at=when,
        )
        session.add(item)
        session.flush()
        audience = [p for p in people if p.onboarded and p.joined < when]
        broadcast = Broadcast(
            item_id=item.id or 0,
            status=DONE,
            planned=len(audience),
            created_at=when,
            started_at=when,
            finished_at=when + timedelta(minutes=3),
        )
        session.add(broadcast)
        session.flush()
        counts: dict[str, int] = {}
        for person in audience:
            if person.platform == "web":
                status = QUEUED
            else:
                status = chooser.choices((SENT, FAILED, UNREACHABLE), weights=(88, 5, 7))[0]
            counts[status] = counts.get(status, 0) + 1
            session.add(
                BroadcastDelivery(
                    broadcast_id=broadcast.id or 0,
                    member_id=person.member.id or 0,
                    platform=person.platform,
                    status=status,
                    attempts=1,
                    sent_at=when if status in (SENT, QUEUED) else None,
                )
            )
        broadcast.counts = counts
        session.add(broadcast)
        sent += 1
    return sent


def _upcoming_events(session: Session, now: datetime) -> int:
    for title_lt, title_en, body_lt, body_en, place, url, days, hour, countries in UPCOMING_EVENTS:
        create_item(
            session=session,
            kind="event",
            title_lt=title_lt,
            title_en=title_en,
            body_lt=body_lt,
            body_en=body_en,
            url=url,
            starts_at=_alytus_time(now, days, hour),
            place=place,
            audience={"countries": countries} if countries else None,
        )
    return len(UPCOMING_EVENTS)


def _unanswered(session: Session, chooser: random.Random, now: datetime) -> int:
    for language, text in UNANSWERED:
        session.add(
            UnansweredQuestion(
                question=text,
                language=language,
                platform=chooser.choice(("web", "telegram")),
                asked_at=now - timedelta(days=chooser.randint(0, 20), hours=chooser.randint(1, 12)),
                confidence=round(chooser.uniform(0.1, 0.4), 2),
            )
        )
    return len(UNANSWERED)


def load_demo_activity(db: Database, settings: Settings) -> list[str]:
    """Write the demo history once; report what was written."""
    chooser = random.Random(SEED)
    now = utcnow()
    with db.session() as session:
        if find_member(session=session, platform=PLATFORM, user_id="demo-crowd-001"):
            return ["demo activity: already there"]
        people = [_add_person(session, settings, chooser, n, now) for n in range(1, CROWD + 1)]
        conversations, questions = _talk(session, chooser, people, now)
        rewards = _reward(session, settings, chooser, people, now)
        broadcasts = _broadcast(session, chooser, people, now)
        unanswered = _unanswered(session, chooser, now)
        events = _upcoming_events(session, now)
    return [
        f"demo activity: {len(people)} members over {DAYS} days, {conversations} conversations, "
        f"{questions} questions, {rewards} rewards, {broadcasts} broadcasts, "
        f"{unanswered} unanswered questions, {events} events to come"
    ]
