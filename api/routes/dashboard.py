"""``/dashboard``: the trainers' server-rendered pages (sign-in, figures, charts, exports).

Trainers sign in with their API key; the session cookie (signed, HttpOnly,
SameSite=Lax, scoped to ``/dashboard``, Secure over HTTPS) keeps only a random token
of a server-side session (:mod:`api.sessions`): logging out deletes it, so an old
cookie is worthless at once, and the key is checked again on every request so a
revoked key loses access at once. Forms that change state carry a CSRF token kept
in the session.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import charts
from api.deps import DatabaseDep, QuestionLabelsDep, QuestionTextsDep, QuizDep, SettingsDep, UnitsDep
from api.exports import export_response
from api.filters import EARLIEST, LATEST, PLAIN_TEXT
from api.keys import KeyInfo, find_key, get_key
from api.routes.reports import report_response
from api.routes.unanswered import unanswered_file
from api.sessions import close_session, open_session, session_key_id
from bot import announcements, ratings, stats, unanswered
from bot.evidence import EvidenceLog
from bot.stats import DIFFICULTY_NAMES, FLAG_NAMES
from bot.units import UnitDirectory

router = APIRouter(prefix="/dashboard", include_in_schema=False)

SESSION_HOURS = 8

# The pages need nothing from elsewhere: no scripts at all, styles and images from this app only.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
MISSED_LIMIT = 10
# The inbox panel shows the most asked open groups, at most this many.
UNANSWERED_ROWS = 15
RATED_ROWS = 10  # groups of rated answers shown, worst first
# The report button without chosen dates covers this many days up to today.
REPORT_DAYS = 30
# The facility chart shows the hardest questions first, at most this many.
FACILITY_ROWS = 30
# Below this share of correct answers a question's bar is drawn in the warning colour.
LOW_FACILITY = 0.5


def _render(request: Request, template: str, context: dict, status_code: int = 200) -> HTMLResponse:
    context = {"csrf_token": _csrf_token(request), "key": None, **context}
    response = request.app.state.templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


def _csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def _csrf_ok(request: Request, submitted: str) -> bool:
    expected = request.session.get("csrf") or ""
    return bool(expected) and hmac.compare_digest(expected.encode(), submitted.encode())


def _signed_in(request: Request, db) -> KeyInfo | None:
    """The session's key if the session is live and the key still active and allowed; clears stale ones."""
    token = request.session.get("sid")
    if not isinstance(token, str):
        return None
    key_id = session_key_id(db, token)
    key = get_key(db, key_id) if key_id is not None else None
    if key is None or not key.active or not key.allows("trainer"):
        close_session(db, token)
        request.session.clear()
        return None
    return key


def _to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(request.url_for("login_page"), status_code=303)


def _parse_day(text: str, label: str, problems: list[str]) -> date | None:
    """A date from a form field; a problem is noted (and the filter dropped) when it is invalid."""
    text = text.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        problems.append(f"Ngày “{text}” ở ô {label} không hợp lệ (định dạng YYYY-MM-DD); đã bỏ qua.")
        return None
    if not EARLIEST <= day <= LATEST:
        problems.append(f"Ngày ở ô {label} phải nằm trong khoảng {EARLIEST.year}–{LATEST.year}; đã bỏ qua.")
        return None
    return day


def _read_filter(date_from: str, date_to: str, unit: str, topic: str,
                 timezone: str, units: UnitDirectory | None = None) -> tuple[stats.StatsFilter, list[str]]:
    problems: list[str] = []
    start = _parse_day(date_from, "“Từ ngày”", problems)
    end = _parse_day(date_to, "“Đến ngày”", problems)
    if start and end and start > end:
        problems.append("“Từ ngày” sau “Đến ngày”: đã đổi chỗ hai ngày.")
        start, end = end, start
    return stats.StatsFilter(date_from=start, date_to=end, unit=unit.strip() or None,
                             topic=topic.strip() or None, timezone=timezone,
                             units=units or UnitDirectory()), problems


