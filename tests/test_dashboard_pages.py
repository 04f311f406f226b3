"""The trainers' dashboard through the real app: sign-in, CSRF, filters, escaping, exports."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fixtures_api import Play, api_settings, client, seed_attempts, services, trainer_key  # noqa: F401

from api.keys import create_key, find_key, revoke_key

TODAY = datetime.now(UTC).date()
HOSTILE_UNIT = '<script>alert("x")</script> Tổ 3'
PLAYS = [
    Play("an", "Xã Nghĩa Trung", TODAY - timedelta(days=1), "vneid", 5),
    Play("binh", "Xã Nghĩa Trung", TODAY - timedelta(days=1), "vneid", 3),
    Play("chi", HOSTILE_UNIT, TODAY, "lua-dao", 4),
]


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, key: str):  # noqa: F811
    token = csrf_of(client.get("/dashboard/login").text)
    return client.post("/dashboard/login", data={"key": key, "csrf_token": token}, follow_redirects=False)


def figure(html: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}">([^<]*)<', html).group(1)


@pytest.fixture
def seeded(services):  # noqa: F811
    seed_attempts(services, PLAYS)


def test_signed_out_visitors_are_sent_to_the_sign_in_page(client):  # noqa: F811
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].endswith("/dashboard/login")
    assert client.get("/dashboard/export?format=csv", follow_redirects=False).status_code == 303
    page = client.get("/dashboard/login")
    assert "Đăng nhập dành cho giảng viên" in page.text and 'lang="vi"' in page.text


def test_sign_in_sets_a_safe_session_cookie(client, trainer_key):  # noqa: F811
    response = sign_in(client, trainer_key)
    assert response.status_code == 303 and response.headers["location"].endswith("/dashboard")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/dashboard" in cookie
    assert trainer_key not in response.headers["set-cookie"]
    assert client.get("/dashboard").status_code == 200


def test_sign_in_refuses_bad_keys_and_missing_csrf(client, trainer_key, services):  # noqa: F811
    wrong = sign_in(client, "hvs_sai")
    assert wrong.status_code == 401 and "Khóa không đúng" in wrong.text
    no_token = client.post("/dashboard/login", data={"key": trainer_key}, follow_redirects=False)
    assert no_token.status_code == 400
    forged = client.post("/dashboard/login", data={"key": trainer_key, "csrf_token": "gia-mao"},
                         follow_redirects=False)
    assert forged.status_code == 400
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_dashboard_shows_figures_charts_and_tables(client, trainer_key, seeded):  # noqa: F811
    sign_in(client, trainer_key)
    page = client.get("/dashboard")
    html = page.text
    assert (figure(html, "participants"), figure(html, "attempts"), figure(html, "completed")) == ("3", "3", "3")
    assert figure(html, "mean-score") == "80 %"
    assert html.count('<svg viewBox') == 2  # two column charts; the facility chart is HTML rows
    assert 'id="chart-facility"' in html and '<li class="bar' in html
    yesterday = f"{TODAY - timedelta(days=1):%d/%m}"
    assert re.search(rf'data-label="{yesterday}" data-value="2"', html)
    assert 'id="units-table"' in html and "Xã Nghĩa Trung" in html
    assert 'id="missed-table"' in html
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert "<script" not in html.replace("&lt;script", ""), "no scripts at all, and user text escaped"


def test_user_supplied_text_is_escaped(client, trainer_key, seeded):  # noqa: F811
    sign_in(client, trainer_key)
    html = client.get("/dashboard", params={"unit": HOSTILE_UNIT}).text
    assert HOSTILE_UNIT not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Tổ 3" in html


def test_filters_change_the_figures(client, trainer_key, seeded):  # noqa: F811
    sign_in(client, trainer_key)
    unit = client.get("/dashboard", params={"unit": "Xã Nghĩa Trung"}).text
    assert (figure(unit, "participants"), figure(unit, "attempts")) == ("2", "2")
    assert 'value="Xã Nghĩa Trung" selected' in unit
    today = client.get("/dashboard", params={"from": TODAY.isoformat(), "to": TODAY.isoformat()}).text
    assert figure(today, "attempts") == "1"
    topic = client.get("/dashboard", params={"topic": "lua-dao"}).text
    assert figure(topic, "attempts") == "1"
    bad = client.get("/dashboard", params={"from": "31/12/2025"})
    assert bad.status_code == 200 and "không hợp lệ" in bad.text and figure(bad.text, "attempts") == "3"


def test_export_buttons_download_the_filtered_evidence(client, trainer_key, seeded):  # noqa: F811
    sign_in(client, trainer_key)
    html = client.get("/dashboard", params={"unit": "Xã Nghĩa Trung"}).text
    link = re.search(r'id="export-csv" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    response = client.get(link)
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert int(response.headers["x-export-rows"]) == 2 * 7
    xlsx = re.search(r'id="export-xlsx" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert client.get(xlsx).headers["content-type"].endswith("spreadsheetml.sheet")


def test_logout_needs_the_csrf_token(client, trainer_key):  # noqa: F811
    sign_in(client, trainer_key)
    client.post("/dashboard/logout", data={"csrf_token": "gia-mao"})
    page = client.get("/dashboard")
    assert page.status_code == 200 and "Đăng xuất" in page.text
    client.post("/dashboard/logout", data={"csrf_token": csrf_of(page.text)})
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_a_revoked_key_loses_its_session(client, trainer_key, services):  # noqa: F811
    sign_in(client, trainer_key)
    assert client.get("/dashboard").status_code == 200
    revoke_key(services.db, find_key(services.db, trainer_key).id)
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_admins_may_sign_in_too(client, services):  # noqa: F811
    _, admin = create_key(services.db, "Quản trị", "admin")
    assert sign_in(client, admin).status_code == 303


def test_stylesheet_is_served_by_the_app(client):  # noqa: F811
    response = client.get("/static/style.css")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")


def test_the_latest_checkpoint_is_shown_and_downloadable(client, trainer_key, seeded, services):  # noqa: F811
    from api.checkpoints import checkpoint_if_due
    from bot.evidence import EvidenceLog

    assert client.get("/dashboard/checkpoint", follow_redirects=False).status_code == 303
    sign_in(client, trainer_key)
    assert "Chưa có điểm mốc nào" in client.get("/dashboard").text
    checkpoint_if_due(services.db, hours=24)
    latest = EvidenceLog(services.db).latest_checkpoint()
    html = client.get("/dashboard").text
    assert 'id="checkpoint"' in html and f"Số sự kiện đã ghi: {latest.size}" in html and "Khóa công khai: " in html
    download = client.get("/dashboard/checkpoint")
    assert download.status_code == 200 and download.headers["content-disposition"].startswith("attachment")
    assert latest.note in download.text
