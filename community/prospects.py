"""Prospects: former residents the city may invite, imported from spreadsheets of lawful sources.

A file (CSV or XLSX) has the columns name, email, phone, telegram, discord, school, left_year,
source, lawful_basis, notes (header names in any case; name, lawful_basis and one contact column
are required). Each row is checked and normalised (email lower case, phone E.164 with Lithuania
as the default country, handles lower case without "@"); a bad row is rejected with its line
(the spreadsheet's row number, header = line 1) and the reason, and the rest is imported.

A row whose email, phone, Telegram or Discord handle is already known (in the database or
earlier in the file) is merged into that prospect: empty fields are filled, new sources and
notes appended, and a value that differs from a non-empty one is kept out and written in the
prospect's notes ("import: school also given as ..."), so nothing is silently overwritten and
importing the same file again changes nothing.

A row carrying a key on the do-not-contact list is rejected ("on the do-not-contact list"):
it is counted with the rejected rows, so imported + merged + rejected always equals the rows
read, and staff see who was kept out.

Lawful bases (GDPR art. 6(1)): consent, legitimate_interest, public_task, contract.

Files are read as a stream and imported in chunks of `CHUNK_ROWS`: one query per chunk finds
the prospects and do-not-contact keys the chunk touches, new prospects are inserted and merged
ones updated with one executemany each, so memory stays bounded by the chunk, not the file.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlmodel import Session

from community.models import DoNotContact, Prospect, as_utc, utcnow
from nlu.connection import Connection, connection_score

COLUMNS = (
    "name",
    "email",
    "phone",
    "telegram",
    "discord",
    "school",
    "left_year",
    "source",
    "lawful_basis",
    "notes",
)
KEYS = ("email", "phone", "telegram", "discord")
REQUIRED_COLUMNS = ("name", "lawful_basis")
LAWFUL_BASES = ("consent", "legitimate_interest", "public_task", "contract")
DEFAULT_REGION = "LT"
CHUNK_ROWS = 1000
DO_NOT_CONTACT = "on the do-not-contact list"

_KEY_LABELS = {"email": "email", "phone": "phone", "telegram": "Telegram", "discord": "Discord"}
_MAX_CHARS = {"name": 200, "school": 200, "source": 500}
_TELEGRAM = re.compile(r"[a-z0-9_]{5,32}")
_DISCORD = re.compile(r"[a-z0-9_.]{2,32}|[^@#:\s]{2,32}#\d{4}")
_TELEGRAM_LINK = re.compile(r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/", re.IGNORECASE)
_FIRST_LEFT_YEAR = 1940

_prospects = Prospect.__table__  # type: ignore[attr-defined]
_do_not_contact = DoNotContact.__table__  # type: ignore[attr-defined]


class ProspectFileError(ValueError):
    """The file cannot be read as a prospects file at all (nothing was imported)."""


class RowError(ValueError):
    """One row cannot be imported; the message says why."""


@dataclass(frozen=True)
class SheetRow:
    """One row of a file: its spreadsheet line, its cells by column, or why it is unreadable."""

    line: int
    values: Mapping[str, str]
    problem: str | None = None


@dataclass
class ImportReport:
    imported: int = 0
    merged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "merged": self.merged, "rejected": self.rejected}


# ---------------------------------------------------------------------------- reading files


def read_prospect_file(path: Path) -> Iterator[SheetRow]:
    """The rows of a CSV or XLSX file; the header is checked before this returns."""
    if not path.is_file():
        raise ProspectFileError(f"no file {path}")
    with path.open("rb") as handle:
        magic = handle.read(8)
    suffix = path.suffix.lower()
    if magic.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise ProspectFileError(
            "old Excel (.xls) files cannot be read: save it as .xlsx or 'CSV UTF-8'"
        )
    if suffix in (".xlsx", ".xlsm") or magic.startswith(b"PK\x03\x04"):
        return read_xlsx(path)
    if suffix in (".ods", ".numbers", ".pdf", ".docx"):
        raise ProspectFileError(f"cannot read {suffix} files: save it as .xlsx or 'CSV UTF-8'")
    return read_csv(path)


def read_csv(path: Path) -> Iterator[SheetRow]:
    """Rows of a UTF-8 CSV (a spreadsheet's BOM is fine), delimited by `,`, `;` or tab."""
    _check_utf8(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
        if not first.strip() and not handle.read(1 << 16).strip():
            raise ProspectFileError("the file is empty")
    delimiter = max((",", ";", "\t"), key=first.count)
    header = next(csv.reader([first], delimiter=delimiter), [])
    columns = _columns(header)
    return _csv_rows(path, delimiter, columns)


def _check_utf8(path: Path) -> None:
    """Refuse a file that is not UTF-8 before anything is imported, naming the first bad line."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                line += block[: error.start].count(b"\n")
                raise ProspectFileError(
                    f"the file is not UTF-8 (line {line}): save it as 'CSV UTF-8' and import again"
                ) from None
            line += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ProspectFileError(
                f"the file is not UTF-8 (line {line}): it ends in the middle of a character"
            ) from None


def _csv_rows(path: Path, delimiter: str, columns: list[str | None]) -> Iterator[SheetRow]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        next(reader, None)
        line = 1
        try:
            for cells in reader:
                line += 1  # a record is a spreadsheet row, even with line breaks in a cell
                yield _sheet_row(line, columns, cells)
        except csv.Error as error:
            raise ProspectFileError(f"line {line + 1}: {error}") from None


def read_xlsx(path: Path) -> Iterator[SheetRow]:
    """Rows of the first worksheet of an XLSX workbook, read in openpyxl's read-only mode."""
    import openpyxl  # imported here: only XLSX imports pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise ProspectFileError("not a readable XLSX workbook") from None
    try:
        rows = workbook.worksheets[0].iter_rows(min_row=1, values_only=True)
        header = [_cell_text(cell) for cell in next(rows, ())]
        if not any(header):
            raise ProspectFileError(
                "the file is empty" if next(rows, None) is None else "row 1 must be the header"
            )
        columns = _columns(header)
    except BaseException:
        workbook.close()
        raise
    return _xlsx_rows(workbook, rows, columns)


def _xlsx_rows(
    workbook: Any, rows: Iterator[tuple[Any, ...]], columns: list[str | None]
) -> Iterator[SheetRow]:
    try:
        for line, cells in enumerate(rows, start=2):
            yield _sheet_row(line, columns, [_cell_text(cell) for cell in cells])
    finally:
        workbook.close()


def _cell_text(cell: Any) -> str:
    """A spreadsheet cell as the text a person sees (2015.0 -> "2015", a date -> ISO)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    return str(cell).strip()


def _columns(header: list[str]) -> list[str | None]:
    """The column each header cell names (None for an unnamed trailing column)."""
    names = [re.sub(r"[\s\-]+", "_", cell.strip().lower()) or None for cell in header]
    named = [name for name in names if name]
    missing = [name for name in REQUIRED_COLUMNS if name not in named]
    unknown = [name for name in named if name not in COLUMNS]
    doubled = sorted({name for name in named if named.count(name) > 1})
    problems = []
    if missing:
        problems.append(f"missing column {', '.join(missing)}")
    if not any(key in named for key in KEYS):
        problems.append("missing a contact column (email, phone, telegram or discord)")
    if unknown:
        problems.append(f"unknown column {', '.join(unknown)}")
    if doubled:
        problems.append(f"column {', '.join(doubled)} given twice")
    if problems:
        raise ProspectFileError(
            f"wrong header ({'; '.join(problems)}); the columns are {', '.join(COLUMNS)}"
        )
    return names


def _sheet_row(line: int, columns: list[str | None], cells: list[str]) -> SheetRow:
    extra = [cell for cell in cells[len(columns) :] if cell.strip()]
    values = {
        name: cell.replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
        for name, cell in zip(columns, cells, strict=False)
        if name
    }
    problem = "more cells than header columns" if extra else None
    return SheetRow(line=line, values=values, problem=problem)


# ---------------------------------------------------------------------------- checking rows


def normalise_email(raw: str) -> str:
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise RowError(f"invalid email {raw!r}: {error}") from None


def normalise_phone(raw: str) -> str:
    """E.164; a number without a country code is Lithuanian ("8 612 34567")."""
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise RowError(f"invalid phone {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_telegram(raw: str) -> str:
    handle = _TELEGRAM_LINK.sub("", raw.strip()).lstrip("@").lower()
    if not _TELEGRAM.fullmatch(handle):
        raise RowError(f"invalid Telegram handle {raw!r}")
    return handle


def normalise_discord(raw: str) -> str:
    handle = raw.strip().lstrip("@").lower()
    if not _DISCORD.fullmatch(handle):
        raise RowError(f"invalid Discord handle {raw!r}")
    return handle


NORMALISERS = {
    "email": normalise_email,
    "phone": normalise_phone,
    "telegram": normalise_telegram,
    "discord": normalise_discord,
}


def _lawful_basis(raw: str) -> str:
    allowed = ", ".join(LAWFUL_BASES)
    if not raw:
        raise RowError(f"no lawful basis (one of: {allowed})")
    basis = re.sub(r"[\s\-]+", "_", raw.strip().lower())
    if basis not in LAWFUL_BASES:
        raise RowError(f"unknown lawful basis {raw!r}; allowed: {allowed}")
    return basis


def _left_year(raw: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or not _FIRST_LEFT_YEAR <= int(raw) <= date.today().year:
        raise RowError(f"left_year {raw!r} is not a year between {_FIRST_LEFT_YEAR} and now")
    return int(raw)


def clean_row(values: Mapping[str, str]) -> dict[str, Any]:
    """One row checked and normalised into prospect fields; RowError says what is wrong."""
    name = " ".join(values.get("name", "").split())
    if not name:
        raise RowError("no name")
    basis = _lawful_basis(values.get("lawful_basis", ""))
    row: dict[str, Any] = {"name": name, "lawful_basis": basis}
    for key in KEYS:
        raw = values.get(key, "")
        row[key] = NORMALISERS[key](raw) if raw else None
    if not any(row[key] for key in KEYS):
        raise RowError("no contact: give an email, phone, Telegram or Discord handle")
    row["left_year"] = _left_year(values.get("left_year", ""))
    row["school"] = " ".join(values.get("school", "").split()) or None
    row["source"] = " ".join(values.get("source", "").split())
    row["notes"] = values.get("notes", "").strip()
    for column, limit in _MAX_CHARS.items():
        if len(row[column] or "") > limit:
            raise RowError(f"{column} is longer than {limit} characters")
    return row


# ---------------------------------------------------------------------------- importing


def import_prospects(*, session: Session, rows: Iterable[SheetRow]) -> ImportReport:
    """Import, merge or reject every row; the caller's transaction holds the whole import."""
    report = ImportReport()
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK_ROWS)):
        _import_chunk(session, chunk, report)
    report.rejected.sort(key=lambda rejected: rejected["line"])
    return report


