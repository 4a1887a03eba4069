"""The dashboard at /admin/, the analytics screen, each chart's CSV, and the analytics JSON API.

The numbers come from admin/analytics.py; this module only turns them into Chart.js settings
(put in each canvas's `data-chart`, as the CSP forbids inline scripts), CSV and JSON.
"""

import csv
import io
import textwrap
from dataclasses import asdict, dataclass
from datetime import date
from typing import Annotated, Any

from babel import Locale
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from admin import analytics
from admin.analytics import CHARTS, MAX_DAYS, PERIODS, Chart, Period, last_days
from admin.context import Console
from admin.models import StaffAccount
from admin.roles import areas_for

DASHBOARD_DAYS = 30
SUMMARY_DAYS = 7
PALETTE = ["#0b6b3a", "#0a4f8a", "#d9822b", "#7b4fa0", "#168a8a", "#b0413e", "#8a93a6", "#b89b00"]
AMBER, GREY = "#d9822b", "#8a93a6"
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

Days = Annotated[int, Query(ge=1, le=MAX_DAYS, description="How many days back, today included.")]


@dataclass(frozen=True)
class About:
    title: str
    caption: str


ABOUT: dict[str, About] = {
    "members-by-relation": About(
        "Members over time",
        "Members at the end of each day (each week for longer periods), by how they are tied "
        "to Alytus. Erased members are not counted.",
    ),
    "members-by-country": About(
        "Where members live",
        "Members by the country they told the bot they live in: the ten most common.",
    ),
    "funnel": About(
        "Onboarding funnel",
        "Of the people who first wrote to the bot in this period: how many agreed to join, "
        "completed their profile and finished onboarding. Each bar is part of the one above.",
    ),
    "questions": About(
        "Questions a day",
        "Service questions asked, answered by the bot or not (bars), and the share answered "
        "(line, right axis). Weeks for longer periods.",
    ),
    "topics": About(
        "Top unanswered topics",
        "Words shared by the open unanswered questions of this period: how many questions "
        "use each. Words of a single question are not shown.",
    ),
    "office-hours": About(
        "Conversations outside office hours",
        "Conversations (messages with pauses under 30 minutes) that started inside or outside "
        "Monday–Friday 08:00–17:00, Vilnius time.",
    ),
    "broadcasts": About(
        "Broadcast reach",
        "The latest broadcasts of this period: members planned, reached (sent, or waiting in "
        "their web chat) and failed (unreachable or errors).",
    ),
    "rewards": About(
        "Rewards issued",
        "Points written to the reward journal each week, by the rule that earned them.",
    ),
}


class SeriesOut(BaseModel):
    name: str
    values: list[float | None]


class ChartOut(BaseModel):
    """One chart's data: a label per point and the named series over those labels."""

    chart: str
    days: int
    axis: str
    labels: list[str]
    series: list[SeriesOut]


class SummaryOut(BaseModel):
    """The dashboard's headline numbers over the last `days` days."""

    days: int
    members: int
    onboarded: int
    new_members: int
    questions: int
    answered_share: float | None
    open_unanswered: int
    ledger_pending: int
    broadcasts_sending: int


# ---- Chart.js settings ------------------------------------------------------------------------


def _short_date(label: str) -> str:
    try:
        day = date.fromisoformat(label)
    except ValueError:
        return label
    return f"{day.day} {MONTHS[day.month - 1]}"


def _lines(label: str, width: int = 18, most: int = 2) -> list[str]:
    """A long label in short lines (Chart.js draws a list as lines), so a phone shows it."""
    lines = textwrap.wrap(label, width) or [label]
    if len(lines) > most:
        lines = [
            *lines[: most - 1],
            textwrap.shorten(" ".join(lines[most - 1 :]), width, placeholder="…"),
        ]
    return lines


def _labels(chart: Chart) -> list[str]:
    return (
        [_short_date(label) for label in chart.labels]
        if chart.axis in ("day", "week")
        else chart.labels
    )


def _x_axis(**extra: Any) -> dict[str, Any]:
    return {"ticks": {"maxRotation": 0, "autoSkipPadding": 10}, "grid": {"display": False}, **extra}


def _y_axis(**extra: Any) -> dict[str, Any]:
    return {"beginAtZero": True, "ticks": {"precision": 0}, **extra}


LEGEND = {"legend": {"position": "bottom", "labels": {"boxWidth": 12}}}
NO_LEGEND = {"legend": {"display": False}}


