"""What staff read on the dashboard and the analytics screen: counts over a period, no HTML.

Every function takes a session and a `Period` and returns a `Chart` (labels and named series)
or plain numbers. Days are Vilnius days, bucketed in Python so SQLite and PostgreSQL agree.
Only aggregates leave this module: no member ids and no question texts, only topic words
that several questions share.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from community.broadcasts import FAILED, IN_DOUBT, QUEUED, SENDING_BROADCAST, SENT, UNREACHABLE
from community.models import (
    Activity,
    Broadcast,
    BroadcastDelivery,
    Consent,
    FeedItem,
    Member,
    as_utc,
    utcnow,
)
from community.profile import ConsentPurpose, Relation, profile_complete
from community.timezones import DEFAULT_ZONE
from knowledge.models import QuestionStatus, UnansweredQuestion
from knowledge.text import GENERIC_STEMS, content_words, is_asking_word, stem
from ledger.models import EntryStatus, LedgerEntry
from rewards.models import RewardEvent

VILNIUS = ZoneInfo(DEFAULT_ZONE)
PERIODS = (30, 90, 365)  # the chooser on the analytics screen
MAX_DAYS = 3650
DAILY_UP_TO = 92  # longer periods are shown by the week
CONVERSATION_GAP = timedelta(minutes=30)
OFFICE_DAYS = range(0, 5)  # Monday to Friday
OFFICE_HOURS = range(8, 17)  # 08:00 to 16:59, Vilnius time
TOP_COUNTRIES = 10
TOP_TOPICS = 10
TOPIC_MIN_QUESTIONS = 2  # a word of a single question could identify its asker
LAST_BROADCASTS = 12
CITY_STEM = "alyt"  # "Alytus", "Alytaus", "Alytuje": in many questions, never their topic
NOT_GIVEN = "not given"


@dataclass(frozen=True)
class Period:
    """The last `days` Vilnius days up to and including `today`."""

    days: int
    today: date

    @property
    def first(self) -> date:
        return self.today - timedelta(days=self.days - 1)

    @property
    def start(self) -> datetime:
        """The first day's midnight in Vilnius, as an aware datetime."""
        return _midnight(self.first)

    @property
    def end(self) -> datetime:
        """The midnight after the last day (exclusive)."""
        return _midnight(self.today + timedelta(days=1))

    @property
    def daily(self) -> bool:
        return self.days <= DAILY_UP_TO


def last_days(days: int, now: datetime | None = None) -> Period:
    """The period of the last `days` days, today included (Vilnius calendar)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    return Period(days=days, today=local_day(now or utcnow()))


def local_day(moment: datetime) -> date:
    return as_utc(moment).astimezone(VILNIUS).date()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=VILNIUS)


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]


@dataclass(frozen=True)
class Chart:
    """One chart's data: a label per point (`axis` names them) and one or more series."""

    axis: str
    labels: list[str]
    series: list[Series] = field(default_factory=list)

    def rows(self) -> list[list[str | float | None]]:
        """The table behind the chart, header first (for the CSV download)."""
        header: list[str | float | None] = [self.axis, *(s.name for s in self.series)]
        body = [[label, *(s.values[i] for s in self.series)] for i, label in enumerate(self.labels)]
        return [header, *body]