def import_prospect_file(*, session: Session, path: Path) -> ImportReport:
    return import_prospects(session=session, rows=read_prospect_file(path))


def _import_chunk(session: Session, chunk: list[SheetRow], report: ImportReport) -> None:
    cleaned: list[tuple[int, dict[str, Any]]] = []
    for row in chunk:
        if not any(row.values.values()) and row.problem is None:
            continue  # an empty row in the middle of a sheet is not a person
        try:
            if row.problem:
                raise RowError(row.problem)
            cleaned.append((row.line, clean_row(row.values)))
        except RowError as error:
            report.rejected.append({"line": row.line, "reason": str(error)})
    wanted = {key: {row[key] for _, row in cleaned if row[key]} for key in KEYS}
    blocked = _blocked_keys(session, wanted)
    book = _Book(_known_prospects(session, wanted))
    for line, row in cleaned:
        if any((key, row[key]) in blocked for key in KEYS):
            report.rejected.append({"line": line, "reason": DO_NOT_CONTACT})
        elif (target := book.match(row)) is None:
            book.add(row)
            report.imported += 1
        else:
            book.merge(target, row)
            report.merged += 1
    book.save(session)


def _blocked_keys(session: Session, wanted: dict[str, set[str]]) -> set[tuple[str, str]]:
    values = set().union(*wanted.values())
    if not values:
        return set()
    query = select(_do_not_contact.c.kind, _do_not_contact.c.value).where(
        _do_not_contact.c.value.in_(values)
    )
    return {(kind, value) for kind, value in session.execute(query)}