def _stacked_area(chart: Chart) -> dict[str, Any]:
    datasets = [
        {
            "label": series.name,
            "data": series.values,
            "borderColor": PALETTE[n % len(PALETTE)],
            "backgroundColor": PALETTE[n % len(PALETTE)] + "99",
            "fill": "origin" if n == 0 else "-1",
            "pointRadius": 0,
            "borderWidth": 1.5,
            "tension": 0.2,
        }
        for n, series in enumerate(chart.series)
    ]
    return {
        "type": "line",
        "data": {"labels": _labels(chart), "datasets": datasets},
        "options": {
            "interaction": {"mode": "index", "intersect": False},
            "scales": {"x": _x_axis(), "y": _y_axis(stacked=True)},
            "plugins": LEGEND,
        },
    }


def _bars(chart: Chart, *, horizontal: bool = False, stacked: bool = False) -> dict[str, Any]:
    datasets = [
        {
            "label": series.name,
            "data": series.values,
            "backgroundColor": PALETTE[n % len(PALETTE)],
        }
        for n, series in enumerate(chart.series)
    ]
    value_axis = _y_axis(stacked=stacked)
    label_axis = _x_axis(stacked=stacked)
    if horizontal:
        label_axis = {"ticks": {"autoSkip": False}, "grid": {"display": False}}
    scales = (
        {"y": label_axis, "x": value_axis} if horizontal else {"x": label_axis, "y": value_axis}
    )
    options: dict[str, Any] = {
        "scales": scales,
        "plugins": LEGEND if len(datasets) > 1 else NO_LEGEND,
    }
    if horizontal:
        options["indexAxis"] = "y"
    if stacked:
        options["interaction"] = {"mode": "index", "intersect": False}
    return {
        "type": "bar",
        "data": {"labels": _labels(chart), "datasets": datasets},
        "options": options,
    }


def _questions(chart: Chart) -> dict[str, Any]:
    answered, unanswered, share = chart.series
    return {
        "type": "bar",
        "data": {
            "labels": _labels(chart),
            "datasets": [
                {
                    "type": "line",
                    "label": share.name,
                    "data": share.values,
                    "yAxisID": "share",
                    "borderColor": PALETTE[1],
                    "backgroundColor": PALETTE[1],
                    "pointRadius": 2,
                    "borderWidth": 2,
                    "spanGaps": True,
                    "tension": 0.2,
                },
                {
                    "label": answered.name,
                    "data": answered.values,
                    "yAxisID": "y",
                    "backgroundColor": PALETTE[0],
                },
                {
                    "label": unanswered.name,
                    "data": unanswered.values,
                    "yAxisID": "y",
                    "backgroundColor": AMBER,
                },
            ],
        },
        "options": {
            "interaction": {"mode": "index", "intersect": False},
            "scales": {
                "x": _x_axis(stacked=True),
                "y": _y_axis(stacked=True, title={"display": True, "text": "questions"}),
                "share": {
                    "position": "right",
                    "min": 0,
                    "max": 100,
                    "grid": {"drawOnChartArea": False},
                    "title": {"display": True, "text": "% answered"},
                },
            },
            "plugins": LEGEND,
        },
    }


def _funnel(chart: Chart) -> dict[str, Any]:
    return _bars(Chart(chart.axis, chart.labels, chart.series[:1]), horizontal=True)


def _doughnut(chart: Chart) -> dict[str, Any]:
    shares = chart.series[1].values if len(chart.series) > 1 else [None] * len(chart.labels)
    labels = [
        label if share is None else f"{label} ({share:g}%)"
        for label, share in zip(chart.labels, shares, strict=True)
    ]
    return {
        "type": "doughnut",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": chart.series[0].name,
                    "data": chart.series[0].values,
                    "backgroundColor": [PALETTE[0], AMBER],
                }
            ],
        },
        "options": {"plugins": LEGEND},
    }


def chart_settings(name: str, chart: Chart) -> dict[str, Any]:
    """The Chart.js configuration of one named chart."""
    if name == "members-by-relation":
        return _stacked_area(chart)
    if name == "questions":
        return _questions(chart)
    if name == "funnel":
        return _funnel(chart)
    if name == "office-hours":
        return _doughnut(chart)
    if name == "topics":
        return _bars(chart, horizontal=True)
    if name == "members-by-country":
        named = [Locale("en").territories.get(code, code) for code in chart.labels]
        return _bars(Chart(chart.axis, named, chart.series), horizontal=True)
    if name == "rewards":
        return _bars(chart, stacked=True)
    if name == "broadcasts":
        settings = _bars(chart, horizontal=True)
        settings["data"]["labels"] = [_lines(label) for label in chart.labels]
        return settings
    return _bars(chart)


