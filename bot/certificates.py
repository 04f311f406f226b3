"""Certificates for passed quizzes, checkable by anyone against the evidence log.

A certificate names the person as they chose to be named at that moment (stored only on
the certificate, never beside a raw chat id), the topic, unit, score and date, and a short
verification code. Issuing it appends a ``certificate_issued`` event whose data holds the
code and a SHA-256 digest of the certificate's fields — not the name itself, because the
evidence log can never be edited and names are personal data. :func:`verify` then checks,
for whoever holds the code, that:

1. the certificate exists and is not revoked;
2. the ``quiz_completed`` event it rests on is in the log and says what the certificate says;
3. the ``certificate_issued`` event's digest matches the certificate as stored now (an
   edited name, score or date breaks it);
4. the evidence chain itself verifies;
5. once a signed checkpoint covers the issuing event, a Merkle inclusion proof shows the
   event in the tree the checkpoint signed (so the log a unit keeps a checkpoint of holds it).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from bot import merkle
from bot.checkpoint import CheckpointError, check_signature
from bot.evidence import EvidenceLog, canonical_json
from bot.quiz import pass_needed
from hocvuso.db.models import Certificate, EvidenceEvent, QuizAttempt, utcnow
from knowledge.courses import Course, Courses
from knowledge.textnorm import nfc

# No 0/O, 1/I/L: the code is read aloud and typed from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
MAX_NAME = 80


class CertificateError(Exception):
    """A certificate cannot be issued; the message is Vietnamese and safe to show."""


@dataclass(frozen=True)
class CertificateView:
    """What a certificate says."""

    code: str
    display_name: str
    topic: str | None
    topic_title: str
    unit: str | None
    score: int
    total: int
    issued_at: datetime
    attempt_id: int | None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    course: str | None = None  # a course certificate: topic_title is the course's title


@dataclass
class Verification:
    """The outcome of checking a code: ``valid`` only when every check passed."""

    status: str  # "valid" | "revoked" | "invalid" | "not_found"
    certificate: CertificateView | None = None
    checks: list[tuple[str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be checked yet, and why

    @property
    def valid(self) -> bool:
        return self.status == "valid"


def new_code() -> str:
    """A random verification code, shown as XXXXX-XXXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(text: str) -> str:
    """The code as stored, from what a person typed (case, spaces and dashes tolerated)."""
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    return f"{raw[:5]}-{raw[5:]}" if len(raw) == CODE_LENGTH else raw


def clean_name(text: str) -> str:
    """The display name as it will be printed: NFC, single spaces, no control characters."""
    name = " ".join("".join(ch for ch in nfc(text) if ch.isprintable()).split())
    if not name:
        raise CertificateError("Bà con vui lòng cho biết tên để in trên giấy chứng nhận.")
    if len(name) > MAX_NAME:
        raise CertificateError(f"Tên in trên giấy chứng nhận tối đa {MAX_NAME} ký tự.")
    return name


def digest(certificate: Certificate) -> str:
    """SHA-256 of every printed field, in a fixed form."""
    fields = {
        "code": certificate.code,
        "display_name": certificate.display_name,
        "topic": certificate.topic,
        "unit": certificate.unit,
        "score": certificate.score,
        "total": certificate.total,
        "issued_at": certificate.issued_at.strftime("%Y-%m-%dT%H:%M:%S"),
        "attempt_id": certificate.attempt_id,
    }
    if certificate.course:  # course certificates also seal what they rest on
        fields |= {"course": certificate.course, "completion_event_ids": certificate.completion_event_ids}
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def _completion_event(session, attempt: QuizAttempt) -> EvidenceEvent | None:
    """The ``quiz_completed`` event of ``attempt`` in the evidence log."""
    events = session.scalars(
        select(EvidenceEvent).where(EvidenceEvent.event_type == "quiz_completed", EvidenceEvent.user == attempt.user)
    )
    return next((event for event in events if json.loads(event.data).get("attempt_id") == attempt.id), None)