def local_today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f} %"


def _day_label(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.day:02d}/{day.month:02d}"


def _short(text: str, limit: int = 90) -> str:
    """A question text cut at a word boundary to fit one or two lines of a chart row."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _charts(daily: list[dict], scores: list[dict], questions: list[dict],
            topic_titles: dict[str, str]) -> dict:
    participants = [
        charts.Point(_day_label(row["date"]), row["participants"], str(row["participants"]),
                     hint=f"Ngày {date.fromisoformat(row['date']):%d/%m/%Y}, người tham gia")
        for row in daily
    ]
    distribution = [
        charts.Point(str(row["score"]), row["attempts"], str(row["attempts"]), hint=f"{row['score']} câu đúng, số lượt")
        for row in scores
    ]
    # People read questions, not ids: the text labels the row, the id and topic stay in the tooltip.
    facility = [
        charts.Point(_short(row["question"] or row["question_id"]), row["facility"], _percent(row["facility"]),
                     hint=f"{row['question'] or ''} ({topic_titles.get(row['topic'], row['topic'])}, "
                          f"mã {row['question_id']})")
        for row in sorted(questions, key=lambda row: (row["facility"], row["question_id"]))[:FACILITY_ROWS]
    ]
    return {
        "participants": charts.column_chart(participants),
        "scores": charts.column_chart(distribution),
        "facility": charts.row_chart(facility),
    }


@router.get("/login", name="login_page", response_class=HTMLResponse)
def login_page(request: Request, db: DatabaseDep) -> Response:
    """The sign-in form."""
    if _signed_in(request, db):
        return RedirectResponse(request.url_for("dashboard"), status_code=303)
    return _render(request, "login.html", {"error": None})


@router.post("/login", name="login", response_class=HTMLResponse)
def login(request: Request, db: DatabaseDep,
          key: Annotated[str, Form(max_length=200)] = "",
          csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Check the key and open a session."""
    if not _csrf_ok(request, csrf_token):
        return _render(request, "login.html", {"error": "Phiên đăng nhập đã hết hạn; vui lòng thử lại."}, 400)
    found = find_key(db, key.strip()) if key.strip() else None
    if found is None or not found.allows("trainer"):
        return _render(request, "login.html", {"error": "Khóa không đúng hoặc đã bị thu hồi."}, 401)
    # A fresh session (and CSRF token) on sign-in, so nothing planted before it survives.
    request.session.clear()
    request.session["sid"] = open_session(db, found.id, SESSION_HOURS)
    request.session["csrf"] = secrets.token_urlsafe(32)
    return RedirectResponse(request.url_for("dashboard"), status_code=303)


