"""Rewards from a CSV file, as staff import an event's attendance list."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from community.database import Database
from community.models import utcnow
from rewards.checkins import check_in, create_checkin_code
from rewards.imports import ImportFileError, import_csv, import_file
from rewards.journal import standing_of
from tests.rewards.members import make_member


def test_a_broken_row_is_reported_with_its_line_and_the_rest_imported_once(
    db: Database, settings, tmp_path: Path
):
    with db.session() as session:
        ona = make_member(session, referral_code="ONA2345A")
        jonas = make_member(session)
        friend = make_member(session, referred_by=ona, referral_code="FRND2345")
        path = tmp_path / "attendance.csv"
        path.write_text(
            "member,rule,key,points,reason\n"
            "ona2345a,event.checkin,Miesto šventė 2026,,\n"
            f"{jonas.id},event.checkin,Miesto šventė 2026,,\n"
            "NOSUCH99,event.checkin,Miesto šventė 2026,,\n"
            f"{ona.id},manual,talka,abc,Tvarkė parką\n"
            f"{ona.id},manual,talka-2,20,\n"
            f'{ona.id},manual,talka,20,"Tvarkė parką, nešė šiukšles"\n'
            f"{jonas.id},bogus,x,,\n"
            f"{ona.id},referral.joined,FRND2345,,\n"
            f"{friend.id},event.checkin,,,\n",
            encoding="utf-8",
        )

        first = import_file(session=session, settings=settings, path=path)
        again = import_file(session=session, settings=settings, path=path)

        assert (first.imported, first.duplicates) == (4, 0)
        assert [row["line"] for row in first.rejected] == [4, 5, 6, 8, 10]
        reasons = [row["reason"] for row in first.rejected]
        assert "NOSUCH99" in reasons[0]
        assert "whole number" in reasons[1]
        assert "reason" in reasons[2]
        assert "unknown rule" in reasons[3]
        assert "key" in reasons[4]
        assert again.as_dict() == {
            "imported": 0,
            "duplicates": 4,
            "rejected": first.rejected,
        }
        assert standing_of(session=session, member_id=ona.id).points == 40 + 20 + 100
        assert standing_of(session=session, member_id=jonas.id).points == 40
        latest = standing_of(session=session, member_id=ona.id).latest
        assert {event.reason for event in latest} >= {"Tvarkė parką, nešė šiukšles"}


def test_the_attendance_list_and_a_check_in_at_the_door_pay_once(db: Database, settings):
    with db.session() as session:
        member = make_member(session)
        now = utcnow()
        code = create_checkin_code(
            session,
            event="Koncertas",
            points=None,
            valid_from=now - timedelta(hours=1),
            valid_until=now + timedelta(hours=1),
        )
        assert check_in(session=session, settings=settings, member_id=member.id, code=code).ok
        report = import_csv(
            session=session,
            settings=settings,
            text=f"member,rule,key\n{member.id},event.checkin,Koncertas\n",
        )
        assert (report.imported, report.duplicates, report.rejected) == (0, 1, [])


def test_spreadsheet_csv_with_semicolons_and_a_bom_is_read(db: Database, settings, tmp_path):
    with db.session() as session:
        member = make_member(session)
        path = tmp_path / "excel.csv"
        path.write_bytes(
            f"\ufeffMember;Rule;Key;Points;Reason\r\n{member.id};manual;k;15;Ačiū\r\n".encode()
        )
        report = import_file(session=session, settings=settings, path=path)
        assert (report.imported, report.rejected) == (1, [])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"who,rule,key\n1,manual,k\n", "missing member"),
        (b"member,rule,key,pionts\n1,manual,k,5\n", "unknown pionts"),
        ("member,rule,key,points,reason\n1,manual,k,5,Ačiū\n".encode("cp1257"), "UTF-8 (line 2)"),
    ],
)
def test_a_file_that_cannot_be_read_imports_nothing(db, settings, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with db.session() as session:
        with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
            import_file(session=session, settings=settings, path=path)
