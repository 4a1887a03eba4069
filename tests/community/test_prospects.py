"""Prospects: a staff member imports spreadsheets of former residents (CSV and XLSX) through
`alytus prospects`, on a database of its own migrated as the top-level CLI would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import typer
from sqlmodel import select
from typer.testing import CliRunner

from admin.schema import SCHEMAS
from community import prospects as prospects_module
from community.database import Database, make_engine, migrate
from community.models import DoNotContact, Prospect
from community.prospects import (
    SheetRow,
    add_to_do_not_contact,
    import_prospects,
    score_prospect,
)
from community.prospects_cli import prospects_app
from community.settings import reset_settings

app = typer.Typer()
app.add_typer(prospects_app, name="prospects")

HEADER = "name,email,phone,telegram,discord,school,left_year,source,lawful_basis,notes"
ROWS = [
    "Jonas Jonaitis,Jonas@Example.lt,,,,Jotvingių gimnazija,2012,Jotvingių alumni,consent,"
    "Plays basketball",  # 2
    "Asta Petraitė,asta@example.lt,,,asta.p,Putinų gimnazija,2015,event sign-up,"
    "legitimate_interest,",  # 3
    ",noname@example.lt,,,,,,alumni,consent,",  # 4: no name
    "Bad Email,bad@,,,,,,alumni,consent,",  # 5
    "Bad Phone,,12345,,,,,alumni,consent,",  # 6
    "No Basis,nobasis@example.lt,,,,,,alumni,,",  # 7
    "Odd Basis,odd@example.lt,,,,,,alumni,because,",  # 8
    "JONAS JONAITIS,JONAS@EXAMPLE.LT,,,,,,Facebook group,consent,",  # 9: Jonas by email
    "Rūta Kazlauskienė,,+37061234567,,,,2009,letters to the city,public_task,"
    '"Wrote to the mayor, wants to come back"',  # 10
    "Rūta K.,ruta@example.lt,8 612 34567,,,Likiškėlių progimnazija,,alumni,public_task,",  # 11
    "Tomas Tomaitis,,,tomas_alytus,,Putinų gimnazija,2018,alumni,consent,",  # 12
    "Tomas Tomaitis,,,@Tomas_Alytus,,Jotvingių gimnazija,,Discord server,consent,",  # 13
    "Kept Out,blocked@example.lt,,,,,,alumni,consent,",  # 14: on the do-not-contact list
]
LAWFUL = "consent, legitimate_interest, public_task, contract"
EXPECTED_REJECTED = [
    {"line": 4, "reason": "no name"},
    {"line": 5, "reason": "invalid email 'bad@': There must be something after the @-sign."},
    {"line": 6, "reason": "invalid phone '12345'"},
    {"line": 7, "reason": f"no lawful basis (one of: {LAWFUL})"},
    {"line": 8, "reason": f"unknown lawful basis 'because'; allowed: {LAWFUL}"},
    {"line": 14, "reason": "on the do-not-contact list"},
]


@pytest.fixture
def live_db(
    live_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    migrate(live_database_url, SCHEMAS)
    monkeypatch.setenv("ALYTUS_DATABASE_URL", live_database_url)
    monkeypatch.setenv("ALYTUS_HOME", str(tmp_path / "home"))
    reset_settings()
    engine = make_engine(live_database_url)
    yield Database(engine)
    engine.dispose()
    reset_settings()


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["prospects", *args])


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def prospects(db: Database) -> dict[str, Prospect]:
    with db.session() as session:
        return {p.name: p for p in session.exec(select(Prospect).order_by(Prospect.id))}


def import_json(path: Path) -> dict[str, Any]:
    result = run("import", str(path), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_spreadsheet_is_imported_merged_and_rejected_row_by_row(
    live_db: Database, tmp_path: Path
):
    with live_db.session() as session:
        add_to_do_not_contact(
            session=session, kind="email", value="Blocked@Example.lt", reason="opted out"
        )
    path = write_csv(tmp_path / "alumni.csv", [HEADER, *ROWS])

    report = import_json(path)

    assert report == {"imported": 4, "merged": 3, "rejected": EXPECTED_REJECTED}
    found = prospects(live_db)
    assert list(found) == ["Jonas Jonaitis", "Asta Petraitė", "Rūta Kazlauskienė", "Tomas Tomaitis"]
    jonas, asta, ruta, tomas = found.values()
    assert jonas.email == "jonas@example.lt"
    assert jonas.source == "Jotvingių alumni; Facebook group"
    assert jonas.notes == "Plays basketball"  # the same name in capitals is no conflict
    assert (asta.discord, asta.lawful_basis, asta.left_year) == (
        "asta.p",
        "legitimate_interest",
        2015,
    )
    # merged by the phone in another format: empty fields filled, the other name noted
    assert ruta.phone == "+37061234567"
    assert (ruta.email, ruta.school, ruta.left_year) == (
        "ruta@example.lt",
        "Likiškėlių progimnazija",
        2009,
    )
    assert ruta.notes == "Wrote to the mayor, wants to come back\nimport: also named Rūta K."
    # merged by the Telegram handle typed with "@": the first school is kept, the other noted
    assert (tomas.telegram, tomas.school, tomas.left_year) == (
        "tomas_alytus",
        "Putinų gimnazija",
        2018,
    )
    assert tomas.notes == "import: school also given as Jotvingių gimnazija"
    assert tomas.source == "alumni; Discord server"

    again = import_json(path)

    assert again == {"imported": 0, "merged": 7, "rejected": EXPECTED_REJECTED}
    assert {
        name: (p.email, p.phone, p.school, p.source, p.notes)
        for name, p in prospects(live_db).items()
    } == {name: (p.email, p.phone, p.school, p.source, p.notes) for name, p in found.items()}


def test_the_report_in_words_lists_each_rejected_line(live_db: Database, tmp_path: Path):
    path = write_csv(tmp_path / "alumni.csv", [HEADER, *ROWS[:4]])
    result = run("import", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "2 imported, 0 merged into known prospects, 2 rejected",
        "line 4: no name",
        "line 5: invalid email 'bad@': There must be something after the @-sign.",
    ]


def test_an_xlsx_workbook_with_numbers_in_cells_and_an_empty_row(live_db: Database, tmp_path: Path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Phone", "Telegram", "Left Year", "Lawful_Basis", "School"])
    sheet.append(["Ieva Ievaitė", 37061234000, None, 2010, "Consent", "Vanago gimnazija"])  # 2
    sheet.append(["Ieva I.", "8 612 34000", "@ieva_alytus", None, "consent", None])  # 3
    sheet.append([])  # 4: empty, skipped
    sheet.append(["Bad Year", "+37061234001", None, "soon", "consent", None])  # 5
    sheet.append(["Marius", None, "marius_lt", 2011.0, "contract", None])  # 6
    path = tmp_path / "pupils.xlsx"
    workbook.save(path)

    report = import_json(path)

    assert report == {
        "imported": 2,
        "merged": 1,
        "rejected": [{"line": 5, "reason": "left_year 'soon' is not a year between 1940 and now"}],
    }
    ieva = prospects(live_db)["Ieva Ievaitė"]
    assert (ieva.phone, ieva.telegram, ieva.left_year) == ("+37061234000", "ieva_alytus", 2010)
    assert prospects(live_db)["Marius"].left_year == 2011


def test_forgetting_a_prospect_keeps_them_out_of_later_imports(live_db: Database, tmp_path: Path):
    path = write_csv(
        tmp_path / "alumni.csv",
        [HEADER, "Jonas Jonaitis,jonas@example.lt,+37061234567,jonasj,,,,alumni,consent,"],
    )
    assert import_json(path)["imported"] == 1

    forgot = run("forget", "--phone", "8 612 34567")

    assert forgot.exit_code == 0, forgot.output
    assert "1 prospect(s) erased" in forgot.output
    assert prospects(live_db) == {}
    with live_db.session() as session:
        listed = {(row.kind, row.value) for row in session.exec(select(DoNotContact))}
    assert listed == {
        ("email", "jonas@example.lt"),
        ("phone", "+37061234567"),
        ("telegram", "jonasj"),
    }
    assert import_json(path) == {
        "imported": 0,
        "merged": 0,
        "rejected": [{"line": 2, "reason": "on the do-not-contact list"}],
    }
    # a row that shares only the Telegram handle is kept out too
    other = write_csv(tmp_path / "other.csv", [HEADER, "J. J.,,,@JonasJ,,,,event,consent,"])
    assert import_json(other)["rejected"] == [{"line": 2, "reason": "on the do-not-contact list"}]


def test_list_shows_prospects_with_their_connection_score(live_db: Database, tmp_path: Path):
    path = write_csv(tmp_path / "alumni.csv", [HEADER, *ROWS[:2]])
    import_json(path)
    result = run("list", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [(p["name"], p["email"], p["school"]) for p in listed] == [
        ("Jonas Jonaitis", "jonas@example.lt", "Jotvingių gimnazija"),
        ("Asta Petraitė", "asta@example.lt", "Putinų gimnazija"),
    ]
    assert all(p["connection"] >= 0.6 for p in listed)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
        (
            b"vardas,pastas,pagrindas\nJonas,j@example.lt,consent\n",
            "wrong header (missing column name, lawful_basis; missing a contact column "
            "(email, phone, telegram or discord); unknown column vardas, pastas, pagrindas)",
        ),
        (
            "name;email;lawful_basis\nJonas;j@example.lt;consent\nRūta;r@example.lt;consent\n"
            "".encode("cp1257"),
            "the file is not UTF-8 (line 3): save it as 'CSV UTF-8' and import again",
        ),
    ],
    ids=["empty", "blank-lines", "wrong-header", "not-utf8"],
)
def test_a_file_that_cannot_be_read_is_reported_with_exit_code_2(
    live_db: Database, tmp_path: Path, content: bytes, message: str
):
    path = tmp_path / "people.csv"
    path.write_bytes(content)
    result = run("import", str(path))
    assert result.exit_code == 2
    assert message in result.stderr
    assert prospects(live_db) == {}


def test_a_missing_file_or_an_old_excel_file_is_exit_code_2(live_db: Database, tmp_path: Path):
    missing = run("import", str(tmp_path / "nope.csv"), "--json")
    assert missing.exit_code == 2
    assert json.loads(missing.stdout) == {
        "error": f"{tmp_path / 'nope.csv'}: no file {tmp_path / 'nope.csv'}"
    }
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    result = run("import", str(old))
    assert result.exit_code == 2 and "save it as .xlsx or 'CSV UTF-8'" in result.stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    result = run("import", str(broken))
    assert result.exit_code == 2 and "not a readable XLSX workbook" in result.stderr


def test_a_semicolon_csv_with_a_bom_as_excel_saves_it(live_db: Database, tmp_path: Path):
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "\ufeffName;Email;Lawful_basis\nRūta;ruta@example.lt;consent\n".encode("utf-8")
    )
    assert import_json(path) == {"imported": 1, "merged": 0, "rejected": []}


def test_duplicates_in_different_chunks_merge(db: Database, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(prospects_module, "CHUNK_ROWS", 2)
    rows = [
        SheetRow(2, {"name": "A", "email": "a@example.lt", "lawful_basis": "consent"}),
        SheetRow(3, {"name": "B", "phone": "+37061234500", "lawful_basis": "consent"}),
        SheetRow(4, {"name": "C", "telegram": "c_handle", "lawful_basis": "consent"}),
        SheetRow(
            5,
            {"name": "A", "email": "A@EXAMPLE.LT", "phone": "861234500", "lawful_basis": "consent"},
        ),
        SheetRow(6, {"name": "C", "telegram": "@C_Handle", "lawful_basis": "consent"}),
    ]
    with db.session() as session:
        report = import_prospects(session=session, rows=rows)
        found = session.exec(select(Prospect).order_by(Prospect.id)).all()
    assert report.as_dict() == {"imported": 3, "merged": 2, "rejected": []}
    # row 5 is A by email; its phone belongs to B, so it stays with B and is noted on A
    assert [(p.name, p.email, p.phone) for p in found] == [
        ("A", "a@example.lt", None),
        ("B", None, "+37061234500"),
        ("C", None, None),
    ]
    assert found[0].notes == "import: phone +37061234500 is on another prospect"


def test_a_prospects_connection_score_comes_from_school_hometown_and_notes():
    strong = score_prospect(
        {"school": "Jotvingių gimnazija", "hometown": "Alytus", "notes": "augo Dainavoje"}
    )
    assert strong.reasons[:2] == ["hometown: Alytus", "school: Jotvingių gimnazija"]
    assert "district: Dainava" in strong.reasons
    assert strong.score > 0.9
    assert score_prospect({"school": "Vilniaus licėjus", "notes": ""}).score == 0
