"""Certificates end to end: pass a quiz over the web API, download the PDF, read its code from
the text layer, check it at /verify/{code}; tampering and revocation show as invalid."""

from __future__ import annotations

import io
import re

import pytest
from fixtures_api import admin_key, api_settings, bearer, client, services  # noqa: F401
from pypdf import PdfReader
from sqlalchemy import select, update

from bot.certificates import normalise_code
from hocvuso.db.models import Certificate, EvidenceEvent
from knowledge.quizbank import load_bank

NAME = "Nguyễn Thị Hoà"
CODE_RE = re.compile(r"Mã xác minh: ([A-Z0-9]{5}-[A-Z0-9]{5})")


def play(client, services, correct: int, user_id: str = "trinh-duyet-7", topic: str = "vneid") -> tuple[int, str]:  # noqa: F811
    """Play a 5-question attempt over HTTP, ``correct`` answers right; its id and token."""
    bank = load_bank(services.settings.knowledge_dir / "quizzes")
    started = client.post("/v1/quiz/attempts", json={"user_id": user_id, "topic": topic}).json()
    token, question = started.pop("token"), started
    attempt_id = question["attempt_id"]
    for index in range(question["total"]):
        item = bank.questions[question["question_id"]]
        right = question["options"].index(item.options[item.correct_index])
        choice = right if index < correct else (right + 1) % 4
        question = client.post(f"/v1/quiz/attempts/{attempt_id}/answers", headers={"X-Quiz-Token": token},
                               json={"option": choice, "index": index}).json()["next"]
    return attempt_id, token


def issue(client, attempt_id: int, token: str, name: str = NAME):  # noqa: F811
    return client.post(f"/v1/quiz/attempts/{attempt_id}/certificate", headers={"X-Quiz-Token": token},
                       json={"display_name": name})


def verdict(client, code: str) -> str:  # noqa: F811
    page = client.get(f"/verify/{code}")
    return re.search(r'id="verdict">([^<]+)<', page.text).group(1)


