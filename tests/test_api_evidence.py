"""Evidence exports (CSV with BOM, XLSX) and chain verification over HTTP."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from fixtures_api import Play, api_settings, bearer, client, seed_attempts, services, trainer_key  # noqa: F401
from sqlalchemy import update

from bot.evidence import EXPORT_HEADER
from hocvuso.db.models import EvidenceEvent

# Each attempt leaves quiz_started, five quiz_answered and quiz_completed events.
EVENTS_PER_ATTEMPT = 7
UNIT = "Xã Nghĩa Trung <Tổ 3> & \"Đội 5\""


@pytest.fixture
def seeded(services):  # noqa: F811
    seed_attempts(services, [
        Play("an", UNIT, date(2025, 3, 10), "vneid", 5),
        Play("binh", "Phường Bến Thủy", date(2025, 3, 10), "lua-dao", 2),
    ])


def export(client, trainer_key, **params):  # noqa: F811
    return client.get("/v1/evidence/export", params=params, headers=bearer(trainer_key))


def test_csv_export_is_utf8_with_bom_and_downloads_as_a_file(client, trainer_key, seeded):  # noqa: F811
    response = export(client, trainer_key, format="csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="minh-chung-')
    assert response.headers["content-disposition"].endswith('.csv"')
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == EXPORT_HEADER
    assert len(rows) - 1 == 2 * EVENTS_PER_ATTEMPT == int(response.headers["x-export-rows"])
    assert {row[7] for row in rows[1:]} == {UNIT, "Phường Bến Thủy"}


def test_xlsx_export_opens_in_openpyxl(client, trainer_key, seeded):  # noqa: F811
    response = export(client, trainer_key, format="xlsx", unit=UNIT)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["content-disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == EXPORT_HEADER
    assert len(rows) - 1 == EVENTS_PER_ATTEMPT
    assert {row[7] for row in rows[1:]} == {UNIT}
    assert [row[4] for row in rows[1:]].count("quiz_answered") == 5


def test_export_filters_by_period(client, trainer_key, seeded, services):  # noqa: F811
    # The events are logged now; periods are days in the configured zone (Vietnam), not UTC days.
    today = datetime.now(ZoneInfo(services.settings.timezone)).date().isoformat()
    assert int(export(client, trainer_key, **{"from": today, "to": today}).headers["x-export-rows"]) == 14
    empty = export(client, trainer_key, format="xlsx", **{"from": "2001-01-01", "to": "2001-12-31"})
    rows = list(openpyxl.load_workbook(io.BytesIO(empty.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1, "only the header"


def test_export_refuses_unknown_format(client, trainer_key):  # noqa: F811
    response = export(client, trainer_key, format="pdf")
    assert response.status_code == 422
    assert "csv" in response.json()["detail"]


def test_verify_reports_intact_then_tampered_chain(client, trainer_key, seeded, services):  # noqa: F811
    response = client.get("/v1/evidence/verify", headers=bearer(trainer_key))
    assert response.json() == {"ok": True, "checked": 14, "first_bad": None, "reason": response.json()["reason"]}
    with services.db.session() as session:
        session.execute(update(EvidenceEvent).where(EvidenceEvent.id == 5).values(unit="Xã khác"))
    tampered = client.get("/v1/evidence/verify", headers=bearer(trainer_key)).json()
    assert tampered["ok"] is False and tampered["first_bad"] == 5
    assert "#5" in tampered["reason"]
