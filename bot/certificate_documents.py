"""Certificates sent as files in chat: the outbox call ``sendCertificate`` becomes Telegram's
multipart ``sendDocument`` with the PDF drawn at send time.

The outbox stores JSON calls; a PDF is tens of kilobytes and can be drawn again from the
certificate's code at any time, so the stored call holds only ``{"chat_id", "code"}``.
The sender (:class:`bot.delivery.outbox.Sender`) calls :class:`CertificateDocuments` each
time it tries the call, so a retry after an outage sends the same certificate, in its place
in the chat's queue (after the text that announces it). A certificate revoked or deleted
before it was sent is not sent: the call fails for good.
"""

from __future__ import annotations

from bot import texts
from bot.certificate_pdf import certificate_pdf
from bot.certificates import Certificates
from bot.delivery.outbox import DocumentGone, Upload
from bot.evidence import EvidenceLog

SEND_CERTIFICATE = "sendCertificate"


class CertificateDocuments:
    """Makes the ``sendDocument`` upload of a stored ``sendCertificate`` call."""

    def __init__(self, db, settings):
        self.db = db
        self.settings = settings
        self._certificates: Certificates | None = None

    def __call__(self, params: dict) -> Upload:
        code = str(params.get("code", ""))
        view = self._service().find(code)
        if view is None:
            raise DocumentGone(f"không còn giấy chứng nhận {code}")
        if view.revoked_at is not None:
            raise DocumentGone(f"giấy chứng nhận {code} đã bị thu hồi")
        base = self.settings.api.public_url.rstrip("/")
        # Without a public address the QR code and the text name the page's path, to open on the unit's site.
        content = certificate_pdf(view, f"{base}/verify/{view.code}", self.settings.timezone)
        return Upload(
            method="sendDocument",
            fields={"chat_id": str(params["chat_id"]), "caption": texts.certificate_caption(view.code)},
            files={"document": (f"chung-nhan-{view.code}.pdf", content, "application/pdf")},
        )

    def _service(self) -> Certificates:
        if self._certificates is None:  # the quiz bank gives the topic titles; read once, when first needed
            from knowledge.quizbank import load_bank

            bank = load_bank(self.settings.knowledge_dir / "quizzes")
            titles = {topic.id: topic.name for topic in bank.topics.values()}
            self._certificates = Certificates(self.db, EvidenceLog(self.db), self.settings.quiz.pass_ratio, titles)
        return self._certificates


def documents(db, settings) -> dict:
    """The stored methods the outbox sender turns into uploads."""
    return {SEND_CERTIFICATE: CertificateDocuments(db, settings)}