def _view(certificate: Certificate, topic_titles: dict[str, str], course_titles: dict[str, str]) -> CertificateView:
    topic = certificate.topic
    if certificate.course:
        title = course_titles.get(certificate.course, certificate.course)
    else:
        title = topic_titles.get(topic, topic) if topic else "Tổng hợp nhiều chủ đề"
    return CertificateView(
        code=certificate.code,
        display_name=certificate.display_name,
        topic=topic,
        topic_title=title,
        unit=certificate.unit,
        score=certificate.score,
        total=certificate.total,
        issued_at=certificate.issued_at,
        attempt_id=certificate.attempt_id,
        revoked_at=certificate.revoked_at,
        revoked_reason=certificate.revoked_reason,
        course=certificate.course,
    )


class Certificates:
    """Issues, verifies and revokes certificates of one database."""

    def __init__(self, db, evidence: EvidenceLog, pass_ratio: float, topic_titles: dict[str, str] | None = None,
                 courses: Courses | None = None, topic_lessons: dict[str, str] | None = None):
        self.db = db
        self.evidence = evidence
        self.pass_ratio = pass_ratio
        self.topic_titles = topic_titles or {}
        self.courses = courses or Courses()
        self.topic_lessons = topic_lessons or {}  # quiz topic -> its lesson
        self.course_titles = {course.id: course.title for course in self.courses.items}

    def issue(self, user: str, attempt_id: int, display_name: str) -> CertificateView:
        """The certificate of ``user``'s passed attempt, issued now or earlier (one per attempt)."""
        name = clean_name(display_name)
        with self.db.session() as session:
            attempt = session.get(QuizAttempt, attempt_id)
            if attempt is None or attempt.user != user:
                raise CertificateError("Không tìm thấy lượt làm bài này của bà con.")
            existing = session.scalar(select(Certificate).where(Certificate.attempt_id == attempt_id))
            if existing is not None:
                return self._view(existing)
            if attempt.status != "completed" or attempt.score < pass_needed(attempt.total, self.pass_ratio):
                raise CertificateError("Giấy chứng nhận chỉ cấp cho lượt trắc nghiệm đã hoàn thành và đạt.")
            event = _completion_event(session, attempt)
            if event is None:
                raise CertificateError("Chưa thấy minh chứng hoàn thành của lượt làm bài này.")
            certificate = Certificate(
                code=new_code(), attempt_id=attempt.id, user=user, display_name=name, topic=attempt.topic,
                unit=attempt.unit, score=attempt.score, total=attempt.total, completion_event_id=event.id,
                issued_at=utcnow().replace(microsecond=0),
            )
            session.add(certificate)
            session.flush()
            self.evidence.append(
                "certificate_issued", user, attempt.channel, attempt.unit,
                {"code": certificate.code, "attempt_id": attempt.id, "digest": digest(certificate)},
                session=session,
            )
            return self._view(certificate)

    def _view(self, certificate: Certificate) -> CertificateView:
        return _view(certificate, self.topic_titles, self.course_titles)

    def course_topics(self, course: Course) -> list[str]:
        """The quiz topics of a course's lessons."""
        return [topic for topic, lesson in self.topic_lessons.items() if lesson in course.lessons]

    def _passed_attempts(self, session, user: str) -> dict[str, QuizAttempt]:
        """The user's latest passed attempt of each topic."""
        attempts = session.scalars(
            select(QuizAttempt).where(QuizAttempt.user == user, QuizAttempt.status == "completed")
            .order_by(QuizAttempt.completed_at, QuizAttempt.id)
        )
        return {a.topic: a for a in attempts if a.topic and a.score >= pass_needed(a.total, self.pass_ratio)}

    def completed_courses(self, user: str) -> list[Course]:
        """The courses every topic of which the user has passed."""
        with self.db.session() as session:
            passed = self._passed_attempts(session, user)
        return [course for course in self.courses.items
                if (topics := self.course_topics(course)) and all(topic in passed for topic in topics)]

    def issue_course(self, user: str, course_id: str, display_name: str) -> CertificateView:
        """The course certificate of ``user`` once every topic of the course is passed (one per course)."""
        name = clean_name(display_name)
        course = next((c for c in self.courses.items if c.id == course_id), None)
        if course is None or not self.course_topics(course):
            raise CertificateError("Không có khóa học này.")
        topics = self.course_topics(course)
        with self.db.session() as session:
            existing = session.scalar(select(Certificate).where(Certificate.user == user,
                                                                Certificate.course == course.id))
            if existing is not None:
                return self._view(existing)
            passed = self._passed_attempts(session, user)
            missing = [self.topic_titles.get(t, t) for t in topics if t not in passed]
            if missing:
                raise CertificateError(f"Bà con còn {len(missing)}/{len(topics)} chủ đề của khóa «{course.title}» "
                                       f"chưa đạt: {', '.join(missing[:5])}{'…' if len(missing) > 5 else ''}.")
            events = [_completion_event(session, passed[t]) for t in topics]
            if any(event is None for event in events):
                raise CertificateError("Chưa thấy đủ minh chứng hoàn thành các chủ đề của khóa học.")
            latest = max((passed[t] for t in topics), key=lambda a: (a.completed_at, a.id))
            certificate = Certificate(
                code=new_code(), attempt_id=None, course=course.id, user=user, display_name=name, topic=None,
                unit=latest.unit, score=len(topics), total=len(topics),
                completion_event_id=max(event.id for event in events),
                completion_event_ids=sorted(event.id for event in events),
                issued_at=utcnow().replace(microsecond=0),
            )
            session.add(certificate)
            session.flush()
            self.evidence.append(
                "certificate_issued", user, latest.channel, latest.unit,
                {"code": certificate.code, "course": course.id, "digest": digest(certificate)},
                session=session,
            )
            return self._view(certificate)

    def latest_pass(self, user: str) -> tuple[int, str | None] | None:
        """The user's most recent passed attempt (id, topic), or None."""
        with self.db.session() as session:
            attempts = session.scalars(
                select(QuizAttempt).where(QuizAttempt.user == user, QuizAttempt.status == "completed")
                .order_by(QuizAttempt.completed_at.desc(), QuizAttempt.id.desc())
            )
            passed = next((a for a in attempts if a.score >= pass_needed(a.total, self.pass_ratio)), None)
            return (passed.id, passed.topic) if passed else None

    def topic_title(self, topic: str | None) -> str:
        return self.topic_titles.get(topic, topic) if topic else "Tổng hợp nhiều chủ đề"

    def owned_by(self, user: str) -> list[CertificateView]:
        """The user's certificates, newest first."""
        with self.db.session() as session:
            rows = session.scalars(select(Certificate).where(Certificate.user == user)
                                   .order_by(Certificate.issued_at.desc(), Certificate.id.desc()))
            return [self._view(row) for row in rows]

    def find(self, code: str) -> CertificateView | None:
        """The certificate with ``code`` as stored (not checked against the log; see :meth:`verify`)."""
        with self.db.session() as session:
            certificate = session.scalar(select(Certificate).where(Certificate.code == normalise_code(code)))
            return self._view(certificate) if certificate else None

    def revoke(self, code: str, reason: str) -> bool:
        """Revoke a certificate (admin); False when there is no such code."""
        with self.db.session() as session:
            certificate = session.scalar(select(Certificate).where(Certificate.code == normalise_code(code)))
            if certificate is None:
                return False
            if certificate.revoked_at is None:
                certificate.revoked_at = utcnow()
                certificate.revoked_reason = nfc(reason).strip()[:200] or "Thu hồi theo quyết định của quản trị"
            return True

    def verify(self, code: str) -> Verification:
        """Check the certificate named by ``code`` against the evidence log (see module doc)."""
        with self.db.session() as session:
            certificate = session.scalar(select(Certificate).where(Certificate.code == normalise_code(code)))
            if certificate is None:
                return Verification("not_found")
            view = self._view(certificate)
            completed = self._rests_on_passes(session, certificate)
            expected = ({"code": certificate.code, "course": certificate.course, "digest": digest(certificate)}
                        if certificate.course else
                        {"code": certificate.code, "attempt_id": certificate.attempt_id, "digest": digest(certificate)})
            issued = session.scalars(select(EvidenceEvent).where(EvidenceEvent.event_type == "certificate_issued",
                                                                EvidenceEvent.user == certificate.user))
            issued_event = next((event for event in issued if json.loads(event.data) == expected), None)
        chain = self.evidence.verify().ok
        checks = [
            ("Bài trắc nghiệm hoàn thành và đạt có trong nhật ký minh chứng", completed),
            ("Nội dung giấy chứng nhận khớp với bản ghi lúc cấp", issued_event is not None),
            ("Chuỗi băm của nhật ký minh chứng nguyên vẹn", chain),
        ]
        notes: list[str] = []
        if issued_event is not None:
            checks, notes = self._checkpoint_inclusion(issued_event.id, checks)
        if not all(ok for _, ok in checks):
            return Verification("invalid", view, checks, notes)
        if certificate.revoked_at is not None:
            return Verification("revoked", view, checks, notes)
        return Verification("valid", view, checks, notes)

    def _rests_on_passes(self, session, certificate: Certificate) -> bool:
        """The passed ``quiz_completed`` events the certificate names are in the log, for its user."""
        ids = certificate.completion_event_ids if certificate.course else [certificate.completion_event_id]
        events = [session.get(EvidenceEvent, event_id) for event_id in ids or []]
        if not events or any(e is None or e.event_type != "quiz_completed" or e.user != certificate.user
                             for e in events):
            return False
        data = [json.loads(event.data) for event in events]
        if certificate.course:
            course = next((c for c in self.courses.items if c.id == certificate.course), None)
            topics = set(self.course_topics(course)) if course else set()
            return all(d.get("passed") is True for d in data) and {d.get("topic") for d in data} == topics
        return data[0] == {"attempt_id": certificate.attempt_id, "topic": certificate.topic,
                           "score": certificate.score, "total": certificate.total, "passed": True}

    def _checkpoint_inclusion(self, event_id: int, checks: list) -> tuple[list, list[str]]:
        """Add the Merkle inclusion check of ``event_id`` against the latest signed checkpoint."""
        checkpoint, key = self.evidence.latest_checkpoint(), self.evidence.verifier()
        if checkpoint is None or key is None:
            return checks, ["Chưa có điểm mốc có chữ ký nào: giấy sẽ được bao hàm ở điểm mốc đầu tiên."]
        try:
            check_signature(checkpoint, key)
        except CheckpointError as error:
            return [*checks, ("Chữ ký của điểm mốc minh chứng mới nhất hợp lệ", False)], [str(error)]
        with self.db.session() as session:
            hashes = list(session.scalars(select(EvidenceEvent.hash).order_by(EvidenceEvent.id)
                                          .limit(checkpoint.size)))
            index = session.scalar(select(func.count()).where(EvidenceEvent.id < event_id))
        signed = f"{checkpoint.time:%d/%m/%Y}"
        if index >= checkpoint.size:
            return checks, [f"Điểm mốc mới nhất (ký ngày {signed}, {checkpoint.size} sự kiện) có trước khi cấp giấy; "
                            "điểm mốc kế tiếp sẽ bao hàm giấy này."]
        leaves = [merkle.leaf_hash(bytes.fromhex(value)) for value in hashes]
        proof = merkle.inclusion_proof(leaves, index)
        included = merkle.verify_inclusion(leaves[index], index, checkpoint.size, proof, checkpoint.root)
        name = (f"Sự kiện cấp giấy nằm trong điểm mốc có chữ ký ngày {signed} "
                f"(chứng minh bao hàm Merkle, {len(proof)} mã băm)")
        return [*checks, (name, included)], []