def test_a_passed_quiz_gives_a_pdf_whose_code_verifies(client, services):  # noqa: F811
    attempt_id, token = play(client, services, correct=5)
    issued = issue(client, attempt_id, token)
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["display_name"] == NAME and body["score"] == 5 and body["topic_title"].startswith("Tài khoản")

    pdf = client.get(body["pdf_url"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert NAME in text and "5/5 câu đúng" in text
    code = CODE_RE.search(text).group(1)
    assert code == body["code"]

    page = client.get(f"/verify/{code}")
    assert page.status_code == 200 and "HỢP LỆ" in page.text and NAME in page.text
    assert verdict(client, code.lower().replace("-", "")) == "Giấy chứng nhận HỢP LỆ"  # typed loosely
    api = client.get(f"/v1/certificates/{code}").json()
    assert api["status"] == "valid" and all(check["ok"] for check in api["checks"])
    # Asking again returns the same certificate; the name is not in the evidence log.
    assert issue(client, attempt_id, token, "Tên khác").json()["code"] == code
    with services.db.session() as session:
        data = " ".join(session.scalars(select(EvidenceEvent.data)))
    assert NAME not in data and code in data


def test_an_edited_certificate_or_a_revoked_one_is_not_valid(client, services, admin_key):  # noqa: F811
    attempt_id, token = play(client, services, correct=4)
    code = issue(client, attempt_id, token).json()["code"]
    with services.db.session() as session:
        session.execute(update(Certificate).where(Certificate.code == code).values(score=5))
    assert verdict(client, code) == "Giấy chứng nhận KHÔNG HỢP LỆ"
    assert "✘ Nội dung giấy chứng nhận khớp với bản ghi lúc cấp" in client.get(f"/verify/{code}").text
    with services.db.session() as session:
        session.execute(update(Certificate).where(Certificate.code == code).values(score=4))
    assert verdict(client, code) == "Giấy chứng nhận HỢP LỆ"

    assert client.post(f"/v1/admin/certificates/{code}/revoke", json={"reason": "cấp nhầm"}).status_code == 401
    revoked = client.post(f"/v1/admin/certificates/{code}/revoke", json={"reason": "Cấp nhầm người"},
                          headers=bearer(admin_key))
    assert revoked.status_code == 204
    assert verdict(client, code) == "Giấy chứng nhận ĐÃ BỊ THU HỒI"
    assert "Cấp nhầm người" in client.get(f"/verify/{code}").text
    assert client.get(f"/v1/certificates/{code}").json()["status"] == "revoked"


def test_no_certificate_for_a_failed_quiz_or_for_someone_else(client, services):  # noqa: F811
    failed_id, failed_token = play(client, services, correct=2, user_id="nguoi-a")
    refused = issue(client, failed_id, failed_token)
    assert refused.status_code == 409 and "đạt" in refused.json()["detail"]

    passed_id, _ = play(client, services, correct=5, user_id="nguoi-b")
    assert issue(client, passed_id, failed_token).status_code == 403  # another person's token
    assert issue(client, passed_id, "").status_code == 401
    unknown = client.get("/verify/ABCDE-23456")
    assert unknown.status_code == 404 and "Không có giấy chứng nhận" in unknown.text


@pytest.mark.parametrize("typed, stored", [("abcde23456", "ABCDE-23456"), (" ABCDE - 23456 ", "ABCDE-23456")])
def test_codes_are_read_as_people_type_them(typed, stored):
    assert normalise_code(typed) == stored


def test_chat_users_ask_for_their_certificate_with_the_name_to_print(services, client):  # noqa: F811
    from bot.identity import pseudonym
    from bot.messages import IncomingMessage
    from hocvuso.services import Services
    from hocvuso.settings import load_settings

    settings = load_settings(data_dir=services.settings.data_dir, embedding={"backend": "none"},
                             api={"public_url": "https://hocvuso.example.vn/"})
    chat_services = Services(settings)
    assistant = chat_services.assistant

    def say(text: str) -> str:
        return "\n".join(r.text for r in assistant.handle(IncomingMessage("zalo", "84901234567", text)))

    assert "chưa có bài trắc nghiệm nào đạt" in say("/chungnhan")
    say("trac nghiem vneid")
    user = pseudonym(settings.pseudonym_secret.get_secret_value(), "zalo", "84901234567")
    while (view := assistant.quiz.current(user)) is not None:
        item = assistant.quiz.bank.questions[view["question_id"]]
        finished = say(str(view["options"].index(item.options[item.correct_index]) + 1))
    assert "/chungnhan" in finished
    assert "gõ /chungnhan kèm tên" in say("chứng nhận")
    issued = say("/chungnhan   Lê  Văn Tám ")
    code = re.search(r"Mã xác minh: (\S+)", issued).group(1)
    assert "Giấy chứng nhận của Lê Văn Tám" in issued
    assert f"https://hocvuso.example.vn/v1/certificates/{code}/pdf" in issued
    assert code in say("giay chung nhan")  # listed afterwards, not issued twice
    assert verdict(client, code) == "Giấy chứng nhận HỢP LỆ"
    chat_services.close()


def test_the_verify_page_proves_the_certificate_is_in_the_latest_signed_checkpoint(client, services):  # noqa: F811
    from bot.evidence import EvidenceLog

    log = EvidenceLog(services.db)
    log.checkpoint()  # signed before the certificate exists
    attempt_id, token = play(client, services, correct=5)
    code = issue(client, attempt_id, token).json()["code"]
    before = client.get(f"/v1/certificates/{code}").json()
    assert before["status"] == "valid" and "điểm mốc kế tiếp sẽ bao hàm giấy này" in before["notes"][0]

    log.checkpoint()  # the next one covers it
    after = client.get(f"/v1/certificates/{code}").json()
    inclusion = [check for check in after["checks"] if "chứng minh bao hàm Merkle" in check["check"]]
    assert after["status"] == "valid" and inclusion and inclusion[0]["ok"] and not after["notes"]
    assert "chứng minh bao hàm Merkle" in client.get(f"/verify/{code}").text


def test_a_course_certificate_needs_every_topic_of_the_course(client, services):  # noqa: F811
    # "Hộ kinh doanh số": lessons 04, 10 and 19, one quiz topic each.
    for topic in ("thanh-toan-so", "ban-hang-truc-tuyen"):
        _, token = play(client, services, correct=5, topic=topic)
    course = "/v1/courses/ho-kinh-doanh/certificate"
    refused = client.post(course, headers={"X-Quiz-Token": token}, json={"display_name": NAME})
    assert refused.status_code == 409 and "1/3 chủ đề" in refused.json()["detail"]
    assert "Hộ kinh doanh" in refused.json()["detail"]

    _, token = play(client, services, correct=4, topic="ho-kinh-doanh-so")
    issued = client.post(course, headers={"X-Quiz-Token": token}, json={"display_name": NAME})
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert (body["course"], body["topic_title"], body["score"], body["total"]) == (
        "ho-kinh-doanh", "Hộ kinh doanh số", 3, 3)
    assert client.get(f"/v1/certificates/{body['code']}").json()["status"] == "valid"
    pdf = client.get(body["pdf_url"]).content
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "hoàn thành khóa học kỹ năng số" in text and "Hộ kinh doanh số" in text
    # One per course, and the course certificate rests on the completion events it names.
    again = client.post(course, headers={"X-Quiz-Token": token}, json={"display_name": "Khác"})
    assert again.json()["code"] == body["code"]
    with services.db.session() as session:
        session.execute(update(Certificate).where(Certificate.code == body["code"])
                        .values(completion_event_ids=[1, 2, 3]))
    assert client.get(f"/v1/certificates/{body['code']}").json()["status"] == "invalid"