def _is_empty(chart: Chart) -> bool:
    return not any(value for series in chart.series for value in series.values)


@dataclass(frozen=True)
class ChartView:
    """What the template shows for one chart."""

    name: str
    title: str
    caption: str
    settings: dict[str, Any]
    csv_url: str
    empty: bool


def chart_view(name: str, chart: Chart, days: int) -> ChartView:
    about = ABOUT[name]
    return ChartView(
        name=name,
        title=about.title,
        caption=about.caption,
        settings=chart_settings(name, chart),
        csv_url=f"/admin/analytics/{name}.csv?days={days}",
        empty=_is_empty(chart),
    )


# ---- CSV --------------------------------------------------------------------------------------


def _cell(value: str | float | None) -> str | float:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a spreadsheet must not read a label as a formula
    return value


def chart_csv(chart: Chart) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in chart.rows():
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


# ---- routes -----------------------------------------------------------------------------------


def _chart_or_404(name: str) -> Any:
    found = CHARTS.get(name)
    if found is None:
        raise HTTPException(status_code=404, detail=f"No chart called {name!r}.")
    return found


def build_analytics_router(console: Console) -> APIRouter:
    router = APIRouter(prefix="/admin")
    DashboardStaff = Annotated[StaffAccount, Depends(console.guard("dashboard"))]
    Staff = Annotated[StaffAccount, Depends(console.guard("analytics"))]

    def compute(name: str, period: Period) -> Chart:
        build = _chart_or_404(name)
        with console.db.session() as session:
            return build(session, period)

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request, staff: DashboardStaff) -> HTMLResponse:
        week, month = last_days(SUMMARY_DAYS), last_days(DASHBOARD_DAYS)
        with console.db.session() as session:
            numbers = analytics.summary(session, week)
            charts = [
                chart_view(name, CHARTS[name](session, month), DASHBOARD_DAYS)
                for name in ("questions", "members-by-relation")
            ]
        return console.pages.render(
            request,
            "admin/dashboard.html",
            staff,
            area="dashboard",
            title="Dashboard",
            numbers=numbers,
            charts=charts,
            days=SUMMARY_DAYS,
            chart_days=DASHBOARD_DAYS,
            areas={area.name for area in areas_for(staff.role)},
        )

    @router.get("/analytics", response_class=HTMLResponse, include_in_schema=False)
    def analytics_page(request: Request, staff: Staff, days: Days = PERIODS[0]) -> HTMLResponse:
        period = last_days(days)
        with console.db.session() as session:
            charts = [
                chart_view(name, build(session, period), days) for name, build in CHARTS.items()
            ]
        return console.pages.render(
            request,
            "admin/analytics.html",
            staff,
            area="analytics",
            title="Analytics",
            charts=charts,
            days=days,
            periods=PERIODS,
            period=period,
        )

    @router.get("/analytics/{chart}.csv", include_in_schema=False)
    def analytics_csv(chart: str, staff: Staff, days: Days = PERIODS[0]) -> Response:
        data = compute(chart, last_days(days))
        return Response(
            chart_csv(data),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="alytus-{chart}-{days}d.csv"'},
        )

    @router.get(
        "/api/analytics/summary",
        include_in_schema=True,
        response_model=SummaryOut,
        tags=["analytics"],
        responses={401: {"description": "Not logged in"}, 403: {"description": "Not allowed"}},
    )
    def summary_api(staff: Staff, days: Days = SUMMARY_DAYS) -> SummaryOut:
        """The headline numbers of the dashboard over the last `days` days."""
        with console.db.session() as session:
            numbers = analytics.summary(session, last_days(days))
        return SummaryOut(days=days, **asdict(numbers))

    @router.get(
        "/api/analytics/{chart}",
        include_in_schema=True,
        response_model=ChartOut,
        tags=["analytics"],
        responses={
            401: {"description": "Not logged in"},
            403: {"description": "Not allowed"},
            404: {"description": "No such chart"},
        },
    )
    def chart_api(chart: str, staff: Staff, days: Days = PERIODS[0]) -> ChartOut:
        """One analytics chart's series over the last `days` days (charts: see the screen)."""
        data = compute(chart, last_days(days))
        return ChartOut(
            chart=chart,
            days=days,
            axis=data.axis,
            labels=data.labels,
            series=[SeriesOut(name=s.name, values=s.values) for s in data.series],
        )

    return router
