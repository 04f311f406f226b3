"""Evidence exports (CSV with BOM, XLSX) and chain verification over HTTP."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from fastapi.testclient import TestClient
from fixtures_api import Play, api_settings, bearer, client, seed_attempts, services, trainer_key  # noqa: F401
from sqlalchemy import update

from api.app import create_app
from api.checkpoints import checkpoint_if_due
from bot.evidence import EXPORT_HEADER, EvidenceLog
from hocvuso.db.models import EvidenceEvent, utcnow

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


def test_checkpoint_endpoints_sign_return_and_check(client, trainer_key, seeded, services):  # noqa: F811
    assert client.get("/v1/evidence/checkpoint", headers=bearer(trainer_key)).status_code == 404
    assert checkpoint_if_due(services.db, hours=24)
    latest = client.get("/v1/evidence/checkpoint", headers=bearer(trainer_key)).json()
    assert latest["size"] == 14 and len(latest["root_hash"]) == 64
    assert latest["public_key"] in latest["document"] and latest["note"] in latest["document"]

    check = client.post("/v1/evidence/verify", json={"checkpoint": latest["document"]}, headers=bearer(trainer_key))
    assert check.status_code == 200 and check.json()["ok"] is True
    assert check.json()["root_hash"] == latest["root_hash"]

    with services.db.session() as session:
        session.execute(update(EvidenceEvent).where(EvidenceEvent.id == 14).values(unit="Xã khác"))
    tampered = client.post("/v1/evidence/verify", json={"checkpoint": latest["note"]}, headers=bearer(trainer_key))
    assert tampered.json()["ok"] is False and "#14" in tampered.json()["reason"]

    garbage = client.post("/v1/evidence/verify", json={"checkpoint": "không phải điểm mốc"},
                          headers=bearer(trainer_key))
    assert garbage.status_code == 400 and garbage.json()["code"] == "bad_checkpoint"
    assert client.post("/v1/evidence/verify", json={"checkpoint": latest["note"]}).status_code == 401
    assert client.get("/v1/evidence/checkpoint").status_code == 401


def test_exports_carry_the_latest_checkpoint_and_its_public_key(client, trainer_key, seeded, services):  # noqa: F811
    checkpoint_if_due(services.db, hours=24)
    latest = client.get("/v1/evidence/checkpoint", headers=bearer(trainer_key)).json()
    rows = list(csv.reader(io.StringIO(export(client, trainer_key, format="csv").content.decode("utf-8-sig"))))
    assert rows[-2] == [] and rows[-1][0].startswith("ĐIỂM MỐC SỔ MINH CHỨNG")
    assert latest["public_key"] in rows[-1][0] and latest["note"] in rows[-1][0]
    workbook = openpyxl.load_workbook(io.BytesIO(export(client, trainer_key, format="xlsx").content))
    lines = [row[0] for row in workbook["Điểm mốc"].iter_rows(values_only=True)]
    assert f"Khóa công khai: {latest['public_key']}" in lines


def test_the_server_signs_checkpoints_only_when_due(services):  # noqa: F811
    from api.checkpoints import checkpoint_if_due

    log, now = EvidenceLog(services.db), utcnow()
    assert not checkpoint_if_due(services.db, 24, now), "an empty log needs no checkpoint"
    log.append("lesson_read", "a" * 64, "web", None, {})
    assert checkpoint_if_due(services.db, 24, now)
    log.append("lesson_read", "a" * 64, "web", None, {})
    assert not checkpoint_if_due(services.db, 24, now + timedelta(hours=1)), "not yet due"
    assert checkpoint_if_due(services.db, 24, now + timedelta(hours=25))
    assert not checkpoint_if_due(services.db, 24, now + timedelta(hours=50)), "nothing new since"
    assert log.latest_checkpoint().size == 2


def test_the_app_signs_a_checkpoint_when_it_starts(services, trainer_key):  # noqa: F811

    EvidenceLog(services.db).append("lesson_read", "a" * 64, "web", None, {})
    with TestClient(create_app(services)) as started:
        for _ in range(100):
            response = started.get("/v1/evidence/checkpoint", headers=bearer(trainer_key))
            if response.status_code == 200:
                break
            time.sleep(0.05)
    assert response.status_code == 200 and response.json()["size"] == 1