class Buckets:
    """Consecutive date ranges (a day or a week each) that points in time fall into."""

    def __init__(self, starts: list[date]) -> None:
        self.starts = starts

    @classmethod
    def of(cls, period: Period) -> Buckets:
        """Days for a short period, Monday weeks for a long one."""
        return cls.days_of(period) if period.daily else cls.weeks_of(period)

    @classmethod
    def days_of(cls, period: Period) -> Buckets:
        return cls([period.first + timedelta(days=n) for n in range(period.days)])

    @classmethod
    def weeks_of(cls, period: Period) -> Buckets:
        monday = period.first - timedelta(days=period.first.weekday())
        return cls(
            [monday + timedelta(weeks=n) for n in range((period.today - monday).days // 7 + 1)]
        )

    @property
    def labels(self) -> list[str]:
        return [start.isoformat() for start in self.starts]

    def index(self, moment: datetime) -> int | None:
        found = bisect_right(self.starts, local_day(moment)) - 1
        return found if found >= 0 else None


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _in(column: object, period: Period) -> tuple[object, object]:
    return col(column) >= period.start, col(column) < period.end  # type: ignore[arg-type]


def _live_members() -> object:
    return col(Member.erased_at).is_(None)


# ---- members ----------------------------------------------------------------------------------


RELATIONS = [relation.value for relation in Relation]


def members_by_relation(session: Session, period: Period) -> Chart:
    """How many members there were at the end of each day (or week), by their relation."""
    buckets = Buckets.of(period)
    before = session.exec(
        select(Member.relation, func.count())
        .where(_live_members(), col(Member.created_at) < period.start)
        .group_by(Member.relation)
    ).all()
    base: Counter[str] = Counter({relation or NOT_GIVEN: n for relation, n in before})
    joined: dict[str, list[int]] = defaultdict(lambda: [0] * len(buckets.starts))
    rows = session.exec(
        select(Member.created_at, Member.relation).where(
            _live_members(), *_in(Member.created_at, period)
        )
    )
    for created_at, relation in rows:
        found = buckets.index(created_at)
        if found is not None:
            joined[relation or NOT_GIVEN][found] += 1
    names = [r for r in [*RELATIONS, NOT_GIVEN] if base[r] or r in joined]
    names += sorted((set(base) | set(joined)) - set(names))
    series = []
    for name in names:
        total, values = base[name], []
        for added in joined.get(name, [0] * len(buckets.starts)):
            total += added
            values.append(total)
        series.append(Series(name, values))
    return Chart("day" if period.daily else "week", buckets.labels, series)


def members_by_country(session: Session, period: Period) -> Chart:
    """Members at the end of the period by the country they live in: the top ten, then 'other'."""
    rows = session.exec(
        select(Member.country, func.count())
        .where(_live_members(), col(Member.created_at) < period.end)
        .group_by(Member.country)
    ).all()
    counts: Counter[str] = Counter()
    for country, n in rows:
        counts[country.upper() if country else NOT_GIVEN] += n
    top = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:TOP_COUNTRIES]
    other = sum(counts.values()) - sum(n for _, n in top)
    if other:
        top.append(("other", other))
    return Chart("country", [c for c, _ in top], [Series("members", [n for _, n in top])])


FUNNEL_STEPS = ("started", "consented", "profile complete", "onboarding finished")


def onboarding_funnel(session: Session, period: Period) -> Chart:
    """Of the members who started in the period, how many got past each onboarding step.

    Each step counts the members of the step before who also did this one, so the bars only
    shrink: consent to membership, a complete profile, then the finished onboarding."""
    members = session.exec(
        select(Member).where(_live_members(), *_in(Member.created_at, period))
    ).all()
    consented: set[int | None] = set()
    if members:
        consented = set(
            session.exec(
                select(Consent.member_id).where(
                    col(Consent.member_id).in_(
                        select(Member.id).where(_live_members(), *_in(Member.created_at, period))
                    ),
                    Consent.purpose == ConsentPurpose.MEMBERSHIP,
                    col(Consent.granted).is_(True),
                )
            ).all()
        )
    reached = [
        members,
        [m for m in members if m.id in consented],
    ]
    reached.append([m for m in reached[-1] if profile_complete(m)])
    reached.append([m for m in reached[-1] if m.onboarded_at is not None])
    counts = [len(group) for group in reached]
    return Chart(
        "step",
        list(FUNNEL_STEPS),
        [Series("members", counts), Series("% of started", [_share(n, counts[0]) for n in counts])],
    )


# ---- questions --------------------------------------------------------------------------------


def questions(session: Session, period: Period) -> Chart:
    """Service questions members asked each day (or week), and the share the bot answered."""
    buckets = Buckets.of(period)
    asked, answered = [0] * len(buckets.starts), [0] * len(buckets.starts)
    rows = session.exec(
        select(Activity.at, Activity.answered).where(
            Activity.kind == "question", *_in(Activity.at, period)
        )
    )
    for at, was_answered in rows:
        found = buckets.index(at)
        if found is not None:
            asked[found] += 1
            answered[found] += bool(was_answered)
    return Chart(
        "day" if period.daily else "week",
        buckets.labels,
        [
            Series("answered", list(answered)),
            Series("not answered", [a - b for a, b in zip(asked, answered, strict=True)]),
            Series("% answered", [_share(b, a) for a, b in zip(asked, answered, strict=True)]),
        ],
    )


def _topic_words(question: str) -> dict[str, str]:
    """A question's topic words by stem (the folded word as asked), without the words that
    only say what kind of answer is wanted."""
    found: dict[str, str] = {}
    for word in content_words(question):
        if len(word) < 3 or word.isdigit() or is_asking_word(word):
            continue
        key = stem(word, "lt")
        if key in GENERIC_STEMS or key == CITY_STEM or stem(word, "en") in GENERIC_STEMS:
            continue
        found.setdefault(key, word)
    return found


def unanswered_topics(session: Session, period: Period) -> Chart:
    """The words most open unanswered questions of the period share (each question counts a
    word once; a word of fewer than two questions is left out, it could name a person)."""
    texts = session.exec(
        select(UnansweredQuestion.question).where(
            UnansweredQuestion.status == QuestionStatus.OPEN,
            *_in(UnansweredQuestion.asked_at, period),
        )
    ).all()
    questions_with: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        for key, word in _topic_words(text).items():
            questions_with[key] += 1
            spellings[key][word] += 1
    top = [(key, n) for key, n in questions_with.most_common() if n >= TOPIC_MIN_QUESTIONS][
        :TOP_TOPICS
    ]
    labels = [spellings[key].most_common(1)[0][0] for key, _ in top]
    return Chart("topic", labels, [Series("open questions", [n for _, n in top])])


# ---- conversations ----------------------------------------------------------------------------


def in_office_hours(moment: datetime) -> bool:
    """Monday to Friday, 08:00 to 17:00 in Vilnius."""
    local = as_utc(moment).astimezone(VILNIUS)
    return local.weekday() in OFFICE_DAYS and local.hour in OFFICE_HOURS


def conversation_starts(session: Session, period: Period) -> list[datetime]:
    """When each conversation of the period began: a member's message after a pause of
    CONVERSATION_GAP or more (or their first)."""
    rows = session.exec(
        select(Activity.member_id, Activity.at)
        .where(
            Activity.kind == "message",
            col(Activity.member_id).is_not(None),
            col(Activity.at) >= period.start - CONVERSATION_GAP,
            col(Activity.at) < period.end,
        )
        .order_by(col(Activity.member_id), col(Activity.at))
    )
    starts: list[datetime] = []
    previous: tuple[int | None, datetime | None] = (None, None)
    for member_id, at in rows:
        at = as_utc(at)
        last_member, last_at = previous
        if (last_member != member_id or last_at is None or at - last_at >= CONVERSATION_GAP) and (
            at >= period.start
        ):
            starts.append(at)
        previous = (member_id, at)
    return starts


def office_hours(session: Session, period: Period) -> Chart:
    """Conversations that began inside and outside office hours."""
    starts = conversation_starts(session, period)
    inside = sum(in_office_hours(at) for at in starts)
    counts = [inside, len(starts) - inside]
    return Chart(
        "when",
        ["office hours", "outside office hours"],
        [
            Series("conversations", counts),
            Series("% of conversations", [_share(n, len(starts)) for n in counts]),
        ],
    )


# ---- broadcasts and rewards -------------------------------------------------------------------

REACHED = (SENT, QUEUED)
NOT_REACHED = (FAILED, UNREACHABLE, IN_DOUBT)


def broadcast_reach(session: Session, period: Period) -> Chart:
    """The last broadcasts of the period: members planned, reached, and failed."""
    found = session.exec(
        select(Broadcast, FeedItem.title_en)
        .join(FeedItem, col(FeedItem.id) == col(Broadcast.item_id))
        .where(Broadcast.status != "draft", *_in(Broadcast.created_at, period))
        .order_by(col(Broadcast.id).desc())
        .limit(LAST_BROADCASTS)
    ).all()
    found = list(reversed(found))
    ids = [broadcast.id for broadcast, _ in found]
    by_status: dict[int, Counter[str]] = defaultdict(Counter)
    if ids:
        rows = session.exec(
            select(BroadcastDelivery.broadcast_id, BroadcastDelivery.status, func.count())
            .where(col(BroadcastDelivery.broadcast_id).in_(ids))
            .group_by(BroadcastDelivery.broadcast_id, BroadcastDelivery.status)
        )
        for broadcast_id, status, n in rows:
            by_status[broadcast_id][status] = n
    labels = [f"#{b.id} {_short(title)}" for b, title in found]
    return Chart(
        "broadcast",
        labels,
        [
            Series("planned", [b.planned for b, _ in found]),
            Series("sent", [sum(by_status[b.id][s] for s in REACHED) for b, _ in found]),
            Series("failed", [sum(by_status[b.id][s] for s in NOT_REACHED) for b, _ in found]),
        ],
    )


def _short(title: str, length: int = 28) -> str:
    return title if len(title) <= length else title[: length - 1].rstrip() + "…"


def rewards_issued(session: Session, period: Period) -> Chart:
    """Points written to the reward journal each week, by rule."""
    buckets = Buckets.weeks_of(period)
    points: dict[str, list[int]] = defaultdict(lambda: [0] * len(buckets.starts))
    rows = session.exec(
        select(RewardEvent.at, RewardEvent.rule, RewardEvent.points).where(
            *_in(RewardEvent.at, period)
        )
    )
    for at, rule, amount in rows:
        found = buckets.index(at)
        if found is not None:
            points[rule][found] += amount
    rules = sorted(points, key=lambda rule: (-sum(points[rule]), rule))
    return Chart("week", buckets.labels, [Series(rule, list(points[rule])) for rule in rules])


CHARTS: dict[str, Callable[[Session, Period], Chart]] = {
    "members-by-relation": members_by_relation,
    "members-by-country": members_by_country,
    "funnel": onboarding_funnel,
    "questions": questions,
    "topics": unanswered_topics,
    "office-hours": office_hours,
    "broadcasts": broadcast_reach,
    "rewards": rewards_issued,
}


# ---- the headline numbers ---------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    members: int
    onboarded: int
    new_members: int
    questions: int
    answered_share: float | None
    open_unanswered: int
    ledger_pending: int
    broadcasts_sending: int


def _count(session: Session, *where: object) -> int:
    return int(session.exec(select(func.count()).where(*where)).one())  # type: ignore[call-overload]


def summary(session: Session, period: Period) -> Summary:
    """The dashboard's numbers: members now and new in the period, questions in the period and
    the share answered, and the work waiting (open questions, ledger, broadcasts)."""
    live = _live_members()
    asked = session.exec(
        select(func.count(), func.sum(case((col(Activity.answered).is_(True), 1), else_=0))).where(
            Activity.kind == "question", *_in(Activity.at, period)
        )
    ).one()
    return Summary(
        members=_count(session, live, col(Member.id).is_not(None)),
        onboarded=_count(session, live, col(Member.onboarded_at).is_not(None)),
        new_members=_count(session, live, *_in(Member.created_at, period)),
        questions=int(asked[0]),
        answered_share=_share(int(asked[1] or 0), int(asked[0])),
        open_unanswered=_count(session, UnansweredQuestion.status == QuestionStatus.OPEN),
        ledger_pending=_count(session, col(LedgerEntry.status) != EntryStatus.RECORDED),
        broadcasts_sending=_count(session, Broadcast.status == SENDING_BROADCAST),
    )