def _known_prospects(session: Session, wanted: dict[str, set[str]]) -> list[dict[str, Any]]:
    conditions = [_prospects.c[key].in_(values) for key, values in wanted.items() if values]
    if not conditions:
        return []
    found = session.execute(select(_prospects).where(or_(*conditions)))
    return [dict(row._mapping) for row in found]


class _Book:
    """The prospects one chunk touches, indexed by each contact key; remembers what changed."""

    def __init__(self, known: list[dict[str, Any]]) -> None:
        self.index: dict[str, dict[str, dict[str, Any]]] = {key: {} for key in KEYS}
        self.new: list[dict[str, Any]] = []
        self.changed: dict[int, dict[str, Any]] = {}
        for prospect in known:
            self._remember(prospect)

    def _remember(self, prospect: dict[str, Any]) -> None:
        for key in KEYS:
            if prospect.get(key):
                self.index[key][prospect[key]] = prospect

    def match(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """The prospect the row is about: first by email, then phone, Telegram, Discord."""
        for key in KEYS:
            if row[key] and (prospect := self.index[key].get(row[key])) is not None:
                return prospect
        return None

    def add(self, row: dict[str, Any]) -> None:
        now = utcnow()
        prospect = {**row, "created_at": now, "updated_at": now, "member_id": None}
        self.new.append(prospect)
        self._remember(prospect)

    def merge(self, prospect: dict[str, Any], row: dict[str, Any]) -> None:
        before = dict(prospect)
        notes: list[str] = []
        for key in KEYS:
            value = row[key]
            owner = self.index[key].get(value) if value else None
            if not value or owner is prospect:
                continue
            if owner is not None:
                notes.append(f"{_KEY_LABELS[key]} {value} is on another prospect")
            elif not prospect[key]:
                prospect[key] = value
                self.index[key][value] = prospect
            else:
                notes.append(f"other {_KEY_LABELS[key]}: {value}")
        for column, label in (
            ("name", "also named"),
            ("school", "school also given as"),
            ("left_year", "left_year also given as"),
            ("lawful_basis", "lawful basis also given as"),
        ):
            value, kept = row[column], prospect[column]
            if value in (None, ""):
                continue
            if kept in (None, ""):
                prospect[column] = value
            elif str(value).casefold() != str(kept).casefold():
                notes.append(f"{label} {value}")
        sources = [part for part in prospect["source"].split("; ") if part]
        if row["source"] and row["source"] not in sources:
            prospect["source"] = "; ".join([*sources, row["source"]])
        for note in [row["notes"], *(f"import: {note}" for note in notes)]:
            if note and note not in prospect["notes"]:
                prospect["notes"] = f"{prospect['notes']}\n{note}".strip()
        if prospect != before and prospect.get("id") is not None:
            prospect["updated_at"] = utcnow()
            self.changed[prospect["id"]] = prospect

    def save(self, session: Session) -> None:
        if self.new:
            session.execute(insert(_prospects), self.new)
        if self.changed:
            columns = [*COLUMNS, "updated_at"]
            statement = (
                update(_prospects)
                .where(_prospects.c.id == bindparam("b_id"))
                .values({column: bindparam(f"b_{column}") for column in columns})
            )
            params = [
                {"b_id": prospect["id"], **{f"b_{c}": prospect[c] for c in columns}}
                for prospect in self.changed.values()
            ]
            session.execute(statement, params)


# ---------------------------------------------------------------------------- listing, erasure


def prospect_view(prospect: Mapping[str, Any]) -> dict[str, Any]:
    """What staff see of a prospect (and `alytus prospects list --json` prints)."""
    view = {column: prospect[column] for column in ("id", *COLUMNS, "member_id")}
    view["created_at"] = as_utc(prospect["created_at"]).isoformat()
    view["connection"] = score_prospect(prospect).score
    return view


def list_prospects(*, session: Session) -> Iterator[dict[str, Any]]:
    """Every prospect, oldest first, streamed."""
    query = select(_prospects).order_by(_prospects.c.id).execution_options(yield_per=1000)
    for row in session.execute(query):
        yield prospect_view(row._mapping)


def add_to_do_not_contact(*, session: Session, kind: str, value: str, reason: str) -> bool:
    """Never contact this key again (normalised as imports do); False when already listed."""
    value = NORMALISERS[kind](value)
    exists = session.execute(
        select(_do_not_contact.c.id).where(
            _do_not_contact.c.kind == kind, _do_not_contact.c.value == value
        )
    ).first()
    if exists:
        return False
    session.add(DoNotContact(kind=kind, value=value, reason=reason[:200]))
    session.flush()
    return True


@dataclass
class Forgotten:
    """What `forget_prospect` did: prospects deleted, keys put on the do-not-contact list."""

    erased: int
    blocked: list[tuple[str, str]]


def forget_prospect(
    *, session: Session, kind: str, value: str, reason: str = "erased on request"
) -> Forgotten:
    """GDPR erasure: delete every prospect with this key and keep only their contact keys on
    the do-not-contact list, so no later import brings them back. RowError on a bad key."""
    value = NORMALISERS[kind](value)
    found = session.execute(select(_prospects).where(_prospects.c[kind] == value)).all()
    keys = {(kind, value)}
    for row in found:
        keys |= {(key, row._mapping[key]) for key in KEYS if row._mapping[key]}
    if found:
        session.execute(delete(_prospects).where(_prospects.c[kind] == value))
    blocked = [
        (key, key_value)
        for key, key_value in sorted(keys)
        if add_to_do_not_contact(session=session, kind=key, value=key_value, reason=reason)
    ]
    return Forgotten(erased=len(found), blocked=blocked)


def score_prospect(prospect_fields: Mapping[str, Any]) -> Connection:
    """How likely a prospect is connected to Alytus, with the evidence (school, hometown,
    notes and source)."""
    text = "\n".join(
        str(prospect_fields.get(column) or "") for column in ("notes", "source")
    ).strip()
    fields = {
        column: str(prospect_fields[column])
        for column in ("school", "hometown")
        if prospect_fields.get(column)
    }
    return connection_score(text, fields)