@router.post("/logout", name="logout")
def logout(request: Request, db: DatabaseDep, csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    """End the session on the server, so the cookie is worthless even if a copy was kept."""
    if _csrf_ok(request, csrf_token):
        token = request.session.get("sid")
        if isinstance(token, str):
            close_session(db, token)
        request.session.clear()
    return _to_login(request)


@router.get("", name="dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request, db: DatabaseDep, quiz: QuizDep, texts: QuestionTextsDep, settings: SettingsDep,
    labels: QuestionLabelsDep, unit_list: UnitsDep,
    date_from: Annotated[str, Query(alias="from", max_length=20)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=20)] = "",
    unit: Annotated[str, Query(max_length=200, pattern=PLAIN_TEXT)] = "",
    topic: Annotated[str, Query(max_length=64, pattern=PLAIN_TEXT)] = "",
) -> Response:
    """Figures, charts and tables for the chosen period, unit and topic."""
    key = _signed_in(request, db)
    if key is None:
        return _to_login(request)
    f, problems = _read_filter(date_from, date_to, unit, topic, settings.timezone, unit_list)
    pass_ratio = settings.quiz.pass_ratio
    daily = stats.daily(db, f)
    scores = stats.score_distribution(db, f)
    questions = stats.per_question(db, f, texts, labels)
    topics = quiz.topics()
    topic_titles = {t["id"]: t["name"] for t in topics}
    period = {"from": f.date_from or "", "to": f.date_to or "", "unit": f.unit or ""}
    return _render(request, "dashboard.html", {
        "key": key,
        "problems": problems,
        "filter": f,
        "units": [row["unit"] for row in stats.by_unit(db, stats.StatsFilter(units=unit_list), pass_ratio)
                  if row["unit"]],
        "topics": topics,
        "topic_titles": topic_titles,
        "overview": stats.overview(db, f, pass_ratio),
        "by_unit": stats.by_unit(db, f, pass_ratio),
        "missed": stats.most_missed(db, f, MISSED_LIMIT, texts),
        "flagged": stats.flagged_questions(questions),
        "unlisted": stats.unlisted_units(db, f),
        "difficulty_names": DIFFICULTY_NAMES,
        "flag_names": FLAG_NAMES,
        "charts": _charts(daily, scores, questions, topic_titles),
        "low_facility": LOW_FACILITY,
        "facility_cut": len(questions) > FACILITY_ROWS,
        "facility_rows": FACILITY_ROWS,
        "unanswered": unanswered.groups(db, f.date_from, f.date_to, f.unit, settings.timezone)[:UNANSWERED_ROWS],
        "ratings": ratings.summary(db, f.date_from, f.date_to, f.unit, settings.timezone),
        "rated_rows": RATED_ROWS,
        "percent": _percent,
        "local_time": lambda moment: moment.astimezone(ZoneInfo(settings.timezone)).strftime("%d/%m/%Y %H:%M"),
        "export_query": {fmt: urlencode({**period, "format": fmt}) for fmt in ("csv", "xlsx", "docx", "pdf")},
        "checkpoint": "\n".join(EvidenceLog(db).checkpoint_lines(settings.timezone)),
    })


