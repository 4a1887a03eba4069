"""Importing a big spreadsheet of former residents: time, rows a second, peak memory, and
whether every broken row was named and no valid row lost.

Run: .venv/bin/python bench/prospects_import.py [--rows 100000] [--xlsx] [--seed 8]
(a fresh SQLite database in a temp folder; with ALYTUS_BENCH_DATABASE_URL naming a PostgreSQL
server, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres, also a fresh database
created there and dropped afterwards.)

The file has `--rows` rows: about 5% duplicates of earlier people (the email in other case,
the phone in another format, the Telegram handle with "@" and capitals), about 2% broken rows
of each kind (no name, a bad email, a bad phone, no lawful basis) and 0.5% people on the
do-not-contact list; the rest are distinct people, in random order. Each import runs in a
child process, so its peak resident memory is the import's, not the generator's.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADER = [
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
]
SCHOOLS = ["Jotvingių gimnazija", "Putinų gimnazija", "Vanago gimnazija", "Likiškėlių progimn.", ""]
BASES = ["consent", "legitimate_interest", "public_task", "contract"]
BROKEN = {  # kind -> the reason the importer must give (its start)
    "no_name": "no name",
    "bad_email": "invalid email",
    "bad_phone": "invalid phone",
    "no_basis": "no lawful basis",
}
DO_NOT_CONTACT_SHARE = 0.005
DUPLICATE_SHARE = 0.05
BROKEN_SHARE = 0.02


def _person(number: int, rng: random.Random) -> dict[str, str]:
    return {
        "name": f"Vardenis{number} Pavardenis",
        "email": f"person{number}@example.lt",
        "phone": f"+3706{number:07d}" if rng.random() < 0.7 else "",
        "telegram": f"user_{number}" if rng.random() < 0.4 else "",
        "discord": f"user.{number}" if rng.random() < 0.2 else "",
        "school": rng.choice(SCHOOLS),
        "left_year": str(rng.randint(1990, 2024)),
        "source": rng.choice(["alumni association", "event sign-up", "letter to the city"]),
        "lawful_basis": rng.choice(BASES),
        "notes": rng.choice(["", "", "wants news about jobs", "plays in a band"]),
    }


def _duplicate(person: dict[str, str], rng: random.Random) -> dict[str, str]:
    """The same person again, told apart only by how a key is written."""
    kinds = (
        ["email"] + (["phone"] if person["phone"] else []) + (["tg"] if person["telegram"] else [])
    )
    kind = rng.choice(kinds)
    row = dict.fromkeys(HEADER, "")
    row.update(name=person["name"].upper(), lawful_basis=person["lawful_basis"], source="bench dup")
    if kind == "email":
        row["email"] = person["email"].upper()
    elif kind == "phone":
        national = person["phone"][4:]  # 6xxxxxxx
        row["phone"] = rng.choice([f"8 {national[:3]} {national[3:]}", f"8{national}"])
    else:
        row["telegram"] = "@" + person["telegram"].capitalize()
    return row


def _broken(kind: str, number: int) -> dict[str, str]:
    row = dict.fromkeys(HEADER, "")
    row.update(name=f"Broken{number}", email=f"broken{number}@example.lt", lawful_basis="consent")
    if kind == "no_name":
        row["name"] = ""
    elif kind == "bad_email":
        row["email"] = f"broken{number}@"
    elif kind == "bad_phone":
        row["email"], row["phone"] = "", "12345"
    else:
        row["lawful_basis"] = ""
    return row


def generate(path: Path, rows: int, seed: int) -> dict[str, Any]:
    """Write the CSV; return what the import must report."""
    rng = random.Random(seed)
    duplicates = int(rows * DUPLICATE_SHARE)
    broken = {kind: int(rows * BROKEN_SHARE) for kind in BROKEN}
    blocked = int(rows * DO_NOT_CONTACT_SHARE)
    people = rows - duplicates - sum(broken.values())
    persons = [_person(number, rng) for number in range(people)]
    base: list[tuple[str, dict[str, str]]] = [("person", p) for p in persons[blocked:]]
    base += [("blocked", p) for p in persons[:blocked]]
    number = people
    for kind, count in broken.items():
        for _ in range(count):
            base.append((kind, _broken(kind, number)))
            number += 1
    rng.shuffle(base)
    # each duplicate goes somewhere after its person: two partial rows of one person that
    # share no key, both before the full row, would rightly stay two prospects
    where = {id(row): index for index, (_, row) in enumerate(base)}
    later: dict[int, list[dict[str, str]]] = {}
    invitable = persons[blocked:]
    for _ in range(duplicates):
        person = rng.choice(invitable)
        later.setdefault(rng.randint(where[id(person)], len(base) - 1), []).append(
            _duplicate(person, rng)
        )
    tagged: list[tuple[str, dict[str, str]]] = []
    for index, item in enumerate(base):
        tagged.append(item)
        tagged += [("dup", row) for row in later.get(index, [])]
    expected_rejected: dict[int, str] = {}
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for line, (kind, row) in enumerate(tagged, start=2):
            writer.writerow([row[column] for column in HEADER])
            if kind in BROKEN:
                expected_rejected[line] = BROKEN[kind]
            elif kind == "blocked":
                expected_rejected[line] = "on the do-not-contact list"
    return {
        "rows": len(tagged),
        "imported": people - blocked,
        "merged": duplicates,
        "rejected": expected_rejected,
        "do_not_contact": [p["email"] for p in persons[:blocked]],
    }


def write_xlsx(csv_path: Path, xlsx_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    with csv_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    workbook.save(xlsx_path)


def run_import(path: Path, url: str, blocked_file: Path, trace: bool) -> dict[str, Any]:
    """In the child process: migrate, list the do-not-contact keys, import, measure."""
    import tracemalloc

    from admin.schema import SCHEMAS
    from community.database import Database, make_engine, migrate
    from community.prospects import add_to_do_not_contact, import_prospect_file

    migrate(url, SCHEMAS)
    engine = make_engine(url)
    db = Database(engine)
    with db.session() as session:
        for email in json.loads(blocked_file.read_text()):
            add_to_do_not_contact(session=session, kind="email", value=email, reason="bench")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    with db.session() as session:
        report = import_prospect_file(session=session, path=path)
    seconds = time.perf_counter() - started
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    with db.session() as session:
        from sqlalchemy import func, select

        from community.models import Prospect

        stored = session.execute(select(func.count()).select_from(Prospect)).scalar_one()
    engine.dispose()
    return {
        "seconds": seconds,
        "rss_before_mb": rss_before,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "traced_peak_mb": traced,
        "stored": stored,
        "report": report.as_dict(),
    }


def check(label: str, expected: dict[str, Any], result: dict[str, Any]) -> bool:
    report = result["report"]
    rejected = {item["line"]: item["reason"] for item in report["rejected"]}
    unnamed = [line for line in expected["rejected"] if line not in rejected]
    wrong = [
        line
        for line, reason in expected["rejected"].items()
        if line in rejected and not rejected[line].startswith(reason)
    ]
    unexpected = [line for line in rejected if line not in expected["rejected"]]
    total = report["imported"] + report["merged"] + len(report["rejected"])
    ok = (
        not unnamed
        and not wrong
        and not unexpected
        and total == expected["rows"]
        and report["imported"] == expected["imported"] == result["stored"]
        and report["merged"] == expected["merged"]
    )
    rows = expected["rows"]
    traced = result["traced_peak_mb"]
    print(
        f"{label:<18} {rows:,} rows in {result['seconds']:6.1f} s = "
        f"{rows / result['seconds']:8,.0f} rows/s; peak RSS {result['rss_peak_mb']:5.0f} MB "
        f"(+{result['rss_peak_mb'] - result['rss_before_mb']:.0f} MB over the idle process)"
        + (f", Python heap peak {traced:.1f} MB" if traced is not None else "")
    )
    print(
        f"{'':<18} imported {report['imported']:,} (expected {expected['imported']:,}, "
        f"stored {result['stored']:,}), merged {report['merged']:,} "
        f"(expected {expected['merged']:,}), rejected {len(report['rejected']):,} "
        f"(expected {len(expected['rejected']):,}); sum {total:,}; "
        f"unnamed {len(unnamed)}, wrong reason {len(wrong)}, unexpected {len(unexpected)}: "
        + ("OK" if ok else "FAILED")
    )
    return ok


def _fresh_postgres(server: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"alytus_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _drop_postgres(server: str, url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _child(path: Path, url: str, blocked: Path, trace: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(path), url, str(blocked)]
    done = subprocess.run(
        command + (["--trace"] if trace else []), check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--xlsx", action="store_true", help="also import the rows as XLSX")
    parser.add_argument("--trace", action="store_true", help="also tracemalloc (slower)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, url, blocked = args.child
        print(json.dumps(run_import(Path(path), url, Path(blocked), args.trace)))
        return
    if args.generate:
        folder, xlsx = Path(args.generate[0]), args.generate[1] == "xlsx"
        _generate_files(folder, args.rows, args.seed, xlsx)
        return

    # Linux keeps a process's peak RSS across fork and exec, so this parent stays small and
    # both the generator and each import run in children of their own.
    folder = Path(tempfile.mkdtemp(prefix="prospects-bench-"))
    command = [sys.executable, __file__, "--rows", str(args.rows), "--seed", str(args.seed)]
    kind = "xlsx" if args.xlsx else "csv"
    subprocess.run([*command, "--generate", str(folder), kind], check=True)
    expected = json.loads((folder / "expected.json").read_text())
    expected["rejected"] = {int(line): reason for line, reason in expected["rejected"].items()}
    files = [("CSV", folder / "prospects.csv")]
    if args.xlsx:
        files.append(("XLSX", folder / "prospects.xlsx"))
    blocked = folder / "do-not-contact.json"
    ok = True
    server = os.environ.get("ALYTUS_BENCH_DATABASE_URL")
    for label, path in files:
        for number, database in enumerate(["sqlite"] + (["postgresql"] if server else [])):
            url = f"sqlite:///{folder / f'bench-{label}-{number}.db'}"
            if database == "postgresql":
                url = _fresh_postgres(server or "")
            try:
                result = _child(path, url, blocked, args.trace)
                ok &= check(f"{label} -> {database}", expected, result)
            finally:
                if database == "postgresql":
                    _drop_postgres(server or "", url)
    sys.exit(0 if ok else 1)


def _generate_files(folder: Path, rows: int, seed: int, xlsx: bool) -> None:
    csv_path = folder / "prospects.csv"
    started = time.perf_counter()
    expected = generate(csv_path, rows, seed)
    (folder / "do-not-contact.json").write_text(json.dumps(expected.pop("do_not_contact")))
    (folder / "expected.json").write_text(json.dumps(expected))
    size = csv_path.stat().st_size / 2**20
    took = time.perf_counter() - started
    print(f"generated {expected['rows']:,} rows ({size:.1f} MB) in {took:.1f} s")
    if xlsx:
        started = time.perf_counter()
        write_xlsx(csv_path, folder / "prospects.xlsx")
        print(f"wrote the XLSX in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
