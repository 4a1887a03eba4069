"""Rewards from a CSV file: the bulk path for event attendance lists and staff awards.

Columns: `member` (a referral code or a member id), `rule`, `key`, and optionally `points`
and `reason`. Each row is one award with a key made per member, so importing the same file
twice adds nothing. A bad row is reported with its line number and the rest are imported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from community.members import member_by_referral_code
from community.models import Member
from community.settings import Settings
from rewards.journal import award
from rewards.rules import DEFAULT_RULES, MANUAL, ONBOARDING, PROFILE, REFERRAL, member_key

REQUIRED_COLUMNS = ("member", "rule", "key")
OPTIONAL_COLUMNS = ("points", "reason")
KEYLESS_RULES = (ONBOARDING, PROFILE)  # once per member: no key needed

REFUSALS = {
    "inactive": "the rule is switched off",
    "cap_day": "the member reached the rule's daily cap",
    "cap_total": "the member reached the rule's total cap",
    "self_referral": "a member cannot be their own referral",
    "not_onboarded": "the invited friend has not finished onboarding",
    "reason_required": "a manual award needs a reason",
    "unknown_rule": "unknown rule",
    "unknown_member": "no such member (or erased), or the friend was not invited by them",
}


class ImportFileError(ValueError):
    """The file cannot be read as a rewards CSV at all (nothing was imported)."""


class RowError(ValueError):
    """One row cannot be imported; the message says why."""


@dataclass
class ImportReport:
    imported: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "duplicates": self.duplicates, "rejected": self.rejected}


def read_text(path: Path) -> str:
    """The file's text; a spreadsheet's BOM is dropped, anything but UTF-8 is refused."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFileError(
            f"the file is not UTF-8 (line {line}); save it as 'CSV UTF-8' and import again"
        ) from None


def _reader(text: str) -> csv.DictReader[str]:
    if not text.strip():
        raise ImportFileError("the file is empty")
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","  # spreadsheets in LT use ;
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)]
    if missing or unknown:
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += [f"unknown {', '.join(unknown)}"] if unknown else []
        raise ImportFileError(
            f"wrong header ({'; '.join(problems)}): expected "
            f"{','.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)} (points and reason optional)"
        )
    reader.fieldnames = header
    return reader


def import_csv(
    *, session: Session, settings: Settings, text: str, actor: str = "import"
) -> ImportReport:
    """Import every row that can be imported; report duplicates and rejected rows."""
    report = ImportReport()
    reader = _reader(text)
    for row in reader:
        line = reader.line_num
        values = {name: (value or "").strip() for name, value in row.items() if name}
        if None in row:
            report.rejected.append({"line": line, "reason": "more fields than columns"})
            continue
        try:
            refused = _import_row(session, settings, values, actor)
        except RowError as error:
            report.rejected.append({"line": line, "reason": str(error)})
            continue
        if refused is None:
            report.imported += 1
        elif refused == "duplicate":
            report.duplicates += 1
        else:
            report.rejected.append({"line": line, "reason": REFUSALS.get(refused, refused)})
    return report


def import_file(
    *, session: Session, settings: Settings, path: Path, actor: str | None = None
) -> ImportReport:
    return import_csv(
        session=session, settings=settings, text=read_text(path), actor=actor or f"import:{path}"
    )


def _import_row(
    session: Session, settings: Settings, values: dict[str, str], actor: str
) -> str | None:
    """Award one row; the award's refusal (None when awarded)."""
    rule = values.get("rule", "")
    if rule not in DEFAULT_RULES:
        raise RowError(f"unknown rule {rule!r}; known: {', '.join(DEFAULT_RULES)}")
    member_id = _member_id(session, values.get("member", ""), "member")
    key = values.get("key", "")
    if rule == REFERRAL:
        key = str(_member_id(session, key, "key (the invited friend)"))
    elif not key and rule not in KEYLESS_RULES:
        raise RowError(f"rule {rule} needs a key (e.g. the event's name)")
    points = _points(values.get("points", ""))
    if rule == MANUAL and points is None:
        raise RowError("a manual award needs points")
    result = award(
        session=session,
        settings=settings,
        member_id=member_id,
        rule=rule,
        key=member_key(rule, key, member_id),
        points=points,
        reason=values.get("reason") or None,
        actor=actor[:120],
    )
    return result.refused


def _member_id(session: Session, value: str, column: str) -> int:
    if not value:
        raise RowError(f"{column} is empty")
    if value.isdigit():
        if session.get(Member, int(value)) is None:
            raise RowError(f"no member with id {value}")
        return int(value)
    member = member_by_referral_code(session=session, code=value)
    if member is None or member.id is None:
        raise RowError(f"no member with referral code {value!r}")
    return member.id


def _points(value: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise RowError(f"points must be a whole number, not {value!r}") from None