@router.get("/checkpoint", name="dashboard_checkpoint")
def checkpoint(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    """Download the latest signed checkpoint as a text file to keep or print."""
    if _signed_in(request, db) is None:
        return _to_login(request)
    lines = EvidenceLog(db).checkpoint_lines(settings.timezone)
    if not lines:
        return Response("Chưa có điểm mốc nào.\n", status_code=404, media_type="text/plain; charset=utf-8")
    return Response("\n".join(lines) + "\n", media_type="text/plain; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="diem-moc-minh-chung.txt"', **SECURITY_HEADERS})


@router.get("/export", name="dashboard_export")
def export(
    request: Request, db: DatabaseDep, settings: SettingsDep, unit_list: UnitsDep,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
    date_from: Annotated[str, Query(alias="from", max_length=20)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=20)] = "",
    unit: Annotated[str, Query(max_length=200, pattern=PLAIN_TEXT)] = "",
) -> Response:
    """Download the evidence of the filtered period and unit (evidence has no topic)."""
    if _signed_in(request, db) is None:
        return _to_login(request)
    f, _ = _read_filter(date_from, date_to, unit, "", settings.timezone, unit_list)
    spellings = stats.unit_spellings(db, f) if f.unit else None
    return export_response(db, format, f.date_from, f.date_to, spellings, f.timezone)


@router.post("/unanswered/{group_id}/handled", name="dashboard_unanswered_handled")
def unanswered_handled(request: Request, db: DatabaseDep, group_id: int,
                       csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Mark a group of unanswered questions handled, then show the dashboard again."""
    key = _signed_in(request, db)
    if key is None:
        return _to_login(request)
    if _csrf_ok(request, csrf_token):
        unanswered.mark_handled(db, group_id, key.name)
    return RedirectResponse(str(request.url_for("dashboard")) + "#unanswered", status_code=303)


@router.get("/unanswered/export", name="dashboard_unanswered_export")
def unanswered_export(
    request: Request, db: DatabaseDep, settings: SettingsDep,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
    date_from: Annotated[str, Query(alias="from", max_length=20)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=20)] = "",
    unit: Annotated[str, Query(max_length=200, pattern=PLAIN_TEXT)] = "",
) -> Response:
    """Download the unanswered questions of the filtered period and unit."""
    if _signed_in(request, db) is None:
        return _to_login(request)
    f, _ = _read_filter(date_from, date_to, unit, "", settings.timezone)
    groups = unanswered.groups(db, f.date_from, f.date_to, f.unit, settings.timezone, include_handled=True)
    return unanswered_file(groups, settings.timezone, format)


@router.get("/report", name="dashboard_report")
def report(
    request: Request, db: DatabaseDep, quiz: QuizDep, texts: QuestionTextsDep, settings: SettingsDep,
    format: Annotated[Literal["docx", "xlsx", "pdf"], Query()] = "docx",
    date_from: Annotated[str, Query(alias="from", max_length=20)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=20)] = "",
    unit: Annotated[str, Query(max_length=200, pattern=PLAIN_TEXT)] = "",
) -> Response:
    """Download the unit report of the filtered period (the last 30 days when no date is chosen)."""
    if _signed_in(request, db) is None:
        return _to_login(request)
    f, _ = _read_filter(date_from, date_to, unit, "", settings.timezone)
    end = f.date_to or local_today(settings.timezone)
    start = f.date_from or end - timedelta(days=REPORT_DAYS - 1)
    return report_response(db, settings, quiz, texts, min(start, end), end, f.unit, format)


def _announcements_page(request: Request, db, settings, units: UnitDirectory, key: KeyInfo,
                        form: dict, error: str | None = None, status_code: int = 200) -> Response:
    zone = ZoneInfo(settings.timezone)
    return _render(request, "announcements.html", {
        "key": key, "error": error, "form": form,
        "units": announcements.subscribers_by_unit(db, units),
        "deliveries": announcements.deliveries(db),
        "max_text": announcements.MAX_TEXT, "rates": announcements.RATES,
        "local_time": lambda moment: moment.astimezone(zone).strftime("%d/%m/%Y %H:%M"),
    }, status_code)


@router.get("/announcements", name="dashboard_announcements", response_class=HTMLResponse)
def announcements_page(request: Request, db: DatabaseDep, settings: SettingsDep, unit_list: UnitsDep) -> Response:
    """The announcement form (units with their number of subscribers) and the announcements sent, with counts."""
    key = _signed_in(request, db)
    if key is None:
        return _to_login(request)
    return _announcements_page(request, db, settings, unit_list, key, {"unit": "", "text": ""})


@router.post("/announcements", name="dashboard_announce", response_class=HTMLResponse)
def announce(request: Request, db: DatabaseDep, settings: SettingsDep, unit_list: UnitsDep,
             unit: Annotated[str, Form(max_length=200)] = "",
             text: Annotated[str, Form(max_length=4 * announcements.MAX_TEXT)] = "",
             csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Send an announcement; on a refusal the form comes back with the typed text and the reason."""
    key = _signed_in(request, db)
    if key is None:
        return _to_login(request)
    form = {"unit": unit, "text": text}
    if not _csrf_ok(request, csrf_token):
        return _announcements_page(request, db, settings, unit_list, key, form,
                                   "Phiên làm việc đã hết hạn; vui lòng bấm gửi lại.", 400)
    try:
        announcements.announce(db, settings.pseudonym_secret.get_secret_value(), unit_list, unit, text, key.name)
    except announcements.AnnouncementError as refused:
        return _announcements_page(request, db, settings, unit_list, key, form, str(refused), 422)
    return RedirectResponse(str(request.url_for("dashboard_announcements")) + "#sent", status_code=303)
